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
