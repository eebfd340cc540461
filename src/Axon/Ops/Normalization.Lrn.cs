namespace Axon;

// Local response normalisation (AlexNet's cross-channel normalisation), a composite of recorded ops.
public sealed partial class Tensor
{
    /// <summary>
    /// Local response normalisation across channels as PyTorch's local_response_norm:
    /// y[n, c] = x[n, c] / (k + alpha / size * sum over c' of x[n, c']^2)^beta, where c' runs over the window of
    /// <paramref name="size"/> channels from c - size/2 to c + (size - 1)/2 (channels outside the input count as zeros).
    /// Input [N, C, ...] with at least 3 dimensions. Built from differentiable ops (square, channel shifts, sum, power,
    /// divide), so its gradient is theirs and differentiates again. Krizhevsky et al. (2012) used size 5, alpha 1e-4,
    /// beta 0.75, k 2 (their alpha is per channel in the window, hence PyTorch's division by size).
    /// </summary>
    public static Tensor LocalResponseNorm(Tensor input, int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "LocalResponseNorm: size must be positive.");
        if (input.Rank < 3)
            throw new ArgumentException($"LocalResponseNorm: expected an input of 3 or more dimensions [N, C, ...], got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (!input.DType.IsFloatingPoint()) throw new ArgumentException($"LocalResponseNorm: expected a floating-point input, got {input.DType.TorchName()}.", nameof(input));
        int c = input.shape[1];
        var sq = input * input;
        int before = size / 2, after = (size - 1) / 2;
        // Zero channels on both sides, then the window sum as `size` shifted views added up (sizes are small: 5 in AlexNet).
        var parts = new List<Tensor>(3);
        if (before > 0) parts.Add(ChannelZeros(sq, before));
        parts.Add(sq);
        if (after > 0) parts.Add(ChannelZeros(sq, after));
        var padded = parts.Count == 1 ? sq : Cat(parts, 1);
        var sum = padded.Narrow(1, 0, c);
        for (int t = 1; t < size; t++) sum = sum + padded.Narrow(1, t, c);
        var div = (sum * (alpha / size) + k).Pow(beta);
        return input / div;
    }

    private static Tensor ChannelZeros(Tensor like, int channels)
    {
        var shape = like.ShapeArray.ToArray();
        shape[1] = channels;
        return Zeros(shape, like.DType, like.Device);
    }
}
