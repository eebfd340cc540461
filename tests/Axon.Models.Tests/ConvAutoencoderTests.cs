using Axon.Data;
using Axon.IO;
using Axon.Models.Generative;
using Axon.Models.Training;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>
/// The convolutional autoencoder: shapes, state-dict names and repr, PyTorch's forward output and gradients, its
/// contractive penalty against finite differences, training on one batch, and the task's shape handling.
/// </summary>
public sealed class ConvAutoencoderTests
{
    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "conv_autoencoder.safetensors");

    [Fact]
    public void ShapesStateDictNamesAndErrors()
    {
        var ae = new ConvAutoencoder(generator: new Generator(0));
        var x = Tensor.Rand([3, 1, 28, 28], new Generator(1));
        Assert.Equal([3, 32], ae.Encode(x).GetShape());
        Assert.Equal([3, 1, 28, 28], ae.Forward(x).GetShape());
        string[] keys =
        [
            "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias", "encoder.5.weight", "encoder.5.bias",
            "decoder.0.weight", "decoder.0.bias", "decoder.3.weight", "decoder.3.bias", "decoder.5.weight", "decoder.5.bias",
        ];
        var state = ae.StateDict();
        Assert.Equal(keys, state.Select(kv => kv.Key));
        Assert.Equal([32, 1568], state.Single(kv => kv.Key == "encoder.5.weight").Value.GetShape());
        Assert.Equal([32, 16, 3, 3], state.Single(kv => kv.Key == "decoder.3.weight").Value.GetShape()); // PyTorch's [in, out, kh, kw]
        // 16·9 + 16 + 32·16·9 + 32 + 1568·32 + 32 + 32·1568 + 1568 + 32·16·9 + 16 + 16·9 + 1
        Assert.Equal(111_521, ae.ParameterCount());
        var e = Assert.Throws<ArgumentException>(() => ae.Forward(Tensor.Zeros([2, 784])));
        Assert.Contains("ConvAutoencoder: expects images [N, 1, 28, 28], got [2, 784]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => ae.Forward(Tensor.Zeros([2, 3, 28, 28])));
        Assert.Contains("got [2, 3, 28, 28]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => ae.Decode(Tensor.Zeros([2, 31])));
        Assert.Contains("expects codes [N, 32], got [2, 31]", e.Message, StringComparison.Ordinal);
    }

    /// <summary>PyTorch 1.13 (tests/Fixtures/make_conv_autoencoder_fixture.py): its state dict loads, and the code, logits, loss and every parameter's gradient agree.</summary>
    [Fact]
    public void MatchesPyTorch()
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        Assert.StartsWith("1.13", meta["torch"], StringComparison.Ordinal);
        var t = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var ae = new ConvAutoencoder(5, 3, DType.Float64, new Generator(0));
        Assert.Equal(meta["repr"], ae.ToString());
        const string statePrefix = "state.";
        ae.LoadStateDict(t.Where(kv => kv.Key.StartsWith(statePrefix, StringComparison.Ordinal))
            .Select(kv => KeyValuePair.Create(kv.Key[statePrefix.Length..], kv.Value)));
        var x = t["input"];
        var code = ae.Encode(x);
        var logits = ae.Decode(code);
        AssertClose(t["code"], code, 1e-12);
        AssertClose(t["output"], logits, 1e-12);
        var loss = Functional.BinaryCrossEntropyWithLogits(logits, x, Reduction.Sum);
        Assert.Equal(t["loss"].Item(), loss.Item(), 9);
        loss.Backward();
        foreach (var (name, p) in ae.NamedParameters()) AssertClose(t["grad." + name], p.Grad!, 1e-10, name);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what = "")
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        Assert.Equal(expected.DType, actual.DType);
        double[] e = expected.ToDoubleArray(), a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"{what} element {i}: PyTorch {e[i]}, Axon {a[i]}");
    }

    [Fact]
    public void TheContractivePenaltyIsTheJacobiansSquaredFrobeniusNorm()
    {
        // The encoder is piecewise linear in x (ReLUs), so central differences give its Jacobian up to rounding, one
        // input pixel (in both images at once: the samples do not interact) at a time.
        var ae = new ConvAutoencoder(3, 2, DType.Float64, new Generator(7));
        var x = Tensor.Rand([2, 1, 28, 28], new Generator(8), DType.Float64);
        double got = ae.ContractivePenalty(x).Item();
        Assert.Equal(got, FiniteDifferencePenalty(ae, x), 9);
        Assert.True(got > 1e-2, $"penalty {got}");

        // Its gradient (through second derivatives of the convolutions) against a central difference in one weight.
        var w = ((Conv2d)ae.Encoder[0]).Weight;
        ae.ContractivePenalty(x).Backward();
        double analytic = w.Grad!.ToDoubleArray()[4];
        const double h = 1e-6;
        double Shifted(double by)
        {
            using (GradMode.NoGrad()) w.View(-1).Narrow(0, 4, 1).Add_(Tensor.Scalar(by, DType.Float64));
            return ae.ContractivePenalty(x).Item();
        }
        double plus = Shifted(h), minus = Shifted(-2 * h);
        Shifted(h);
        Assert.Equal(analytic, (plus - minus) / (2 * h), 6);
        Assert.True(Math.Abs(analytic) > 1e-3, $"gradient {analytic}");
    }

    private static double FiniteDifferencePenalty(ConvAutoencoder ae, Tensor x)
    {
        const double eps = 1e-5;
        var data = x.ToDoubleArray();
        int n = x.Size(0), pixels = 28 * 28;
        double total = 0;
        using var _ = GradMode.NoGrad();
        for (int j = 0; j < pixels; j++)
        {
            var plus = (double[])data.Clone();
            var minus = (double[])data.Clone();
            for (int s = 0; s < n; s++) { plus[s * pixels + j] += eps; minus[s * pixels + j] -= eps; }
            var d = (ae.Encode(Tensor.FromArray(plus, n, 1, 28, 28)) - ae.Encode(Tensor.FromArray(minus, n, 1, 28, 28))).ToDoubleArray();
            foreach (var v in d) total += v / (2 * eps) * (v / (2 * eps));
        }
        return total;
    }

    /// <summary>32 binary discs of random centre and radius, [32, 1, 28, 28].</summary>
    private static Tensor Blobs(int count, long seed)
    {
        var p = Tensor.Rand([count, 3], new Generator(seed), DType.Float64).ToDoubleArray();
        var pixels = new float[count * 28 * 28];
        for (int k = 0; k < count; k++)
        {
            double cy = 7 + 14 * p[k * 3], cx = 7 + 14 * p[k * 3 + 1], r = 3 + 5 * p[k * 3 + 2];
            for (int i = 0; i < 28; i++)
                for (int j = 0; j < 28; j++)
                    if ((i - cy) * (i - cy) + (j - cx) * (j - cx) <= r * r) pixels[(k * 28 + i) * 28 + j] = 1;
        }
        return Tensor.FromArray(pixels, count, 1, 28, 28);
    }

    [Fact]
    public void OverfitsOneBatchOfBlobs()
    {
        var x = Blobs(32, 3);
        var ae = new ConvAutoencoder(codeSize: 16, width: 8, generator: new Generator(4));
        var task = new AutoencoderTask(ae);
        var optimizer = new Adam(ae.Parameters(), lr: 3e-3);
        double first = 0, last = 0;
        for (int i = 0; i < 150; i++)
        {
            optimizer.ZeroGrad();
            var loss = task.Loss(x, x);
            loss.Loss.Backward();
            optimizer.Step();
            last = loss.MetricSums!["reconstruction"] / 32;
            if (i == 0) first = last;
        }
        Assert.InRange(first, 450, 560); // logits near 0 at the start: 784 ln 2 = 543 nats per image
        Assert.True(last < 0.03 * first, $"reconstruction {first:F2} -> {last:F2} nats per image");
    }

    [Fact]
    public void TheTaskScoresImagesAsRowsWhateverTheirShape()
    {
        // The MLP sees [N, 1, 6, 6] and [N, 36] alike, corruption and all: every metric is the same.
        var x = Tensor.Rand([8, 1, 6, 6], new Generator(3));
        var ae = new Autoencoder([36, 12], codeActivation: () => new Sigmoid(), generator: new Generator(4));
        TaskLoss Score(Tensor input) => new AutoencoderTask(ae)
        {
            Corruption = new GaussianNoise(0.1),
            CorruptionGenerator = new Generator(5),
            L1Sparsity = 1e-3,
            Contractive = 0.1,
        }.Loss(input, input);
        var images = Score(x);
        var rows = Score(x.Reshape(8, 36));
        Assert.Equal(rows.Loss.Item(), images.Loss.Item());
        Assert.Equal(rows.MetricSums!.OrderBy(kv => kv.Key), images.MetricSums!.OrderBy(kv => kv.Key));
        Assert.Equal(["contractive", "noisy_squared_error", "reconstruction", "sparsity", "squared_error"], images.MetricSums!.Keys.Order(StringComparer.Ordinal));

        // The convolutional one reports the same metrics, per image, for its image-shaped reconstruction.
        var conv = new ConvAutoencoder(4, 2, generator: new Generator(6));
        var blobs = Blobs(2, 9);
        var score = new AutoencoderTask(conv) { Corruption = new RandomMasking(0.2), Contractive = 0.01 }.Loss(blobs, blobs);
        double sq;
        using (GradMode.NoGrad()) sq = (conv.Forward(blobs).Sigmoid() - blobs).Square().Sum().Item();
        Assert.True(score.MetricSums!["squared_error"] > 0);
        Assert.NotEqual(sq, score.MetricSums["squared_error"]); // the masked input, not the clean one, was fed
        Assert.True(score.MetricSums.ContainsKey("contractive") && score.MetricSums.ContainsKey("noisy_squared_error"));
        Assert.Throws<ArgumentException>(() => new AutoencoderTask(conv).Loss(Tensor.Zeros([2, 784]), Tensor.Zeros([2])));
    }
}
