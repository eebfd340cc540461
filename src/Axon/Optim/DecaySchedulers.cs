namespace Axon.Optim;

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
