using Axon.Models.Training;

namespace Axon.Models.Generative;

/// <summary>
/// Trains a <see cref="Vae"/> with the <see cref="Trainer"/>: the loss is −ELBO in nats per image (the targets, class
/// labels, are ignored), and the metrics "reconstruction" (−log p(x|z)) and "kl" (KL(q(z|x) ‖ N(0, I))) are its two
/// parts, so a validation score reports the test ELBO as −loss.
/// </summary>
public sealed class VaeTask(Vae vae) : TrainingTask
{
    private readonly Vae vae = vae ?? throw new ArgumentNullException(nameof(vae));

    /// <inheritdoc/>
    public override Nn.Module Model => vae;

    /// <summary>The model's source of ε, saved in checkpoints.</summary>
    public override IReadOnlyDictionary<string, Generator> Generators => new Dictionary<string, Generator> { ["noise"] = vae.Noise };

    /// <inheritdoc/>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = vae.Call(input);
        var (loss, reconstruction, kl) = Vae.NegativeElbo(output, input);
        int n = input.Size(0);
        return new TaskLoss(loss, n, new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["reconstruction"] = reconstruction * n,
            ["kl"] = kl * n,
        });
    }
}
