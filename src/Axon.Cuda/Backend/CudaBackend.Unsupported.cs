namespace Axon.Cuda;

// The primitives with no CUDA implementation. Each throws NotSupportedException naming itself and the device, so a
// model that reaches one fails loudly instead of computing on the host behind the caller's back.
public sealed partial class CudaBackend
{
    /// <summary>The members of <see cref="IBackend"/> this backend does not implement (the tests hold the README to this list).</summary>
    internal static IReadOnlyList<string> Unsupported { get; } = ["Renorm"];

    /// <inheritdoc/>
    /// <remarks>
    /// No kernel: per-slice L2 norms along a dimension need a segmented reduction (the max_norm of embeddings), which
    /// the kernels do not have yet.
    /// </remarks>
    public int Renorm(Tensor x, int dim, double maxNorm) => throw NoKernel();
}
