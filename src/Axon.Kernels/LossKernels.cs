using System.Numerics;

namespace Axon.Kernels;

/// <summary>
/// Fused element-wise losses over contiguous spans. Each runs the very kernels of the composite it replaces, one
/// L1-sized chunk at a time, so a value is computed with the same instructions (and rounds the same) as in the
/// composite, with one pass over memory instead of a dozen.
/// </summary>
public static class LossKernels
{
    /// <summary>Elements per chunk: three chunks of doubles stay in L1.</summary>
    private const int Chunk = 512;

    /// <summary>
    /// The next chunk's length from <paramref name="start"/>: <see cref="Chunk"/>, or all that is left when fewer than
    /// a chunk and a vector remain. No chunk is shorter than a vector unless the whole span is, so every element takes
    /// the vector path it takes when the composite runs over the whole span (the SIMD tails overlap, never go scalar).
    /// </summary>
    private static int ChunkLength(int start, int n) => n - start < Chunk + 16 ? n - start : Chunk;

    /// <summary>
    /// loss = (1 − t) x + log(1 + e^−|x|) + max(−x, 0): binary cross-entropy of the logit x against the target t (in
    /// [0, 1]), written without overflow. Bit for bit the composite
    /// <c>(1 − t) * x + (log(exp(−|x|) + 1) + relu(−x))</c> of <see cref="Elementwise"/> kernels.
    /// </summary>
    public static void BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, Span<T> loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = loss.Length;
        if (x.Length != n || t.Length != n) throw new ArgumentException($"BinaryCrossEntropyWithLogits: spans of {x.Length}, {t.Length} and {n} elements.");
        Span<T> a = stackalloc T[Chunk + 16], b = stackalloc T[Chunk + 16];
        for (int s = 0, len; s < n; s += len)
        {
            len = ChunkLength(s, n);
            var xs = x.Slice(s, len);
            Span<T> softplus = a[..len], other = b[..len];
            Elementwise.Abs(xs, softplus);
            Elementwise.Negate(softplus, softplus);
            Elementwise.Exp(softplus, softplus);
            Elementwise.AddScalar(softplus, T.One, softplus);
            Elementwise.Log(softplus, softplus);            // log(1 + e^−|x|)
            Elementwise.Negate(xs, other);
            Elementwise.Relu(other, other);
            Elementwise.Add(softplus, other, softplus);     // −log σ(x)
            Elementwise.ScalarSubtract(T.One, t.Slice(s, len), other);
            Elementwise.Multiply(other, xs, other);         // (1 − t) x
            Elementwise.Add(other, softplus, loss.Slice(s, len));
        }
    }

    /// <summary>
    /// gx = (σ(x) − t) g: the gradient of <see cref="BinaryCrossEntropyWithLogits{T}"/> with respect to the logit, for
    /// an output gradient <paramref name="g"/> of the same length.
    /// </summary>
    public static void BinaryCrossEntropyWithLogitsBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, ReadOnlySpan<T> g, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = gx.Length;
        if (g.Length != n) throw new ArgumentException($"BinaryCrossEntropyWithLogitsBackward: a gradient of {g.Length} elements for {n}.");
        Backward(x, t, g, T.Zero, gx);
    }

    /// <summary>gx = (σ(x) − t) g for one output gradient g shared by every element (a mean's or a sum's).</summary>
    public static void BinaryCrossEntropyWithLogitsBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, T g, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        => Backward(x, t, [], g, gx);

    private static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, ReadOnlySpan<T> g, T shared, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = gx.Length;
        if (x.Length != n || t.Length != n) throw new ArgumentException($"BinaryCrossEntropyWithLogitsBackward: spans of {x.Length}, {t.Length} and {n} elements.");
        Span<T> a = stackalloc T[Chunk + 16];
        for (int s = 0, len; s < n; s += len)
        {
            len = ChunkLength(s, n);
            Span<T> p = a[..len];
            Elementwise.Sigmoid(x.Slice(s, len), p);
            Elementwise.Subtract(p, t.Slice(s, len), p);
            if (g.IsEmpty) Elementwise.MultiplyScalar(p, shared, gx.Slice(s, len));
            else Elementwise.Multiply(p, g.Slice(s, len), gx.Slice(s, len));
        }
    }
}
