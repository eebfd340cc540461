using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// Goodfellow et al.'s fully connected GAN for 28×28 single-channel images, as <see cref="Gan"/>:
/// <list type="bullet">
/// <item>generator: z → Linear → LeakyReLU 0.2 → Linear → LeakyReLU 0.2 → Linear to 784 → Tanh → [N, 1, 28, 28], so
/// samples lie in [−1, 1] and the real images must be scaled there (x ↦ 2x − 1);</item>
/// <item>discriminator: Flatten → Linear → LeakyReLU 0.2 → Linear → LeakyReLU 0.2 → Linear to one logit.</item>
/// </list>
/// Layers start with PyTorch's default initialisation.
/// </summary>
public static class MlpGan
{
    /// <summary>Builds the pair with hidden sizes <paramref name="hidden"/> and 2·hidden (generator: hidden then 2·hidden; discriminator: the reverse).</summary>
    public static Gan Create(int latent = 64, int hidden = 256, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latent, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        int h2 = 2 * hidden;
        var g = new Sequential(
            new Linear(latent, hidden, generator: generator), new LeakyReLU(0.2),
            new Linear(hidden, h2, generator: generator), new LeakyReLU(0.2),
            new Linear(h2, 784, generator: generator), new Tanh(), new Unflatten(1, 1, 28, 28));
        var d = new Sequential(
            new Flatten(), new Linear(784, h2, generator: generator), new LeakyReLU(0.2),
            new Linear(h2, hidden, generator: generator), new LeakyReLU(0.2),
            new Linear(hidden, 1, generator: generator));
        return new Gan(g, d, latent);
    }
}
