using Axon.Data;
using Axon.Models.Generative;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>Autoencoders: the contractive penalty against its closed form, the linear one against PCA, sparsity, corruption, training.</summary>
public sealed class AutoencoderTests
{
    [Fact]
    public void ContractivePenaltyOfASigmoidLayerIsItsClosedForm()
    {
        // h = sigmoid(W x + b): ||dh/dx||_F^2 = sum_i (h_i (1 - h_i))^2 sum_j W_ij^2, summed over the batch.
        var ae = new Autoencoder([7, 3], codeActivation: () => new Sigmoid(), dtype: DType.Float64, generator: new Generator(2));
        var x = Tensor.Randn([5, 7], new Generator(3), DType.Float64);
        double got = ae.ContractivePenalty(x).Item();
        var w = ((Linear)ae.Encoder[0]).Weight.ToArray<double>();
        var h = ae.Encode(x).ToArray<double>();
        double expected = 0;
        for (int n = 0; n < 5; n++)
            for (int i = 0; i < 3; i++)
            {
                double d = h[n * 3 + i] * (1 - h[n * 3 + i]), row = 0;
                for (int j = 0; j < 7; j++) row += w[i * 7 + j] * w[i * 7 + j];
                expected += d * d * row;
            }
        Assert.Equal(expected, got, 12);
        Assert.True(expected > 1e-3);
    }

    [Fact]
    public void TheContractivePenaltyTrainsThroughSecondDerivatives()
    {
        var ae = new Autoencoder([6, 4], codeActivation: () => new Sigmoid(), generator: new Generator(1));
        var x = Tensor.Rand([16, 6], new Generator(2));
        var task = new AutoencoderTask(ae) { Contractive = 1.0 };
        double before = ae.ContractivePenalty(x).Item();
        var optimizer = new Sgd(ae.Parameters(), lr: 0.5);
        for (int i = 0; i < 50; i++)
        {
            optimizer.ZeroGrad();
            var loss = task.Loss(x, x);
            loss.Loss.Backward();
            optimizer.Step();
        }
        double after = ae.ContractivePenalty(x).Item();
        Assert.True(after < 0.7 * before, $"penalty {before:G4} -> {after:G4}");
    }

