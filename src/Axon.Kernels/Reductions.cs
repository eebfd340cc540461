using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

/// <summary>Reductions over contiguous spans, generic over <see cref="float"/> and <see cref="double"/>.</summary>
public static class Reductions
{
    /// <summary>Sum of x (0 for an empty span).</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sum(x);

    /// <summary>Dot product of x and y.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Dot(x, y);

    /// <summary>Sum of squares of x.</summary>
    public static T SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.SumOfSquares(x);

    /// <summary>Arithmetic mean of x: Sum(x) / x.Length (NaN for an empty span).</summary>
    public static T Mean<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => x.Length == 0 ? T.NaN : TensorPrimitives.Sum(x) / T.CreateTruncating(x.Length);

    /// <summary>
    /// Largest element of x; NaN if any element is NaN; +0 is taken as larger than -0 (IEEE 754:2019 maximum).
    /// -inf for an empty span (the identity of max).
    /// </summary>
    public static T Max<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => x.Length == 0 ? T.NegativeInfinity : TensorPrimitives.Max(x);

    /// <summary>
    /// Smallest element of x; NaN if any element is NaN; -0 is taken as smaller than +0 (IEEE 754:2019 minimum).
    /// +inf for an empty span (the identity of min).
    /// </summary>
    public static T Min<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => x.Length == 0 ? T.PositiveInfinity : TensorPrimitives.Min(x);

