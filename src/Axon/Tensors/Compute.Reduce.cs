using System.Numerics;
using Axon.Kernels;

namespace Axon;

// Reductions along dimensions, softmax, and the sum-to-shape that undoes broadcasting in backward passes.
internal static partial class Compute
{
    /// <summary>Splits a contiguous shape around <paramref name="dim"/> into [outer, n, inner].</summary>
    private static (int Outer, int N, int Inner) Split(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }

    private static int[] ReducedShape(int[] shape, int dim, bool keepDim)
    {
        if (keepDim) { var s = (int[])shape.Clone(); s[dim] = 1; return s; }
        return shape.Where((_, i) => i != dim).ToArray();
    }

    /// <summary>Sum over one dimension.</summary>
    public static Tensor SumDim(Tensor x, int dim, bool keepDim)
    {
        var src = x.ContiguousData();
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        var r = Tensor.Empty(ReducedShape(x.ShapeArray, dim, keepDim), x.DType, clear: true);
        switch (x.DType)
        {
            case DType.Float32: SumDim<float>(src.AsSpan<float>(), r.AsSpan<float>(), outer, n, inner); break;
            case DType.Float64: SumDim<double>(src.AsSpan<double>(), r.AsSpan<double>(), outer, n, inner); break;
            default:
                var s = src.AsSpan<long>(); var d = r.AsSpan<long>();
                for (int o = 0; o < outer; o++) for (int k = 0; k < n; k++) for (int i = 0; i < inner; i++) d[o * inner + i] += s[(o * n + k) * inner + i];
                break;
        }
        return r;
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

    /// <summary>Sum over several dimensions (any order, no duplicates).</summary>
    public static Tensor SumDims(Tensor x, int[] dims, bool keepDim)
    {
        var sorted = dims.Distinct().OrderByDescending(d => d).ToArray();
        if (sorted.Length != dims.Length) throw new ArgumentException($"Sum: dimension list [{string.Join(", ", dims)}] repeats a dimension.");
        if (sorted.Length == 0) return x.CloneData();
        Tensor r = x;
        foreach (int d in sorted)
        {
            var next = SumDim(r, d, keepDim);
            if (!ReferenceEquals(r, x)) r.Dispose();
            r = next;
        }
        return r;
    }

    /// <summary>Sum of all elements as a 0-d tensor.</summary>
    public static Tensor SumAll(Tensor x)
    {
        var src = x.ContiguousData();
        return x.DType switch
        {
            DType.Float32 => Tensor.Scalar(Reductions.Sum(src.AsSpan<float>()), DType.Float32),
            DType.Float64 => Tensor.Scalar(Reductions.Sum(src.AsSpan<double>()), DType.Float64),
            _ => Tensor.Scalar(SumLong(src.AsSpan<long>()), DType.Int64),
        };
    }

    private static long SumLong(ReadOnlySpan<long> s)
    {
        long t = 0;
        foreach (long v in s) t += v;
        return t;
    }

    /// <summary>Sums <paramref name="g"/> down to <paramref name="shape"/> (the adjoint of broadcasting).</summary>
    public static Tensor SumTo(Tensor g, int[] shape)
    {
        if (ShapeUtil.SameShape(g.ShapeArray, shape)) return g;
        int lead = g.Rank - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < g.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && g.ShapeArray[i] != 1)) dims.Add(i);
        var summed = SumDims(g, [.. dims], keepDim: true);
        return summed.MakeView((int[])shape.Clone(), ShapeUtil.ContiguousStrides(shape), summed.Offset);
    }

    /// <summary>Maximum (or minimum) over one dimension with the index of the first extreme.</summary>
    public static (Tensor Values, Tensor Indices) MaxDim(Tensor x, int dim, bool keepDim, bool max)
    {
        var src = x.ContiguousData();
        var (outer, n, inner) = Split(x.ShapeArray, dim);
        if (n == 0) throw new ArgumentException($"{(max ? "Max" : "Min")}: cannot reduce over dimension {dim} of size 0 in a tensor of shape {ShapeUtil.Format(x.ShapeArray)}.");
        var shape = ReducedShape(x.ShapeArray, dim, keepDim);
        var values = Tensor.Empty(shape, x.DType);
        var indices = Tensor.Empty((int[])shape.Clone(), DType.Int64);
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
        return (values, indices);
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

    /// <summary>Softmax (or log-softmax) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim, bool log)
    {
        if (!x.DType.IsFloatingPoint()) x = x.ConvertData(DType.Float32);
        int last = x.Rank - 1;
        var moved = dim == last ? x.ContiguousData() : x.TransposeView(dim, last).CloneData();
        var r = Tensor.Empty(moved.GetShape(), x.DType);
        int n = moved.Rank == 0 ? 1 : moved.ShapeArray[last], rows = n == 0 ? 0 : moved.NumEl / n;
        if (x.DType == DType.Float32) SoftmaxRows(moved.AsSpan<float>(), r.AsSpan<float>(), rows, n, log);
        else SoftmaxRows(moved.AsSpan<double>(), r.AsSpan<double>(), rows, n, log);
        if (dim == last) return r;
        var back = r.TransposeView(dim, last).CloneData();
        r.Dispose(); moved.Dispose();
        return back;
    }

    private static void SoftmaxRows<T>(ReadOnlySpan<T> s, Span<T> d, int rows, int n, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            if (log) Reductions.LogSoftmax(s.Slice(i * n, n), d.Slice(i * n, n));
            else Reductions.Softmax(s.Slice(i * n, n), d.Slice(i * n, n));
        }
    }
}
