using Google.Protobuf;
using Onnx;

namespace Axon.Onnx;

/// <summary>
/// Builds one ONNX graph: nodes, initializers and small constants, with names kept unique, and the run-time batch size
/// (read once from the graph input's shape) for shapes that follow it.
/// </summary>
internal sealed class GraphBuilder(string batchInput, int batchAxis)
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> int64Constants = new(StringComparer.Ordinal);
    private string? batch;
    private int counter;

    public GraphProto Graph { get; } = new();

    /// <summary>Claims <paramref name="name"/> if free, else a free name derived from it.</summary>
    public string Claim(string name) => names.Add(name) ? name : Fresh(name);

    /// <summary>A new name, "hint_N".</summary>
    public string Fresh(string hint)
    {
        string name;
        do name = $"{hint}_{counter++}";
        while (!names.Add(name));
        return name;
    }

    /// <summary>Adds a node with named outputs.</summary>
    public void Node(string op, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    /// <summary>Adds a node with one output, named <paramref name="output"/> or a fresh name; returns that name.</summary>
    public string Add(string op, IEnumerable<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        output ??= Fresh(op.ToLowerInvariant());
        Node(op, inputs, [output], attributes);
        return output;
    }

    /// <summary>Adds a tensor's elements as an initializer called <paramref name="name"/> (a name already claimed).</summary>
    public void Initializer(string name, Tensor tensor) => Graph.Initializer.Add(TensorData.Of(name, tensor));

    /// <summary>A 1-D int64 constant (shared between uses of the same values).</summary>
    public string Int64s(params long[] values)
    {
        string key = string.Join(",", values);
        if (int64Constants.TryGetValue(key, out var name)) return name;
        name = Fresh("const_i64");
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        Graph.Initializer.Add(t);
        int64Constants[key] = name;
        return name;
    }

    /// <summary>A 0-D int64 constant (an index that drops its axis in Gather).</summary>
    public string Int64Scalar(long value)
    {
        var name = Fresh("const_index");
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.Add(value);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A 0-D constant of <paramref name="dtype"/> (a scalar operand: broadcasts against anything).</summary>
    public string Scalar(double value, DType dtype)
    {
        var name = Fresh("const_scalar");
        Graph.Initializer.Add(TensorData.Scalar(name, value, dtype));
        return name;
    }

    /// <summary>A 1-D constant of <paramref name="dtype"/> filled with <paramref name="value"/> (a batch norm's missing scale or shift).</summary>
    public string Filled(string hint, int length, double value, DType dtype) =>
        AddInitializer(hint, Tensor.Full([length], value, dtype));

    private string AddInitializer(string hint, Tensor t)
    {
        var name = Fresh(hint);
        Initializer(name, t);
        return name;
    }

    /// <summary>The run-time batch size as an int64 [1] tensor: Shape(input)[batch axis], made once.</summary>
    public string Batch()
    {
        if (batch is not null) return batch;
        var shape = Add("Shape", [batchInput]);
        batch = Add("Gather", [shape, Int64s(batchAxis)], "batch_size", OnnxAttr.Int("axis", 0));
        return batch;
    }

    /// <summary>
    /// A shape as an int64 tensor: a constant when it is static (or when <paramref name="inferOne"/> and one dimension
    /// follows the batch: that one becomes -1, as Reshape infers it), else concatenated at run time from the batch size.
    /// </summary>
    public string Shape(Dim[] dims, bool inferOne)
    {
        int dynamic = dims.Count(d => d.PerBatch != 0);
        if (dynamic == 0 || (inferOne && dynamic == 1)) return Int64s(dims.Select(d => d.PerBatch != 0 ? -1L : d.Size).ToArray());
        var parts = new List<string>();
        var run = new List<long>();
        foreach (var d in dims)
        {
            if (d.PerBatch == 0)
            {
                run.Add(d.Size);
                continue;
            }
            if (run.Count > 0) parts.Add(Int64s([.. run]));
            run.Clear();
            parts.Add(d.PerBatch == 1 ? Batch() : Add("Mul", [Batch(), Int64s(d.PerBatch)]));
        }
        if (run.Count > 0) parts.Add(Int64s([.. run]));
        return parts.Count == 1 ? parts[0] : Add("Concat", parts, null, OnnxAttr.Int("axis", 0));
    }
}

/// <summary>
/// One dimension of a traced value: a fixed <see cref="Size"/>, or, when <see cref="PerBatch"/> is not 0, that many
/// times the batch size (found by tracing twice, with two batch sizes).
/// </summary>
internal readonly record struct Dim(long Size, long PerBatch)
{
    public bool IsDynamic => PerBatch != 0;
}

/// <summary>Attribute constructors.</summary>
internal static class OnnxAttr
{
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Strings(string name, params string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto Tensor(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
