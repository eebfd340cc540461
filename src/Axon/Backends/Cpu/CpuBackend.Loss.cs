using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Axon.Kernels;

namespace Axon.Backends;

// Softmax cross-entropy on class indices, forward and backward in one pass over the rows each.
public sealed partial class CpuBackend
{
    /// <summary>
    /// Softmax cross-entropy of contiguous logits x [N, C] (float32 or float64) against contiguous int64 class indices
    /// <paramref name="targets"/> [N], with optional class weights [C] of x's dtype (any stride). Per row i with class
    /// t = target[i]: lse_i = logsumexp(x_i) (step by step as <see cref="Reductions.LogSumExp{T}"/>, so as log-softmax), and
    /// loss_i = -(x_i[t] - lse_i), times weight[t] when weighted. The reduction is then exactly that of the composite
    /// LogSoftmax + NllLoss: Sum adds the losses, Mean divides that sum by N (unweighted) or by the sum of the targets'
    /// weights, None keeps [N]. Returns the loss, lse [N] for the backward, and the sum of the targets' weights (0
    /// without weights). Throws on a class index outside [0, C).
    /// </summary>
    public double CrossEntropy(Tensor logits, Tensor targets, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse)
    {
        var x = logits.ContiguousData();
        var target = targets.ContiguousData();
        int n = x.ShapeArray[0], c = x.ShapeArray[1];
        var t = target.AsSpan<long>();
        CheckClassIndices(t, c);
        int wOff = weight?.Offset ?? 0, wStride = weight?.StrideArray[0] ?? 0;
        double weightSum = x.DType == DType.Float32
            ? CrossEntropy(x.AsSpan<float>(), n, c, t, weight?.Data<float>(), wOff, wStride, reduction, lse.AsSpan<float>(), loss.AsSpan<float>())
            : CrossEntropy(x.AsSpan<double>(), n, c, t, weight?.Data<double>(), wOff, wStride, reduction, lse.AsSpan<double>(), loss.AsSpan<double>());
        if (!ReferenceEquals(x, logits)) x.Dispose();
        if (!ReferenceEquals(target, targets)) target.Dispose();
        return weightSum;
    }

    private static void CheckClassIndices(ReadOnlySpan<long> target, int c)
    {
        foreach (long k in target)
            if ((ulong)k >= (ulong)c) throw new ArgumentOutOfRangeException(nameof(target), $"CrossEntropy: class index {k} is out of bounds for {c} classes.");
    }

    /// <summary>Rows up to this length have their log-sum-exp computed here (one Exp call, as Reductions.LogSumExp does up to its 512-element chunk).</summary>
    private const int ShortRow = 512;

    private static double CrossEntropy<T>(ReadOnlySpan<T> x, int n, int c, ReadOnlySpan<long> target, T[]? w, int wOff, int wStride,
        Reduction reduction, Span<T> lse, Span<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Scratch: one row of exp(x - max), then the per-row losses (straight into the result for None) and the targets' weights.
        int ce = Math.Min(c, ShortRow);
        var rented = ArrayPool<T>.Shared.Rent(ce + 2 * n);
        var e = rented.AsSpan(0, ce);
        var loss = reduction == Reduction.None ? result : rented.AsSpan(ce, n);
        var wt = rented.AsSpan(ce + n, n);
        for (int i = 0; i < n; i++)
        {
            // lse = max + log(sum(exp(x - max))) step by step as Reductions.LogSumExp, so bit for bit the composite's
            // LogSoftmax (an Exp over the whole batch would round differently, and lse - x_t magnifies a last-bit
            // difference in lse when the loss is small); a maximum of +-inf or NaN is the lse itself.
            var row = x.Slice(i * c, c);
            T m = TensorPrimitives.Max(row);
            T l = m;
            if (c > ShortRow) l = Reductions.LogSumExp(row);   // long rows: that kernel sums exp in chunks
            else if (!T.IsInfinity(m) && !T.IsNaN(m))
            {
                TensorPrimitives.Subtract(row, m, e);
                TensorPrimitives.Exp(e, e);
                l = m + T.Log(TensorPrimitives.Sum<T>(e));
            }
            lse[i] = l;
            int k = (int)target[i];
            // -(log p_t), rounded as the composite's x - lse, negation and (weighted) product.
            T picked = -(row[k] - l);
            if (w is not null)
            {
                T wk = w[wOff + k * wStride];
                wt[i] = wk;
                picked *= wk;
            }
            loss[i] = picked;
        }
        // The targets' weights summed in their type (the weighted mean's denominator), whatever the reduction.
        T weights = w is null ? T.Zero : TensorPrimitives.Sum<T>(wt);
        double weightSum = double.CreateTruncating(weights);
        if (reduction != Reduction.None)
        {
            T sum = TensorPrimitives.Sum<T>(loss);
            if (reduction == Reduction.Mean) sum /= w is null ? T.CreateTruncating(n) : weights;
            result[0] = sum;
        }
        ArrayPool<T>.Shared.Return(rented);
        return weightSum;
    }

