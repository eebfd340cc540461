using Axon.Nn;
using Axon.Tracing;
using Onnx;

namespace Axon.Onnx;

/// <summary>
/// Turns a traced forward pass into an ONNX model. With a dynamic batch, the forward is traced twice, at the example's
/// batch size B and at B + 1: the two graphs must run the same ops, and a dimension that is k·B in the first and
/// k·(B + 1) in the second follows the batch (k per example); any other difference cannot be exported.
/// </summary>
internal sealed partial class Exporter
{
    private readonly TracedGraph a;
    private readonly TracedGraph? b;
    private readonly int batchA;
    private readonly GraphBuilder g;
    private readonly Dictionary<TraceValue, string> names = new(ReferenceEqualityComparer.Instance);
    private TraceNode current = null!;

    private Exporter(TracedGraph a, TracedGraph? b, int batchA, GraphBuilder g) => (this.a, this.b, this.batchA, this.g) = (a, b, batchA, g);

    public static ModelProto Build(Module module, Func<Tensor[], Tensor[]> forward, Tensor[] exampleInputs, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(exampleInputs);
        if (exampleInputs.Length == 0) throw new ArgumentException("ONNX export: give at least one example input.", nameof(exampleInputs));
        if (options.BatchAxes is { } given && given.Count != exampleInputs.Length)
            throw new ArgumentException($"ONNX export: {given.Count} batch axes for {exampleInputs.Length} inputs; give one per input.", nameof(options));
        int[] axes = exampleInputs.Select((_, i) => options.BatchAxes?[i] ?? options.BatchAxis).ToArray();
        if (options.DynamicBatch)
            for (int i = 0; i < axes.Length; i++)
                if (axes[i] < 0 || axes[i] >= exampleInputs[i].Rank || exampleInputs[i].Shape[axes[i]] != exampleInputs[0].Shape[axes[0]])
                    throw new ArgumentException($"ONNX export: axis {axes[i]} of example input {i} (shape {Shapes.Format(exampleInputs[i].GetShape())}) is not a batch axis of the same size as input 0's; set OnnxExportOptions.BatchAxis or BatchAxes, or DynamicBatch = false.", nameof(exampleInputs));
        bool wasTraining = module.Training;
        module.Eval();
        TracedGraph first, second = null!;
        try
        {
            using var noGrad = GradMode.NoGrad();
            // A batch of one can take another path (a transpose of a size-1 axis needs no copy): trace at two and three then.
            Tensor[] Grown(Tensor[] xs) => xs.Select((x, i) => Tensor.Cat([x, x.Narrow(axes[i], 0, 1)], axes[i])).ToArray();
            if (options.DynamicBatch && exampleInputs[0].Shape[axes[0]] == 1) exampleInputs = Grown(exampleInputs);
            first = Trace.Of(module, forward, exampleInputs);
            if (options.DynamicBatch) second = Trace.Of(module, forward, Grown(exampleInputs));
        }
        finally
        {
            module.Train(wasTraining);
        }
        var inputNames = Names(options.InputNames, first.Inputs.Count, "input");
        var outputNames = Names(options.OutputNames, first.Outputs.Count, "output");
        var exporter = new Exporter(first, options.DynamicBatch ? second : null, options.DynamicBatch ? exampleInputs[0].Shape[axes[0]] : 0, new GraphBuilder(inputNames[0], axes[0]));
        if (exporter.b is not null) exporter.CheckSamePath();
        var graph = exporter.Run(inputNames, outputNames);
        graph.Name = options.GraphName ?? module.GetType().Name;
        var model = new ModelProto
        {
            IrVersion = OnnxExport.IrVersion,
            ProducerName = "Axon",
            ProducerVersion = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(Exporter).Assembly)?.InformationalVersion.Split('+')[0] ?? "0",
            DocString = $"{module.GetType().Name} exported by Axon from a trace of its forward pass in evaluation mode.",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExport.Opset });
        return model;
    }

    private static string[] Names(IReadOnlyList<string>? given, int count, string stem)
    {
        if (given is null) return count == 1 ? [stem] : Enumerable.Range(0, count).Select(i => $"{stem}{i}").ToArray();
        if (given.Count != count || given.Distinct(StringComparer.Ordinal).Count() != count || given.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"ONNX export: the graph has {count} {stem}s; give {count} distinct, non-empty {stem} names (got {given.Count}: {string.Join(", ", given)}).");
        return [.. given];
    }

    private void CheckSamePath()
    {
        var (x, y) = (a, b!);
        int n = Math.Min(x.Nodes.Count, y.Nodes.Count);
        for (int i = 0; i < n; i++)
            if (x.Nodes[i].Op != y.Nodes[i].Op || x.Nodes[i].Inputs.Count != y.Nodes[i].Inputs.Count)
                throw new OnnxExportException($"ONNX export: the forward pass runs other ops for a batch of {batchA + 1} than for {batchA} (op {i}: {x.Nodes[i].Op} in {x.Nodes[i].Module ?? "?"}, then {y.Nodes[i].Op}); its path depends on the batch size, which a graph with a dynamic batch cannot follow. Export with DynamicBatch = false.", x.Nodes[i].Op, x.Nodes[i].Module);
        if (x.Nodes.Count != y.Nodes.Count || x.Constants.Count != y.Constants.Count || x.Outputs.Count != y.Outputs.Count)
            throw new OnnxExportException($"ONNX export: the forward pass runs {x.Nodes.Count} ops for a batch of {batchA} and {y.Nodes.Count} for {batchA + 1}; its path depends on the batch size. Export with DynamicBatch = false.");
    }

    private GraphProto Run(string[] inputNames, string[] outputNames)
    {
        var graph = g.Graph;
        for (int i = 0; i < a.Inputs.Count; i++)
        {
            names[a.Inputs[i]] = g.Claim(inputNames[i]);
            graph.Input.Add(ValueInfo(inputNames[i], a.Inputs[i]));
        }
        foreach (var name in outputNames) g.Claim(name);
        for (int k = 0; k < a.ConstantValues.Count; k++) AddConstant(k);
        foreach (var node in a.Nodes)
        {
            current = node;
            foreach (var v in node.Outputs) names[v] = g.Claim(v.Name);
            Emit(node);
        }
        for (int i = 0; i < a.Outputs.Count; i++)
        {
            g.Add("Identity", [Name(a.Outputs[i])], outputNames[i]);
            graph.Output.Add(ValueInfo(outputNames[i], a.Outputs[i]));
        }
        return graph;
    }

    /// <summary>A constant the forward read: an initializer under its state-dict name, or, when its shape follows the batch, a fill made at run time.</summary>
    private void AddConstant(int k)
    {
        var v = a.ConstantValues[k];
        var tensor = a.Constants[k];
        var name = names[v] = g.Claim(v.Name);
        var dims = Dims(v);
        if (!dims.Any(d => d.IsDynamic))
        {
            g.Initializer(name, tensor);
            return;
        }
        // A state the forward made for the batch (an RNN's zero initial state): uniform, so ConstantOfShape at run time.
        var values = tensor.ToArray<double>();
        if (values.Any(x => x.CompareTo(values[0]) != 0))
        {
            var user = a.Nodes.FirstOrDefault(n => n.Inputs.Contains(v));
            throw new OnnxExportException($"ONNX export: the forward pass makes a tensor of shape {Shapes.Format(v.Shape)} that follows the batch size and holds varying values (random numbers?), read by {user?.Op ?? "the output"} in {user?.Module ?? "the model"}; a graph can only make fills of one value. Export with DynamicBatch = false, or keep the tensor out of the forward pass.", user?.Op, user?.Module);
        }
        var fill = TensorData.Scalar(g.Fresh("fill"), values[0], tensor.DType);
        fill.Dims.Add(1);
        g.Add("ConstantOfShape", [g.Shape(dims, inferOne: false)], name, OnnxAttr.Tensor("value", fill));
    }

    private ValueInfoProto ValueInfo(string name, TraceValue v)
    {
        var shape = new TensorShapeProto();
        foreach (var d in Dims(v))
            shape.Dim.Add(d.IsDynamic ? new TensorShapeProto.Types.Dimension { DimParam = d.PerBatch == 1 ? "batch" : $"batch*{d.PerBatch}" } : new TensorShapeProto.Types.Dimension { DimValue = d.Size });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorData.TypeOf(v.DType), Shape = shape } },
        };
    }

    private string Name(TraceValue v) => names[v];

    /// <summary>The value's dimensions: fixed, or so many per example of the batch.</summary>
    private Dim[] Dims(TraceValue v)
    {
        if (b is null) return v.Shape.Select(s => new Dim(s, 0)).ToArray();
        var w = v.Kind switch
        {
            TraceValueKind.Input => b.Inputs[v.Index],
            TraceValueKind.Constant => b.ConstantValues[v.Index],
            _ => b.Nodes[v.Node].Outputs[v.Output],
        };
        if (w.Shape.Length != v.Shape.Length) throw BatchError(v, w);
        var dims = new Dim[v.Shape.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            long per = w.Shape[i] - v.Shape[i];
            if (per != 0 && v.Shape[i] != per * batchA) throw BatchError(v, w);
            dims[i] = new Dim(v.Shape[i], per);
        }
        return dims;
    }

    private OnnxExportException BatchError(TraceValue v, TraceValue w) =>
        new($"ONNX export: {v} has shape {Shapes.Format(v.Shape)} for a batch of {batchA} and {Shapes.Format(w.Shape)} for {batchA + 1} (in {current?.Op ?? "the inputs"}, {current?.Module ?? "the model"}); only sizes proportional to the batch can be left open. Export with DynamicBatch = false.", current?.Op, current?.Module);

    /// <summary>The error for an op (or a form of it) that has no ONNX mapping.</summary>
    private OnnxExportException Unsupported(string? why = null) =>
        new($"ONNX export: the op '{current.Op}'{(current.Attributes.Count > 0 ? $" ({current.Attributes})" : "")} in module {current.Module ?? "(none)"} has no ONNX mapping{(why is null ? "" : ": " + why)}.", current.Op, current.Module);
}
