using Axon.IO;
using Axon.Nn;
using Google.Protobuf;

namespace Axon.Onnx;

/// <summary>How <see cref="OnnxExport"/> writes a model.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Whether the batch size is left open (the default): the model is traced at the example's batch size and at one
    /// more, and every dimension that follows the batch becomes symbolic ("batch") in the ONNX graph. When false, the
    /// graph takes exactly the example's shapes.
    /// </summary>
    public bool DynamicBatch { get; init; } = true;

    /// <summary>The batch axis of every input (0; 1 for time-major sequences [T, N, ...]), unless <see cref="BatchAxes"/> gives one per input.</summary>
    public int BatchAxis { get; init; }

    /// <summary>The batch axis of each input, when they differ (a batch-first sequence [N, T, ...] with a state [L, N, H]: 0 and 1).</summary>
    public IReadOnlyList<int>? BatchAxes { get; init; }

    /// <summary>Names of the graph's inputs (default "input", or "input0", "input1", ... for several).</summary>
    public IReadOnlyList<string>? InputNames { get; init; }

    /// <summary>Names of the graph's outputs (default "output", or "output0", "output1", ... for several).</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }

    /// <summary>The graph's name (default: the module's type name).</summary>
    public string? GraphName { get; init; }
}

/// <summary>What an export wrote: the file, and the graph's size, inputs, outputs and ops.</summary>
/// <param name="Path">The file written.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Nodes">ONNX nodes in the graph.</param>
/// <param name="Initializers">Initializers (the module's parameters and buffers that the forward pass reads, and small constants).</param>
/// <param name="Inputs">The graph's inputs with their shapes ("input: float32 [batch, 1, 28, 28]").</param>
/// <param name="Outputs">The graph's outputs with their shapes.</param>
/// <param name="OpCounts">ONNX nodes per operator type.</param>
public sealed record OnnxExportSummary(string Path, long Bytes, int Nodes, int Initializers, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, int> OpCounts);

/// <summary>
/// ONNX export (opset 17, IR version 8) of a module's forward pass, built from its trace (<see cref="Tracing.Trace"/>):
/// each traced op becomes one or a few ONNX nodes, the parameters and buffers it reads become initializers under their
/// state-dict names, dropout disappears (the model is traced in evaluation mode), and the batch dimension is left
/// symbolic. An op without an ONNX mapping (a loss, a custom <see cref="Function"/>, a backward op) stops the export
/// with an <see cref="OnnxExportException"/> naming the op and the module that ran it.
/// <code>
/// model.ExportOnnx("model.onnx", Tensor.Zeros([1, 1, 28, 28]));   // input [batch, 1, 28, 28], output [batch, 10]
/// </code>
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graphs use.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version written (8, the one that introduced opset 17's era; read by every current runtime).</summary>
    public const long IrVersion = 8;

    /// <summary>
    /// Exports <paramref name="forward"/>, a computation with <paramref name="module"/>'s layers on
    /// <paramref name="exampleInputs"/> (for a plain module, <c>x => [module.Call(x[0])]</c>), to <paramref name="path"/>
    /// (written to a temporary file and renamed). The module is traced in evaluation mode, without recording
    /// gradients, and left in the mode it was in.
    /// </summary>
    public static OnnxExportSummary Save(Module module, Func<Tensor[], Tensor[]> forward, Tensor[] exampleInputs, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var model = Exporter.Build(module, forward, exampleInputs, options ?? new OnnxExportOptions());
        var bytes = model.ToByteArray();
        AtomicFile.WriteAllBytes(path, bytes);
        return Summarize(model, path, bytes.LongLength);
    }

    /// <summary>The ONNX model of <paramref name="forward"/> as bytes (see <see cref="Save"/>).</summary>
    public static byte[] ToBytes(Module module, Func<Tensor[], Tensor[]> forward, Tensor[] exampleInputs, OnnxExportOptions? options = null) =>
        Exporter.Build(module, forward, exampleInputs, options ?? new OnnxExportOptions()).ToByteArray();

    private static OnnxExportSummary Summarize(global::Onnx.ModelProto model, string path, long bytes)
    {
        var g = model.Graph;
        static string Describe(global::Onnx.ValueInfoProto v) =>
            $"{v.Name}: {TensorData.Name((global::Onnx.TensorProto.Types.DataType)v.Type.TensorType.ElemType)} [{string.Join(", ", v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
        return new OnnxExportSummary(path, bytes, g.Node.Count, g.Initializer.Count, g.Input.Select(Describe).ToList(), g.Output.Select(Describe).ToList(),
            g.Node.GroupBy(n => n.OpType).OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal));
    }
}

/// <summary><c>model.ExportOnnx(path, example)</c>.</summary>
public static class OnnxModuleExtensions
{
    /// <summary>
    /// Exports the model's forward pass to an ONNX file (opset 17) at <paramref name="path"/>, traced on
    /// <paramref name="exampleInput"/> in evaluation mode; the batch dimension (axis 0 unless
    /// <see cref="OnnxExportOptions.BatchAxis"/> says otherwise) is left symbolic. See <see cref="OnnxExport"/>.
    /// </summary>
    public static OnnxExportSummary ExportOnnx(this Module<Tensor, Tensor> model, string path, Tensor exampleInput, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(exampleInput);
        return OnnxExport.Save(model, x => [model.Call(x[0])], [exampleInput], path, options);
    }
}

/// <summary>
/// The model cannot be written as ONNX: an op without an ONNX mapping (named, with the module that ran it), or a forward
/// pass whose shape or path depends on the batch in a way a graph cannot say.
/// </summary>
public sealed class OnnxExportException : InvalidOperationException
{
    /// <summary>An export error about <paramref name="op"/> (null when not about one op) run in <paramref name="module"/>.</summary>
    public OnnxExportException(string message, string? op = null, string? module = null) : base(message) => (Op, Module) = (op, module);

    /// <summary>An export error.</summary>
    public OnnxExportException() { }

    /// <summary>An export error.</summary>
    public OnnxExportException(string message) : base(message) { }

    /// <summary>An export error with its cause.</summary>
    public OnnxExportException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The traced op the error is about, if any.</summary>
    public string? Op { get; }

    /// <summary>The module that ran it ("features.3 (MaxPool2d)"), if known.</summary>
    public string? Module { get; }
}
