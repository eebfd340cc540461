using System.Text;

namespace Axon;

// Autograd state of a tensor: RequiresGrad, Grad, GradFn, Backward, Detach, hooks; and the one recording entry of the ops.
public sealed partial class Tensor
{
    private bool requiresGrad;
    private bool retainsGrad;
    private List<Action<Tensor>>? postAccumulateHooks;

    /// <summary>The recorded op that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; private set; }

    /// <summary>Which output of <see cref="GradFn"/> this tensor is (0 for single-output ops).</summary>
    internal int OutputNr { get; private set; }

    /// <summary>The accumulated gradient (for leaves, and for non-leaves after <see cref="RetainGrad"/>).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True for tensors created by the user (not by a recorded op).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Whether gradients flow to this tensor. Only leaves can change it, and only floating-point tensors can require it.</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (!IsLeaf) throw new InvalidOperationException("RequiresGrad can only be changed on leaf tensors; use Detach() to get a leaf from a computed tensor.");
            if (value && !DType.IsFloatingPoint()) throw new InvalidOperationException($"Only floating-point tensors can require gradients, this one is {DType.TorchName()}.");
            requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (for chaining).</summary>
    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>Keeps the gradient of this non-leaf tensor in <see cref="Grad"/> during backward.</summary>
    public void RetainGrad()
    {
        if (!requiresGrad) throw new InvalidOperationException("RetainGrad: the tensor does not require grad.");
        retainsGrad = true;
    }

    internal bool RetainsGrad => retainsGrad;

    /// <summary>A view of the same data that is cut from the graph (a leaf with RequiresGrad = false).</summary>
    public Tensor Detach()
    {
        var x = this;
        return MakeView((int[])shape.Clone(), (int[])strides.Clone(), Offset).Record("Detach", [x], OpAttributes.Empty, backward: null);
    }

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph leaves and accumulates it into their <see cref="Grad"/>.
    /// With <paramref name="createGraph"/> the backward is itself recorded, so the gradients can be differentiated again
    /// (a gradient penalty, a Hessian-vector product); it implies <paramref name="retainGraph"/> unless that is given.
    /// </summary>
    /// <param name="gradient">The gradient of some scalar with respect to this tensor; required unless this tensor has one element.</param>
    /// <param name="retainGraph">Keep the graph so that Backward can run through it again (default: <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the backward pass, making the accumulated gradients differentiable.</param>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false) =>
        Engine.Backward([this], [gradient], retainGraph ?? createGraph, createGraph);

    /// <summary>Starts a scope in which ops are not recorded (shorthand for <see cref="GradMode.NoGrad"/>).</summary>
    public static IDisposable NoGrad() => GradMode.NoGrad();

