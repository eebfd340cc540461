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
/// already did) and performs PyTorch's initial step: the rate for epoch 0 (unchanged for most policies; a warm-up's
/// start factor for <see cref="LinearLR"/>, max_lr / div_factor for <see cref="OneCycleLR"/>).
/// </summary>
/// <remarks>
/// <para>Like PyTorch, the policies are computed in PyTorch's <em>recursive</em> ("chainable") form where PyTorch uses one
/// (each step multiplies or shifts the group's current rate, so several schedulers can act on one optimiser, see
/// <see cref="ChainedScheduler"/>), with the same floating-point expressions, so that the sequence of rates matches
/// PyTorch's to rounding (tests/Fixtures/make_schedule_fixtures.py records them).</para>
/// <para>Subclasses implement <see cref="ComputeLr"/> (PyTorch's <c>get_lr</c>) and call <see cref="InitialStep"/> at the
/// end of their constructor; those with extra counters override <see cref="SaveState"/> and <see cref="LoadState"/>.</para>
/// </remarks>
public abstract class LrScheduler
{
    private readonly double[] baseLrs;
    private readonly double[] lastLr;

    /// <summary>Attaches the scheduler to <paramref name="optimizer"/>; the subclass's constructor then calls <see cref="InitialStep"/>.</summary>
    protected LrScheduler(Optimizer optimizer) : this(optimizer, recordInitialLr: true)
    {
    }

