using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// Reductions along dimensions, softmax, index ranges, and the norms of gradient clipping and max-norm.
public sealed partial class CpuBackend
{
    /// <summary>Splits a contiguous shape around <paramref name="dim"/> into [outer, n, inner].</summary>
    private static (int Outer, int N, int Inner) Split(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }

    /// <inheritdoc/>
    public void Sum(Tensor x, int dim, Tensor r)
    {
        var src = x.ContiguousData();
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        switch (x.DType)
        {
            case DType.Float32: r.AsSpan<float>().Clear(); SumDim<float>(src.AsSpan<float>(), r.AsSpan<float>(), outer, n, inner); break;
            case DType.Float64: r.AsSpan<double>().Clear(); SumDim<double>(src.AsSpan<double>(), r.AsSpan<double>(), outer, n, inner); break;
            default:
                var s = src.AsSpan<long>(); var d = r.AsSpan<long>();
                d.Clear();
                for (int o = 0; o < outer; o++) for (int k = 0; k < n; k++) for (int i = 0; i < inner; i++) d[o * inner + i] += s[(o * n + k) * inner + i];
                break;
        }
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    private static void SumDim<T>(ReadOnlySpan<T> s, Span<T> d, int outer, int n, int inner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1) { d[o] = Reductions.Sum(s.Slice(o * n, n)); continue; }
            var dst = d.Slice(o * inner, inner);
            for (int k = 0; k < n; k++) Elementwise.Add(dst, s.Slice((o * n + k) * inner, inner), dst);
        }
    }

    /// <inheritdoc/>
    public void SumAll(Tensor x, Tensor r)
    {
        var src = x.ContiguousData();
        switch (x.DType)
        {
            case DType.Float32: r.AsSpan<float>()[0] = Reductions.Sum(src.AsSpan<float>()); break;
            case DType.Float64: r.AsSpan<double>()[0] = Reductions.Sum(src.AsSpan<double>()); break;
            default: r.AsSpan<long>()[0] = SumLong(src.AsSpan<long>()); break;
        }
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    private static long SumLong(ReadOnlySpan<long> s)
    {
        long t = 0;
        foreach (long v in s) t += v;
        return t;
    }

    /// <inheritdoc/>
    public void Extreme(Tensor x, int dim, bool max, Tensor values, Tensor indices)
    {
        var src = x.ContiguousData();
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        switch (x.DType)
        {
            case DType.Float32: MaxDim<float>(src.AsSpan<float>(), values.AsSpan<float>(), indices.AsSpan<long>(), outer, n, inner, max); break;
            case DType.Float64: MaxDim<double>(src.AsSpan<double>(), values.AsSpan<double>(), indices.AsSpan<long>(), outer, n, inner, max); break;
            default:
                var s = src.AsSpan<long>(); var v = values.AsSpan<long>(); var ix = indices.AsSpan<long>();
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < inner; i++)
                    {
                        int best = 0;
                        for (int k = 1; k < n; k++) { long c = s[(o * n + k) * inner + i], b = s[(o * n + best) * inner + i]; if (max ? c > b : c < b) best = k; }
                        v[o * inner + i] = s[(o * n + best) * inner + i]; ix[o * inner + i] = best;
                    }
                break;
        }
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    private static void MaxDim<T>(ReadOnlySpan<T> s, Span<T> v, Span<long> ix, int outer, int n, int inner, bool max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                var row = s.Slice(o * n, n);
                int b = max ? Reductions.ArgMax(row) : Reductions.ArgMin(row);
                v[o] = row[b]; ix[o] = b;
                continue;
            }
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                T bv = s[o * n * inner + i];
                for (int k = 1; k < n && !T.IsNaN(bv); k++)
                {
                    T c = s[(o * n + k) * inner + i];
                    if (T.IsNaN(c) || (max ? c > bv : c < bv)) { best = k; bv = c; }
                }
                v[o * inner + i] = bv; ix[o * inner + i] = best;
            }
        }
    }

    /// <inheritdoc/>
    public void Softmax(Tensor x, int dim, bool log, Tensor result)
    {
        int last = x.Rank - 1;
        var moved = dim == last || x.Rank == 0 ? x.ContiguousData() : x.TransposeView(dim, last).CloneData();
        var r = dim == last || x.Rank == 0 ? result : Tensor.Empty(moved.GetShape(), x.DType, Device);
        int n = moved.Rank == 0 ? 1 : moved.ShapeArray[last], rows = n == 0 ? 0 : moved.NumEl / n;
        if (x.DType == DType.Float32) SoftmaxRows(moved.AsSpan<float>(), r.AsSpan<float>(), rows, n, log);
        else SoftmaxRows(moved.AsSpan<double>(), r.AsSpan<double>(), rows, n, log);
        if (!ReferenceEquals(r, result))
        {
            using var back = r.TransposeView(dim, last);
            Copy(back, result);
            r.Dispose();
        }
        if (!ReferenceEquals(moved, x)) moved.Dispose();
    }

    private static void SoftmaxRows<T>(ReadOnlySpan<T> s, Span<T> d, int rows, int n, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            if (log) Reductions.LogSoftmax(s.Slice(i * n, n), d.Slice(i * n, n));
            else Reductions.Softmax(s.Slice(i * n, n), d.Slice(i * n, n));
        }
    }

    /// <inheritdoc/>
    public (long Min, long Max) IndexRange(Tensor index)
    {
        var c = index.ContiguousData();
        long lo = 0, hi = -1;
        var s = c.AsSpan<long>();
        if (s.Length > 0)
        {
            lo = hi = s[0];
            foreach (long v in s) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        }
        if (!ReferenceEquals(c, index)) c.Dispose();
        return (lo, hi);
    }

    /// <inheritdoc/>
    public double Norm(Tensor x, double p)
    {
        var c = x.ContiguousData();
        double result = x.DType == DType.Float32 ? Norm<float>(c.AsSpan<float>(), p) : Norm<double>(c.AsSpan<double>(), p);
        if (!ReferenceEquals(c, x)) c.Dispose();
        return result;
    }

    // Accumulated in double in element order, as torch.nn.utils.clip_grad_norm_'s per-tensor norms.
    private static double Norm<T>(ReadOnlySpan<T> s, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (double.IsPositiveInfinity(p))
        {
            double m = 0;
            foreach (var v in s) m = Math.Max(m, Math.Abs(double.CreateTruncating(v)));  // Math.Max propagates NaN
            return m;
        }
        double sum = 0;
        if (p == 2) foreach (var v in s) { double d = double.CreateTruncating(v); sum += d * d; }
        else if (p == 1) foreach (var v in s) sum += Math.Abs(double.CreateTruncating(v));
        else foreach (var v in s) sum += Math.Pow(Math.Abs(double.CreateTruncating(v)), p);
        return p == 2 ? Math.Sqrt(sum) : p == 1 ? sum : Math.Pow(sum, 1 / p);
    }

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor x, double factor)
    {
        if (x.DType == DType.Float32) { var s = x.AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)(s[i] * factor); }
        else { var s = x.AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] *= factor; }
    }

    /// <inheritdoc/>
    public int Renorm(Tensor x, int dim, double maxNorm)
    {
        int outer = 1, inner = 1, n = x.ShapeArray[dim];
        for (int i = 0; i < dim; i++) outer *= x.ShapeArray[i];
        for (int i = dim + 1; i < x.Rank; i++) inner *= x.ShapeArray[i];
        return x.DType == DType.Float32 ? Renorm(x.AsSpan<float>(), outer, n, inner, maxNorm) : Renorm(x.AsSpan<double>(), outer, n, inner, maxNorm);
    }

    // Squared norms and the rescaling in double, each slice's factor maxNorm / (norm + 1e-7) as torch.renorm.
    private static int Renorm<T>(Span<T> v, int outer, int n, int inner, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sq = new double[n];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < n; k++)
                for (int j = 0, b = (o * n + k) * inner; j < inner; j++) { double d = double.CreateTruncating(v[b + j]); sq[k] += d * d; }
        int rescaled = 0;
        var factor = new double[n];
        for (int k = 0; k < n; k++)
        {
            double norm = Math.Sqrt(sq[k]);
            factor[k] = norm > maxNorm ? maxNorm / (norm + 1e-7) : 1;
            if (norm > maxNorm) rescaled++;
        }
        if (rescaled == 0) return 0;
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < n; k++)
                for (int j = 0, b = (o * n + k) * inner; j < inner; j++) v[b + j] = T.CreateTruncating(double.CreateTruncating(v[b + j]) * factor[k]);
        return rescaled;
    }
}
