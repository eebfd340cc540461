using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class NormalizationTests
{
    /// <summary>Per-channel mean, biased and unbiased variance of x [N, C, *] by definition.</summary>
    private static (double[] Mean, double[] Biased, double[] Unbiased) Stats(Tensor x)
    {
        int n = x.Size(0), c = x.Size(1), s = x.NumEl / (n * c);
        var v = x.ToDoubleArray();
        var mean = new double[c];
        var biased = new double[c];
        var unbiased = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var vals = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, s).Select(j => v[(i * c + ch) * s + j])).ToArray();
            mean[ch] = vals.Average();
            double ss = vals.Sum(a => (a - mean[ch]) * (a - mean[ch]));
            biased[ch] = ss / vals.Length;
            unbiased[ch] = ss / (vals.Length - 1);
        }
        return (mean, biased, unbiased);
    }

    /// <summary>y = (x - mean[c]) / sqrt(var[c] + eps) * w[c] + b[c].</summary>
    private static double[] Normalise(Tensor x, double[] mean, double[] var, double[] w, double[] b, double eps)
    {
        int n = x.Size(0), c = x.Size(1), s = x.NumEl / (n * c);
        var v = x.ToDoubleArray();
        var y = new double[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            int ch = i / s % c;
            y[i] = (v[i] - mean[ch]) / Math.Sqrt(var[ch] + eps) * w[ch] + b[ch];
        }
        return y;
    }

    private static void Close(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"element {i}: {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void BatchNorm2dTrainingTwoStepsThenEvaluation()
    {
        var g = new Generator(1);
        var bn = new BatchNorm2d(3, dtype: DType.Float64);
        using (Tensor.NoGrad())
        {
            bn.Weight!.CopyFrom(Tensor.FromArray(new double[] { 1.5, -0.5, 2 }));
            bn.Bias!.CopyFrom(Tensor.FromArray(new double[] { 0.1, 0.2, -0.3 }));
        }
        double[] w = bn.Weight!.ToDoubleArray(), b = bn.Bias!.ToDoubleArray();
        var x1 = Tensor.Randn([4, 3, 5, 2], g, DType.Float64) * 2.0 + 1.0;
        var x2 = Tensor.Randn([4, 3, 5, 2], g, DType.Float64) - 3.0;

        var (m1, v1, u1) = Stats(x1);
        Close(Normalise(x1, m1, v1, w, b, 1e-5), bn.Forward(x1).ToDoubleArray(), 1e-12);
        var (m2, v2, u2) = Stats(x2);
        Close(Normalise(x2, m2, v2, w, b, 1e-5), bn.Forward(x2).ToDoubleArray(), 1e-12);

        // running = 0.9 running + 0.1 stat, from mean 0 and variance 1, with the unbiased variance.
        var rm = Enumerable.Range(0, 3).Select(c => 0.9 * (0.9 * 0 + 0.1 * m1[c]) + 0.1 * m2[c]).ToArray();
        var rv = Enumerable.Range(0, 3).Select(c => 0.9 * (0.9 * 1 + 0.1 * u1[c]) + 0.1 * u2[c]).ToArray();
        Close(rm, bn.RunningMean!.ToDoubleArray(), 1e-12);
        Close(rv, bn.RunningVar!.ToDoubleArray(), 1e-12);
        Assert.Equal(2, bn.NumBatchesTracked!.Item());
        Assert.Equal(DType.Int64, bn.NumBatchesTracked.DType);

        bn.Eval();
        var x3 = Tensor.Randn([2, 3, 4, 4], g, DType.Float64);
        Close(Normalise(x3, rm, rv, w, b, 1e-5), bn.Forward(x3).ToDoubleArray(), 1e-12);
        Assert.Equal(2, bn.NumBatchesTracked.Item());   // evaluation does not count
        Close(rm, bn.RunningMean.ToDoubleArray(), 0);
    }

    [Fact]
    public void CumulativeAverageWithoutMomentum()
    {
        var g = new Generator(2);
        var bn = new BatchNorm1d(2, momentum: null, dtype: DType.Float64);
        var x1 = Tensor.Randn([6, 2], g, DType.Float64);
        var x2 = Tensor.Randn([6, 2], g, DType.Float64) + 5.0;
        bn.Forward(x1);
        bn.Forward(x2);
        var (m1, _, u1) = Stats(x1);
        var (m2, _, u2) = Stats(x2);
        Close([(m1[0] + m2[0]) / 2, (m1[1] + m2[1]) / 2], bn.RunningMean!.ToDoubleArray(), 1e-12);
        Close([(u1[0] + u2[0]) / 2, (u1[1] + u2[1]) / 2], bn.RunningVar!.ToDoubleArray(), 1e-12);
        Assert.Equal("BatchNorm1d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)", bn.ToString());
    }

    [Theory]
    [InlineData(new[] { 8, 3 })]
    [InlineData(new[] { 4, 3, 7 })]
    public void BatchNorm1dOnTwoAndThreeDimensions(int[] shape)
    {
        var x = Tensor.Randn(shape, new Generator(3), DType.Float32);
        var bn = new BatchNorm1d(3, eps: 1e-3);
        var (m, v, _) = Stats(x);
        Close(Normalise(x, m, v, [1, 1, 1], [0, 0, 0], 1e-3), bn.Forward(x).ToDoubleArray(), 1e-5);
        Assert.Equal(DType.Float32, bn.Forward(x).DType);
    }

    [Fact]
    public void WithoutRunningStatisticsEvaluationUsesTheBatch()
    {
        var bn = new BatchNorm2d(2, affine: false, trackRunningStats: false, dtype: DType.Float64);
        Assert.Empty(bn.StateDict());
        Assert.Empty(bn.Parameters());
        bn.Eval();
        var x = Tensor.Randn([3, 2, 2, 2], new Generator(4), DType.Float64);
        var (m, v, _) = Stats(x);
        Close(Normalise(x, m, v, [1, 1], [0, 0], 1e-5), bn.Forward(x).ToDoubleArray(), 1e-12);
        Assert.Equal("BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)", bn.ToString());
    }

    [Fact]
    public void GradientsInTrainingMode()
    {
        CheckMany(t => Tensor.BatchNorm(t[0], null, null, t[1], t[2], training: true), Leaf(1, 4, 3, 2, 3), Leaf(2, 3), Leaf(3, 3));
        CheckMany(t => Tensor.BatchNorm(t[0], null, null, t[1], t[2], training: true, eps: 0.1), Leaf(4, 5, 2), Leaf(5, 2), Leaf(6, 2));
        Check(x => Tensor.BatchNorm(x, null, null, training: true), NonContiguous(7, 3, 2, 4));
        // The module's graph: the running statistics are updated without being recorded.
        var bn = new BatchNorm2d(2, dtype: DType.Float64);
        CheckMany(t => bn.Forward(t[0]), Leaf(8, 3, 2, 2, 2));
    }

    [Fact]
    public void GradientsInEvaluationMode()
    {
        var rm = Tensor.FromArray(new double[] { 0.5, -1, 2 });
        var rv = Tensor.FromArray(new double[] { 2, 0.5, 1 });
        CheckMany(t => Tensor.BatchNorm(t[0], rm, rv, t[1], t[2], training: false), Leaf(1, 2, 3, 4), Leaf(2, 3), Leaf(3, 3));
    }

    [Fact]
    public void StateDictReprAndErrors()
    {
        var bn = new BatchNorm2d(32);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Select(kv => kv.Key));
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], bn.NamedBuffers().Select(b => b.Name));
        Assert.Equal("BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.ToString());
        Assert.Equal("BatchNorm1d(100, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)", new BatchNorm1d(100, 1e-3, 0.01).ToString());

        var ex = Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros([2, 32, 5])));
        Assert.Contains("expected 4D input (got 3D input", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros([2, 3, 4, 5])));
        Assert.Contains("expected 2D or 3D input (got 4D input", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros([2, 16, 4, 4])));
        Assert.Contains("expected input with 32 channels", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros([1, 3])));
        Assert.Contains("more than 1 value per channel when training", ex.Message, StringComparison.Ordinal);
        new BatchNorm1d(3).Eval().Forward(Tensor.Zeros([1, 3]));   // one sample is fine in evaluation
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm2d(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm2d(3, eps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm2d(3, momentum: 1.5));
        ex = Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(Tensor.Zeros([2, 3]), null, null));
        Assert.Contains("evaluation mode needs running_mean", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDictRestoresRunningStatistics()
    {
        var a = new BatchNorm2d(2);
        a.Forward(Tensor.Randn([4, 2, 3, 3], new Generator(5)));
        var b = new BatchNorm2d(2);
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.RunningMean!.ToFloatArray(), b.RunningMean!.ToFloatArray());
        Assert.Equal(a.RunningVar!.ToFloatArray(), b.RunningVar!.ToFloatArray());
        Assert.Equal(1, b.NumBatchesTracked!.Item());
    }
}
