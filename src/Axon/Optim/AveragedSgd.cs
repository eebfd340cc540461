namespace Axon.Optim;

/// <summary>
/// Averaged stochastic gradient descent, as the lecture defines it: plain SGD steps on the parameters,
/// <code>
/// W^(n) = W^(n-1) − γ ∇L(W^(n-1), S)          (S a random mini-batch; weight decay λ adds λ W^(n-1) to the gradient)
/// </code>
/// while keeping the running average of the iterates, which is the model to evaluate:
/// <code>
/// W̄^(n) = 1/(n+1) Σ_{k=0..n} W^(k) = W̄^(n-1) + (W^(n) − W̄^(n-1)) / (n + 1)
/// </code>
/// With <c>averageStart</c> t0 &gt; 0 the average starts after t0 steps (the early, far-from-optimum iterates are
/// left out): W̄^(n) = W^(n) for n ≤ t0 and W̄^(n) = W̄^(n-1) + (W^(n) − W̄^(n-1)) / (n − t0 + 1) after, i.e. the mean of
/// W^(t0), ..., W^(n). With t0 = 0 the initial weights W^(0) count, exactly as in the lecture's formula.
/// <para>The average of a parameter is created at its first step (from W^(0)) and is read with <see cref="GetAverage"/>.
/// To evaluate the averaged model, swap it into the parameters with <see cref="UseAverage"/> (a scope that swaps back) or
/// <see cref="SwapAverage"/>. Like PyTorch's ASGD, each parameter counts its own steps ("step" in its state; parameters
/// without a gradient are skipped). Combine with a scheduler for the decaying rate the convergence results assume.</para>
/// </summary>
public sealed class AveragedSgd : Optimizer
{
    /// <summary>Key of the step after which averaging starts (t0).</summary>
    public const string AverageStartKey = "t0";

    /// <summary>Name of the running average in <see cref="ParameterState.Tensors"/> (PyTorch's ASGD calls it "ax").</summary>
    public const string AverageKey = "ax";

    private bool swapped;

    /// <summary>Creates averaged SGD over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient as λθ (≥ 0).</param>
    /// <param name="averageStart">t0: the number of steps before averaging starts (≥ 0).</param>
    public AveragedSgd(IEnumerable<Tensor> parameters, double lr = 1e-2, double weightDecay = 0, long averageStart = 0)
        : base(parameters, MakeDefaults(lr, weightDecay, averageStart))
    {
    }

    /// <summary>Creates averaged SGD over several parameter groups; the other arguments are defaults for options a group does not set.</summary>
    public AveragedSgd(IEnumerable<ParamGroup> groups, double lr = 1e-2, double weightDecay = 0, long averageStart = 0)
        : base(groups, MakeDefaults(lr, weightDecay, averageStart))
    {
    }

    /// <summary>True while the averages are swapped into the parameters (stepping is then refused).</summary>
    public bool IsAverageSwappedIn => swapped;

    private static Dictionary<string, double> MakeDefaults(double lr, double weightDecay, long averageStart)
    {
        Validate(lr, weightDecay, averageStart, null);
        return new() { [ParamGroup.LrKey] = lr, [ParamGroup.WeightDecayKey] = weightDecay, [AverageStartKey] = averageStart };
    }

    private static void Validate(double lr, double weightDecay, double averageStart, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
        if (!(averageStart >= 0) || averageStart != Math.Floor(averageStart) || double.IsInfinity(averageStart))
            throw new ArgumentOutOfRangeException(nameof(averageStart), averageStart, "Invalid averageStart (t0): it must be a non-negative whole number of steps.");
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) => Validate(group.Lr, group.WeightDecay, group[AverageStartKey], index);

    /// <inheritdoc/>
    public override void Step()
    {
        if (swapped) throw new InvalidOperationException("AveragedSgd.Step: the averaged weights are swapped into the model; swap them back (SwapAverage, or dispose the UseAverage scope) before stepping.");
        var groups = ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, weightDecay = group.WeightDecay, t0 = group[AverageStartKey];
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                var s = GetOrCreateState(p);
                if (!s.Tensors.TryGetValue(AverageKey, out var ax))
                {
                    ax = NewAverage(p);  // W̄^(0) = W^(0)
                    s.Tensors[AverageKey] = ax;
                    s.Scalars[StepKey] = 0;
                }
                double t = s.Scalars[StepKey] + 1;
                s.Scalars[StepKey] = t;
                // Weight of the new iterate: 1 / (t − t0 + 1) once averaging has started; before, the average follows the iterate.
                double mu = t >= t0 ? 1.0 / (t - t0 + 1) : 1.0;
                p.Backend.AveragedSgdStep(p, grad, ax, new AveragedSgdUpdate(lr, weightDecay, mu));
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

    private static Tensor NewAverage(Tensor p) => CreateStateTensor(p.CloneData);

    /// <summary>
    /// The running average W̄ of <paramref name="parameter"/> (a live tensor: read it, don't modify it), or null before
    /// the parameter's first step. While the averages are swapped in, this is the parameter itself.
    /// </summary>
    public Tensor? GetAverage(Tensor parameter)
    {
        if (GetState(parameter) is not { } s || !s.Tensors.TryGetValue(AverageKey, out var ax)) return null;
        return swapped ? parameter : ax;
    }

    /// <summary>
    /// Exchanges the contents of every parameter with its running average (parameters not yet stepped are left alone).
    /// Call once to evaluate the averaged model and again to resume training from the current iterate.
    /// </summary>
    public void SwapAverage()
    {
        foreach (var p in Parameters())
        {
            if (GetState(p) is not { } s || !s.Tensors.TryGetValue(AverageKey, out var ax)) continue;
            using var held = p.CloneData();
            p.CopyFrom(ax);
            ax.CopyFrom(held);
        }
        swapped = !swapped;
    }

    /// <summary>
    /// Swaps the averaged weights into the model until the returned scope is disposed:
    /// <c>using (asgd.UseAverage()) { evaluate(model); }</c>.
    /// </summary>
    public IDisposable UseAverage()
    {
        if (swapped) throw new InvalidOperationException("AveragedSgd.UseAverage: the averaged weights are already swapped in.");
        SwapAverage();
        return new SwapBack(this);
    }

    private sealed class SwapBack(AveragedSgd owner) : IDisposable
    {
        private AveragedSgd? owner = owner;

        public void Dispose()
        {
            if (owner is { swapped: true }) owner.SwapAverage();
            owner = null;
        }
    }

    /// <inheritdoc/>
    public override OptimizerState StateDict()
    {
        if (swapped) throw new InvalidOperationException("AveragedSgd.StateDict: swap the averaged weights back out first.");
        return base.StateDict();
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerState stateDict)
    {
        if (swapped) throw new InvalidOperationException("AveragedSgd.LoadStateDict: swap the averaged weights back out first.");
        base.LoadStateDict(stateDict);
    }
}
