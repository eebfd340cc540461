namespace Axon;

/// <summary>
/// Gradients as values, as <c>torch.autograd</c>: <see cref="Grad(Tensor, Tensor, Tensor?, bool?, bool, bool)"/> returns
/// the gradients of outputs with respect to chosen inputs without touching any <see cref="Tensor.Grad"/>, and with
/// <c>createGraph</c> those gradients are recorded, so they can be differentiated again.
/// <code>
/// // The contractive penalty ‖∂h/∂x‖² of an encoder h, trained through (second derivatives):
/// var x = batch.RequiresGrad_();
/// var h = encoder.Forward(x);
/// Tensor penalty = Tensor.Scalar(0);
/// for (int j = 0; j &lt; h.Size(1); j++)
///     penalty += Autograd.Grad(h.Select(1, j).Sum(), x, createGraph: true).Square().Sum();
/// (reconstructionLoss + lambda * penalty).Backward();
/// </code>
/// </summary>
public static class Autograd
{
    /// <summary>
    /// The gradients of <paramref name="outputs"/> (weighted by <paramref name="gradOutputs"/>, ones for scalars) with
    /// respect to each of <paramref name="inputs"/>, which must require grad. With <paramref name="createGraph"/> the
    /// gradients carry a graph of their own (and the graph below the outputs is kept unless <paramref name="retainGraph"/>
    /// is false); otherwise the graph is freed unless <paramref name="retainGraph"/>. An input the outputs do not depend
    /// on is an error, or null with <paramref name="allowUnused"/>.
    /// </summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputs.Count == 0) throw new ArgumentException("Grad: expected at least one output.", nameof(outputs));
        return Engine.Grad(outputs, inputs, gradOutputs, retainGraph ?? createGraph, createGraph, allowUnused);
    }

    /// <summary>The gradient of one output with respect to one input (see the general overload).</summary>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null, bool createGraph = false, bool allowUnused = false) =>
        Grad([output], [input], [gradOutput], retainGraph, createGraph, allowUnused)[0]
        ?? Tensor.ZerosLike(input);

    /// <summary>Accumulates the gradients of several outputs into the leaves at once (PyTorch's <c>torch.autograd.backward</c>).</summary>
    public static void Backward(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?>? gradOutputs = null, bool? retainGraph = null, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        Engine.Backward(outputs, gradOutputs, retainGraph ?? createGraph, createGraph);
    }
}