    /// <summary>Attaches the scheduler; without <paramref name="recordInitialLr"/> the base rates are the current ones and <c>initial_lr</c> is left alone.</summary>
    private protected LrScheduler(Optimizer optimizer, bool recordInitialLr)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        var groups = optimizer.ParamGroups;
        baseLrs = new double[groups.Count];
        lastLr = new double[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            if (recordInitialLr && !groups[g].Has(ParamGroup.InitialLrKey)) groups[g][ParamGroup.InitialLrKey] = groups[g].Lr;
            baseLrs[g] = recordInitialLr ? groups[g][ParamGroup.InitialLrKey] : groups[g].Lr;
            lastLr[g] = groups[g].Lr;
        }
    }

    /// <summary>The optimiser whose rates the scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The number of <see cref="Step"/> calls so far (PyTorch's <c>last_epoch</c>; 0 after construction).</summary>
    public int LastEpoch { get; internal set; }

    /// <summary>The rates the groups started from (their <see cref="ParamGroup.InitialLr"/>).</summary>
    public IReadOnlyList<double> BaseLrs => baseLrs;

    /// <summary>The rate of each group as last set by the scheduler (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => lastLr;

    /// <summary>Advances one epoch and sets each group's learning rate for it.</summary>
    public virtual void Step()
    {
        CheckGroups();
        LastEpoch++;
        SetLrs(g => ComputeLr(g, LastEpoch, Optimizer.ParamGroups[g].Lr, baseLrs[g]));
    }

    /// <summary>
    /// PyTorch's <c>get_lr</c>: the rate of group <paramref name="groupIndex"/> for <paramref name="epoch"/> (0 at the initial
    /// step, then ≥ 1), given its current rate <paramref name="currentLr"/> and initial rate <paramref name="baseLr"/>.
    /// </summary>
    protected abstract double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr);

    /// <summary>
    /// PyTorch's <c>_get_closed_form_lr</c> (the rate at <paramref name="epoch"/> from the initial rate alone), used when a
    /// <see cref="SequentialLR"/> hands over to this scheduler (PyTorch's <c>step(0)</c>). Defaults to <see cref="ComputeLr"/>,
    /// as PyTorch does for policies without a closed form.
    /// </summary>
    protected virtual double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr) => ComputeLr(groupIndex, epoch, currentLr, baseLr);

    /// <summary>PyTorch's <c>_initial_step</c>: sets <see cref="LastEpoch"/> to 0 and the rates for epoch 0. Call it at the end of the constructor.</summary>
    protected internal virtual void InitialStep()
    {
        CheckGroups();
        LastEpoch = 0;
        SetLrs(g => ComputeLr(g, 0, Optimizer.ParamGroups[g].Lr, baseLrs[g]));
    }

    /// <summary>PyTorch's deprecated <c>step(0)</c>, which <see cref="SequentialLR"/> uses at a milestone: restarts the policy at epoch 0 in closed form.</summary>
    internal virtual void RestartAtZero()
    {
        CheckGroups();
        LastEpoch = 0;
        SetLrs(g => ClosedFormLr(g, 0, Optimizer.ParamGroups[g].Lr, baseLrs[g]));
    }

    /// <summary>Computes every group's rate with <paramref name="lrOf"/> (all before assigning any, as PyTorch) and sets them.</summary>
    private protected void SetLrs(Func<int, double> lrOf)
    {
        var groups = Optimizer.ParamGroups;
        var values = new double[groups.Count];
        for (int g = 0; g < values.Length; g++) values[g] = lrOf(g);
        for (int g = 0; g < values.Length; g++) groups[g].Lr = values[g];
        RecordLastLr();
    }

    /// <summary>Records the groups' current rates as <see cref="LastLr"/>.</summary>
    private protected void RecordLastLr()
    {
        var groups = Optimizer.ParamGroups;
        for (int g = 0; g < lastLr.Length; g++) lastLr[g] = groups[g].Lr;
    }

    /// <summary>Throws if parameter groups were added since the scheduler was created.</summary>
    private protected void CheckGroups()
    {
        int n = Optimizer.ParamGroups.Count;
        if (n != baseLrs.Length) throw new InvalidOperationException($"The optimizer now has {n} parameter groups; the scheduler was created for {baseLrs.Length}.");
    }

    /// <summary>
    /// The scheduler's counters: <c>last_epoch</c>, <c>base_lrs.{g}</c> and <c>last_lr.{g}</c>, plus what the policy adds
    /// (e.g. <c>T_cur</c> and <c>T_i</c> for warm restarts, <c>_schedulers.{i}.*</c> for composites). The hyper-parameters given to
    /// the constructor are not included: restore into a scheduler built with the same arguments.
    /// </summary>
    public Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal) { ["last_epoch"] = LastEpoch };
        for (int g = 0; g < baseLrs.Length; g++)
        {
            d[FormattableString.Invariant($"base_lrs.{g}")] = baseLrs[g];
            d[FormattableString.Invariant($"last_lr.{g}")] = lastLr[g];
        }
        SaveState(d);
        return d;
    }

    /// <summary>Restores counters saved by <see cref="StateDict"/> (the optimiser's rates are restored by its own state dict). Nothing changes if it throws.</summary>
    /// <exception cref="ArgumentException">An entry is missing or invalid.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // -1 is the state of a SequentialLR's scheduler that has not started yet.
        if (!state.TryGetValue("last_epoch", out var epoch) || epoch < -1 || epoch != Math.Floor(epoch) || epoch > int.MaxValue)
            throw new ArgumentException("Scheduler state dict: missing or invalid 'last_epoch'.", nameof(state));
        var b = new double[baseLrs.Length];
        var l = new double[lastLr.Length];
        for (int g = 0; g < baseLrs.Length; g++)
        {
            string bk = FormattableString.Invariant($"base_lrs.{g}"), lk = FormattableString.Invariant($"last_lr.{g}");
            if (!state.TryGetValue(bk, out b[g]) || !state.TryGetValue(lk, out l[g]))
                throw new ArgumentException($"Scheduler state dict: missing '{bk}' or '{lk}' (the scheduler has {baseLrs.Length} groups).", nameof(state));
        }
        LoadState(state);
        LastEpoch = (int)epoch;
        b.CopyTo(baseLrs, 0);
        l.CopyTo(lastLr, 0);
    }

    /// <summary>Adds the policy's own counters to a state dict being saved.</summary>
    protected virtual void SaveState(Dictionary<string, double> state)
    {
    }

    /// <summary>Restores the policy's own counters; must check every entry before changing anything (throw <see cref="ArgumentException"/>).</summary>
    protected virtual void LoadState(IReadOnlyDictionary<string, double> state)
    {
    }

    /// <summary>Reads a required entry of a state dict, or throws <see cref="ArgumentException"/> naming it.</summary>
    protected static double ReadEntry(IReadOnlyDictionary<string, double> state, string key)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.TryGetValue(key, out var v) ? v : throw new ArgumentException($"Scheduler state dict: missing '{key}'.", nameof(state));
    }

    /// <summary>Reads a required entry that must be a non-negative integer, or throws <see cref="ArgumentException"/> naming it.</summary>
    protected static int ReadCount(IReadOnlyDictionary<string, double> state, string key)
    {
        double v = ReadEntry(state, key);
        if (!(v >= 0) || v != Math.Floor(v) || v > int.MaxValue) throw new ArgumentException($"Scheduler state dict: '{key}' must be a non-negative integer, got {v.ToString(CultureInfo.InvariantCulture)}.", nameof(state));
        return (int)v;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and positive.</summary>
    protected static void CheckPositive(double value, string paramName)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be finite and positive, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and non-negative.</summary>
    protected static void CheckNonNegative(double value, string paramName)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be finite and non-negative, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is in [0, 1].</summary>
    protected static void CheckUnit(double value, string paramName)
    {
        if (!(value >= 0 && value <= 1))
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be in [0, 1], got {value.ToString(CultureInfo.InvariantCulture)}.");
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
        InitialStep();
    }

    /// <summary>Period of the decay in epochs.</summary>
    public int StepSize { get; }

    /// <summary>Multiplicative factor applied every <see cref="StepSize"/> epochs.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        epoch == 0 || epoch % StepSize != 0 ? currentLr : currentLr * Gamma;

    /// <inheritdoc/>
    protected override double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        baseLr * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>
/// Multi-step decay, as torch.optim.lr_scheduler.MultiStepLR: the rate is multiplied by <see cref="Gamma"/> when the epoch
/// reaches each milestone, lr_epoch = lr_0 · gamma^(number of milestones ≤ epoch). A milestone listed k times multiplies by
/// gamma^k (PyTorch counts them). Chainable.
/// </summary>
public sealed class MultiStepLR : LrScheduler
{
    private readonly int[] milestones;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates decay.</param>
    /// <param name="milestones">Epochs at which the rate is multiplied by gamma: positive and non-decreasing (e.g. [30, 80]).</param>
    /// <param name="gamma">Multiplicative factor (&gt; 0; typically 0.1).</param>
    public MultiStepLR(Optimizer optimizer, IReadOnlyList<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        for (int i = 0; i < milestones.Count; i++)
        {
            if (milestones[i] <= 0) throw new ArgumentOutOfRangeException(nameof(milestones), milestones[i], "Milestones must be positive epochs.");
            if (i > 0 && milestones[i] < milestones[i - 1]) throw new ArgumentException($"Milestones must be non-decreasing; got {milestones[i - 1]} then {milestones[i]}.", nameof(milestones));
        }
        CheckPositive(gamma, nameof(gamma));
        this.milestones = [.. milestones];
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>The milestones, in order.</summary>
    public IReadOnlyList<int> Milestones => milestones;

    /// <summary>Multiplicative factor applied at each milestone.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr)
    {
        int count = 0;
        foreach (int m in milestones) if (m == epoch) count++;
        return count == 0 ? currentLr : currentLr * Math.Pow(Gamma, count);
    }

    /// <inheritdoc/>
    protected override double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr)
    {
        int passed = 0;
        foreach (int m in milestones) if (m <= epoch) passed++;
        return baseLr * Math.Pow(Gamma, passed);
    }
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
        InitialStep();
    }

    /// <summary>Multiplicative factor per epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        epoch == 0 ? currentLr : currentLr * Gamma;

    /// <inheritdoc/>
    protected override double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        baseLr * Math.Pow(Gamma, epoch);
}

