using System.Globalization;
using Axon.Nn;

namespace Axon.Optim;

/// <summary>
/// Early stopping on a validation metric, the lecture's regulariser "stop when the validation error stops decreasing":
/// call <see cref="Step"/> once per epoch with the validation loss (or accuracy, in <see cref="MetricMode.Max"/> mode); it
/// returns true once <see cref="Patience"/> consecutive epochs have not improved on the best value by more than
/// <see cref="MinDelta"/>. With <c>restoreBestWeights</c> it keeps a copy of the model's state dict (weights and buffers)
/// from the best epoch, which <see cref="RestoreBest"/> loads back.
/// <code>
/// var stopper = new EarlyStopping(patience: 5, restoreBestWeights: true);
/// for (int epoch = 0; epoch &lt; maxEpochs; epoch++)
/// {
///     TrainOneEpoch();
///     if (stopper.Step(ValidationLoss(), model)) break;
/// }
/// stopper.RestoreBest(model);
/// </code>
/// </summary>
public sealed class EarlyStopping
{
    private List<KeyValuePair<string, Tensor>>? bestState;

    /// <summary>Creates the criterion.</summary>
    /// <param name="patience">Number of consecutive epochs without improvement after which to stop (≥ 1).</param>
    /// <param name="minDelta">Smallest change that counts as an improvement (≥ 0).</param>
    /// <param name="mode">Whether the metric should decrease (a loss) or increase (an accuracy).</param>
    /// <param name="restoreBestWeights">Keep a copy of the model's state at the best epoch (pass the model to <see cref="Step"/>).</param>
    public EarlyStopping(int patience = 10, double minDelta = 0, MetricMode mode = MetricMode.Min, bool restoreBestWeights = false)
    {
        if (patience < 1) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be at least 1 epoch.");
        if (!(minDelta >= 0) || double.IsInfinity(minDelta)) throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be finite and non-negative.");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown metric mode.");
        Patience = patience;
        MinDelta = minDelta;
        Mode = mode;
        RestoreBestWeights = restoreBestWeights;
        Reset();
    }

    /// <summary>Consecutive epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Whether lower or higher is better.</summary>
    public MetricMode Mode { get; }

    /// <summary>Whether the best epoch's state dict is kept.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The best metric so far (±∞ before the first epoch).</summary>
    public double Best { get; private set; }

    /// <summary>The epoch (0-based count of <see cref="Step"/> calls) of the best metric, or −1 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The number of epochs recorded.</summary>
    public int Epochs { get; private set; }

    /// <summary>Consecutive epochs without improvement.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>True once <see cref="NumBadEpochs"/> has reached <see cref="Patience"/>.</summary>
    public bool ShouldStop => NumBadEpochs >= Patience;

    /// <summary>True when a copy of the best weights is held.</summary>
    public bool HasBestWeights => bestState is not null;

    /// <summary>Forgets the history (and the copy of the best weights).</summary>
    public void Reset()
    {
        Best = Mode == MetricMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        BestEpoch = -1;
        Epochs = 0;
        NumBadEpochs = 0;
        DisposeBest();
    }

    /// <summary>
    /// Records one epoch's validation <paramref name="metric"/>; returns <see cref="ShouldStop"/>. An epoch improves when the
    /// metric is below best − minDelta (Min mode) or above best + minDelta (Max mode); NaN never improves.
    /// </summary>
    /// <param name="metric">The epoch's validation metric.</param>
    /// <param name="model">The model whose state to copy at an improvement (required with <see cref="RestoreBestWeights"/>).</param>
    public bool Step(double metric, Module? model = null)
    {
        if (RestoreBestWeights && model is null) throw new ArgumentNullException(nameof(model), "EarlyStopping was created with restoreBestWeights: pass the model to Step.");
        bool improved = Mode == MetricMode.Min ? metric < Best - MinDelta : metric > Best + MinDelta;
        if (improved)
        {
            Best = metric;
            BestEpoch = Epochs;
            NumBadEpochs = 0;
            if (RestoreBestWeights)
            {
                DisposeBest();
                bestState = [.. model!.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, TensorScope.Unscoped(kv.Value.CloneData)))];
            }
        }
        else NumBadEpochs++;
        Epochs++;
        return ShouldStop;
    }

    /// <summary>Loads the best epoch's weights and buffers into <paramref name="model"/>; returns false (and changes nothing) when none were kept.</summary>
    public bool RestoreBest(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (bestState is null) return false;
        model.LoadStateDict(bestState);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"EarlyStopping(best={Best} at epoch {BestEpoch}, bad epochs {NumBadEpochs}/{Patience}, min_delta={MinDelta}, mode={Mode})");

    private void DisposeBest()
    {
        if (bestState is null) return;
        foreach (var (_, t) in bestState) t.Dispose();
        bestState = null;
    }
}
