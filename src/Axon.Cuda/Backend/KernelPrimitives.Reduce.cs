using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Reductions (reduce.cu): per-dimension sums, extremes and softmax in the _cols (one thread per output, the reference's
// order) or _rows (one block per output, a shared-memory tree) form; whole-tensor sums, norms and index ranges in two
// deterministic passes (a fixed number of partials, then one block), scalar results read back to the host.
internal sealed partial class KernelPrimitives
{
    public void Sum(Tensor x, int dim, Tensor dst)
    {
        var g = ReductionGeometry(x, dim, dst);
        int n = x.Shape[dim], stride = x.Strides[dim];
        string form = ByRows(n, stride, g.NumEl) ? "sum_rows" : "sum_cols";
        Run(Call(form, dst.DType).Geometry(g).Ptr(P(dst)).Ptr(P(x)).Int(n).Int(stride), dst.NumEl == 0 ? 0 : g.NumEl);
    }

    public void SumAll(Tensor x, Tensor dst)
    {
        if (x.NumEl == 0)
        {
            FillFlat(P(dst), dst.DType, 1, 0);
            return;
        }
        int parts = LaunchRule.PartialCount(x.NumEl);
        using var partials = device.Scratch(8L * parts);
        var g = KernelGeometry.Create(x.Shape, x.Strides.ToArray());
        Run(Call("sum_all_partial", x.DType).Geometry(g).Ptr(P(x)).Ptr(partials.Address), x.NumEl);
        Run(Call("sum_all_final", x.DType).Ptr(partials.Address).Int(parts).Ptr(P(dst)), parts);
    }

    public void Extreme(Tensor x, int dim, bool max, Tensor values, Tensor indices)
    {
        var g = ReductionGeometry(x, dim, values, indices);
        int n = x.Shape[dim], stride = x.Strides[dim];
        string form = ByRows(n, stride, g.NumEl) ? "extreme_rows" : "extreme_cols";
        Run(Call(form, x.DType).Geometry(g).Flag(max).Ptr(P(values)).Ptr(P(x)).Ptr(P(indices)).Int(n).Int(stride), values.NumEl == 0 ? 0 : g.NumEl);
    }

    public void Softmax(Tensor x, int dim, bool log, Tensor dst)
    {
        RequireFloat(dst);
        if (dst.NumEl == 0) return;
        var g = ReductionGeometry(x, dim, dst);
        int n = x.Shape[dim], stride = x.Strides[dim];
        string form = ByRows(n, stride, g.NumEl) ? "softmax_rows" : "softmax_cols";
        Run(Call(form, dst.DType).Geometry(g).Flag(log).Ptr(P(dst)).Ptr(P(x)).Int(n).Int(stride).Int(dst.Strides[dim]), g.NumEl);
    }

    public (long Min, long Max) IndexRange(Tensor index)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"IndexRange: expected an int64 index tensor, got {index.DType.TorchName()}.");
        if (index.NumEl == 0) return (0, -1);
        return RangeOf(P(index), KernelGeometry.Create(index.Shape, index.Strides.ToArray()), index.NumEl, "IndexRange");
    }

    /// <summary>The minimum and maximum of <paramref name="count"/> int64 values read through <paramref name="g"/>, read back.</summary>
    private (long Min, long Max) RangeOf(ulong x, in KernelGeometry g, int count, string primitive)
    {
        int parts = LaunchRule.PartialCount(count);
        using var partials = device.Scratch(16L * parts);
        using var result = device.Scratch(16);
        Run(new KernelCall("axon_index_range_partial_i64", primitive).Geometry(g).Ptr(x).Ptr(partials.Address), count);
        Run(new KernelCall("axon_index_range_final_i64", primitive).Ptr(partials.Address).Int(parts).Ptr(result.Address), parts);
        var range = ReadBack<long>(result.Address, 2);
        return (range[0], range[1]);
    }

    public double Norm(Tensor x, double p)
    {
        if (x.NumEl == 0) return 0;
        int kind = p == 1 ? 0 : p == 2 ? 1 : double.IsPositiveInfinity(p) ? 2 : 3;
        int parts = LaunchRule.PartialCount(x.NumEl);
        using var partials = device.Scratch(8L * parts);
        using var result = device.Scratch(8);
        var g = KernelGeometry.Create(x.Shape, x.Strides.ToArray());
        Run(Call("norm_partial", x.DType).Geometry(g).Ptr(P(x)).Int(kind).Double(p).Ptr(partials.Address), x.NumEl);
        Run(new KernelCall("axon_norm_final", "Norm").Ptr(partials.Address).Int(parts).Int(kind).Double(p).Ptr(result.Address), parts);
        return ReadBack<double>(result.Address, 1)[0];
    }
}
