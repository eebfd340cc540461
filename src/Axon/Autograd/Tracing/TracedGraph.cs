using System.Text;

namespace Axon.Tracing;

/// <summary>Where a value in a traced graph comes from.</summary>
public enum TraceValueKind
{
    /// <summary>One of the traced function's inputs.</summary>
    Input,

    /// <summary>An output of one of the graph's nodes.</summary>
    NodeOutput,

    /// <summary>A tensor the trace did not see being made: a parameter, a buffer or a constant, kept by reference.</summary>
    Constant,
}

/// <summary>A value of a traced graph: its origin, shape and dtype as traced, and a name for printing.</summary>
/// <param name="Kind">Where it comes from.</param>
/// <param name="Index">The input's, the constant's, or the node's index.</param>
/// <param name="Node">The producing node's index (-1 unless <see cref="TraceValueKind.NodeOutput"/>).</param>
/// <param name="Output">Which output of the node.</param>
/// <param name="Shape">The shape when traced.</param>
/// <param name="DType">The element type when traced.</param>
/// <param name="Name">A name: inputN, vN, or a parameter's state-dict key.</param>
public sealed record TraceValue(TraceValueKind Kind, int Index, int Node, int Output, int[] Shape, DType DType, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"%{Name}";
}

/// <summary>One op of a traced graph: its kind, attributes, input values and output values, and the module it ran in.</summary>
/// <param name="Op">The op's kind, as <see cref="Node.Op"/> names it.</param>
/// <param name="Attributes">Its non-tensor arguments.</param>
/// <param name="Inputs">The values it read, in its argument order.</param>
/// <param name="Outputs">The values it produced.</param>
/// <param name="Module">
/// The innermost module whose <c>Call</c> ran the op, as its state-dict prefix and type ("features.0 (Conv2d)"; the
/// traced module itself by its type alone, "LectureCnn"), so that an exporter's errors can say where an op came from; null for a
/// function traced without a module.
/// </param>
public sealed record TraceNode(string Op, OpAttributes Attributes, IReadOnlyList<TraceValue> Inputs, IReadOnlyList<TraceValue> Outputs, string? Module = null);

/// <summary>
/// A function's forward pass recorded as a graph of op kinds, attributes and shapes (see <see cref="Trace"/>), which can
/// be read (to export it) and run again on new inputs of the same shapes, op by op, through the same public ops:
/// <see cref="Run"/> gives the same results, to the bit, as calling the function.
/// </summary>
public sealed class TracedGraph
{
    private readonly Tensor[] constants;

    internal TracedGraph(IReadOnlyList<TraceValue> inputs, IReadOnlyList<TraceNode> nodes, IReadOnlyList<TraceValue> outputs, IReadOnlyList<Tensor> constants, IReadOnlyList<TraceValue> constantValues)
    {
        Inputs = inputs.ToArray();
        Nodes = nodes.ToArray();
        Outputs = outputs.ToArray();
        this.constants = constants.ToArray();
        ConstantValues = constantValues.ToArray();
    }

    /// <summary>The graph's inputs.</summary>
    public IReadOnlyList<TraceValue> Inputs { get; }

    /// <summary>The ops, in the order they ran.</summary>
    public IReadOnlyList<TraceNode> Nodes { get; }

    /// <summary>The graph's outputs.</summary>
    public IReadOnlyList<TraceValue> Outputs { get; }

    /// <summary>The values of the tensors the graph reads but did not make (parameters, buffers, constants).</summary>
    public IReadOnlyList<TraceValue> ConstantValues { get; }

    /// <summary>The tensors behind <see cref="ConstantValues"/> (by reference: a parameter updated later is read as it is then).</summary>
    public IReadOnlyList<Tensor> Constants => constants;

    /// <summary>Runs the graph again on <paramref name="inputs"/> (one per graph input, of the traced shapes and dtypes), op by op.</summary>
    public Tensor[] Run(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != Inputs.Count) throw new ArgumentException($"TracedGraph.Run: the graph takes {Inputs.Count} inputs, got {inputs.Length}.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
            if (!inputs[i].Shape.SequenceEqual(Inputs[i].Shape) || inputs[i].DType != Inputs[i].DType)
                throw new ArgumentException($"TracedGraph.Run: input {i} is {inputs[i].DType.TorchName()} {ShapeUtil.Format(inputs[i].ShapeArray)}, the graph was traced with {Inputs[i].DType.TorchName()} {ShapeUtil.Format(Inputs[i].Shape)}.", nameof(inputs));
        var results = new Tensor[Nodes.Count][];
        Tensor Value(TraceValue v) => v.Kind switch
        {
            TraceValueKind.Input => inputs[v.Index],
            TraceValueKind.Constant => constants[v.Index],
            _ => results[v.Node][v.Output],
        };
        for (int n = 0; n < Nodes.Count; n++)
        {
            var node = Nodes[n];
            var args = node.Inputs.Select(Value).ToArray();
            var outs = OpReplay.Run(node.Op, args, node.Attributes);
            if (outs.Length != node.Outputs.Count)
                throw new InvalidOperationException($"TracedGraph.Run: node {n} ({node.Op}) gave {outs.Length} outputs, the trace recorded {node.Outputs.Count}.");
            results[n] = outs;
        }
        return Outputs.Select(Value).ToArray();
    }

    /// <summary>The graph as a listing, one op per line: <c>%v3 = Conv2d(%v2, %features.0.weight, stride=1, ...)  # [64, 32, 24, 24]</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("graph(").Append(string.Join(", ", Inputs.Select(v => $"{v}: {Describe(v)}"))).AppendLine("):");
        foreach (var node in Nodes)
        {
            sb.Append("  ").Append(string.Join(", ", node.Outputs)).Append(" = ").Append(node.Op).Append('(');
            sb.Append(string.Join(", ", node.Inputs.Select(v => v.ToString()).Concat(node.Attributes.Select(a => $"{a.Key}={Format(a.Value)}"))));
            sb.Append(")  # ").AppendLine(string.Join(", ", node.Outputs.Select(Describe)));
        }
        sb.Append("  return ").Append(string.Join(", ", Outputs));
        return sb.ToString();
    }

    private static string Describe(TraceValue v) => $"{v.DType.TorchName()}{ShapeUtil.Format(v.Shape)}";

    private static string Format(object? value) => value switch
    {
        Function f => f.Name,
        _ => new OpAttributes(("x", value)).ToString()[2..],
    };

    /// <summary>The number of nodes of each op kind, e.g. for a summary ("Conv2d: 3, Relu: 4").</summary>
    public IReadOnlyDictionary<string, int> OpCounts() =>
        Nodes.GroupBy(n => n.Op).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
