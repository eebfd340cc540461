using System.Text;

namespace Axon;

// Autograd state of a tensor: RequiresGrad, Grad, GradFn, Backward, Detach.
public sealed partial class Tensor
{
    private bool requiresGrad;
    private bool retainsGrad;

    /// <summary>The recorded op that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; private set; }

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
    public Tensor Detach() => MakeView((int[])shape.Clone(), (int[])strides.Clone(), Offset);

    /// <summary>Computes the gradient of this tensor with respect to the graph leaves and accumulates it into their <see cref="Grad"/>.</summary>
    /// <param name="gradient">The gradient of some scalar with respect to this tensor; required unless this tensor has one element.</param>
    /// <param name="retainGraph">Keep the graph so that Backward can run through it again.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Engine.Backward(this, gradient, retainGraph);

    /// <summary>Starts a scope in which ops are not recorded (shorthand for <see cref="GradMode.NoGrad"/>).</summary>
    public static IDisposable NoGrad() => GradMode.NoGrad();

    /// <summary>True when an op on these inputs must be recorded.</summary>
    internal static bool NeedsGrad(Tensor a) => a.requiresGrad && GradMode.IsEnabled;

    /// <summary>True when an op on these inputs must be recorded.</summary>
    internal static bool NeedsGrad(Tensor a, Tensor b) => (a.requiresGrad || b.requiresGrad) && GradMode.IsEnabled;

    /// <summary>True when an op on these inputs must be recorded.</summary>
    internal static bool NeedsGrad(IEnumerable<Tensor> inputs) => GradMode.IsEnabled && inputs.Any(t => t.requiresGrad);

    /// <summary>Marks this freshly computed tensor as the output of a recorded op.</summary>
    internal Tensor Record(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.IsEnabled || !inputs.Any(t => t.requiresGrad)) return this;
        GradFn = new Node(name, inputs, backward);
        requiresGrad = true;
        return this;
    }

    partial void ReleaseAutograd()
    {
        GradFn = null;
    }

    partial void AppendGradInfo(StringBuilder sb)
    {
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append("Backward>");
        else if (requiresGrad) sb.Append(", requires_grad=True");
    }
}
