namespace Axon;

/// <summary>
/// How a loss combines its per-sample values, as PyTorch's <c>reduction</c> argument: the losses of <c>Nn</c> take it, and
/// so do the backends' fused loss primitives (one enum for both, so nothing translates between them).
/// </summary>
public enum Reduction
{
    /// <summary>Average over samples (and, for element-wise losses, elements); with class weights, the weighted mean.</summary>
    Mean,

    /// <summary>Sum.</summary>
    Sum,

    /// <summary>No reduction: one value per sample (or element).</summary>
    None,
}