    /// <summary>
    /// Per-row sums of the row-major [rows, cols] matrix x: dst[i] = sum of x[i * cols .. (i + 1) * cols).
    /// dst has length rows and must not overlap x.
    /// </summary>
    public static void RowSums<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMatrix(x, rows, cols, dst, rows);
        for (int i = 0; i < rows; i++) dst[i] = TensorPrimitives.Sum(x.Slice(i * cols, cols));
    }

    /// <summary>
    /// Per-column sums of the row-major [rows, cols] matrix x: dst[j] = sum over i of x[i * cols + j]
    /// (the bias gradient of a linear layer). dst has length cols and must not overlap x; rows are added in order.
    /// </summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMatrix(x, rows, cols, dst, cols);
        dst.Clear();
        for (int i = 0; i < rows; i++) TensorPrimitives.Add(dst, x.Slice(i * cols, cols), dst);
    }

    /// <summary>
    /// Index of the first maximum; a NaN counts as the maximum, so the index of the first NaN is returned if
    /// there is one. -0 and +0 tie (the first wins). -1 for an empty span.
    /// </summary>
    public static int ArgMax<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => ArgBest(x, default(GreaterSelector<T>));

    /// <summary>
    /// Index of the first minimum; a NaN counts as the minimum, so the index of the first NaN is returned if
    /// there is one. -0 and +0 tie (the first wins). -1 for an empty span.
    /// </summary>
    public static int ArgMin<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => ArgBest(x, default(LessSelector<T>));

    /// <summary>
    /// log(sum(exp(x))) computed stably as max + log(sum(exp(x - max))); -inf for an empty span.
    /// If the maximum is +inf, -inf (all elements -inf) or NaN, that maximum is returned.
    /// </summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0) return T.NegativeInfinity;
        T max = TensorPrimitives.Max(x);
        if (T.IsInfinity(max) || T.IsNaN(max)) return max;
        // TensorPrimitives' float Exp is faster than the BCL's Vector512.Exp (measured), so exp(x - max) goes
        // through a small stack buffer, chunk by chunk, instead of a fused loop.
        Span<T> tmp = stackalloc T[ExpChunk];
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i += ExpChunk)
        {
            ReadOnlySpan<T> c = x.Slice(i, Math.Min(ExpChunk, x.Length - i));
            Span<T> t = tmp[..c.Length];
            TensorPrimitives.Subtract(c, max, t);
            TensorPrimitives.Exp(t, t);
            sum += TensorPrimitives.Sum<T>(t);
        }
        return max + T.Log(sum);
    }

    /// <summary>
    /// Row softmax: dst = exp(x - max) / sum(exp(x - max)), composed from TensorPrimitives (max, subtract, exp,
    /// sum, divide: the row stays in cache and TensorPrimitives' exp dominates; a fused loop on the BCL's
    /// Vector512.Exp measured slower).
    /// A NaN anywhere, or a +inf, or a row of only -inf, gives a row of NaN (as PyTorch).
    /// </summary>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimdDriver.CheckSource(x, dst);
        if (x.Length == 0) return;
        T max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, dst);
        TensorPrimitives.Exp(dst, dst);
        T sum = TensorPrimitives.Sum<T>(dst);
        TensorPrimitives.Divide(dst, sum, dst);
    }

    /// <summary>Row log-softmax: dst = x - logsumexp(x). A row of only -inf gives NaN (as PyTorch).</summary>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimdDriver.CheckSource(x, dst);
        if (x.Length == 0) return;
        T lse = LogSumExp(x);
        TensorPrimitives.Subtract(x, lse, dst);
    }

    /// <summary>
    /// Softmax backward pass for one row from the softmax output y and output gradient g:
    /// dst = y * (g - dot(g, y)). dst may alias y or g.
    /// </summary>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimdDriver.CheckSource(y, dst);
        SimdDriver.CheckSource(g, dst);
        if (dst.Length == 0) return;
        T dot = TensorPrimitives.Dot(g, y);
        SimdDriver.Binary(y, g, dst, new SoftmaxBackwardOperator<T>(dot));
    }

    /// <summary>
    /// Log-softmax backward pass for one row from the log-softmax output y and output gradient g:
    /// dst = g - exp(y) * sum(g). dst may alias y or g.
    /// </summary>
    public static void LogSoftmaxBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimdDriver.CheckSource(y, dst);
        SimdDriver.CheckSource(g, dst);
        if (dst.Length == 0) return;
        T sum = TensorPrimitives.Sum(g);
        SimdDriver.Binary(y, g, dst, new LogSoftmaxBackwardOperator<T>(sum));
    }

    private static void CheckMatrix<T>(ReadOnlySpan<T> x, int rows, int cols, ReadOnlySpan<T> dst, int dstLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if ((long)rows * cols != x.Length) throw new ArgumentException($"Span length {x.Length} is not rows * cols = {rows} * {cols}.", nameof(x));
        Elementwise.CheckLength(dst.Length, dstLength);
        if (x.Overlaps(dst)) throw new ArgumentException("The destination must not overlap the source.", nameof(dst));
    }

    private const int ExpChunk = 512;

    // ---- ArgMax / ArgMin: per-lane best value and index, vector compare-and-blend ----

    private interface ISelector<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool Better(T a, T b);
        Vector128<T> Better(Vector128<T> a, Vector128<T> b);
        Vector256<T> Better(Vector256<T> a, Vector256<T> b);
        Vector512<T> Better(Vector512<T> a, Vector512<T> b);
    }

    private readonly struct GreaterSelector<T> : ISelector<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool Better(T a, T b) => a > b;
        public Vector128<T> Better(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThan(a, b);
        public Vector256<T> Better(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);
        public Vector512<T> Better(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThan(a, b);
    }

    private readonly struct LessSelector<T> : ISelector<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool Better(T a, T b) => a < b;
        public Vector128<T> Better(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);
        public Vector256<T> Better(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);
        public Vector512<T> Better(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);
    }

    private static int ArgBest<T, TSel>(ReadOnlySpan<T> x, TSel sel)
        where T : unmanaged, IFloatingPointIeee754<T> where TSel : struct, ISelector<T>
    {
        if (x.Length == 0) return -1;
        // Index lanes as wide as the value lanes, so one comparison mask blends both.
        int best, done;
        if (typeof(T) == typeof(float)) best = ArgBestVector<T, int, TSel>(x, sel, out done);
        else if (typeof(T) == typeof(double)) best = ArgBestVector<T, long, TSel>(x, sel, out done);
        else { best = 0; done = 1; }

        if (T.IsNaN(x[best])) return best;
        for (int i = done; i < x.Length; i++)
        {
            if (T.IsNaN(x[i])) return i;
            if (sel.Better(x[i], x[best])) best = i;
        }
        return best;
    }

    // Returns the best index among the first `done` elements (the first NaN's index if one was seen there);
    // the caller finishes the remaining elements in scalar code.
    private static int ArgBestVector<T, TIdx, TSel>(ReadOnlySpan<T> x, TSel sel, out int done)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx> where TSel : struct, ISelector<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            // Four independent (value, index) accumulators over interleaved vectors hide the compare-blend
            // latency chain; they are merged lane-wise (smaller index on equal values) before the lane reduction.
            int w = Vector512<T>.Count;
            Vector512<T> b0 = Vector512.LoadUnsafe(ref xr);
            Vector512<T> nan = ~Vector512.Equals(b0, b0);
            if (nan != Vector512<T>.Zero) { done = n; return BitOperations.TrailingZeroCount(nan.ExtractMostSignificantBits()); }
            Vector512<T> b1 = b0, b2 = b0, b3 = b0;
            Vector512<TIdx> step = Vector512.Create(TIdx.CreateTruncating(w)), step4 = Vector512.Create(TIdx.CreateTruncating(4 * w));
            Vector512<TIdx> i0 = Vector512<TIdx>.Indices, i1 = i0, i2 = i0, i3 = i0;
            Vector512<TIdx> c0 = i0 + step, c1 = c0 + step, c2 = c1 + step, c3 = c2 + step; // indices of the vectors at i, i + w, ...
            int i = w;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                Vector512<T> a0 = Vector512.LoadUnsafe(ref xr, (nuint)i);
                Vector512<T> a1 = Vector512.LoadUnsafe(ref xr, (nuint)(i + w));
                Vector512<T> a2 = Vector512.LoadUnsafe(ref xr, (nuint)(i + 2 * w));
                Vector512<T> a3 = Vector512.LoadUnsafe(ref xr, (nuint)(i + 3 * w));
                // Masks are compared bitwise through ~: an all-ones float lane is a NaN and never "equals" anything.
                nan = ~(Vector512.Equals(a0, a0) & Vector512.Equals(a1, a1) & Vector512.Equals(a2, a2) & Vector512.Equals(a3, a3));
                if (nan != Vector512<T>.Zero)
                {
                    done = n;
                    int k = i;
                    while (!T.IsNaN(x[k])) k++; // the mask guarantees a NaN within these four vectors
                    return k;
                }
                Vector512<T> m0 = sel.Better(a0, b0), m1 = sel.Better(a1, b1), m2 = sel.Better(a2, b2), m3 = sel.Better(a3, b3);
                b0 = Vector512.ConditionalSelect(m0, a0, b0);
                b1 = Vector512.ConditionalSelect(m1, a1, b1);
                b2 = Vector512.ConditionalSelect(m2, a2, b2);
                b3 = Vector512.ConditionalSelect(m3, a3, b3);
                i0 = Vector512.ConditionalSelect(m0.As<T, TIdx>(), c0, i0);
                i1 = Vector512.ConditionalSelect(m1.As<T, TIdx>(), c1, i1);
                i2 = Vector512.ConditionalSelect(m2.As<T, TIdx>(), c2, i2);
                i3 = Vector512.ConditionalSelect(m3.As<T, TIdx>(), c3, i3);
                c0 += step4;
                c1 += step4;
                c2 += step4;
                c3 += step4;
            }
            Merge(ref b0, ref i0, b1, i1, sel);
            Merge(ref b2, ref i2, b3, i3, sel);
            Merge(ref b0, ref i0, b2, i2, sel);
            for (; i + w <= n; i += w)
            {
                Vector512<T> v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                nan = ~Vector512.Equals(v, v);
                if (nan != Vector512<T>.Zero) { done = n; return i + BitOperations.TrailingZeroCount(nan.ExtractMostSignificantBits()); }
                Vector512<T> better = sel.Better(v, b0);
                b0 = Vector512.ConditionalSelect(better, v, b0);
                i0 = Vector512.ConditionalSelect(better.As<T, TIdx>(), c0, i0);
                c0 += step;
            }
            done = i;
            Span<T> vals = stackalloc T[Vector512<T>.Count];
            Span<TIdx> idxs = stackalloc TIdx[Vector512<TIdx>.Count];
            b0.CopyTo(vals);
            i0.CopyTo(idxs);
            return ReduceLanes(vals, idxs, sel);
        }
        if (Vector256.IsHardwareAccelerated && n >= Vector256<T>.Count)
        {
            int w = Vector256<T>.Count;
            Vector256<T> bestV = Vector256.LoadUnsafe(ref xr);
            Vector256<TIdx> bestI = Vector256<TIdx>.Indices, curI = bestI, step = Vector256.Create(TIdx.CreateTruncating(w));
            Vector256<T> nan = ~Vector256.Equals(bestV, bestV);
            if (nan != Vector256<T>.Zero) { done = n; return BitOperations.TrailingZeroCount(nan.ExtractMostSignificantBits()); }
            int i = w;
            for (; i + w <= n; i += w)
            {
                Vector256<T> v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                curI += step;
                nan = ~Vector256.Equals(v, v);
                if (nan != Vector256<T>.Zero) { done = n; return i + BitOperations.TrailingZeroCount(nan.ExtractMostSignificantBits()); }
                Vector256<T> better = sel.Better(v, bestV);
                bestV = Vector256.ConditionalSelect(better, v, bestV);
                bestI = Vector256.ConditionalSelect(better.As<T, TIdx>(), curI, bestI);
            }
            done = i;
            Span<T> vals = stackalloc T[Vector256<T>.Count];
            Span<TIdx> idxs = stackalloc TIdx[Vector256<TIdx>.Count];
            bestV.CopyTo(vals);
            bestI.CopyTo(idxs);
            return ReduceLanes(vals, idxs, sel);
        }
        if (Vector128.IsHardwareAccelerated && n >= Vector128<T>.Count)
        {
            int w = Vector128<T>.Count;
            Vector128<T> bestV = Vector128.LoadUnsafe(ref xr);
            Vector128<TIdx> bestI = Vector128<TIdx>.Indices, curI = bestI, step = Vector128.Create(TIdx.CreateTruncating(w));
            Vector128<T> nan = ~Vector128.Equals(bestV, bestV);
            if (nan != Vector128<T>.Zero) { done = n; return BitOperations.TrailingZeroCount(nan.ExtractMostSignificantBits()); }
            int i = w;
            for (; i + w <= n; i += w)
            {
                Vector128<T> v = Vector128.LoadUnsafe(ref xr, (nuint)i);
                curI += step;
                nan = ~Vector128.Equals(v, v);
                if (nan != Vector128<T>.Zero) { done = n; return i + BitOperations.TrailingZeroCount(nan.ExtractMostSignificantBits()); }
                Vector128<T> better = sel.Better(v, bestV);
                bestV = Vector128.ConditionalSelect(better, v, bestV);
                bestI = Vector128.ConditionalSelect(better.As<T, TIdx>(), curI, bestI);
            }
            done = i;
            Span<T> vals = stackalloc T[Vector128<T>.Count];
            Span<TIdx> idxs = stackalloc TIdx[Vector128<TIdx>.Count];
            bestV.CopyTo(vals);
            bestI.CopyTo(idxs);
            return ReduceLanes(vals, idxs, sel);
        }
        done = 1;
        return 0;
    }

    // Lane-wise: keep (bv, bi) unless (v, idx) is better, or equal with a smaller index.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Merge<T, TIdx, TSel>(ref Vector512<T> bv, ref Vector512<TIdx> bi, Vector512<T> v, Vector512<TIdx> idx, TSel sel)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx> where TSel : struct, ISelector<T>
    {
        Vector512<TIdx> take = sel.Better(v, bv).As<T, TIdx>() | (Vector512.Equals(v, bv).As<T, TIdx>() & Vector512.LessThan(idx, bi));
        bv = Vector512.ConditionalSelect(take.As<TIdx, T>(), v, bv);
        bi = Vector512.ConditionalSelect(take, idx, bi);
    }

    // Lanes hold NaN-free candidates; the best value wins and, among equal values (-0 == +0), the smallest index.
    private static int ReduceLanes<T, TIdx, TSel>(ReadOnlySpan<T> vals, ReadOnlySpan<TIdx> idxs, TSel sel)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx> where TSel : struct, ISelector<T>
    {
        T bv = vals[0];
        int bi = int.CreateTruncating(idxs[0]);
        for (int k = 1; k < vals.Length; k++)
        {
            int idx = int.CreateTruncating(idxs[k]);
            if (sel.Better(vals[k], bv) || (vals[k] == bv && idx < bi)) { bv = vals[k]; bi = idx; }
        }
        return bi;
    }
}
