using System.Globalization;

namespace Axon.Optim;

/// <summary>Whether a monitored quantity should go down (a loss) or up (an accuracy).</summary>
public enum MetricMode
{
    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>How the improvement threshold is measured.</summary>
public enum ThresholdMode
{
    /// <summary>Relative: better than best · (1 ∓ threshold).</summary>
    Rel,

    /// <summary>Absolute: better than best ∓ threshold.</summary>
    Abs,
}

/// <summary>
/// Reduces the rate when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau. Call
/// <see cref="Step(double)"/> once per epoch with the validation metric; after more than <see cref="Patience"/> epochs without
/// improvement every group's rate is multiplied by <see cref="Factor"/> (but not below its minimum), then
/// <see cref="Cooldown"/> epochs pass before bad epochs count again.
/// </summary>
/// <remarks>
/// An epoch improves when the metric beats <see cref="Best"/> by the threshold: in <see cref="MetricMode.Min"/> mode,
/// metric &lt; best · (1 − threshold) (relative) or metric &lt; best − threshold (absolute); in Max mode the mirror image.
/// A reduction smaller than <see cref="Eps"/> is skipped. Unlike the other schedulers it neither sets <c>initial_lr</c> nor
/// changes the rates at construction, and the parameterless <see cref="Step()"/> throws (it needs the metric).
/// </remarks>
public sealed class ReduceLROnPlateau : LrScheduler
{
    private readonly double[] minLrs;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates are reduced.</param>
    /// <param name="mode">Whether the metric should decrease (loss) or increase (accuracy).</param>
    /// <param name="factor">Factor of each reduction, in (0, 1).</param>
    /// <param name="patience">Number of epochs without improvement tolerated before reducing (≥ 0).</param>
    /// <param name="threshold">Improvement threshold (≥ 0; relative in [0, 1) with <see cref="ThresholdMode.Rel"/>).</param>
    /// <param name="thresholdMode">Relative or absolute threshold.</param>
    /// <param name="cooldown">Number of epochs after a reduction during which bad epochs are not counted (≥ 0).</param>
    /// <param name="minLr">Lower bound of every group's rate (≥ 0).</param>
    /// <param name="eps">Reductions smaller than this are skipped (≥ 0).</param>
    public ReduceLROnPlateau(Optimizer optimizer, MetricMode mode = MetricMode.Min, double factor = 0.1, int patience = 10, double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, mode, factor, patience, threshold, thresholdMode, cooldown, Repeat(optimizer, minLr), eps)
    {
    }

    /// <summary>Creates the scheduler with a minimum rate per parameter group (the other arguments as in the other constructor).</summary>
    public ReduceLROnPlateau(Optimizer optimizer, MetricMode mode, double factor, int patience, double threshold, ThresholdMode thresholdMode, int cooldown,
        IReadOnlyList<double> minLrs, double eps = 1e-8)
        : base(optimizer, recordInitialLr: false)
    {
        ArgumentNullException.ThrowIfNull(minLrs);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown metric mode.");
        if (!Enum.IsDefined(thresholdMode)) throw new ArgumentOutOfRangeException(nameof(thresholdMode), thresholdMode, "Unknown threshold mode.");
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1).");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be non-negative.");
        CheckNonNegative(threshold, nameof(threshold));
        if (thresholdMode == ThresholdMode.Rel && threshold >= 1) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A relative threshold must be below 1.");
        if (cooldown < 0) throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "cooldown must be non-negative.");
        if (minLrs.Count != optimizer.ParamGroups.Count) throw new ArgumentException($"Expected {optimizer.ParamGroups.Count} minimum rates (one per parameter group), got {minLrs.Count}.", nameof(minLrs));
        foreach (double m in minLrs) CheckNonNegative(m, "minLr");
        CheckNonNegative(eps, nameof(eps));
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        this.minLrs = [.. minLrs];
        Eps = eps;
        Best = WorstValue;
    }

    /// <summary>Whether the metric should decrease or increase.</summary>
    public MetricMode Mode { get; }

    /// <summary>Factor of each reduction.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>Improvement threshold.</summary>
    public double Threshold { get; }

    /// <summary>Relative or absolute threshold.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>Epochs after a reduction during which bad epochs are ignored.</summary>
    public int Cooldown { get; }

    /// <summary>Lower bounds of the groups' rates.</summary>
    public IReadOnlyList<double> MinLrs => minLrs;

    /// <summary>Smallest reduction applied.</summary>
    public double Eps { get; }

    /// <summary>The best metric so far (+∞ in Min mode, −∞ in Max mode before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>True during the cooldown after a reduction.</summary>
    public bool InCooldown => CooldownCounter > 0;

    private double WorstValue => Mode == MetricMode.Min ? double.PositiveInfinity : double.NegativeInfinity;

    private static double[] Repeat(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return [.. Enumerable.Repeat(value, optimizer.ParamGroups.Count)];
    }

    /// <summary>Throws: this scheduler needs the metric, see <see cref="Step(double)"/>.</summary>
    public override void Step() => throw new InvalidOperationException("ReduceLROnPlateau needs the monitored metric: call Step(metric).");

    /// <summary>Records the epoch's <paramref name="metric"/> (e.g. the validation loss) and reduces the rates after a plateau.</summary>
    public void Step(double metric)
    {
        CheckGroups();
        LastEpoch++;
        if (IsBetter(metric, Best))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else NumBadEpochs++;

        if (InCooldown)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }

        if (NumBadEpochs > Patience)
        {
            var groups = Optimizer.ParamGroups;
            for (int g = 0; g < groups.Count; g++)
            {
                double oldLr = groups[g].Lr;
                double newLr = Math.Max(oldLr * Factor, minLrs[g]);
                if (oldLr - newLr > Eps) groups[g].Lr = newLr;
            }
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        RecordLastLr();
    }

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/> by the threshold (NaN never does).</summary>
    public bool IsBetter(double value, double best) => (Mode, ThresholdMode) switch
    {
        (MetricMode.Min, ThresholdMode.Rel) => value < best * (1.0 - Threshold),
        (MetricMode.Min, ThresholdMode.Abs) => value < best - Threshold,
        (MetricMode.Max, ThresholdMode.Rel) => value > best * (Threshold + 1.0),
        _ => value > best + Threshold,
    };

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) => currentLr;

    /// <inheritdoc/>
    protected internal override void InitialStep() => throw new NotSupportedException("ReduceLROnPlateau cannot be part of a SequentialLR.");

    internal override void RestartAtZero() => throw new NotSupportedException("ReduceLROnPlateau cannot be part of a SequentialLR.");

    /// <inheritdoc/>
    protected override void SaveState(Dictionary<string, double> state)
    {
        state["best"] = Best;
        state["num_bad_epochs"] = NumBadEpochs;
        state["cooldown_counter"] = CooldownCounter;
    }

    /// <inheritdoc/>
    protected override void LoadState(IReadOnlyDictionary<string, double> state)
    {
        double best = ReadEntry(state, "best");
        int bad = ReadCount(state, "num_bad_epochs"), cool = ReadCount(state, "cooldown_counter");
        if (double.IsNaN(best)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Scheduler state dict: 'best' is NaN."), nameof(state));
        Best = best;
        NumBadEpochs = bad;
        CooldownCounter = cool;
    }
}
