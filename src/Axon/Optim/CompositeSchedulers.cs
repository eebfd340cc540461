using System.Globalization;

namespace Axon.Optim;

/// <summary>
/// Runs schedulers one after another, as torch.optim.lr_scheduler.SequentialLR: scheduler i drives the rates from milestone
/// i − 1 (epoch 0 for the first) until milestone i. The usual "linear warm-up followed by cosine annealing":
/// <code>
/// var warmup = new LinearLR(opt, startFactor: 0.1, totalIters: 5);
/// var cosine = new CosineAnnealingLR(opt, tMax: 95);
/// var schedule = new SequentialLR(opt, [warmup, cosine], milestones: [5]);
/// </code>
/// </summary>
/// <remarks>
/// As in PyTorch, construction resets every group's rate to its <c>initial_lr</c>, undoes the initial steps of the given
/// schedulers and redoes the first one's; at a milestone the next scheduler restarts at its epoch 0 in closed form
/// (PyTorch's <c>step(0)</c>), then continues with its ordinary steps. The state dict holds each scheduler's under
/// <c>_schedulers.{i}.</c>. The schedulers must not be composites or <see cref="ReduceLROnPlateau"/>.
/// </remarks>
public sealed class SequentialLR : LrScheduler
{
    private const string Prefix = "_schedulers.";
    private readonly LrScheduler[] schedulers;
    private readonly int[] milestones;

    /// <summary>Creates the sequence.</summary>
    /// <param name="optimizer">The optimiser all the schedulers drive.</param>
    /// <param name="schedulers">The schedulers, in order (at least one).</param>
    /// <param name="milestones">The epochs at which the next scheduler takes over: one fewer than the schedulers, positive, increasing.</param>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LrScheduler> schedulers, IReadOnlyList<int> milestones)
        : base(CheckChildren(optimizer, schedulers, forSequence: true))
    {
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"SequentialLR expects one milestone fewer than schedulers; got {schedulers.Count} schedulers and {milestones.Count} milestones.", nameof(milestones));
        for (int i = 0; i < milestones.Count; i++)
        {
            if (milestones[i] <= 0) throw new ArgumentOutOfRangeException(nameof(milestones), milestones[i], "Milestones must be positive epochs.");
            if (i > 0 && milestones[i] <= milestones[i - 1]) throw new ArgumentException($"Milestones must be increasing; got {milestones[i - 1]} then {milestones[i]}.", nameof(milestones));
        }
        this.schedulers = [.. schedulers];
        this.milestones = [.. milestones];