    /// <summary>
    /// Registers <paramref name="hook"/>(tensor), run after a backward pass has accumulated this leaf's gradient for the
    /// last time in that pass (PyTorch's <c>register_post_accumulate_grad_hook</c>): the moment its <see cref="Grad"/> is
    /// final, which data-parallel training uses to start reducing it while the rest of the backward runs. Dispose the
    /// result to remove the hook.
    /// </summary>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf) throw new InvalidOperationException("RegisterPostAccumulateGradHook: only leaf tensors accumulate gradients.");
        (postAccumulateHooks ??= []).Add(hook);
        return new HookRemoval(() => postAccumulateHooks?.Remove(hook));
    }

    internal void RunPostAccumulateHooks()
    {
        if (postAccumulateHooks is null) return;
        foreach (var hook in postAccumulateHooks.ToArray()) hook(this);
    }

    private sealed class HookRemoval(Action remove) : IDisposable
    {
        private Action? remove = remove;

        public void Dispose() { remove?.Invoke(); remove = null; }
    }

    /// <summary>True when an op on this input must be recorded for autograd.</summary>
    internal static bool NeedsGrad(Tensor a) => a.requiresGrad && GradMode.IsEnabled;

    /// <summary>True when an op on these inputs is being recorded (a backward written with ops then stays differentiable).</summary>
    internal static bool Recording(Tensor a, Tensor? b = null) => GradMode.IsEnabled && (a.requiresGrad || (b?.requiresGrad ?? false));

    /// <summary>Marks this freshly computed tensor as the output of a recorded op with no attributes.</summary>
    internal Tensor Record(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward) => Record(op, inputs, OpAttributes.Empty, backward);

    /// <summary>
    /// The one place ops report what they computed. The trace (when one is being taken) gets the op, its attributes and
    /// inputs whatever their gradients; autograd gets a <see cref="Node"/> when recording is on, an input requires grad
    /// and the op is differentiable (<paramref name="backward"/> not null). Returns this tensor.
    /// </summary>
    internal Tensor Record(string op, Tensor[] inputs, OpAttributes attributes, Func<Tensor, Tensor?[]>? backward)
    {
        Tracing.Tracer.Current?.Add(op, attributes, inputs, [this]);
        if (backward is null || !GradMode.IsEnabled || !DType.IsFloatingPoint() || !AnyRequiresGrad(inputs)) return this;
        GradFn = new Node(op, attributes, inputs, this, backward);
        requiresGrad = true;
        return this;
    }

    /// <summary>
    /// Records an op with several outputs: the trace sees all of them; autograd attaches one node to the floating-point
    /// ones, whose backward gets one gradient per output (null for an output that received none).
    /// </summary>
    internal static void RecordMany(string op, Tensor[] inputs, OpAttributes attributes, Tensor[] outputs, Func<Tensor?[], Tensor?[]>? backward)
    {
        Tracing.Tracer.Current?.Add(op, attributes, inputs, outputs);
        if (backward is null || !GradMode.IsEnabled || !AnyRequiresGrad(inputs)) return;
        var node = new Node(op, attributes, inputs, outputs.Select(o => (int[])o.shape.Clone()).ToArray(), outputs.Select(o => o.DType).ToArray(), backward);
        for (int i = 0; i < outputs.Length; i++)
        {
            if (!outputs[i].DType.IsFloatingPoint()) continue;
            outputs[i].GradFn = node;
            outputs[i].OutputNr = i;
            outputs[i].requiresGrad = true;
        }
    }

    /// <summary>
    /// Under createGraph, marks a gradient computed by a fused kernel as depending on <paramref name="inputs"/> through a
    /// node that refuses to be differentiated: the first order works, a second derivative through <paramref name="op"/>
    /// fails with a message naming it (instead of silently treating the gradient as a constant). Returns the gradient.
    /// </summary>
    internal static Tensor? NotTwiceDifferentiable(string op, Tensor? grad, params Tensor[] inputs)
    {
        if (grad is null || !GradMode.IsEnabled || !AnyRequiresGrad(inputs)) return grad;
        grad.GradFn = new Node(op + "Backward", OpAttributes.Empty, inputs, [(int[])grad.shape.Clone()], [grad.DType], _ =>
            throw new NotSupportedException($"{op}: its backward is a fused kernel without a backward of its own, so a gradient through {op} cannot be differentiated again."));
        grad.requiresGrad = true;
        return grad;
    }

    /// <summary>Cuts a just-recorded output from the graph (an output a custom function marked as taking no gradient).</summary>
    internal void MarkNonDifferentiable()
    {
        GradFn = null;
        OutputNr = 0;
        requiresGrad = false;
    }

    private static bool AnyRequiresGrad(Tensor[] inputs)
    {
        foreach (var t in inputs)
            if (t.requiresGrad) return true;
        return false;
    }

    partial void ReleaseAutograd()
    {
        GradFn = null;
    }

    partial void AppendGradInfo(StringBuilder sb)
    {
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Op).Append("Backward>");
        else if (requiresGrad) sb.Append(", requires_grad=True");
    }
}
