using Axon.Backends;

namespace Axon.Tests.Backends;

// Reductions, softmax, index ranges and norms.
public partial class ReferenceBackendTests
{
    /// <summary>
    /// A [7, 33, 5] operand: contiguous, or the transpose of a [5, 33, 7] tensor. With <paramref name="special"/>, the
    /// special values among small whole numbers (many ties).
    /// </summary>
    private static Tensor ReduceInput(Device d, DType dtype, bool transposed, int seed, bool special = false)
    {
        int[] shape = transposed ? [5, 33, 7] : [7, 33, 5];
        var t = dtype == DType.Int64 ? Ints(shape, -1000, 1000, seed)
            : special ? FromDoubles(Array.ConvertAll(Special(shape, dtype, seed).ToDoubleArray(), v => Math.Round(v)), shape, dtype)
            : Randn(shape, dtype, seed);
        var x = On(d, t);
        return transposed ? x.PermuteView([2, 1, 0]) : x;
    }

    public static TheoryData<DType, bool> ReduceCases()
    {
        var data = new TheoryData<DType, bool>();
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (bool t in new[] { false, true }) data.Add(d, t);
        return data;
    }

    [Theory]
    [MemberData(nameof(ReduceCases))]
    [Covers(nameof(IBackend.Sum), nameof(IBackend.SumAll))]
    public void SumsOverEachDimensionAndAll(DType dtype, bool transposed)
    {
        double tol = dtype == DType.Int64 ? 0 : SumTol(dtype);
        for (int dim = 0; dim < 3; dim++)
        {
            int k = dim;
            Close($"Sum {dtype} dim {k} transposed {transposed}", tol, d =>
            {
                var x = ReduceInput(d, dtype, transposed, 50);
                var kept = x.GetShape();
                kept[k] = 1;
                var r = Tensor.Empty(kept, dtype, d);   // keepdim's shape; the other holds the same elements
                d.Backend.Sum(x, k, r);
                return [r];
            }, scale: 1);
        }
        Close($"SumAll {dtype} transposed {transposed}", tol, d =>
        {
            var r = Tensor.Empty([], dtype, d);
            d.Backend.SumAll(ReduceInput(d, dtype, transposed, 51), r);
            var empty = Tensor.Empty([], dtype, d);
            d.Backend.SumAll(On(d, Tensor.Zeros([3, 0], dtype)), empty);
            return [r, empty];
        }, scale: 1);
    }

    [Theory]
    [MemberData(nameof(ReduceCases))]
    [Covers(nameof(IBackend.Extreme))]
    public void ExtremesTakeTheFirstAndNaNWins(DType dtype, bool transposed)
    {
        for (int dim = 0; dim < 3; dim++)
            foreach (bool max in new[] { true, false })
            {
                int k = dim;
                Exact($"Extreme {(max ? "max" : "min")} {dtype} dim {k} transposed {transposed}", d =>
                {
                    // Rounded values make ties; the special values bring NaN, ±inf and ±0.
                    var x = ReduceInput(d, dtype, transposed, 52, special: true);
                    var shape = x.GetShape().Where((_, i) => i != k).ToArray();
                    var values = Tensor.Empty(shape, dtype, d);
                    var indices = Tensor.Empty(shape, DType.Int64, d);
                    d.Backend.Extreme(x, k, max, values, indices);
                    return [values, indices];
                });
            }
    }