        foreach (var g in optimizer.ParamGroups) g.Lr = g[ParamGroup.InitialLrKey];
        foreach (var s in this.schedulers) s.LastEpoch--;
        this.schedulers[0].InitialStep();
        LastEpoch = 0;
        RecordLastLr();
    }

    /// <summary>The schedulers, in order.</summary>
    public IReadOnlyList<LrScheduler> Schedulers => schedulers;

    /// <summary>The epochs at which the next scheduler takes over.</summary>
    public IReadOnlyList<int> Milestones => milestones;

    internal static Optimizer CheckChildren(Optimizer optimizer, IReadOnlyList<LrScheduler> schedulers, bool forSequence)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        string name = forSequence ? nameof(SequentialLR) : nameof(ChainedScheduler);
        if (schedulers.Count == 0) throw new ArgumentException($"{name} needs at least one scheduler.", nameof(schedulers));
        ArgumentNullException.ThrowIfNull(optimizer);
        for (int i = 0; i < schedulers.Count; i++)
        {
            var s = schedulers[i] ?? throw new ArgumentException($"{name}: scheduler {i} is null.", nameof(schedulers));
            if (!ReferenceEquals(s.Optimizer, optimizer))
                throw new ArgumentException($"{name} expects all schedulers to belong to the same optimizer; scheduler {i} belongs to another.", nameof(schedulers));
            if (s is ReduceLROnPlateau || (forSequence && s is SequentialLR or ChainedScheduler))
                throw new ArgumentException($"{name}: scheduler {i} is a {s.GetType().Name}, which cannot be {(forSequence ? "sequenced" : "chained")} (PyTorch fails on it too).", nameof(schedulers));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(schedulers[j], s)) throw new ArgumentException($"{name}: scheduler {i} is the same object as scheduler {j}.", nameof(schedulers));
        }
        if (forSequence)
            foreach (var g in optimizer.ParamGroups)
                if (!g.Has(ParamGroup.InitialLrKey)) throw new ArgumentException($"{name}: a parameter group has no initial_lr.", nameof(schedulers));
        return optimizer;
    }

    /// <inheritdoc/>
    public override void Step()
    {
        CheckGroups();
        LastEpoch++;
        int idx = 0;
        while (idx < milestones.Length && milestones[idx] <= LastEpoch) idx++;  // bisect_right
        var s = schedulers[idx];
        if (idx > 0 && milestones[idx - 1] == LastEpoch) s.RestartAtZero();
        else s.Step();
        RecordLastLr();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) => currentLr;

    /// <inheritdoc/>
    protected internal override void InitialStep() => throw new NotSupportedException("A SequentialLR cannot be nested in another SequentialLR.");

    internal override void RestartAtZero() => throw new NotSupportedException("A SequentialLR cannot be nested in another SequentialLR.");

    /// <inheritdoc/>
    protected override void SaveState(Dictionary<string, double> state) => SaveChildren(schedulers, state);

    /// <inheritdoc/>
    protected override void LoadState(IReadOnlyDictionary<string, double> state) => LoadChildren(schedulers, state);

    internal static void SaveChildren(LrScheduler[] children, Dictionary<string, double> state)
    {
        for (int i = 0; i < children.Length; i++)
            foreach (var (k, v) in children[i].StateDict()) state[string.Create(CultureInfo.InvariantCulture, $"{Prefix}{i}.{k}")] = v;
    }

    // Loads every child's entries; if one refuses, the ones already loaded are put back so nothing changes.
    internal static void LoadChildren(LrScheduler[] children, IReadOnlyDictionary<string, double> state)
    {
        var subs = new Dictionary<string, double>[children.Length];
        for (int i = 0; i < children.Length; i++)
        {
            string p = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{i}.");
            subs[i] = state.Where(kv => kv.Key.StartsWith(p, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[p.Length..], kv => kv.Value, StringComparer.Ordinal);
            if (subs[i].Count == 0) throw new ArgumentException($"Scheduler state dict: no entries for scheduler {i} ('{p}*').", nameof(state));
        }
        var before = children.Select(c => c.StateDict()).ToArray();
        int loaded = 0;
        try
        {
            for (; loaded < children.Length; loaded++) children[loaded].LoadStateDict(subs[loaded]);
        }
        catch (ArgumentException)
        {
            for (int i = 0; i < loaded; i++) children[i].LoadStateDict(before[i]);
            throw;
        }
    }
}

/// <summary>
/// Steps several schedulers of one optimiser together, as torch.optim.lr_scheduler.ChainedScheduler: each
/// <see cref="Step"/> calls every scheduler's in order, so chainable (multiplicative) policies compose, e.g. an
/// <see cref="ExponentialLR"/> decay under a <see cref="LinearLR"/> warm-up. The state dict holds each scheduler's under
/// <c>_schedulers.{i}.</c>.
/// </summary>
public sealed class ChainedScheduler : LrScheduler
{
    private readonly LrScheduler[] schedulers;

    /// <summary>Chains <paramref name="schedulers"/> (at least one; all of the same optimiser; no <see cref="ReduceLROnPlateau"/>).</summary>
    public ChainedScheduler(IReadOnlyList<LrScheduler> schedulers)
        : base(SequentialLR.CheckChildren(FirstOptimizer(schedulers), schedulers, forSequence: false))
    {
        this.schedulers = [.. schedulers];
    }

    /// <summary>The chained schedulers, in order.</summary>
    public IReadOnlyList<LrScheduler> Schedulers => schedulers;

    private static Optimizer FirstOptimizer(IReadOnlyList<LrScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count == 0 || schedulers[0] is null) throw new ArgumentException("ChainedScheduler needs at least one scheduler.", nameof(schedulers));
        return schedulers[0].Optimizer;
    }

    /// <inheritdoc/>
    public override void Step()
    {
        CheckGroups();
        LastEpoch++;
        foreach (var s in schedulers) s.Step();
        RecordLastLr();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) => currentLr;

    /// <inheritdoc/>
    protected internal override void InitialStep() => throw new NotSupportedException("A ChainedScheduler cannot be nested in a SequentialLR.");

    internal override void RestartAtZero() => throw new NotSupportedException("A ChainedScheduler cannot be nested in a SequentialLR.");

    /// <inheritdoc/>
    protected override void SaveState(Dictionary<string, double> state) => SequentialLR.SaveChildren(schedulers, state);

    /// <inheritdoc/>
    protected override void LoadState(IReadOnlyDictionary<string, double> state) => SequentialLR.LoadChildren(schedulers, state);
}
