namespace Axon;

/// <summary>
/// A differentiable operation defined outside the library, forward and backward together, as
/// <c>torch.autograd.Function</c>. <see cref="Forward"/> runs without recording and saves what the backward needs in
/// the context; <see cref="Backward"/> maps the gradients of the outputs to those of the inputs. Written with tensor
/// ops, the backward is itself differentiable (second derivatives work through it). The op is recorded in the graph
/// and in traces under <see cref="Name"/>, and a trace re-runs it by calling <see cref="ApplyAll"/> again.
/// <code>
/// sealed class Swish : Function
/// {
///     protected override Tensor[] Forward(FunctionContext ctx, Tensor[] x)
///     {
///         ctx.SaveForBackward(x[0]);
///         return [x[0] * x[0].Sigmoid()];
///     }
///
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g)
///     {
///         var x = ctx.SavedTensors[0];
///         var s = x.Sigmoid();
///         return [g[0] * (s + x * s * (1.0 - s))];
///     }
/// }
/// var y = new Swish().Apply(x);
/// </code>
/// Save inputs (or outputs) and recompute what the backward needs from them: a tensor made inside Forward is not part
/// of the graph, so a backward that reads it still gives the right first derivative but not the right second one.
/// </summary>
public abstract class Function
{
    /// <summary>The op's name in the graph and in traces (the class name by default).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The computation, run with recording off. Save what the backward needs with <see cref="FunctionContext.SaveForBackward"/>.</summary>
    protected abstract Tensor[] Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>
    /// The gradient of each input (null for one that needs none, see <see cref="FunctionContext.NeedsInputGrad"/>), from
    /// the gradient of each output (zeros for an output that received none). Must return one entry per input, each of
    /// its input's shape.
    /// </summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs);

    /// <summary>Runs the function on <paramref name="inputs"/> and records it; returns its single output.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var outputs = ApplyAll(inputs);
        return outputs.Length == 1 ? outputs[0] : throw new InvalidOperationException($"{Name}: Apply expects one output, the function returned {outputs.Length}; use ApplyAll.");
    }

    /// <summary>Runs the function on <paramref name="inputs"/> and records it; returns all its outputs.</summary>
    public Tensor[] ApplyAll(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var ctx = new FunctionContext(inputs);
        Tensor[] outputs;
        using (GradMode.NoGrad()) outputs = Tracing.Tracer.Opaque(() => Forward(ctx, inputs)) ?? throw new InvalidOperationException($"{Name}: Forward returned null.");
        if (outputs.Length == 0) throw new InvalidOperationException($"{Name}: Forward returned no outputs.");
        // An output that is an input (or an earlier output) must be a tensor of its own, or recording would rewire the input.
        for (int i = 0; i < outputs.Length; i++)
            if (inputs.Contains(outputs[i], ReferenceEqualityComparer.Instance) || outputs.Take(i).Contains(outputs[i], ReferenceEqualityComparer.Instance))
                outputs[i] = outputs[i].MakeView(outputs[i].GetShape(), outputs[i].StrideArray.ToArray(), outputs[i].Offset);
        var meta = outputs.Select(o => (Shape: o.GetShape(), o.DType, o.Device)).ToArray();
        Tensor.RecordMany(Name, inputs, new OpAttributes(("function", this)), outputs, grads =>
        {
            var g = new Tensor[grads.Length];
            for (int i = 0; i < g.Length; i++) g[i] = grads[i] ?? Tensor.Zeros(meta[i].Shape, meta[i].DType, meta[i].Device);
            var result = Backward(ctx, g) ?? throw new InvalidOperationException($"{Name}: Backward returned null.");
            if (result.Length != inputs.Length)
                throw new InvalidOperationException($"{Name}: Backward returned {result.Length} gradients for {inputs.Length} inputs.");
            return result;
        });
        foreach (var o in outputs)
            if (ctx.IsNonDifferentiable(o)) o.MarkNonDifferentiable();
        return outputs;
    }
}

/// <summary>What a <see cref="Function"/>'s forward hands to its backward: saved tensors, values, and which inputs need gradients.</summary>
public sealed class FunctionContext
{
    private readonly Tensor[] inputs;
    private readonly List<Tensor> nonDifferentiable = [];
    private Tensor[] saved = [];

    internal FunctionContext(Tensor[] inputs) => this.inputs = inputs;

    /// <summary>The tensors saved by <see cref="SaveForBackward"/>.</summary>
    public IReadOnlyList<Tensor> SavedTensors => saved;

    /// <summary>Other values the backward needs (shapes, flags), by name.</summary>
    public Dictionary<string, object?> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Keeps tensors for the backward.</summary>
    public void SaveForBackward(params Tensor[] tensors) => saved = tensors ?? [];

    /// <summary>Whether input <paramref name="index"/> takes a gradient (the backward may return null for it otherwise).</summary>
    public bool NeedsInputGrad(int index) => inputs[index].RequiresGrad;

    /// <summary>Marks outputs (indices, masks) that take no gradient: they are returned as plain tensors.</summary>
    public void MarkNonDifferentiable(params Tensor[] outputs) => nonDifferentiable.AddRange(outputs);

    internal bool IsNonDifferentiable(Tensor t) => nonDifferentiable.Contains(t, ReferenceEqualityComparer.Instance);
}
