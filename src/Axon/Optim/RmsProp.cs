namespace Axon.Optim;

/// <summary>
/// RMSprop with optional centring and momentum, as torch.optim.RMSprop (PyTorch 1.13, single-tensor implementation).
/// The algorithm, from PyTorch's documentation (γ lr, α smoothing, ε eps, λ weight decay, μ momentum):
/// <code>
/// v_0 ← 0, b_0 ← 0, g^ave_0 ← 0
/// for t = 1 to ... do
///     if maximize:  g_t ← −∇_θ f_t(θ_{t-1})
///     else:         g_t ←  ∇_θ f_t(θ_{t-1})
///     if λ ≠ 0:     g_t ← g_t + λ θ_{t-1}
///     v_t ← α v_{t-1} + (1 − α) g_t²
///     if centered:
///         g^ave_t ← α g^ave_{t-1} + (1 − α) g_t
///         ṽ_t ← v_t − (g^ave_t)²
///     else:
///         ṽ_t ← v_t
///     if μ > 0:
///         b_t ← μ b_{t-1} + g_t / (√ṽ_t + ε)
///         θ_t ← θ_{t-1} − γ b_t
///     else:
///         θ_t ← θ_{t-1} − γ g_t / (√ṽ_t + ε)
/// return θ_t
/// </code>
/// Parameters whose <see cref="Tensor.Grad"/> is null are skipped. State (PyTorch's names): <c>square_avg</c> v,
/// <c>momentum_buffer</c> b (μ &gt; 0), <c>grad_avg</c> g^ave (centered), and the counter "step"; the tensors are
/// created at a parameter's first step, after which a step allocates nothing.
/// <para>Hyper-parameters live in each <see cref="ParamGroup"/> under the keys <c>lr</c>, <c>alpha</c>, <c>eps</c>,
/// <c>weight_decay</c>, <c>momentum</c>, <c>centered</c>, <c>maximize</c> (booleans as 0/1).</para>
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Key of the smoothing constant α.</summary>
    public const string AlphaKey = "alpha";

    /// <summary>Key of the centered flag (0 or 1).</summary>
    public const string CenteredKey = "centered";

    /// <summary>Name of the running mean of the squared gradient v in <see cref="ParameterState.Tensors"/>.</summary>
    public const string SquareAvgKey = "square_avg";

    /// <summary>Name of the momentum buffer b in <see cref="ParameterState.Tensors"/>.</summary>
    public const string MomentumBufferKey = "momentum_buffer";

    /// <summary>Name of the running mean of the gradient g^ave (centered) in <see cref="ParameterState.Tensors"/>.</summary>
    public const string GradAvgKey = "grad_avg";

    /// <summary>Creates RMSprop over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="alpha">Smoothing constant α of the running means (≥ 0).</param>
    /// <param name="eps">ε added to the denominator (≥ 0).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient as λθ (≥ 0).</param>
    /// <param name="momentum">Momentum factor μ (≥ 0).</param>
    /// <param name="centered">Normalise by the estimated variance of the gradient instead of its second moment.</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public RmsProp(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, MakeDefaults(lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    /// <summary>Creates RMSprop over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public RmsProp(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, MakeDefaults(lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    private static Dictionary<string, double> MakeDefaults(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
    {
        Validate(lr, alpha, eps, weightDecay, momentum, null);
        return new()
        {
            [ParamGroup.LrKey] = lr,
            [AlphaKey] = alpha,
            [EpsKey] = eps,
            [ParamGroup.WeightDecayKey] = weightDecay,
            [MomentumKey] = momentum,
            [CenteredKey] = centered ? 1 : 0,
            [MaximizeKey] = maximize ? 1 : 0,
        };
    }

    private static void Validate(double lr, double alpha, double eps, double weightDecay, double momentum, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckNonNegative(alpha, nameof(alpha), "alpha value", group);
        CheckNonNegative(eps, nameof(eps), "epsilon value", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
        CheckNonNegative(momentum, nameof(momentum), "momentum value", group);
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Validate(group.Lr, group[AlphaKey], group[EpsKey], group.WeightDecay, group[MomentumKey], index);

    /// <inheritdoc/>
    public override void Step()
    {
        var groups = ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, alpha = group[AlphaKey], eps = group[EpsKey], weightDecay = group.WeightDecay, momentum = group[MomentumKey];
            bool centered = Flag(group, CenteredKey), maximize = Flag(group, MaximizeKey);
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                var s = GetOrCreateState(p);
                var sq = StateTensor(s, SquareAvgKey, p);                              // v_0 ← 0
                var buf = momentum > 0 ? StateTensor(s, MomentumBufferKey, p) : null;  // b_0 ← 0
                var avg = centered ? StateTensor(s, GradAvgKey, p) : null;             // g^ave_0 ← 0
                s.Scalars[StepKey] = (s.Scalars.TryGetValue(StepKey, out var prev) ? prev : 0) + 1;
                p.Backend.RmsPropStep(p, grad, sq, buf, avg, new RmsPropUpdate(lr, alpha, eps, weightDecay, momentum, maximize));
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

}
