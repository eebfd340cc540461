using System.Diagnostics;
using Axon.IO;
using Axon.Models.Generative;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>
/// The Fréchet distance and its symmetric eigen-decomposition: reconstruction and orthogonality, closed forms, scipy's
/// value on random correlated features (tests/Fixtures/make_frechet_fixture.py), and the classifier feature space.
/// </summary>
public class FrechetDistanceTests
{
    private static double[,] RandomSymmetric(int n, Generator g)
    {
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i, j] = a[j, i] = g.NextNormal();
        return a;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(5, 3)]
    [InlineData(17, 4)]
    [InlineData(64, 5)]
    public void EigenDecompositionReconstructsRandomSymmetricMatrices(int n, int seed)
    {
        var a = RandomSymmetric(n, new Generator(seed));
        var (values, v) = SymmetricEigen.Decompose(a);
        for (int k = 1; k < n; k++) Assert.True(values[k - 1] <= values[k], "ascending");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double rebuilt = 0, gram = 0;
                for (int k = 0; k < n; k++)
                {
                    rebuilt += v[i, k] * values[k] * v[j, k];
                    gram += v[k, i] * v[k, j];
                }
                Assert.True(Math.Abs(rebuilt - a[i, j]) < 1e-10, $"A[{i}, {j}] = {a[i, j]}, rebuilt {rebuilt}");
                Assert.True(Math.Abs(gram - (i == j ? 1 : 0)) < 1e-10, $"(VᵀV)[{i}, {j}] = {gram}");
            }
    }

    [Fact]
    public void EigenDecompositionHandlesRepeatedEigenvaluesAndKnownSpectra()
    {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, -1)/√2 and (1, 1)/√2.
        var (values, v) = SymmetricEigen.Decompose(new double[,] { { 2, 1 }, { 1, 2 } });
        Assert.Equal(1, values[0], 14);
        Assert.Equal(3, values[1], 14);
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(v[0, 1]), 14);
        Assert.Equal(v[0, 1], v[1, 1], 14);
        // The 4x4 matrix of ones: eigenvalues 0, 0, 0, 4.
        var ones = new double[4, 4];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) ones[i, j] = 1;
        var (w, _) = SymmetricEigen.Decompose(ones);
        Assert.Equal([0, 0, 0, 4], w.Select(x => Math.Round(x, 12) + 0.0));
        Assert.Contains("3 x 2", Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[3, 2])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SquareRootSquaresBackToThePsdMatrix()
    {
        // A = B Bᵀ for a random 9x6 B: positive semi-definite of rank 6, so three eigenvalues are 0 up to rounding.
        var g = new Generator(11);
        var b = new double[9, 6];
        for (int i = 0; i < 9; i++) for (int k = 0; k < 6; k++) b[i, k] = g.NextNormal();
        var a = new double[9, 9];
        for (int i = 0; i < 9; i++) for (int j = 0; j < 9; j++) for (int k = 0; k < 6; k++) a[i, j] += b[i, k] * b[j, k];
        var root = SymmetricEigen.Sqrt(a);
        for (int i = 0; i < 9; i++)
            for (int j = 0; j < 9; j++)
            {
                double square = 0;
                for (int k = 0; k < 9; k++) square += root[i, k] * root[k, j];
                Assert.True(Math.Abs(square - a[i, j]) < 1e-10, $"(√A)²[{i}, {j}] = {square}, A = {a[i, j]}");
                Assert.Equal(root[i, j], root[j, i]);
            }
        Assert.Equal(2, SymmetricEigen.Sqrt(new double[,] { { 4 } })[0, 0]);
    }

    [Fact]
    public void EigenDecompositionOf128IsFast()
    {
        var a = RandomSymmetric(128, new Generator(7));
        SymmetricEigen.Decompose(RandomSymmetric(8, new Generator(8)));   // JIT
        var watch = Stopwatch.StartNew();
        var (values, _) = SymmetricEigen.Decompose(a);
        watch.Stop();
        double trace = 0;
        for (int i = 0; i < 128; i++) trace += a[i, i];
        Assert.Equal(trace, values.Sum(), 9);
        // Generous for a shared 2-core machine; on an idle core it takes about a tenth of this.
        Assert.True(watch.Elapsed.TotalSeconds < 2, $"128 x 128 took {watch.Elapsed.TotalSeconds:F2} s");
    }

    private static FeatureStatistics RandomStatistics(int n, int d, Generator g)
    {
        var rows = new double[n * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = g.NextNormal() * (1 + i % d) + i % 3;
        return FeatureStatistics.From(rows, n, d);
    }

    [Fact]
    public void DistanceOfIdenticalStatisticsIsZero()
    {
        var s = RandomStatistics(200, 12, new Generator(3));
        Assert.True(Math.Abs(FrechetDistance.Compute(s, s)) < 1e-9, $"{FrechetDistance.Compute(s, s)}");
        var copy = new FeatureStatistics((double[])s.Mean.Clone(), (double[,])s.Covariance.Clone(), s.Count);
        Assert.True(Math.Abs(FrechetDistance.Compute(s, copy)) < 1e-9);
    }

    [Fact]
    public void DiagonalGaussiansMatchTheClosedForm()
    {
        // With diagonal covariances the matrices commute: d² = Σ (μa − μb)² + Σ (σa − σb)².
        double[] ma = [0.5, -1, 2, 0, 3], mb = [1.5, -1, 0, 0.25, -3];
        double[] sa = [1, 2, 0.5, 3, 0], sb = [2, 2, 1.5, 0.1, 4];
        var ca = new double[5, 5];
        var cb = new double[5, 5];
        double expected = 0;
        for (int i = 0; i < 5; i++)
        {
            ca[i, i] = sa[i] * sa[i];
            cb[i, i] = sb[i] * sb[i];
            expected += (ma[i] - mb[i]) * (ma[i] - mb[i]) + (sa[i] - sb[i]) * (sa[i] - sb[i]);
        }
        Assert.Equal(41.0625 + 26.41, expected, 12);
        double fid = FrechetDistance.Compute(new FeatureStatistics(ma, ca, 10), new FeatureStatistics(mb, cb, 10));
        Assert.Equal(expected, fid, 10);
    }

    [Fact]
    public void StatisticsAreTheMeanAndUnbiasedCovariance()
    {
        // Rows (1, 2), (3, 6), (5, 4): mean (3, 4); covariance [[4, 2], [2, 4]] (divided by N − 1 = 2).
        var s = FeatureStatistics.From(Tensor.FromArray(new float[] { 1, 2, 3, 6, 5, 4 }, 3, 2));
        Assert.Equal([3.0, 4.0], s.Mean);
        Assert.Equal(new double[,] { { 4, 2 }, { 2, 4 } }, s.Covariance);
        Assert.Equal(3, s.Count);
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => FeatureStatistics.From(new double[3], 1, 3)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MismatchedDimensionsNameBothSizes()
    {
        var g = new Generator(1);
        var ex = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(RandomStatistics(10, 4, g), RandomStatistics(10, 6, g)));
        Assert.Contains("4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("6", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(300, 250, "fid")]
    [InlineData(20, 20, "fid_ab_small")]
    public void MatchesScipySqrtm(int rowsA, int rowsB, string key)
    {
        var tensors = Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "frechet.safetensors")).Tensors
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var a = tensors["a"].Narrow(0, 0, rowsA);
        var b = tensors["b"].Narrow(0, 0, rowsB);
        double expected = tensors[key].ToArray<double>()[0];
        double fid = FrechetDistance.Compute(a, b);
        Assert.True(Math.Abs(fid - expected) < 1e-9 * expected, $"Axon {fid:R}, scipy {expected:R}");
        // The distance is symmetric.
        Assert.True(Math.Abs(FrechetDistance.Compute(b, a) - expected) < 1e-9 * expected);
    }

    [Fact]
    public void ClassifierFeaturesAreWhatFeedsTheLastLayer()
    {
        var model = new LectureCnn(generator: new Generator(5));
        var g = new Generator(6);
        var pixels = new float[7 * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = g.NextSingle();
        var output = new ClassifierFeatures(model, batchSize: 3).Evaluate(pixels, 7);
        Assert.Equal((7, 256), (output.Count, output.Dimension));
        Assert.True(model.Training, "the model's mode is restored");
        model.Eval();
        var x = Tensor.FromArray(pixels.Select(p => (p - 0.2860f) / 0.3530f).ToArray(), 7, 1, 28, 28);
        var h = model.Penultimate(x).ToArray<double>();
        var logits = model.Forward(x);
        Assert.Equal(logits.ArgMax(1).ToArray<long>().Select(p => (int)p), output.Predictions);
        // Batches of 3 and of 7 take different GEMM paths, so float32 sums may differ in the last bits.
        for (int i = 0; i < h.Length; i++) Assert.True(Math.Abs(h[i] - output.Features[i]) < 1e-5, $"feature {i}: {h[i]} vs {output.Features[i]}");
        Assert.True(h.All(v => v >= 0), "after a ReLU");

        var mlp = ModelZoo.Create("mlp", 10, new Generator(1));
        Assert.Equal(256, new ClassifierFeatures(mlp).Evaluate(pixels, 7).Dimension);
        var ex = Assert.Throws<ArgumentException>(() => new ClassifierFeatures(ModelZoo.Create("resnet-small")));
        Assert.Contains("ResNet", ex.Message, StringComparison.Ordinal);
    }
}
