using System.Globalization;

namespace Axon.Optim;

/// <summary>How <see cref="OneCycleLR"/> moves between two values within a phase.</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine: end + (start − end)(1 + cos(π pct)) / 2.</summary>
    Cos,

    /// <summary>A straight line: start + (end − start) pct.</summary>
    Linear,
}

/// <summary>
/// The 1cycle policy (Smith, "Super-Convergence"), as torch.optim.lr_scheduler.OneCycleLR. Step it after every batch. The rate
/// rises from max_lr / divFactor to max_lr over the first <c>pctStart · totalSteps</c> steps, then anneals to
/// max_lr / (divFactor · finalDivFactor) at step totalSteps − 1; with <c>threePhase</c> it comes back down to the initial rate
/// symmetrically before annihilating. With <c>cycleMomentum</c> the momentum moves inversely between maxMomentum and
/// baseMomentum.
/// </summary>
/// <remarks>
/// <para>As in PyTorch the per-group values live in the parameter groups (so the optimiser's state dict saves them):
/// <c>initial_lr</c> (= max_lr / divFactor, overwriting an earlier scheduler's), <c>max_lr</c>, <c>min_lr</c> and, when
/// cycling, <c>max_momentum</c> and <c>base_momentum</c>. The cycled momentum is the group's <c>momentum</c> option (SGD) or,
/// for optimisers with betas (Adam-like, whose defaults have <c>beta1</c> and no <c>momentum</c>), <c>beta1</c>.
/// Stepping more than <c>totalSteps</c> times throws, as in PyTorch.</para>
/// </remarks>
public sealed class OneCycleLR : LrScheduler
{
    /// <summary>Key of a group's peak rate.</summary>
    public const string MaxLrKey = "max_lr";

    /// <summary>Key of a group's final rate.</summary>
    public const string MinLrKey = "min_lr";

    /// <summary>Key of a group's upper momentum.</summary>
    public const string MaxMomentumKey = "max_momentum";

    /// <summary>Key of a group's lower momentum.</summary>
    public const string BaseMomentumKey = "base_momentum";

    /// <summary>Key of the first beta of Adam-like optimisers, cycled when the optimiser has no <c>momentum</c>.</summary>
    public const string Beta1Key = "beta1";

    private readonly (double EndStep, string StartLr, string EndLr, string StartMomentum, string EndMomentum)[] phases;
    private readonly string? momentumKey;

    /// <summary>Creates the scheduler with the same peak rate for every group.</summary>
    /// <param name="optimizer">The optimiser whose rates (and momentum) cycle.</param>
    /// <param name="maxLr">Peak rate (&gt; 0).</param>
    /// <param name="totalSteps">Number of steps in the cycle (epochs × batches per epoch).</param>
    /// <param name="pctStart">Fraction of the cycle spent increasing the rate, in [0, 1].</param>
    /// <param name="annealStrategy">Cosine (PyTorch's default) or linear annealing.</param>
    /// <param name="cycleMomentum">Cycle the momentum inversely to the rate (the optimiser must have <c>momentum</c> or <c>beta1</c>).</param>
    /// <param name="baseMomentum">Momentum at the peak rate.</param>
    /// <param name="maxMomentum">Momentum at the start and end of the cycle.</param>
    /// <param name="divFactor">Initial rate = maxLr / divFactor (&gt; 0).</param>
    /// <param name="finalDivFactor">Final rate = initial rate / finalDivFactor (&gt; 0).</param>
    /// <param name="threePhase">Use the paper's three phases (up, symmetric down, annihilation) instead of fastai's two.</param>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, Repeat(optimizer, maxLr), totalSteps, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase)
    {
    }

    /// <summary>Creates the scheduler with a peak rate per parameter group (the other arguments as in the other constructor).</summary>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : base(Prepare(optimizer, maxLrs, totalSteps, pctStart, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase, out var key, out var phaseList))
    {
        if (!Enum.IsDefined(annealStrategy)) throw new ArgumentOutOfRangeException(nameof(annealStrategy), annealStrategy, "Unknown anneal strategy.");
        TotalSteps = totalSteps;
        AnnealStrategy = annealStrategy;
        momentumKey = key;
        phases = phaseList;
        try { InitialStep(); }
        catch (InvalidOperationException ex) { throw new ArgumentException(ex.Message, nameof(pctStart), ex); }
    }

    /// <summary>Number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>How values move within a phase.</summary>
    public AnnealStrategy AnnealStrategy { get; }