/// <summary>
/// The 1/t policy: lr_t = lr_0 / (1 + decay · t), or more generally lr_t = lr_0 · (1 + decay · t)^(−power).
/// With power 1 the rates satisfy the Robbins-Monro conditions the lecture states for SGD
/// (ε_t → 0, Σ ε_t = ∞, Σ ε_t² &lt; ∞), and so does any power in (1/2, 1]. The rate is computed from the group's
/// initial rate (closed form, like LambdaLR), so it is exact at every epoch. (PyTorch has no such class; LambdaLR with
/// <c>lambda t: 1 / (1 + decay * t)</c> gives the same rates.)
/// </summary>
public sealed class InverseTimeLR : LrScheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates decay.</param>
    /// <param name="decay">Decay rate per epoch (≥ 0; 0 keeps the rate constant).</param>
    /// <param name="power">Exponent of the decay (&gt; 0; 1 for the 1/t policy).</param>
    public InverseTimeLR(Optimizer optimizer, double decay, double power = 1.0) : base(optimizer)
    {
        CheckNonNegative(decay, nameof(decay));
        CheckPositive(power, nameof(power));
        Decay = decay;
        Power = power;
        InitialStep();
    }

    /// <summary>Decay rate per epoch.</summary>
    public double Decay { get; }

    /// <summary>Exponent of the decay.</summary>
    public double Power { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        epoch == 0 ? currentLr : ClosedFormLr(groupIndex, epoch, currentLr, baseLr);

    /// <inheritdoc/>
    protected override double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        Power == 1.0 ? baseLr / (1 + Decay * epoch) : baseLr * Math.Pow(1 + Decay * epoch, -Power);
}

