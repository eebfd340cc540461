namespace Axon.Tracing;

/// <summary>
/// Records, while it is the current tracer of its thread, every op the tensor layer reports (<see cref="Tensor.Record(string, Tensor[], OpAttributes, Func{Tensor, Tensor?[]}?)"/>):
/// which op, with which attributes, on which values. A value is a traced input, the output of an earlier op, or a
/// tensor the trace did not see being made (a parameter, a buffer, a constant), which it keeps by reference.
/// </summary>
internal sealed class Tracer : IDisposable
{
    [ThreadStatic] private static Tracer? current;
    private readonly Tracer? parent;
    private readonly Dictionary<Tensor, TraceValue> values = new(ReferenceEqualityComparer.Instance);
    private readonly List<TraceValue> inputs = [];
    private readonly List<TraceNode> nodes = [];
    private readonly List<Tensor> constants = [];
    private readonly List<TraceValue> constantValues = [];
    private readonly Func<Tensor, string?> nameOf;
    private readonly Func<Nn.Module, string?> moduleName;
    private readonly List<string> modules = [];
    private int depth;

    public Tracer(IReadOnlyList<Tensor> inputTensors, Func<Tensor, string?> nameOf, Func<Nn.Module, string?>? moduleName = null)
    {
        this.nameOf = nameOf;
        this.moduleName = moduleName ?? (_ => null);
        foreach (var t in inputTensors)
        {
            if (values.ContainsKey(t)) throw new ArgumentException("Trace: the same tensor was given as two inputs.", nameof(inputTensors));
            var v = new TraceValue(TraceValueKind.Input, inputs.Count, -1, 0, t.GetShape(), t.DType, $"input{inputs.Count}");
            values[t] = v;
            inputs.Add(v);
        }
        parent = current;
        current = this;
    }

    /// <summary>The tracer of this thread, or null when none is active (or while a traced op runs its own ops).</summary>
    public static Tracer? Current => current is { depth: 0 } t ? t : null;

    /// <summary>
    /// Hides the ops that run inside <paramref name="run"/> (a traced custom function's own forward): the trace keeps
    /// only the outer op, which it re-runs as a whole.
    /// </summary>
    public static T Opaque<T>(Func<T> run)
    {
        var t = current;
        if (t is null) return run();
        t.depth++;
        try { return run(); }
        finally { t.depth--; }
    }

    /// <summary>
    /// Notes that <paramref name="module"/>'s <c>Call</c> starts (the ops until the matching <see cref="ExitModule"/>
    /// ran in it); the traced module itself, and modules the trace has no name for, are described by their type alone.
    /// </summary>
    public void EnterModule(Nn.Module module)
    {
        var name = moduleName(module);
        modules.Add(string.IsNullOrEmpty(name) ? module.GetType().Name : $"{name} ({module.GetType().Name})");
    }

    /// <summary>Notes that the innermost module's <c>Call</c> returned.</summary>
    public void ExitModule() => modules.RemoveAt(modules.Count - 1);

    public void Add(string op, OpAttributes attributes, Tensor[] opInputs, Tensor[] outputs)
    {
        var ins = new TraceValue[opInputs.Length];
        for (int i = 0; i < opInputs.Length; i++) ins[i] = ValueOf(opInputs[i]);
        int index = nodes.Count;
        var outs = new TraceValue[outputs.Length];
        for (int k = 0; k < outputs.Length; k++)
        {
            outs[k] = new TraceValue(TraceValueKind.NodeOutput, index, index, k, outputs[k].GetShape(), outputs[k].DType, $"v{index}" + (outputs.Length > 1 ? $"_{k}" : ""));
            values[outputs[k]] = outs[k];
        }
        nodes.Add(new TraceNode(op, attributes, ins, outs, modules.Count == 0 ? null : modules[^1]));
    }

    private TraceValue ValueOf(Tensor t)
    {
        if (values.TryGetValue(t, out var v)) return v;
        int k = constants.Count;
        v = new TraceValue(TraceValueKind.Constant, k, -1, 0, t.GetShape(), t.DType, nameOf(t) ?? $"const{k}");
        constants.Add(t);
        constantValues.Add(v);
        values[t] = v;
        return v;
    }

    /// <summary>Ends the trace with <paramref name="outputTensors"/> as the graph's outputs.</summary>
    public TracedGraph Finish(IReadOnlyList<Tensor> outputTensors)
    {
        var outs = outputTensors.Select(ValueOf).ToArray();
        return new TracedGraph(inputs, nodes, outs, constants, constantValues);
    }

    public void Dispose()
    {
        if (current == this) current = parent;
    }
}
