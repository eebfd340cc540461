using Axon.Backends;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests.Kernels;

// reduce.cu against ReferenceBackend.Reduce, through permuted views, every dimension, both the per-thread (*_cols)
// and the per-block (*_rows) forms.
public class ReduceKernelTests : KernelTestBase
{
    private static IBackend Ref => Device.Reference.Backend;

    /// <summary>The reduction geometry: output positions (x's shape without dim), operand 0 an output, 1 x, 2 a second output.</summary>
    private static KernelGeometry RowsGeo(Tensor x, int dim, Tensor outA, Tensor? outB = null)
    {
        var shape = KernelGeometry.Without(x.Shape, dim);
        int[] Strides(Tensor o) => o.Rank == x.Rank ? KernelGeometry.Without(o.Strides, dim) : o.Strides.ToArray();
        return outB is null
            ? KernelGeometry.Create(shape, Strides(outA), KernelGeometry.Without(x.Strides, dim))
            : KernelGeometry.Create(shape, Strides(outA), KernelGeometry.Without(x.Strides, dim), Strides(outB));
    }

    [Fact]
    public void SumOverEachDimension()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            for (int dim = 0; dim < 3; dim++)
                foreach (string form in new[] { "cols", "rows" })
                {
                    var x = Rand([3, 4, 300], d, 50 + dim, t => t.Permute(2, 0, 1).Narrow(0, 3, 290), lo: -100, hi: 100);
                    var y = Zeros(KernelGeometry.Without(x.T.Shape, dim), d);
                    Ref.Sum(x.T, dim, y.T);
                    var g = RowsGeo(x.T, dim, y.T);
                    Emu.Launch($"axon_sum_{form}_{Sfx(d)}", g.NumEl, g, y.P, x.P, x.T.Shape[dim], x.T.Strides[dim]);
                    // cols adds in the reference's order (exact); rows in a tree: a few ulps times sqrt(n) of the magnitudes.
                    double tol = form == "cols" || d == DType.Int64 ? 0 : Ulps(d) * Math.Sqrt(x.T.Shape[dim]);
                    Close($"sum_{form} {d} dim {dim}", Values(y.T), Download(y.P, d, y.T.NumEl), tol, tol * 100 * x.T.Shape[dim]);
                }
    }

    [Fact]
    public void SumAllIsTwoPassAndDeterministic()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (int n in new[] { 1, 777, 100_003 })
            {
                var x = Rand([n, 2], d, 60, t => t.Select(1, 1), lo: -10, hi: 10);
                var y = Zeros([], d);
                Ref.SumAll(x.T, y.T);
                int parts = LaunchRule.PartialCount(n);
                var partials = Alloc(parts * 8L);
                var g = KernelGeometry.Create(x.T.Shape, x.T.Strides.ToArray());
                Emu.Launch($"axon_sum_all_partial_{Sfx(d)}", n, g, x.P, partials);
                Assert.True(Emu.Barriers("reduce") > 0);   // a shared-memory tree, no atomics
                Emu.Launch($"axon_sum_all_final_{Sfx(d)}", parts, partials, parts, y.P);
                var first = Download(y.P, d, 1);
                double tol = d == DType.Int64 ? 0 : Ulps(d) * Math.Sqrt(n);
                Close($"sum_all {d} n={n}", Values(y.T), first, tol, tol * 10 * Math.Sqrt(n));
                Emu.Launch($"axon_sum_all_partial_{Sfx(d)}", n, g, x.P, partials);
                Emu.Launch($"axon_sum_all_final_{Sfx(d)}", parts, partials, parts, y.P);
                Close($"sum_all {d} n={n} rerun", first, Download(y.P, d, 1));
            }
    }

    [Fact]
    public void ExtremeFirstIndexAndNaN()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            for (int dim = 0; dim < 3; dim++)
                foreach (string form in new[] { "cols", "rows" })
                    foreach (bool max in new[] { true, false })
                    {
                        // Rounded values: many ties; NaN (floats) in some rows.
                        var values = Random(3 * 5 * 301, 70 + dim, specials: d != DType.Int64, lo: -4, hi: 4).Select(v => double.IsNaN(v) || double.IsInfinity(v) ? v : Math.Round(v)).ToArray();
                        var x = Make(values, [3, 5, 301], d, t => t.Permute(1, 2, 0));
                        var outShape = KernelGeometry.Without(x.T.Shape, dim);
                        var v = Zeros(outShape, d);
                        var ix = Zeros(outShape, DType.Int64);
                        Ref.Extreme(x.T, dim, max, v.T, ix.T);
                        var g = RowsGeo(x.T, dim, v.T, ix.T);
                        Emu.Launch($"axon_extreme_{form}_{Sfx(d)}", g.NumEl, g, max ? 1 : 0, v.P, x.P, ix.P, x.T.Shape[dim], x.T.Strides[dim]);
                        Close($"extreme_{form} values {d} dim {dim} max {max}", v);
                        Close($"extreme_{form} indices {d} dim {dim} max {max}", ix);
                    }
    }

    [Fact]
    public void SoftmaxAndLogSoftmax()
    {
        foreach (var d in FloatTypes)
            for (int dim = 0; dim < 3; dim++)
                foreach (string form in new[] { "cols", "rows" })
                    foreach (bool log in new[] { false, true })
                    {
                        var x = Rand([3, 5, 300], d, 80 + dim, t => t.Permute(0, 2, 1), specials: dim == 1, lo: -8, hi: 8);
                        var y = Zeros(x.T.GetShape(), d);
                        Ref.Softmax(x.T, dim, log, y.T);
                        var g = RowsGeo(x.T, dim, y.T);
                        Emu.Launch($"axon_softmax_{form}_{Sfx(d)}", g.NumEl, g, log ? 1 : 0, y.P, x.P, x.T.Shape[dim], x.T.Strides[dim], y.T.Strides[dim]);
                        double tol = Ulps(d, 16) * Math.Sqrt(x.T.Shape[dim]);
                        // log-softmax x - lse cancels: its error is absolute, ulps of lse (|x| <= 8 here).
                        Close($"softmax_{form} {d} dim {dim} log {log}", Values(y.T), Download(y.P, d, y.T.NumEl), tol, log ? tol * 10 : tol * 1e-3);
                    }
    }

    [Fact]
    public void NormsAndIndexRange()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (double p in new[] { 1.0, 2.0, double.PositiveInfinity, 3.0 })
            {
                var x = Rand([3000, 3], d, 90, t => t.Select(1, 2), lo: -20, hi: 20);
                double expected = Ref.Norm(x.T, p);
                int kind = p == 1 ? 0 : p == 2 ? 1 : double.IsPositiveInfinity(p) ? 2 : 3;
                int parts = LaunchRule.PartialCount(x.T.NumEl);
                var partials = Alloc(parts * 8L);
                var result = Alloc(8);
                Emu.Launch($"axon_norm_partial_{Sfx(d)}", x.T.NumEl, KernelGeometry.Create(x.T.Shape, x.T.Strides.ToArray()), x.P, kind, p, partials);
                Emu.Launch("axon_norm_final", parts, partials, parts, kind, p, result);
                Close($"norm {d} p={p}", [expected], Download(result, DType.Float64, 1), 1e-13);
            }
        var ix = Rand([500, 2], DType.Int64, 91, t => t.Select(1, 0), lo: -1000, hi: 1000);
        var (lo, hi) = Ref.IndexRange(ix.T);
        int np = LaunchRule.PartialCount(500);
        var part = Alloc(np * 16L);
        var range = Alloc(16);
        Emu.Launch("axon_index_range_partial_i64", 500, KernelGeometry.Create(ix.T.Shape, ix.T.Strides.ToArray()), ix.P, part);
        Emu.Launch("axon_index_range_final_i64", np, part, np, range);
        Close("index range", [lo, hi], Download(range, DType.Int64, 2));
    }
}
