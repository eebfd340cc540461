using System.Globalization;

namespace Axon.Optim;

/// <summary>
/// Base class of the learning-rate decay policies, as torch.optim.lr_scheduler.LRScheduler. It wraps an optimiser and,
/// at each <see cref="Step"/>, sets every group's learning rate for the next epoch (or iteration, if stepped per batch):
/// <code>
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     foreach (var (x, y) in loader) { optimizer.ZeroGrad(); loss(x, y).Backward(); optimizer.Step(); }
///     scheduler.Step();   // after the epoch's optimiser steps, as in PyTorch
/// }
/// </code>
/// Construction records each group's starting rate as <see cref="ParamGroup.InitialLr"/> (unless an earlier scheduler
/// already did) and leaves the rate at its epoch-0 value, so the first epoch trains with the initial rate.
/// </summary>
public abstract class LrScheduler
{
    private readonly double[] baseLrs;
    private readonly double[] lastLr;

    /// <summary>Attaches the scheduler to <paramref name="optimizer"/> and performs PyTorch's initial step (epoch 0).</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        var groups = optimizer.ParamGroups;
        baseLrs = new double[groups.Count];
        lastLr = new double[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            if (!groups[g].Has(ParamGroup.InitialLrKey)) groups[g][ParamGroup.InitialLrKey] = groups[g].Lr;
            baseLrs[g] = groups[g][ParamGroup.InitialLrKey];
            lastLr[g] = groups[g].Lr;
        }
    }

    /// <summary>The optimiser whose rates the scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The number of <see cref="Step"/> calls so far (PyTorch's <c>last_epoch</c>; 0 after construction).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The rates the groups started from (their <see cref="ParamGroup.InitialLr"/>).</summary>
    public IReadOnlyList<double> BaseLrs => baseLrs;

    /// <summary>The rate of each group as last set by the scheduler (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => lastLr;

    /// <summary>Advances one epoch and sets each group's learning rate for it.</summary>
    public void Step()
    {
        LastEpoch++;
        var groups = Optimizer.ParamGroups;
        if (groups.Count != baseLrs.Length) throw new InvalidOperationException($"The optimizer now has {groups.Count} parameter groups; the scheduler was created for {baseLrs.Length}.");
        for (int g = 0; g < groups.Count; g++)
        {
            double lr = ComputeLr(LastEpoch, groups[g].Lr, baseLrs[g]);
            groups[g].Lr = lr;
            lastLr[g] = lr;
        }
    }

    /// <summary>The rate for <paramref name="epoch"/> (≥ 1) of a group whose current rate is <paramref name="currentLr"/> and initial rate <paramref name="baseLr"/>.</summary>
    protected abstract double ComputeLr(int epoch, double currentLr, double baseLr);

    /// <summary>The scheduler's counters: <c>last_epoch</c>, <c>base_lrs.{g}</c> and <c>last_lr.{g}</c>.</summary>
    public Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal) { ["last_epoch"] = LastEpoch };
        for (int g = 0; g < baseLrs.Length; g++)
        {
            d[FormattableString.Invariant($"base_lrs.{g}")] = baseLrs[g];
            d[FormattableString.Invariant($"last_lr.{g}")] = lastLr[g];
        }
        return d;
    }

    /// <summary>Restores counters saved by <see cref="StateDict"/> (the optimiser's rates are restored by its own state dict).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue("last_epoch", out var epoch) || epoch < 0 || epoch != Math.Floor(epoch))
            throw new ArgumentException("Scheduler state dict: missing or invalid 'last_epoch'.", nameof(state));
        var b = new double[baseLrs.Length];
        var l = new double[lastLr.Length];
        for (int g = 0; g < baseLrs.Length; g++)
        {
            string bk = FormattableString.Invariant($"base_lrs.{g}"), lk = FormattableString.Invariant($"last_lr.{g}");
            if (!state.TryGetValue(bk, out b[g]) || !state.TryGetValue(lk, out l[g]))
                throw new ArgumentException($"Scheduler state dict: missing '{bk}' or '{lk}' (the scheduler has {baseLrs.Length} groups).", nameof(state));
        }
        LastEpoch = (int)epoch;
        b.CopyTo(baseLrs, 0);
        l.CopyTo(lastLr, 0);
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and positive.</summary>
    protected static void CheckPositive(double value, string paramName)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be finite and positive, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }
}

/// <summary>
/// Step decay, the lecture's most common policy ("constant during a number of epochs, then divide by a given factor"),
/// as torch.optim.lr_scheduler.StepLR: the rate is multiplied by <see cref="Gamma"/> every <see cref="StepSize"/> epochs,
/// so lr_epoch = lr_0 · gamma^⌊epoch / stepSize⌋. With lr 0.1, stepSize 2, gamma 0.1 the epochs run at 0.1, 0.1, 0.01, 0.01, 0.001, ...
/// Like PyTorch's it is chainable: it multiplies the group's current rate, so manual changes are kept.
/// </summary>
public sealed class StepLR : LrScheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates decay.</param>
    /// <param name="stepSize">Period of the decay in epochs (&gt; 0).</param>
    /// <param name="gamma">Multiplicative factor (&gt; 0; typically 0.1).</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "stepSize must be a positive number of epochs.");
        CheckPositive(gamma, nameof(gamma));
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Period of the decay in epochs.</summary>
    public int StepSize { get; }

    /// <summary>Multiplicative factor applied every <see cref="StepSize"/> epochs.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch, double currentLr, double baseLr) =>
        epoch % StepSize == 0 ? currentLr * Gamma : currentLr;
}

/// <summary>
/// Exponential decay, as torch.optim.lr_scheduler.ExponentialLR: the rate is multiplied by <see cref="Gamma"/> every epoch,
/// lr_epoch = lr_0 · gamma^epoch (chainable: it multiplies the current rate).
/// </summary>
public sealed class ExponentialLR : LrScheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates decay.</param>
    /// <param name="gamma">Multiplicative factor per epoch (&gt; 0).</param>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        CheckPositive(gamma, nameof(gamma));
        Gamma = gamma;
    }

    /// <summary>Multiplicative factor per epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch, double currentLr, double baseLr) => currentLr * Gamma;
}

/// <summary>
/// The 1/t policy: lr_t = lr_0 / (1 + decay · t), or more generally lr_t = lr_0 · (1 + decay · t)^(−power).
/// With power 1 the rates satisfy the Robbins-Monro conditions the lecture states for SGD
/// (ε_t → 0, Σ ε_t = ∞, Σ ε_t² &lt; ∞), and so does any power in (1/2, 1]. The rate is computed from the group's
/// initial rate (closed form, like LambdaLR), so it is exact at every epoch.
/// </summary>
public sealed class InverseTimeLR : LrScheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates decay.</param>
    /// <param name="decay">Decay rate per epoch (≥ 0; 0 keeps the rate constant).</param>
    /// <param name="power">Exponent of the decay (&gt; 0; 1 for the 1/t policy).</param>
    public InverseTimeLR(Optimizer optimizer, double decay, double power = 1.0) : base(optimizer)
    {
        if (!(decay >= 0) || double.IsInfinity(decay)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be finite and non-negative.");
        CheckPositive(power, nameof(power));
        Decay = decay;
        Power = power;
    }

    /// <summary>Decay rate per epoch.</summary>
    public double Decay { get; }

    /// <summary>Exponent of the decay.</summary>
    public double Power { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch, double currentLr, double baseLr) =>
        Power == 1.0 ? baseLr / (1 + Decay * epoch) : baseLr * Math.Pow(1 + Decay * epoch, -Power);
}
