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
        int w2 = 2 * width;
        var g = new Sequential(
            new Linear(latent, w2 * 7 * 7, bias: false, generator: generator), new BatchNorm1d(w2 * 7 * 7), new ReLU(),
            new Unflatten(1, w2, 7, 7),
            new ConvTranspose2d(w2, width, 4, stride: 2, padding: 1, bias: false, generator: generator), new BatchNorm2d(width), new ReLU(),
            new ConvTranspose2d(width, 1, 4, stride: 2, padding: 1, generator: generator), new Tanh());
        var d = new Sequential(
            new Conv2d(1, width, 4, stride: 2, padding: 1, generator: generator), new LeakyReLU(0.2),
            new Conv2d(width, w2, 4, stride: 2, padding: 1, bias: false, generator: generator), new BatchNorm2d(w2), new LeakyReLU(0.2),
            new Flatten(), new Linear(w2 * 7 * 7, 1, generator: generator));
        var gan = new Gan(g, d, latent);
        using (GradMode.NoGrad())
        {
            foreach (var (name, p) in gan.NamedParameters())
            {
                // BatchNorm scales (rank-1 "weight" of a BatchNorm) N(1, 0.02); other weights N(0, 0.02); biases 0.
                if (name.EndsWith(".bias", StringComparison.Ordinal)) Init.Zeros(p);
                else if (p.Rank == 1) Init.Normal(p, 1, 0.02, generator);
                else Init.Normal(p, 0, 0.02, generator);
            }
        }
        return gan;
    }
}