    [Fact]
    public void ALinearAutoencoderSpansThePrincipalSubspace()
    {
        // x = A z + noise, A's two orthonormal columns carrying variances 9 and 4 against noise 0.01: the top two
        // principal directions are A's span, and so is the trained decoder's column space.
        var g = new Generator(11);
        int n = 400;
        double s = 1 / Math.Sqrt(2);
        double[,] a = { { s, 0 }, { s, 0 }, { 0, 0.6 }, { 0, 0.8 }, { 0, 0 } };
        var z = Tensor.Randn([n, 2], g, DType.Float64).ToArray<double>();
        var noise = Tensor.Randn([n, 5], g, DType.Float64, std: 0.1).ToArray<double>();
        var data = new double[n * 5];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < 5; j++)
                data[r * 5 + j] = a[j, 0] * 3 * z[r * 2] + a[j, 1] * 2 * z[r * 2 + 1] + noise[r * 5 + j];
        var x = Tensor.FromArray(data, n, 5);
        var ae = new Autoencoder([5, 2], dtype: DType.Float64, generator: new Generator(12));
        var optimizer = new Adam(ae.Parameters(), lr: 0.02);
        for (int i = 0; i < 1500; i++)
        {
            optimizer.ZeroGrad();
            var loss = (ae.Forward(x) - x).Square().Mean();
            loss.Backward();
            optimizer.Step();
        }
        // Projector onto the decoder's columns, D (D^T D)^-1 D^T, against A A^T.
        var d = ((Linear)ae.Decoder[0]).Weight.ToArray<double>(); // [5, 2]
        double g00 = 0, g01 = 0, g11 = 0;
        for (int j = 0; j < 5; j++) { g00 += d[j * 2] * d[j * 2]; g01 += d[j * 2] * d[j * 2 + 1]; g11 += d[j * 2 + 1] * d[j * 2 + 1]; }
        double det = g00 * g11 - g01 * g01, i00 = g11 / det, i01 = -g01 / det, i11 = g00 / det;
        double diff = 0;
        for (int p = 0; p < 5; p++)
            for (int q = 0; q < 5; q++)
            {
                double proj = d[p * 2] * (i00 * d[q * 2] + i01 * d[q * 2 + 1]) + d[p * 2 + 1] * (i01 * d[q * 2] + i11 * d[q * 2 + 1]);
                double pca = a[p, 0] * a[q, 0] + a[p, 1] * a[q, 1];
                diff += (proj - pca) * (proj - pca);
            }
        Assert.True(Math.Sqrt(diff) < 0.05, $"||P_ae - P_pca||_F = {Math.Sqrt(diff):G4}");
    }

    [Fact]
    public void KlSparsityIsTheBernoulliKlOfTheMeanActivations()
    {
        // Unit means 0.1 and 0.5 against rho 0.05.
        var code = Tensor.FromArray([0.0, 0.4, 0.2, 0.6], 2, 2);
        double rho = 0.05, expected = 0;
        foreach (double m in (double[])[0.1, 0.5]) expected += rho * Math.Log(rho / m) + (1 - rho) * Math.Log((1 - rho) / (1 - m));
        Assert.Equal(expected, AutoencoderTask.KlSparsity(code, rho).Item(), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => AutoencoderTask.KlSparsity(code, 1));
    }

    [Fact]
    public void CorruptionsDoWhatTheySayWithTheirSeed()
    {
        var x = Tensor.Full([4, 1, 50, 50], 0.5f);
        var masked = new RandomMasking(0.3).Apply(x.Clone(), new Generator(1)).ToArray<float>();
        Assert.All(masked, v => Assert.True(v is 0f or 0.5f));
        Assert.InRange(masked.Count(v => v == 0) / (double)masked.Length, 0.28, 0.32);
        var sp = new SaltAndPepper(0.2).Apply(x.Clone(), new Generator(1)).ToArray<float>();
        Assert.InRange(sp.Count(v => v == 0) / (double)sp.Length, 0.09, 0.11);
        Assert.InRange(sp.Count(v => v == 1) / (double)sp.Length, 0.09, 0.11);
        Assert.Equal(sp.Length, sp.Count(v => v is 0f or 0.5f or 1f));
        var noisy = new GaussianNoise(0.1).Apply(x.Clone(), new Generator(1)).ToArray<float>();
        double mean = noisy.Average(), sd = Math.Sqrt(noisy.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(sd, 0.095, 0.105);
        Assert.Equal(noisy, new GaussianNoise(0.1).Apply(x.Clone(), new Generator(1)).ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomMasking(1.5));
    }

    [Fact]
    public void ADenoisingSparseAutoencoderLearnsABatch()
    {
        var x = Tensor.Rand([8, 1, 6, 6], new Generator(3)).Gt(0.5).To(DType.Float32);
        var ae = new Autoencoder([36, 24, 12], codeActivation: () => new Sigmoid(), generator: new Generator(4));
        var task = new AutoencoderTask(ae) { Corruption = new RandomMasking(0.1), CorruptionGenerator = new Generator(5), KlSparsityWeight = 0.1, L1Sparsity = 1e-3 };
        var optimizer = new Adam(ae.Parameters(), lr: 0.01);
        double first = 0, last = 0;
        for (int i = 0; i < 300; i++)
        {
            optimizer.ZeroGrad();
            var loss = task.Loss(x, x);
            loss.Loss.Backward();
            optimizer.Step();
            double r = loss.MetricSums!["reconstruction"] / 8;
            if (i == 0) first = r;
            last = r;
            Assert.True(loss.MetricSums.ContainsKey("sparsity"));
        }
        Assert.InRange(first, 20, 30); // 36 ln 2 = 25 nats at the start
        Assert.True(last < 8, $"reconstruction {first:F2} -> {last:F2} nats");
        var e = Assert.Throws<ArgumentException>(() => ae.Forward(Tensor.Zeros([2, 35])));
        Assert.Contains("each input must hold 36 values, got [2, 35]", e.Message, StringComparison.Ordinal);
    }
}
