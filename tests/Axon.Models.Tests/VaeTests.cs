using Axon.Models.Generative;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>The variational autoencoder: its ELBO terms, the reparameterisation's gradient, training, and its pictures' tensors.</summary>
public sealed class VaeTests
{
    [Fact]
    public void NegativeElboIsBernoulliCrossEntropyPlusTheClosedFormKl()
    {
        // Logits 0 (p = 1/2) cost ln 2 per pixel whatever the image; KL of N((1, 0), diag(1, 2)) to N(0, I) is
        // -1/2 [(1 + 0 - 1 - 1) + (1 + ln 2 - 0 - 2)] = 1 - ln 2 / 2.
        var logits = Tensor.Zeros([2, 6]);
        var mean = Tensor.FromArray([1f, 0f, 1f, 0f], 2, 2);
        var logVar = Tensor.FromArray([0f, MathF.Log(2), 0f, MathF.Log(2)], 2, 2);
        var x = Tensor.FromArray([0f, 1f, 0.5f, 1f, 0f, 0.25f, 1f, 1f, 1f, 0f, 0f, 0f], 2, 1, 2, 3);
        var (loss, reconstruction, kl) = Vae.NegativeElbo(new VaeOutput(logits, mean, logVar, mean), x);
        Assert.Equal(6 * Math.Log(2), reconstruction, 5);
        Assert.Equal(1 - Math.Log(2) / 2, kl, 5);
        Assert.Equal(reconstruction + kl, loss.Item(), 5);
    }

    [Fact]
    public void TheReparameterisedDrawPassesGradientsToMeanAndLogVariance()
    {
        var vae = new Vae(8, 4, 3, generator: new Generator(1), noise: new Generator(7));
        var mean = Tensor.FromArray([0.5f, -1f, 2f], 1, 3).RequiresGrad_();
        var logVar = Tensor.FromArray([0f, 1f, -2f], 1, 3).RequiresGrad_();
        var z = vae.Reparameterize(mean, logVar);
        z.Sum().Backward();
        var eps = Tensor.Randn([1, 3], new Generator(7)).ToArray<float>();
        var expectedZ = new[] { 0.5f + eps[0], -1f + MathF.Exp(0.5f) * eps[1], 2f + MathF.Exp(-1f) * eps[2] };
        Assert.Equal(expectedZ, z.ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-5);
        // dz/dmean = 1; dz/dlogVar = exp(logVar / 2) ε / 2.
        Assert.Equal([1f, 1f, 1f], mean.Grad!.ToArray<float>());
        Assert.Equal(new[] { 0.5f * eps[0], 0.5f * MathF.Exp(0.5f) * eps[1], 0.5f * MathF.Exp(-1f) * eps[2] }, logVar.Grad!.ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void ItLearnsABatchOfBinaryImages()
    {
        // Eight fixed 8x8 binary patterns: -ELBO starts near 64 ln 2 = 44.4 nats and falls well below it.
        var g = new Generator(3);
        var x = Tensor.Rand([8, 1, 8, 8], g).Gt(0.5).To(DType.Float32);
        var vae = new Vae(64, 64, 4, generator: new Generator(4), noise: new Generator(5));
        var task = new VaeTask(vae);
        var optimizer = new Adam(vae.Parameters(), lr: 0.01);
        double first = 0, last = 0;
        for (int step = 0; step < 400; step++)
        {
            optimizer.ZeroGrad();
            var loss = task.Loss(x, x).Loss;
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.InRange(first, 40, 50);
        Assert.True(last < 15, $"-ELBO {last:F2} after 400 steps (started at {first:F2})");
    }

    [Fact]
    public void SamplesInterpolationsAndTraversalsDecodeToPixelProbabilities()
    {
        var vae = new Vae(16, 8, 3, generator: new Generator(1), noise: new Generator(2));
        var samples = vae.Sample(5, new Generator(9));
        Assert.Equal([5, 16], samples.Shape.ToArray());
        Assert.All(samples.ToArray<float>(), p => Assert.InRange(p, 0f, 1f));
        var a = Tensor.Rand([1, 16], new Generator(3));
        var b = Tensor.Rand([1, 16], new Generator(4));
        var path = vae.Interpolate(a, b, 4);
        Assert.Equal([4, 16], path.Shape.ToArray());
        // The ends are the decoded posterior means of the two images.
        Assert.Equal(vae.Decode(vae.Encode(a).Mean).Sigmoid().ToArray<float>(), path.ToArray<float>().Take(16), (p, q) => Math.Abs(p - q) < 1e-6);
        Assert.Equal(vae.Decode(vae.Encode(b).Mean).Sigmoid().ToArray<float>(), path.ToArray<float>().Skip(48), (p, q) => Math.Abs(p - q) < 1e-6);
        var traversal = vae.Traverse(a, 1, [-2, 0, 2]);
        Assert.Equal([3, 16], traversal.Shape.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => vae.Traverse(a, 3, [0]));
    }

    [Fact]
    public void WrongShapesAreErrorsNamingThem()
    {
        var vae = new Vae(16, 8, 3);
        var e = Assert.Throws<ArgumentException>(() => vae.Call(Tensor.Zeros([2, 15])));
        Assert.Contains("each input must hold 16 values", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 15]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => vae.Decode(Tensor.Zeros([2, 4])));
        Assert.Contains("codes must be [N, 3], got [2, 4]", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("Vae(\n  latent=3\n  (fc1): Linear(in_features=16, out_features=8, bias=True)\n", vae.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
