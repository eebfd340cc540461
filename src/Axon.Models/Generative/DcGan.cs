using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// The DCGAN of Radford et al. (2016) sized for 28×28 single-channel images (Fashion-MNIST), as <see cref="Gan"/>:
/// <list type="bullet">
/// <item>generator: z → Linear → BatchNorm1d, ReLU → [2w, 7, 7] → ConvTranspose2d 4×4 stride 2 (14×14) → BatchNorm2d,
/// ReLU → ConvTranspose2d 4×4 stride 2 (28×28) → Tanh, so samples lie in [−1, 1] and the real images must be scaled
/// there (x ↦ 2x − 1);</item>
/// <item>discriminator: Conv2d 4×4 stride 2 (14×14) → LeakyReLU 0.2 → Conv2d 4×4 stride 2 (7×7) → BatchNorm2d,
/// LeakyReLU 0.2 → Flatten → Linear to one logit (no pooling, strided convolutions only, as the paper asks).</item>
/// </list>
/// Weights start as the paper's: convolutions and linear layers N(0, 0.02), batch-norm scales N(1, 0.02), biases 0.
/// </summary>
public static class DcGan
{
    /// <summary>Builds the pair; <paramref name="width"/> is the discriminator's first channel count (64 in the paper).</summary>
    public static Gan Create(int latent = 64, int width = 64, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latent, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var g = CreateGenerator(latent, width, generator);
        var d = CreateTrunk(width, generator);
        d.Append(new Linear(2 * width * 7 * 7, 1, generator: generator));
        var gan = new Gan(g, d, latent);
        InitializeWeights(gan, generator);
        return gan;
    }

    /// <summary>
    /// The generator: z [N, latent] → Linear (no bias) → BatchNorm1d, ReLU → [2w, 7, 7] → ConvTranspose2d 4×4 stride 2 →
    /// BatchNorm2d, ReLU → ConvTranspose2d 4×4 stride 2 → Tanh: [N, 1, 28, 28] in [−1, 1]. Not yet initialised.
    /// </summary>
    public static Sequential CreateGenerator(int latent, int width, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latent, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        int w2 = 2 * width;
        return new Sequential(
            new Linear(latent, w2 * 7 * 7, bias: false, generator: generator), new BatchNorm1d(w2 * 7 * 7), new ReLU(),
            new Unflatten(1, w2, 7, 7),
            new ConvTranspose2d(w2, width, 4, stride: 2, padding: 1, bias: false, generator: generator), new BatchNorm2d(width), new ReLU(),
            new ConvTranspose2d(width, 1, 4, stride: 2, padding: 1, generator: generator), new Tanh());
    }

    /// <summary>
    /// The discriminator's body: Conv2d 4×4 stride 2 → LeakyReLU 0.2 → Conv2d 4×4 stride 2 (no bias) → BatchNorm2d,
    /// LeakyReLU 0.2 → Flatten: [N, 1, 28, 28] → [N, 2w · 7 · 7]. Not yet initialised.
    /// </summary>
    public static Sequential CreateTrunk(int width, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        int w2 = 2 * width;
        return new Sequential(
            new Conv2d(1, width, 4, stride: 2, padding: 1, generator: generator), new LeakyReLU(0.2),
            new Conv2d(width, w2, 4, stride: 2, padding: 1, bias: false, generator: generator), new BatchNorm2d(w2), new LeakyReLU(0.2),
            new Flatten());
    }

    /// <summary>
    /// The paper's initialisation, in place: biases 0, batch-norm scales (rank-1 weights) N(1, 0.02), every other
    /// weight N(0, 0.02).
    /// </summary>
    public static void InitializeWeights(Nn.Module model, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(model);
        using (GradMode.NoGrad())
        {
            foreach (var (name, p) in model.NamedParameters())
            {
                if (name.EndsWith(".bias", StringComparison.Ordinal)) Init.Zeros(p);
                else if (p.Rank == 1) Init.Normal(p, 1, 0.02, generator);
                else Init.Normal(p, 0, 0.02, generator);
            }
        }
    }
}
