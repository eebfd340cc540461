using System.Globalization;

namespace Axon.Optim;

/// <summary>
/// Cosine annealing, as torch.optim.lr_scheduler.CosineAnnealingLR: over <see cref="TMax"/> epochs the rate follows half a
/// cosine from the initial rate η_max down to <see cref="EtaMin"/>,
/// η_t = η_min + (η_max − η_min) (1 + cos(π t / T_max)) / 2,
/// and past T_max it climbs back along the same cosine (it is periodic with period 2 T_max; it does not restart).
/// <para>Like PyTorch's, it is computed recursively from the current rate,
/// η_t = (1 + cos(π t / T_max)) / (1 + cos(π (t − 1) / T_max)) (η_{t−1} − η_min) + η_min, with PyTorch's special case
/// η_t = η_{t−1} + (η_max − η_min)(1 − cos(π / T_max)) / 2 where the denominator vanishes (t − 1 − T_max divisible by 2 T_max),
/// so it composes with other schedulers and matches PyTorch's rounding.</para>
/// </summary>
public sealed class CosineAnnealingLR : LrScheduler
{
    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates anneal.</param>
    /// <param name="tMax">Number of epochs of the descent (half period, &gt; 0).</param>
    /// <param name="etaMin">Minimum rate (≥ 0).</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "tMax must be a positive number of epochs.");
        CheckNonNegative(etaMin, nameof(etaMin));
        TMax = tMax;
        EtaMin = etaMin;
        InitialStep();
    }

    /// <summary>Number of epochs from the initial rate to the minimum.</summary>
    public int TMax { get; }

    /// <summary>Minimum rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr)
    {
        if (epoch == 0) return currentLr;
        if ((epoch - 1 - TMax) % (2 * TMax) == 0)
            return currentLr + (baseLr - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        return (1 + Math.Cos(Math.PI * epoch / TMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / TMax)) * (currentLr - EtaMin) + EtaMin;
    }

    /// <inheritdoc/>
    protected override double ClosedFormLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        EtaMin + (baseLr - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter), as torch.optim.lr_scheduler.CosineAnnealingWarmRestarts:
/// η_t = η_min + (η_max − η_min)(1 + cos(π T_cur / T_i)) / 2, where T_cur counts the epochs since the last restart and the
/// i-th period lasts T_i = T_0 · T_mult^i epochs; at each restart the rate jumps back to η_max.
/// <para><see cref="LrScheduler.Step()"/> advances one epoch; <see cref="Step(double)"/> jumps to a (possibly fractional)
/// epoch, to step per batch: <c>scheduler.Step(epoch + batch / (double)batchesPerEpoch)</c>. Not chainable (it is computed
/// from the initial rate).</para>
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LrScheduler
{
    private double tCur;
    private double tI;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose rates anneal.</param>
    /// <param name="t0">Length of the first period in epochs (&gt; 0).</param>
    /// <param name="tMult">Factor by which each period is longer than the previous one (≥ 1).</param>
    /// <param name="etaMin">Minimum rate (≥ 0).</param>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        if (t0 <= 0) throw new ArgumentOutOfRangeException(nameof(t0), t0, "t0 must be a positive number of epochs.");
        if (tMult < 1) throw new ArgumentOutOfRangeException(nameof(tMult), tMult, "tMult must be an integer ≥ 1.");
        CheckNonNegative(etaMin, nameof(etaMin));
        T0 = t0;
        TMult = tMult;
        EtaMin = etaMin;
        InitialStep();
    }

    /// <summary>Length of the first period.</summary>
    public int T0 { get; }

    /// <summary>Growth factor of the periods.</summary>
    public int TMult { get; }

    /// <summary>Minimum rate.</summary>
    public double EtaMin { get; }

    /// <summary>Epochs since the last restart (PyTorch's <c>T_cur</c>; fractional after <see cref="Step(double)"/>).</summary>
    public double TCur => tCur;

    /// <summary>Length of the current period (PyTorch's <c>T_i</c>).</summary>
    public double TI => tI;

    /// <inheritdoc/>
    public override void Step()
    {
        CheckGroups();
        tCur += 1;
        if (tCur >= tI)
        {
            tCur -= tI;
            tI *= TMult;
        }
        base.Step();
    }

    /// <summary>Sets the schedule to <paramref name="epoch"/> (≥ 0, may be fractional), as PyTorch's <c>step(epoch)</c>.</summary>
    public void Step(double epoch)
    {
        if (!(epoch >= 0) || epoch >= int.MaxValue) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epoch must be finite and non-negative.");
        CheckGroups();
        if (epoch >= T0)
        {
            if (TMult == 1) tCur = epoch % T0;
            else
            {
                int n = (int)(Math.Log(epoch / T0 * (TMult - 1) + 1) / Math.Log(TMult));
                double power = Math.Pow(TMult, n);
                tCur = epoch - T0 * (power - 1) / (TMult - 1);
                tI = T0 * power;
            }
        }
        else
        {
            tI = T0;
            tCur = epoch;
        }
        LastEpoch = (int)Math.Floor(epoch);
        SetLrs(g => ComputeLr(g, LastEpoch, Optimizer.ParamGroups[g].Lr, BaseLrs[g]));
    }

    /// <inheritdoc/>
    protected internal override void InitialStep()
    {
        tI = T0;
        tCur = 0;
        base.InitialStep();
    }

    internal override void RestartAtZero() => InitialStep();

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, int epoch, double currentLr, double baseLr) =>
        EtaMin + (baseLr - EtaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;

    /// <inheritdoc/>
    protected override void SaveState(Dictionary<string, double> state)
    {
        state["T_cur"] = tCur;
        state["T_i"] = tI;
    }

    /// <inheritdoc/>
    protected override void LoadState(IReadOnlyDictionary<string, double> state)
    {
        double cur = ReadEntry(state, "T_cur"), i = ReadEntry(state, "T_i");
        if (!(cur >= 0) || !(i >= T0) || double.IsInfinity(i))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Scheduler state dict: invalid T_cur {cur} or T_i {i} (T_0 is {T0})."), nameof(state));
        tCur = cur;
        tI = i;
    }
}
