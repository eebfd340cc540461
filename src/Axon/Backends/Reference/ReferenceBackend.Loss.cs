using System.Numerics;

namespace Axon.Backends;

// Softmax cross-entropy on class indices, row by row in the logits' type: lse_i = log Σ_j e^(x_ij), the loss
// −(x_it − lse_i), times weight[t] when weighted, then reduced.
public sealed partial class ReferenceBackend
{
    /// <inheritdoc/>
    public double CrossEntropy(Tensor x, Tensor target, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse)
    {
        Own(x, target, weight, loss, lse);
        int classes = x.ShapeArray[1];
        for (int i = 0; i < target.NumEl; i++)
        {
            long k = target.Data<long>()[OffsetOf(target, i)];
            if (k < 0 || k >= classes) throw new ArgumentOutOfRangeException(nameof(target), $"CrossEntropy: class index {k} (target {i}) is out of bounds for {classes} classes.");
        }
        return x.DType == DType.Float32
            ? CrossEntropy<float>(x, target, weight, reduction, loss, lse)
            : CrossEntropy<double>(x, target, weight, reduction, loss, lse);
    }

    private static int Class(Tensor target, int i) => (int)target.Data<long>()[OffsetOf(target, i)];

    private static double CrossEntropy<T>(Tensor x, Tensor target, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = x.ShapeArray[0], classes = x.ShapeArray[1];
        T[] xv = x.Data<T>(), lv = loss.Data<T>(), lsev = lse.Data<T>();
        T[]? wv = weight?.Data<T>();
        T X(int i, int j) => xv[x.Offset + i * x.StrideArray[0] + j * x.StrideArray[1]];
        T W(int k) => wv![weight!.Offset + k * weight.StrideArray[0]];
        T total = T.Zero, weights = T.Zero;
        for (int i = 0; i < rows; i++)
        {
            // lse = m + log Σ e^(x − m) with m the row's maximum; a maximum of ±inf or NaN is the lse itself.
            T m = X(i, 0);
            for (int j = 1; j < classes; j++) m = T.Max(m, X(i, j));
            T l = m;
            if (!T.IsInfinity(m) && !T.IsNaN(m))
            {
                T sum = T.Zero;
                for (int j = 0; j < classes; j++) sum += T.Exp(X(i, j) - m);
                l = m + T.Log(sum);
            }
            lsev[OffsetOf(lse, i)] = l;
            int t = Class(target, i);
            T li = -(X(i, t) - l);
            if (wv is not null)
            {
                li *= W(t);
                weights += W(t);
            }
            if (reduction == Reduction.None) lv[OffsetOf(loss, i)] = li;
            total += li;
        }
        // Mean: the sum over N, or over the targets' weights when weighted.
        if (reduction == Reduction.Sum) lv[loss.Offset] = total;
        if (reduction == Reduction.Mean) lv[loss.Offset] = total / (wv is null ? T.CreateTruncating(rows) : weights);
        return wv is null ? 0 : double.CreateTruncating(weights);
    }

    /// <inheritdoc/>
    public void CrossEntropyBackward(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx)
    {
        Own(x, lse, target, weight, g, gx);
        if (x.DType == DType.Float32) CrossEntropyBackward<float>(x, lse, target, weight, reduction, weightSum, g, gx);
        else CrossEntropyBackward<double>(x, lse, target, weight, reduction, weightSum, g, gx);
    }

    // gx_ij = (softmax(x_i)_j − [j = t_i]) s_i with softmax = e^(x − lse) and s_i the row's share of the output
    // gradient: g / N (Mean), g (Sum) or g_i (None), times weight[t_i] when weighted (Mean then divides by their sum).
    private static void CrossEntropyBackward<T>(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = x.ShapeArray[0], classes = x.ShapeArray[1];
        T[] xv = x.Data<T>(), lsev = lse.Data<T>(), gv = g.Data<T>(), gxv = gx.Data<T>();
        T[]? wv = weight?.Data<T>();
        T g0 = reduction == Reduction.None ? T.Zero : gv[g.Offset];
        if (reduction == Reduction.Mean) g0 /= wv is null ? T.CreateTruncating(rows) : T.CreateTruncating(weightSum);
        for (int i = 0; i < rows; i++)
        {
            int t = Class(target, i);
            T s = reduction == Reduction.None ? gv[OffsetOf(g, i)] : g0;
            if (wv is not null) s *= wv[weight!.Offset + t * weight.StrideArray[0]];
            T l = lsev[OffsetOf(lse, i)];
            for (int j = 0; j < classes; j++)
            {
                T p = T.Exp(xv[x.Offset + i * x.StrideArray[0] + j * x.StrideArray[1]] - l);
                gxv[OffsetOf(gx, i * classes + j)] = p * s - (j == t ? s : T.Zero);
            }
        }
    }
}
