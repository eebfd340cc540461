using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>How an autoencoder's reconstruction is scored.</summary>
public enum ReconstructionLoss
{
    /// <summary>Binary cross-entropy of the logits against pixels in [0, 1], summed over pixels (nats per image).</summary>
    BinaryCrossEntropy,

    /// <summary>Squared error of sigmoid(logits) against the pixels, summed over pixels.</summary>
    SquaredError,
}

/// <summary>
/// Trains an <see cref="Autoencoder"/> with the <see cref="Trainer"/>: the loss per image is the reconstruction of the
/// clean input from a possibly corrupted one (denoising: <see cref="Corruption"/>), plus the sparsity penalties on the
/// code (L1: λ Σ|h|; KL: β Σ_j KL(ρ ‖ ρ̂_j) with ρ̂_j the batch's mean activation of unit j, for a code in (0, 1)) and the
/// contractive penalty λ ‖J_h(x)‖²_F. The targets (class labels) are ignored. Metrics: "reconstruction" (per image)
/// and, when set, "sparsity" and "contractive".
/// </summary>
public sealed class AutoencoderTask(Autoencoder model) : TrainingTask
{
    private readonly Autoencoder model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public override Module Model => model;

    /// <summary>The reconstruction's loss.</summary>
    public ReconstructionLoss Reconstruction { get; init; } = ReconstructionLoss.BinaryCrossEntropy;

    /// <summary>The corruption of the inputs (denoising autoencoder), applied to a copy; null feeds the clean input.</summary>
    public Transform? Corruption { get; init; }

    /// <summary>The corruption's random source (seeded for a reproducible run; saved in checkpoints).</summary>
    public Generator CorruptionGenerator { get; init; } = new(0);

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, Generator> Generators => new Dictionary<string, Generator> { ["corruption"] = CorruptionGenerator };

    /// <summary>λ of the L1 penalty on the code, λ Σ|h| per image (0: none).</summary>
    public double L1Sparsity { get; init; }

    /// <summary>β of the KL sparsity penalty (0: none); needs a code in (0, 1) (a sigmoid code activation).</summary>
    public double KlSparsityWeight { get; init; }

    /// <summary>The target mean activation ρ of the KL sparsity penalty.</summary>
    public double KlSparsityTarget { get; init; } = 0.05;

    /// <summary>λ of the contractive penalty λ ‖∂h/∂x‖²_F per image (0: none).</summary>
    public double Contractive { get; init; }

    /// <inheritdoc/>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        int n = input.Size(0);
        var clean = input.Reshape(n, model.Sizes[0]);
        var fed = Corruption is null ? clean : Corruption.Apply(clean.Clone().Contiguous(), CorruptionGenerator);
        var code = model.Encode(fed);
        var logits = model.Decode(code);
        var recon = Reconstruction == ReconstructionLoss.BinaryCrossEntropy
            ? Functional.BinaryCrossEntropyWithLogits(logits, clean, Reduction.Sum) / n
            : (logits.Sigmoid() - clean).Square().Sum() / n;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["reconstruction"] = recon.Item() * n };
        using (GradMode.NoGrad())
        {
            // Σ over pixels of the squared error per image, comparable between models and with doing nothing (the corrupted input).
            metrics[SquaredErrorKey] = (logits.Sigmoid() - clean).Square().Sum().Item();
            if (Corruption is not null) metrics[NoisySquaredErrorKey] = (fed - clean).Square().Sum().Item();
        }
        var loss = recon;
        if (L1Sparsity > 0 || KlSparsityWeight > 0)
        {
            Tensor penalty = L1Sparsity > 0 ? code.Abs().Sum() * (L1Sparsity / n) : Tensor.Zeros([], code.DType, code.Device);
            if (KlSparsityWeight > 0) penalty = penalty + KlSparsity(code, KlSparsityTarget) * KlSparsityWeight;
            metrics["sparsity"] = penalty.Item() * n;
            loss = loss + penalty;
        }
        if (Contractive > 0)
        {
            var c = model.ContractivePenalty(fed) * (Contractive / n);
            metrics["contractive"] = c.Item() * n;
            loss = loss + c;
        }
        return new TaskLoss(loss, n, metrics);
    }

    /// <summary>Metric: Σ over pixels of (σ(logits) − x)², per image, x the clean image.</summary>
    public const string SquaredErrorKey = "squared_error";

    /// <summary>Metric with a corruption: Σ over pixels of (x̃ − x)², per image, x̃ the corrupted input (what returning it unchanged scores).</summary>
    public const string NoisySquaredErrorKey = "noisy_squared_error";

    /// <summary>Σ_j KL(ρ ‖ ρ̂_j) = Σ_j ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j)), ρ̂ the batch mean of each code unit.</summary>
    public static Tensor KlSparsity(Tensor code, double rho)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (rho is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(rho), rho, "KlSparsity: the target activation must be in (0, 1).");
        var mean = code.Mean([0]).Clamp(1e-6, 1 - 1e-6);
        return (rho * (rho / mean).Log() + (1 - rho) * ((1 - rho) / (1.0 - mean)).Log()).Sum();
    }
}