/// <summary>
/// Linear warm-up (or decay) of the rate's multiplicative factor, as torch.optim.lr_scheduler.LinearLR: the factor goes
/// linearly from <see cref="StartFactor"/> at epoch 0 to <see cref="EndFactor"/> at epoch <see cref="TotalIters"/> and stays
/// there, lr_epoch = lr_0 · (start + (end − start) · min(epoch, totalIters) / totalIters). Computed, like PyTorch's, in the
/// recursive form lr_epoch = lr_{epoch−1} · (1 + (end − start) / (totalIters · start + (epoch − 1) · (end − start))).
/// Follow it with <see cref="CosineAnnealingLR"/> in a <see cref="SequentialLR"/> for "warm-up then cosine".
/// </summary>
public sealed class LinearLR : LrScheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates change.</param>
    /// <param name="startFactor">Factor of the initial rate at epoch 0, in (0, 1] (PyTorch's default 1/3).</param>
    /// <param name="endFactor">Factor reached at <paramref name="totalIters"/>, in [0, 1].</param>
    /// <param name="totalIters">Number of epochs of the linear change (&gt; 0).</param>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        // PyTorch accepts a start factor of 0 but then divides by zero at the first step.
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "startFactor must be in (0, 1].");
        CheckUnit(endFactor, nameof(endFactor));
        if (totalIters <= 0) throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, "totalIters must be a positive number of epochs.");
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        InitialStep();
    }

    /// <summary>Factor of the initial rate at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>Factor of the initial rate from epoch <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; }

    /// <summary>Number of epochs of the linear change.</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr)
    {
        if (epoch == 0) return currentLr * StartFactor;
        if (epoch > TotalIters) return currentLr;
        return currentLr * (1.0 + (EndFactor - StartFactor) / (TotalIters * StartFactor + (epoch - 1) * (EndFactor - StartFactor)));
    }

    /// <inheritdoc/>
    protected override double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        baseLr * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, epoch) / TotalIters);
}
