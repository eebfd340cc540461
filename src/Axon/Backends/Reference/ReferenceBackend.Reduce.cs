using System.Numerics;

namespace Axon.Backends;

// Reductions along one dimension, softmax, index ranges, and the norms of gradient clipping and max-norm. A tensor
// reduced over dimension d is seen as [outer, n, inner]: element (o, k, i) is at row-major position (o n + k) inner + i.
public sealed partial class ReferenceBackend
{
    /// <summary>The sizes before, at and after dimension <paramref name="dim"/> of <paramref name="shape"/>.</summary>
    private static (int Outer, int N, int Inner) Split(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }

    /// <inheritdoc/>
    public void Sum(Tensor x, int dim, Tensor dst)
    {
        Own(x, dst);
        switch (x.DType)
        {
            case DType.Float32: SumDim<float>(x, dim, dst); break;
            case DType.Float64: SumDim<double>(x, dim, dst); break;
            default: SumDim<long>(x, dim, dst); break;
        }
    }

    // Added in the tensor's type, in index order.
    private static void SumDim<T>(Tensor x, int dim, Tensor dst) where T : unmanaged, INumber<T>
    {
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        T[] xs = x.Data<T>(), ds = dst.Data<T>();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                T sum = T.Zero;
                for (int k = 0; k < n; k++) sum += xs[OffsetOf(x, (o * n + k) * inner + i)];
                ds[OffsetOf(dst, o * inner + i)] = sum;
            }
    }

    /// <inheritdoc/>
    public void SumAll(Tensor x, Tensor dst)
    {
        Own(x, dst);
        switch (x.DType)
        {
            case DType.Float32: SumAll<float>(x, dst); break;
            case DType.Float64: SumAll<double>(x, dst); break;
            default: SumAll<long>(x, dst); break;
        }
    }

    private static void SumAll<T>(Tensor x, Tensor dst) where T : unmanaged, INumber<T>
    {
        T[] xs = x.Data<T>();
        T sum = T.Zero;
        for (int i = 0; i < x.NumEl; i++) sum += xs[OffsetOf(x, i)];
        dst.Data<T>()[dst.Offset] = sum;
    }

    /// <inheritdoc/>
    public void Extreme(Tensor x, int dim, bool max, Tensor values, Tensor indices)
    {
        Own(x, values, indices);
        switch (x.DType)
        {
            case DType.Float32: Extreme<float>(x, dim, max, values, indices); break;
            case DType.Float64: Extreme<double>(x, dim, max, values, indices); break;
            default: Extreme<long>(x, dim, max, values, indices); break;
        }
    }

    // The first extreme wins ties (-0 and +0 tie); the first NaN wins outright.
    private static void Extreme<T>(Tensor x, int dim, bool max, Tensor values, Tensor indices) where T : unmanaged, INumber<T>
    {
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        T[] xs = x.Data<T>(), vs = values.Data<T>();
        long[] ix = indices.Data<long>();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                T bv = xs[OffsetOf(x, o * n * inner + i)];
                for (int k = 1; k < n && !T.IsNaN(bv); k++)
                {
                    T c = xs[OffsetOf(x, (o * n + k) * inner + i)];
                    if (T.IsNaN(c) || (max ? c > bv : c < bv)) { best = k; bv = c; }
                }
                vs[OffsetOf(values, o * inner + i)] = bv;
                ix[OffsetOf(indices, o * inner + i)] = best;
            }
    }

    /// <inheritdoc/>
    public void Softmax(Tensor x, int dim, bool log, Tensor dst)
    {
        Own(x, dst);
        if (x.DType == DType.Float32) Softmax<float>(x, dim, log, dst);
        else Softmax<double>(x, dim, log, dst);
    }

    // Per row along dim, in the tensor's type: m = max (NaN if any is), then softmax = e^(x - m) / sum e^(x - m) and
    // log-softmax = x - lse with lse = m + log(sum e^(x - m)), or lse = m itself when m is ±inf or NaN.
    private static void Softmax<T>(Tensor x, int dim, bool log, Tensor dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, n, inner) = x.Rank == 0 ? (1, 1, 1) : Split(x.ShapeArray, dim);
        T[] xs = x.Data<T>(), ds = dst.Data<T>();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                if (n == 0) continue;
                T X(int k) => xs[OffsetOf(x, (o * n + k) * inner + i)];
                ref T Y(int k) => ref ds[OffsetOf(dst, (o * n + k) * inner + i)];
                T m = X(0);
                for (int k = 1; k < n; k++) m = T.Max(m, X(k));
                T sum = T.Zero;
                if (log)
                {
                    T lse = m;
                    if (!T.IsInfinity(m) && !T.IsNaN(m))
                    {
                        for (int k = 0; k < n; k++) sum += T.Exp(X(k) - m);
                        lse = m + T.Log(sum);
                    }
                    for (int k = 0; k < n; k++) Y(k) = X(k) - lse;
                }
                else
                {
                    for (int k = 0; k < n; k++) sum += T.Exp(X(k) - m);
                    for (int k = 0; k < n; k++) Y(k) = T.Exp(X(k) - m) / sum;
                }
            }
    }

    /// <inheritdoc/>
    public (long Min, long Max) IndexRange(Tensor index)
    {
        Own(index);
        if (index.NumEl == 0) return (0, -1);
        long[] v = index.Data<long>();
        long lo = long.MaxValue, hi = long.MinValue;
        for (int i = 0; i < index.NumEl; i++)
        {
            long e = v[OffsetOf(index, i)];
            lo = Math.Min(lo, e);
            hi = Math.Max(hi, e);
        }
        return (lo, hi);
    }

    /// <inheritdoc/>
    public double Norm(Tensor x, double p)
    {
        Own(x);
        // In double, in element order.
        if (double.IsPositiveInfinity(p))
        {
            double m = 0;
            for (int i = 0; i < x.NumEl; i++) m = Math.Max(m, Math.Abs(GetDouble(x, i)));   // Math.Max propagates NaN
            return m;
        }
        double sum = 0;
        for (int i = 0; i < x.NumEl; i++)
        {
            double a = Math.Abs(GetDouble(x, i));
            sum += p == 2 ? a * a : p == 1 ? a : Math.Pow(a, p);
        }
        return p == 2 ? Math.Sqrt(sum) : p == 1 ? sum : Math.Pow(sum, 1 / p);
    }

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor x, double factor)
    {
        Own(x);
        for (int i = 0; i < x.NumEl; i++) SetDouble(x, i, GetDouble(x, i) * factor);
    }

    /// <inheritdoc/>
    public int Renorm(Tensor x, int dim, double maxNorm)
    {
        Own(x);
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        int rescaled = 0;
        for (int k = 0; k < n; k++)
        {
            // The slice x.select(dim, k): its squared norm in double, then the factor of torch.renorm.
            double sq = 0;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double v = GetDouble(x, (o * n + k) * inner + i);
                    sq += v * v;
                }
            double norm = Math.Sqrt(sq);
            if (!(norm > maxNorm)) continue;
            rescaled++;
            double factor = maxNorm / (norm + 1e-7);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int at = (o * n + k) * inner + i;
                    SetDouble(x, at, GetDouble(x, at) * factor);
                }
        }
        return rescaled;
    }
}