    [Fact]
    [Covers(nameof(IBackend.Softmax))]
    public void SoftmaxAndLogSoftmaxAlongEachDimension()
    {
        foreach (var dtype in Floats)
            foreach (bool log in new[] { false, true })
            {
                for (int dim = 0; dim < 3; dim++)
                {
                    int k = dim;
                    Close($"Softmax log={log} {dtype} dim {k}", dtype == DType.Float32 ? 1e-6 : 1e-14, d =>
                    {
                        var x = ReduceInput(d, dtype, transposed: true, 53);
                        var y = Tensor.Empty(x.GetShape(), dtype, d);
                        d.Backend.Softmax(x, k, log, y);
                        return [y];
                    }, scale: 1);   // log-softmax x − lse cancels where x is the row's maximum
                }
                // Rows with NaN, +inf, only -inf: NaN rows as PyTorch; long rows (the CPU sums them in chunks).
                Close($"Softmax log={log} {dtype} special rows", dtype == DType.Float32 ? 1e-6 : 1e-14, d =>
                {
                    var v = new double[4 * 3];
                    v[0] = double.NaN; v[4] = double.PositiveInfinity; v[5] = 2;
                    for (int i = 6; i < 9; i++) v[i] = double.NegativeInfinity;
                    v[9] = double.NegativeInfinity; v[10] = 1; v[11] = -0.0;
                    var x = On(d, FromDoubles(v, [4, 3], dtype));
                    var y = Tensor.Empty([4, 3], dtype, d);
                    d.Backend.Softmax(x, 1, log, y);
                    var longRows = On(d, Randn([3, 1500], dtype, 54).Mul(3));
                    var yl = Tensor.Empty([3, 1500], dtype, d);
                    d.Backend.Softmax(longRows, 1, log, yl);
                    var scalar = On(d, Tensor.Scalar(2.5, dtype));
                    var ys = Tensor.Empty([], dtype, d);
                    d.Backend.Softmax(scalar, 0, log, ys);
                    return [y, yl, ys];
                }, scale: 1);
            }
    }

    [Fact]
    [Covers(nameof(IBackend.IndexRange))]
    public void IndexRangeOfStridedAndEmptyIndices()
    {
        foreach (bool transposed in new[] { false, true })
            Assert.Equal(Cpu.Backend.IndexRange(ReduceInput(Cpu, DType.Int64, transposed, 55)), Ref.Backend.IndexRange(ReduceInput(Ref, DType.Int64, transposed, 55)));
        Assert.Equal((0L, -1L), Ref.Backend.IndexRange(On(Ref, Tensor.Zeros([0], DType.Int64))));
        Assert.Equal(Cpu.Backend.IndexRange(Tensor.Zeros([0], DType.Int64)), Ref.Backend.IndexRange(On(Ref, Tensor.Zeros([0], DType.Int64))));
    }

    [Fact]
    [Covers(nameof(IBackend.Norm))]
    public void NormsInDouble()
    {
        foreach (var dtype in Floats)
            foreach (double p in new[] { 1.0, 2.0, double.PositiveInfinity, 3.0, 0.5 })
                foreach (bool transposed in new[] { false, true })
                {
                    double a = Cpu.Backend.Norm(ReduceInput(Cpu, dtype, transposed, 56), p), b = Ref.Backend.Norm(ReduceInput(Ref, dtype, transposed, 56), p);
                    // Both add in double in row-major order: the same result (the CPU's walk of a transposed view is row-major too).
                    Assert.True(Math.Abs(a - b) <= 1e-14 * Math.Abs(a), $"Norm p={p} {dtype} transposed={transposed}: {a:R} vs {b:R}");
                    output.WriteLine($"Norm p={p} {dtype} transposed={transposed}: relative error {Math.Abs(a - b) / Math.Abs(a):G3}");
                }
        using var nan = Tensor.FromArray(new[] { 1f, float.NaN, 2f });
        Assert.True(double.IsNaN(Ref.Backend.Norm(On(Ref, nan), double.PositiveInfinity)));
        Assert.True(double.IsNaN(Ref.Backend.Norm(On(Ref, nan), 2)));
    }

    [Fact]
    [Covers(nameof(IBackend.ScaleInPlace), nameof(IBackend.Renorm))]
    public void ScaleAndRenormInPlace()
    {
        foreach (var dtype in Floats)
        {
            foreach (double factor in new[] { 0.3, -1.7, 1e-3 })
                Exact($"ScaleInPlace {dtype} {factor}", d =>
                {
                    var x = On(d, Special([17, 33], dtype, 57));
                    d.Backend.ScaleInPlace(x, factor);
                    return [x];
                });
            for (int dim = 0; dim < 3; dim++)
                foreach (double maxNorm in new[] { 0.5, 4.0, 1e6 })
                {
                    int k = dim;
                    var counts = new List<int>();
                    Exact($"Renorm {dtype} dim {k} maxNorm {maxNorm}", d =>
                    {
                        var x = On(d, Randn([7, 5, 3], dtype, 58));
                        counts.Add(d.Backend.Renorm(x, k, maxNorm));
                        return [x];
                    });
                    Assert.Equal(counts[0], counts[1]);
                }
        }
    }
}
