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
/// Trains an autoencoder (<see cref="Autoencoder"/>, <see cref="ConvAutoencoder"/>, any <see cref="AutoencoderBase"/>) with
/// the <see cref="Trainer"/>: the loss per image is the reconstruction of the clean input from a possibly corrupted one
/// (denoising: <see cref="Corruption"/>), plus the sparsity penalties on the code (L1: λ Σ|h|; KL: β Σ_j KL(ρ ‖ ρ̂_j)
/// with ρ̂_j the batch's mean activation of unit j, for a code in (0, 1)) and the contractive penalty λ ‖J_h(x)‖²_F. The reconstruction and the clean input are compared in the input's own shape (both
/// flattened to [N, pixels] for the sums), and the code's penalties see the code flattened to [N, code size]. The
/// targets (class labels) are ignored. Metrics: "reconstruction" (per image) and, when set, "sparsity" and "contractive".
/// </summary>
public sealed class AutoencoderTask(AutoencoderBase model) : TrainingTask
{
    private readonly AutoencoderBase model = model ?? throw new ArgumentNullException(nameof(model));

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
        // The model sees the (corrupted) input in its own shape ([N, 1, 28, 28] for a convolutional encoder, anything
        // with the right number of values for the MLP); the sums below run over rows [N, pixels].
        var fed = Corruption is null ? input : Corruption.Apply(input.Clone().Contiguous(), CorruptionGenerator);
        var code = model.Encode(fed);
        var decoded = model.Decode(code);
        if (decoded.Size(0) != n || decoded.NumEl != input.NumEl)
            throw new ArgumentException($"AutoencoderTask: the reconstruction [{string.Join(", ", decoded.Shape.ToArray())}] does not match the input [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        var clean = input.Reshape(n, -1);
        var logits = decoded.Reshape(n, -1);
        var fedRows = fed.Reshape(n, -1);
        code = code.Reshape(n, -1);
        var recon = Reconstruction == ReconstructionLoss.BinaryCrossEntropy
            ? Functional.BinaryCrossEntropyWithLogits(logits, clean, Reduction.Sum) / n
            : (logits.Sigmoid() - clean).Square().Sum() / n;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["reconstruction"] = recon.Item() * n };
        using (GradMode.NoGrad())
        {
            // Σ over pixels of the squared error per image, comparable between models and with doing nothing (the corrupted input).
            metrics[SquaredErrorKey] = (logits.Sigmoid() - clean).Square().Sum().Item();
            if (Corruption is not null) metrics[NoisySquaredErrorKey] = (fedRows - clean).Square().Sum().Item();
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