    /// <summary>
    /// Gradient of <see cref="CrossEntropy(Tensor, Tensor, Tensor?, Reduction, Tensor, Tensor)"/> with respect to the logits, from the
    /// saved x, lse and the output gradient g (0-d for Mean and Sum, [N] of any stride for None):
    /// gx_i = (softmax(x_i) - onehot(t_i)) * s_i with softmax(x_i) = exp(x_i - lse_i) and s_i = g / N (Mean), g (Sum) or
    /// g_i (None); with weights s_i = g / weightSum * w[t_i] (Mean), g * w[t_i] (Sum) or g_i * w[t_i] (None).
    /// </summary>
    public void CrossEntropyBackward(Tensor logits, Tensor lse, Tensor targets, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx)
    {
        var x = logits.ContiguousData();
        var target = targets.ContiguousData();
        int n = x.ShapeArray[0], c = x.ShapeArray[1];
        int gStride = reduction == Reduction.None ? g.StrideArray[0] : 0;
        int wOff = weight?.Offset ?? 0, wStride = weight?.StrideArray[0] ?? 0;
        if (x.DType == DType.Float32)
            CrossEntropyBackward(x.AsSpan<float>(), n, c, lse.AsSpan<float>(), target.AsSpan<long>(), weight?.Data<float>(), wOff, wStride,
                reduction, (float)weightSum, g.Data<float>(), g.Offset, gStride, gx.AsSpan<float>());
        else
            CrossEntropyBackward(x.AsSpan<double>(), n, c, lse.AsSpan<double>(), target.AsSpan<long>(), weight?.Data<double>(), wOff, wStride,
                reduction, weightSum, g.Data<double>(), g.Offset, gStride, gx.AsSpan<double>());
        if (!ReferenceEquals(x, logits)) x.Dispose();
        if (!ReferenceEquals(target, targets)) target.Dispose();
    }

    private static void CrossEntropyBackward<T>(ReadOnlySpan<T> x, int n, int c, ReadOnlySpan<T> lse, ReadOnlySpan<long> target, T[]? w, int wOff, int wStride,
        Reduction reduction, T weightSum, T[] g, int gOff, int gStride, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The composite's output gradient for the whole batch (Mean divides it as Sum() / N does; a weighted mean as
        // weighted.Sum() / weights.Sum() does).
        T g0 = g[gOff];
        if (reduction == Reduction.Mean) g0 = w is null ? g0 / T.CreateTruncating(n) : g0 / weightSum;
        // softmax = exp(x - lse), the composite's exp of the log-softmax, with one Exp over the whole batch.
        for (int i = 0; i < n; i++) TensorPrimitives.Subtract(x.Slice(i * c, c), lse[i], gx.Slice(i * c, c));
        TensorPrimitives.Exp(gx, gx);
        for (int i = 0; i < n; i++)
        {
            T s = reduction == Reduction.None ? g[gOff + i * gStride] : g0;
            int k = (int)target[i];
            if (w is not null) s *= w[wOff + k * wStride];
            var dst = gx.Slice(i * c, c);
            TensorPrimitives.Multiply(dst, s, dst);
            // Rounded as the composite's log-softmax backward g - exp(y) * sum(g) with g = -s at the target.
            dst[k] -= s;
        }
    }
}