    /// <summary>The group option whose value is cycled (<c>momentum</c> or <c>beta1</c>), or null when momentum is not cycled.</summary>
    public string? MomentumKey => momentumKey;

    private static double[] Repeat(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return [.. Enumerable.Repeat(value, optimizer.ParamGroups.Count)];
    }

    // Validates the arguments and writes the per-group values before the base constructor reads initial_lr, as PyTorch does.
    private static Optimizer Prepare(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart, bool cycleMomentum, double baseMomentum,
        double maxMomentum, double divFactor, double finalDivFactor, bool threePhase, out string? momentumKey,
        out (double, string, string, string, string)[] phases)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(maxLrs);
        var groups = optimizer.ParamGroups;
        if (maxLrs.Count != groups.Count) throw new ArgumentException($"Expected {groups.Count} values for maxLr (one per parameter group), got {maxLrs.Count}.", nameof(maxLrs));
        foreach (double m in maxLrs) CheckPositive(m, "maxLr");
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "totalSteps must be positive.");
        CheckUnit(pctStart, nameof(pctStart));
        CheckPositive(divFactor, nameof(divFactor));
        CheckPositive(finalDivFactor, nameof(finalDivFactor));
        const string Initial = ParamGroup.InitialLrKey;
        phases = threePhase
            ? [(pctStart * totalSteps - 1, Initial, MaxLrKey, MaxMomentumKey, BaseMomentumKey),
               (2 * pctStart * totalSteps - 2, MaxLrKey, Initial, BaseMomentumKey, MaxMomentumKey),
               (totalSteps - 1, Initial, MinLrKey, MaxMomentumKey, MaxMomentumKey)]
            : [(pctStart * totalSteps - 1, Initial, MaxLrKey, MaxMomentumKey, BaseMomentumKey),
               (totalSteps - 1, MaxLrKey, MinLrKey, BaseMomentumKey, MaxMomentumKey)];
        momentumKey = null;
        if (cycleMomentum)
        {
            CheckUnit(baseMomentum, nameof(baseMomentum));
            CheckUnit(maxMomentum, nameof(maxMomentum));
            momentumKey = optimizer.Defaults.ContainsKey(Sgd.MomentumKey) ? Sgd.MomentumKey
                : optimizer.Defaults.ContainsKey(Beta1Key) ? Beta1Key
                : throw new ArgumentException($"OneCycleLR: cycleMomentum needs an optimizer with a '{Sgd.MomentumKey}' or '{Beta1Key}' option; {optimizer.GetType().Name} has neither (pass cycleMomentum: false).", nameof(cycleMomentum));
        }
        for (int g = 0; g < groups.Count; g++)
        {
            double initial = maxLrs[g] / divFactor;
            groups[g][Initial] = initial;
            groups[g][MaxLrKey] = maxLrs[g];
            groups[g][MinLrKey] = initial / finalDivFactor;
            if (momentumKey is not null)
            {
                groups[g][momentumKey] = maxMomentum;
                groups[g][MaxMomentumKey] = maxMomentum;
                groups[g][BaseMomentumKey] = baseMomentum;
            }
        }
        return optimizer;
    }

    /// <inheritdoc/>
    public override void Step()
    {
        if (LastEpoch + 1 > TotalSteps)
            throw new InvalidOperationException($"OneCycleLR: tried to step {LastEpoch + 2} times; the specified number of total steps is {TotalSteps}.");
        base.Step();
    }

    private double Anneal(double start, double end, double pct) => AnnealStrategy == AnnealStrategy.Cos
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr)
    {
        var group = Optimizer.ParamGroups[groupIndex];
        double start = 0;
        for (int i = 0; i < phases.Length; i++)
        {
            var (endStep, startLr, endLr, startMomentum, endMomentum) = phases[i];
            if (epoch <= endStep || i == phases.Length - 1)
            {
                // PyTorch raises ZeroDivisionError here (e.g. pctStart · totalSteps = 1 fails at construction).
                if (endStep == start)
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"OneCycleLR: phase {i} of the cycle has no steps (it starts and ends at step {start}); change pctStart or totalSteps."));
                double pct = (epoch - start) / (endStep - start);
                double lr = Anneal(group[startLr], group[endLr], pct);
                if (momentumKey is not null) group[momentumKey] = Anneal(group[startMomentum], group[endMomentum], pct);
                return lr;
            }
            start = endStep;
        }
        throw new InvalidOperationException("OneCycleLR: no phase.");  // unreachable: the last phase always matches
    }
}
