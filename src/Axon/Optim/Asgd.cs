namespace Axon.Optim;

/// <summary>
/// PyTorch's averaged SGD, as torch.optim.ASGD (PyTorch 1.13, single-tensor implementation; Polyak and Juditsky's
/// averaging with the step-size schedule of Bottou's "Stochastic gradient descent tricks"). The algorithm
/// (γ lr, λ lambd, α power of the rate decay, t0 the step after which averaging starts, ω weight decay):
/// <code>
/// η_0 ← γ, μ_0 ← 1, ax_0 ← 0
/// for t = 1 to ... do
///     if maximize:  g_t ← −∇_θ f_t(θ_{t-1})
///     else:         g_t ←  ∇_θ f_t(θ_{t-1})
///     if ω ≠ 0:     g_t ← g_t + ω θ_{t-1}
///     θ_t ← θ_{t-1} (1 − λ η_{t-1})
///     θ_t ← θ_t − η_{t-1} g_t
///     if μ_{t-1} ≠ 1:  ax_t ← ax_{t-1} + (θ_t − ax_{t-1}) μ_{t-1}
///     else:            ax_t ← θ_t
///     η_t ← γ / (1 + λ γ t)^α
///     μ_t ← 1 / max(1, t − t0)
/// return θ_t, ax_t
/// </code>
/// The average ax (read it with <see cref="GetAverage"/>) is the model to evaluate; the parameters themselves follow
/// the decaying-rate SGD. Unlike <see cref="AveragedSgd"/> (the lecture's plain running average of the iterates, kept
/// separately) the rate decays and averaging starts only after t0 steps (PyTorch's default 10⁶, i.e. practically
/// never; lower it to average). As in PyTorch 1.13, which keeps η and μ in single-precision tensors, η and μ are
/// rounded to float32 after each update (and η_0 is γ rounded to float32), so the trajectories match PyTorch's exactly.
/// <para>Each parameter counts its own steps; parameters whose <see cref="Tensor.Grad"/> is null are skipped. State
/// (PyTorch's names): the tensor <c>ax</c> (created at a parameter's first step, after which a step allocates nothing)
/// and the scalars <c>step</c>, <c>eta</c>, <c>mu</c>. Hyper-parameters live in each <see cref="ParamGroup"/> under the
/// keys <c>lr</c>, <c>lambd</c>, <c>alpha</c>, <c>t0</c>, <c>weight_decay</c>, <c>maximize</c> (0/1).</para>
/// </summary>
public sealed class Asgd : Optimizer
{
    /// <summary>Key of the decay term λ.</summary>
    public const string LambdKey = "lambd";

    /// <summary>Key of the power α of the rate decay.</summary>
    public const string AlphaKey = "alpha";

    /// <summary>Key of the step t0 after which averaging starts.</summary>
    public const string T0Key = "t0";

    /// <summary>Name of the running average in <see cref="ParameterState.Tensors"/>.</summary>
    public const string AverageKey = "ax";

    /// <summary>Name of the current rate η in <see cref="ParameterState.Scalars"/>.</summary>
    public const string EtaKey = "eta";

    /// <summary>Name of the current averaging weight μ in <see cref="ParameterState.Scalars"/>.</summary>
    public const string MuKey = "mu";

    /// <summary>Creates ASGD over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="lambd">Decay term λ (≥ 0).</param>
    /// <param name="alpha">Power α of the rate decay (≥ 0).</param>
    /// <param name="t0">Step after which averaging starts (≥ 0).</param>
    /// <param name="weightDecay">L2 penalty ω added to the gradient as ωθ (≥ 0).</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public Asgd(IEnumerable<Tensor> parameters, double lr = 1e-2, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6, double weightDecay = 0, bool maximize = false)
        : base(parameters, MakeDefaults(lr, lambd, alpha, t0, weightDecay, maximize))
    {
    }

    /// <summary>Creates ASGD over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public Asgd(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6, double weightDecay = 0, bool maximize = false)
        : base(groups, MakeDefaults(lr, lambd, alpha, t0, weightDecay, maximize))
    {
    }

    private static Dictionary<string, double> MakeDefaults(double lr, double lambd, double alpha, double t0, double weightDecay, bool maximize)
    {
        Validate(lr, lambd, alpha, t0, weightDecay, null);
        return new()
        {
            [ParamGroup.LrKey] = lr,
            [LambdKey] = lambd,
            [AlphaKey] = alpha,
            [T0Key] = t0,
            [ParamGroup.WeightDecayKey] = weightDecay,
            [MaximizeKey] = maximize ? 1 : 0,
        };
    }

    private static void Validate(double lr, double lambd, double alpha, double t0, double weightDecay, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckNonNegative(lambd, nameof(lambd), "lambd value", group);
        CheckNonNegative(alpha, nameof(alpha), "alpha value", group);
        CheckNonNegative(t0, nameof(t0), "t0 value", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Validate(group.Lr, group[LambdKey], group[AlphaKey], group[T0Key], group.WeightDecay, index);

    /// <inheritdoc/>
    public override void Step()
    {
        var groups = ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, lambd = group[LambdKey], alpha = group[AlphaKey], t0 = group[T0Key], weightDecay = group.WeightDecay;
            bool maximize = Flag(group, MaximizeKey);
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                var s = GetOrCreateState(p);
                if (!s.Scalars.TryGetValue(StepKey, out double prev))
                {
                    prev = 0;
                    s.Scalars[EtaKey] = (float)lr;                                  // η_0 ← γ (a float32 tensor in PyTorch)
                    s.Scalars[MuKey] = 1;                                           // μ_0 ← 1
                }
                var ax = StateTensor(s, AverageKey, p);                             // ax_0 ← 0
                double t = prev + 1, eta = s.Scalars[EtaKey], mu = s.Scalars[MuKey];
                s.Scalars[StepKey] = t;
                double shrink = 1 - lambd * eta;                                    // 1 − λ η_{t-1}
                p.Backend.AsgdStep(p, grad, ax, new AsgdUpdate(weightDecay, shrink, eta, mu, maximize));
                s.Scalars[EtaKey] = (float)(lr / Math.Pow(1 + lambd * lr * t, alpha)); // η_t ← γ / (1 + λ γ t)^α
                s.Scalars[MuKey] = (float)(1 / Math.Max(1, t - t0));                   // μ_t ← 1 / max(1, t − t0)
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

    /// <summary>The running average ax of <paramref name="parameter"/> (a live tensor: read it, don't modify it), or null before its first step.</summary>
    public Tensor? GetAverage(Tensor parameter) =>
        GetState(parameter) is { } s && s.Tensors.TryGetValue(AverageKey, out var ax) ? ax : null;
}
