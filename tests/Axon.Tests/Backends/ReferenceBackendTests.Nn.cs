using Axon.Backends;

namespace Axon.Tests.Backends;

// Batch normalisation and the fused cross-entropy.
public partial class ReferenceBackendTests
{
    public static TheoryData<int[], bool> BatchNormCases()
    {
        var data = new TheoryData<int[], bool>();
        foreach (int[] shape in new[] { new[] { 4, 3, 5, 7 }, [7, 5], [6, 19], [4000, 33], [3, 5, 17], [3, 3, 1, 1], [2, 33, 3, 3] })
            foreach (bool affine in new[] { true, false }) data.Add(shape, affine);
        return data;
    }

    /// <summary>x of <paramref name="shape"/> with a per-channel offset (so the mean matters), its last two dimensions transposed where it has them.</summary>
    private static Tensor NormInput(Device d, int[] shape, DType dtype, int seed)
    {
        var s = (int[])shape.Clone();
        if (s.Length == 4) (s[2], s[3]) = (s[3], s[2]);
        var v = Randn(s, dtype, seed).ToDoubleArray();
        int c = shape[1], inner = v.Length / (shape[0] * c);
        for (int i = 0; i < v.Length; i++) v[i] = 3 * v[i] + (i / inner % c) - 1;
        var x = On(d, FromDoubles(v, s, dtype));
        return s.Length == 4 ? x.TransposeView(2, 3) : x;
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    [Covers(nameof(IBackend.BatchNorm), nameof(IBackend.BatchNormBackward))]
    public void BatchNormForwardAndBackward(int[] shape, bool affine)
    {
        int c = shape[1];
        foreach (var dtype in Floats)
            foreach (bool training in new[] { true, false })
            {
                // Training: the batch's statistics (in double: the same bits on both) and the running ones updated in place.
                Close($"BatchNorm {ShapeUtil.Format(shape)} {dtype} affine {affine} training {training}", dtype == DType.Float32 ? 1e-6 : 1e-14, d =>
                {
                    var x = NormInput(d, shape, dtype, 90);
                    var w = affine ? On(d, Randn([c], dtype, 91)) : null;
                    var b = affine ? On(d, Randn([c], dtype, 92)) : null;
                    var rm = On(d, Randn([c], dtype, 93));
                    var rv = On(d, Tensor.Rand([2 * c], new Generator(94), dtype, 0.5, 2)).NarrowView(0, 0, c);
                    var y = Tensor.Empty(shape, dtype, d);
                    var mean = Tensor.Empty([c], DType.Float64, d);
                    var invStd = Tensor.Empty([c], DType.Float64, d);
                    d.Backend.BatchNorm(x, w, b, rm, rv, training, 0.1, 1e-5, y, mean, invStd);
                    return [y, mean, invStd, rm, rv];
                }, scale: 1);
                for (int need = 1; need < 8; need++)
                {
                    bool needX = (need & 1) != 0, needW = (need & 2) != 0, needB = (need & 4) != 0;
                    Close($"BatchNormBackward {ShapeUtil.Format(shape)} {dtype} affine {affine} training {training} gx {needX} gw {needW} gb {needB}",
                        dtype == DType.Float32 ? 1e-6 : 1e-13, d =>
                        {
                            var x = NormInput(d, shape, dtype, 95);
                            var w = affine ? On(d, Randn([c], dtype, 96)) : null;
                            var y = Tensor.Empty(shape, dtype, d);
                            var mean = Tensor.Empty([c], DType.Float64, d);
                            var invStd = Tensor.Empty([c], DType.Float64, d);
                            var rm = On(d, Randn([c], dtype, 97));
                            var rv = On(d, Tensor.Rand([c], new Generator(98), dtype, 0.5, 2));
                            d.Backend.BatchNorm(x, w, null, rm, rv, training, 0.1, 1e-5, y, mean, invStd);
                            var gy = NormInput(d, shape, dtype, 99);
                            var gx = needX ? Tensor.Empty(shape, dtype, d) : null;
                            var gw = needW ? Tensor.Empty([c], dtype, d) : null;
                            var gb = needB ? Tensor.Empty([c], dtype, d) : null;
                            d.Backend.BatchNormBackward(x, gy, mean, invStd, w, training, gx, gw, gb);
                            return new[] { gx, gw, gb }.OfType<Tensor>().ToArray();
                        }, scale: 1);
                }
            }
    }

    /// <summary>
    /// [N, C] rows: the CPU's statistics and bias gradient (blocks of 8 channels over the threads, vector and scalar)
    /// are the reference's bits, not just close to them. 4000 x 33 splits over two threads and leaves a tail channel.
    /// </summary>
    [Fact]
    public void BatchNormRowSumsAreTheReferencesBits()
    {
        int[] shape = [4000, 33];
        foreach (var dtype in Floats)
            Close($"BatchNorm rows {dtype}", 0, d =>
            {
                var x = NormInput(d, shape, dtype, 120);
                var y = Tensor.Empty(shape, dtype, d);
                var mean = Tensor.Empty([33], DType.Float64, d);
                var invStd = Tensor.Empty([33], DType.Float64, d);
                d.Backend.BatchNorm(x, null, null, null, null, training: true, 0.1, 1e-5, y, mean, invStd);
                var gy = NormInput(d, shape, dtype, 121);
                var gb = Tensor.Empty([33], dtype, d);
                d.Backend.BatchNormBackward(x, gy, mean, invStd, null, true, null, null, gb);
                return [mean, invStd, gb];
            });
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    [Covers(nameof(IBackend.BatchNormAct), nameof(IBackend.BatchNormActBackward))]
    public void BatchNormActForwardAndBackward(int[] shape, bool residual)
    {
        // The CPU backend's fused kernels against the reference backend's default body (the composite of its primitives).
        int c = shape[1];
        foreach (var dtype in Floats)
            foreach (bool relu in new[] { true, false })
            {
                string what = $"BatchNormAct {ShapeUtil.Format(shape)} {dtype} residual {residual} relu {relu}";
                Close(what, dtype == DType.Float32 ? 1e-6 : 1e-13, 1e-6, d =>
                {
                    var x = NormInput(d, shape, dtype, 100);
                    var w = On(d, Randn([c], dtype, 101));
                    var b = On(d, Randn([c], dtype, 102));
                    var r = residual ? NormInput(d, shape, dtype, 103) : null;
                    var y = Tensor.Empty(shape, dtype, d);
                    var mean = Tensor.Empty([c], DType.Float64, d);
                    var invStd = Tensor.Empty([c], DType.Float64, d);
                    d.Backend.BatchNormAct(x, w, b, null, null, training: true, 0.1, 1e-5, r, relu, y, mean, invStd);
                    var gy = NormInput(d, shape, dtype, 104);
                    var gx = Tensor.Empty(shape, dtype, d);
                    var gw = Tensor.Empty([c], dtype, d);
                    var gb = Tensor.Empty([c], dtype, d);
                    var gr = residual ? Tensor.Empty(shape, dtype, d) : null;
                    d.Backend.BatchNormActBackward(x, y, gy, mean, invStd, w, true, relu, gx, gw, gb, gr);
                    return new[] { y, mean, invStd, gx, gw, gb, gr }.OfType<Tensor>().ToArray();
                }, scale: 1);
            }
    }

    public static TheoryData<int, int, Reduction, bool> CrossEntropyCases()
    {
        var data = new TheoryData<int, int, Reduction, bool>();
        foreach (var (n, c) in new[] { (7, 3), (33, 17), (1, 1), (5, 600) })
            foreach (var r in Enum.GetValues<Reduction>())
                foreach (bool weighted in new[] { false, true }) data.Add(n, c, r, weighted);
        return data;
    }

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    [Covers(nameof(IBackend.CrossEntropy), nameof(IBackend.CrossEntropyBackward))]
    public void CrossEntropyForwardAndBackward(int n, int c, Reduction reduction, bool weighted)
    {
        foreach (var dtype in Floats)
        {
            var sums = new List<double>();
            string what = $"CrossEntropy [{n}, {c}] {reduction} weighted {weighted} {dtype}";
            Close(what, SumTol(dtype), d =>
            {
                // Logits as the transpose of [C, N], one -inf among them; class weights every other element of [2C].
                var v = Randn([c, n], dtype, 100).ToDoubleArray();
                v[^1] = c > 1 ? double.NegativeInfinity : v[^1];
                var x = On(d, FromDoubles(v, [c, n], dtype)).TransposeView(0, 1);
                var t = Ints([n], 0, c, 101).ToLongArray();
                if (c > 1 && t[^1] == c - 1) t[^1] = 0;   // not the -inf logit: that loss would be +inf
                var target = On(d, Tensor.FromArray(t));
                var w = weighted ? On(d, Tensor.Rand([c, 2], new Generator(102), dtype, 0.1, 2)).SelectView(1, 0) : null;
                var loss = Tensor.Empty(reduction == Reduction.None ? [n] : [], dtype, d);
                var lse = Tensor.Empty([n], dtype, d);
                double weightSum = d.Backend.CrossEntropy(x, target, w, reduction, loss, lse);
                sums.Add(weightSum);
                var g = reduction == Reduction.None ? On(d, Randn([2 * n], dtype, 103)).NarrowView(0, 0, n) : On(d, Tensor.Scalar(0.7, dtype));
                var gx = Tensor.Empty([n, c], dtype, d);
                d.Backend.CrossEntropyBackward(x, lse, target, w, reduction, weightSum, g, gx);
                return [loss, lse, gx];
            }, scale: 1);
            // The sum of the targets' weights, whatever the reduction: 0 without weights.
            Assert.True(weighted || (sums[0] == 0 && sums[1] == 0), $"{what}: weight sums {sums[0]} and {sums[1]}");
            if (weighted) Assert.True(sums[1] > 0);
            if (weighted) Assert.True(Math.Abs(sums[0] - sums[1]) <= 1e-6 * sums[1], $"{what}: weight sums {sums[0]} and {sums[1]}");
        }
    }

    [Fact]
    [Covers(nameof(IBackend.CrossEntropy))]
    public void CrossEntropyRejectsAClassOutOfRange()
    {
        foreach (long bad in new[] { -1L, 3L })
            ThrowsOnReference<ArgumentOutOfRangeException>(d => d.Backend.CrossEntropy(On(d, Randn([2, 3], DType.Float32, 1)), On(d, Tensor.FromArray(new[] { 0L, bad })), null, Reduction.Mean,
                Tensor.Empty([], DType.Float32, d), Tensor.Empty([2], DType.Float32, d)), "CrossEntropy", $"class index {bad}", "3 classes");
    }
    [Fact]
    [Covers(nameof(IBackend.BinaryCrossEntropyWithLogits), nameof(IBackend.BinaryCrossEntropyWithLogitsBackward))]
    public void BinaryCrossEntropyWithLogitsForwardAndBackward()
    {
        // Terms of either sign cancel ((1 − t) x against −x, σ(x) against t): errors against the largest magnitude.
        foreach (var dtype in Floats)
            Close($"BinaryCrossEntropyWithLogits {dtype}", dtype == DType.Float32 ? 1e-6 : 1e-14, d =>
            {
                var x = On(d, Special([7, 5, 3], dtype, 21)).PermuteView([1, 2, 0]);          // strided, with NaN, ±inf, −0
                var t = On(d, Tensor.Rand([5, 3, 7], new Generator(22), dtype));
                var loss = Tensor.Empty([5, 3, 7], dtype, d);
                d.Backend.BinaryCrossEntropyWithLogits(x, t, loss);
                var big = On(d, Randn([33, 17], dtype, 23) * 6.0);                            // the CPU's vector and parallel paths
                var tb = On(d, Tensor.Rand([33, 17], new Generator(24), dtype));
                var lossBig = Tensor.Empty([33, 17], dtype, d);
                d.Backend.BinaryCrossEntropyWithLogits(big, tb, lossBig);
                var g = On(d, Randn([7, 3, 5], dtype, 25)).PermuteView([2, 1, 0]);
                var gx = Tensor.Empty([5, 3, 7], dtype, d);
                d.Backend.BinaryCrossEntropyWithLogitsBackward(x, t, g, gx);
                var shared = On(d, Tensor.Scalar(0.3, dtype)).ExpandView([33, 17]);           // a mean's gradient, broadcast
                var gxBig = Tensor.Empty([33, 17], dtype, d);
                d.Backend.BinaryCrossEntropyWithLogitsBackward(big, tb, shared, gxBig);
                return [loss, lossBig, gx, gxBig];
            }, scale: 1);
    }
}
