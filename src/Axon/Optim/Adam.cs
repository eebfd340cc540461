namespace Axon.Optim;

/// <summary>
/// Adam and AMSGrad with L2 weight decay added to the gradient, as torch.optim.Adam (PyTorch 1.13, single-tensor
/// implementation). The algorithm, from PyTorch's documentation (γ lr, β₁ β₂ betas, ε eps, λ weight decay):
/// <code>
/// m_0 ← 0, v_0 ← 0, v_0^max ← 0
/// for t = 1 to ... do
///     if maximize:  g_t ← −∇_θ f_t(θ_{t-1})
///     else:         g_t ←  ∇_θ f_t(θ_{t-1})
///     if λ ≠ 0:     g_t ← g_t + λ θ_{t-1}
///     m_t ← β₁ m_{t-1} + (1 − β₁) g_t
///     v_t ← β₂ v_{t-1} + (1 − β₂) g_t²
///     if amsgrad:   v_t^max ← max(v_{t-1}^max, v_t);   v̂_t ← v_t^max
///     else:         v̂_t ← v_t
///     θ_t ← θ_{t-1} − γ/(1 − β₁^t) · m_t / (√v̂_t / √(1 − β₂^t) + ε)
/// return θ_t
/// </code>
/// The last line is PyTorch's arrangement of θ_t ← θ_{t-1} − γ m̂_t / (√(v̂_t/(1 − β₂^t)) + ε) with m̂_t = m_t/(1 − β₁^t):
/// ε is added after the bias correction of √v̂_t. Each parameter counts its own steps ("step" in its state); parameters
/// whose <see cref="Tensor.Grad"/> is null are skipped. State (PyTorch's names): <c>exp_avg</c> m, <c>exp_avg_sq</c> v,
/// <c>max_exp_avg_sq</c> v^max (AMSGrad only), created at a parameter's first step; after that a step allocates nothing.
/// <para>Hyper-parameters live in each <see cref="ParamGroup"/> under the keys <c>lr</c>, <c>beta1</c>, <c>beta2</c>
/// (PyTorch's <c>betas</c> tuple), <c>eps</c>, <c>weight_decay</c>, <c>amsgrad</c>, <c>maximize</c> (booleans as 0/1).</para>
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Key of β₁, the decay of the first moment (PyTorch's <c>betas[0]</c>).</summary>
    public const string Beta1Key = "beta1";

    /// <summary>Key of β₂, the decay of the second moment (PyTorch's <c>betas[1]</c>).</summary>
    public const string Beta2Key = "beta2";

    /// <summary>Key of the AMSGrad flag (0 or 1).</summary>
    public const string AmsGradKey = "amsgrad";

    /// <summary>Name of the first moment m in <see cref="ParameterState.Tensors"/>.</summary>
    public const string ExpAvgKey = "exp_avg";

    /// <summary>Name of the second moment v in <see cref="ParameterState.Tensors"/>.</summary>
    public const string ExpAvgSqKey = "exp_avg_sq";

    /// <summary>Name of the running maximum of v (AMSGrad) in <see cref="ParameterState.Tensors"/>.</summary>
    public const string MaxExpAvgSqKey = "max_exp_avg_sq";

    /// <summary>Creates Adam over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="beta1">Decay β₁ of the running mean of the gradient, in [0, 1).</param>
    /// <param name="beta2">Decay β₂ of the running mean of its square, in [0, 1).</param>
    /// <param name="eps">ε added to the denominator (≥ 0).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient as λθ (≥ 0).</param>
    /// <param name="amsGrad">Use AMSGrad (normalise by the running maximum of v).</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsGrad = false, bool maximize = false)
        : base(parameters, MakeDefaults(lr, beta1, beta2, eps, weightDecay, amsGrad, maximize))
    {
    }

    /// <summary>Creates Adam over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsGrad = false, bool maximize = false)
        : base(groups, MakeDefaults(lr, beta1, beta2, eps, weightDecay, amsGrad, maximize))
    {
    }

    internal static Dictionary<string, double> MakeDefaults(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsGrad, bool maximize)
    {
        Validate(lr, beta1, beta2, eps, weightDecay, null);
        return new()
        {
            [ParamGroup.LrKey] = lr,
            [Beta1Key] = beta1,
            [Beta2Key] = beta2,
            [EpsKey] = eps,
            [ParamGroup.WeightDecayKey] = weightDecay,
            [AmsGradKey] = amsGrad ? 1 : 0,
            [MaximizeKey] = maximize ? 1 : 0,
        };
    }

    internal static void Validate(double lr, double beta1, double beta2, double eps, double weightDecay, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckInRange(beta1, nameof(beta1), "beta parameter at index 0", 0, 1, highExclusive: true, group);
        CheckInRange(beta2, nameof(beta2), "beta parameter at index 1", 0, 1, highExclusive: true, group);
        CheckNonNegative(eps, nameof(eps), "epsilon value", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Validate(group.Lr, group[Beta1Key], group[Beta2Key], group[EpsKey], group.WeightDecay, index);

    /// <inheritdoc/>
    public override void Step() => StepAll(this, decoupled: false);

    /// <summary>The Step of Adam (L2 decay in the gradient) and AdamW (decoupled decay θ ← θ(1 − γλ) first).</summary>
    internal static void StepAll(Optimizer opt, bool decoupled)
    {
        var groups = opt.ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, beta1 = group[Beta1Key], beta2 = group[Beta2Key], eps = group[EpsKey], weightDecay = group.WeightDecay;
            bool amsgrad = Flag(group, AmsGradKey), maximize = Flag(group, MaximizeKey);
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                var s = opt.StateOf(p);
                var m = StateTensor(s, ExpAvgKey, p);                              // m_0 ← 0
                var v = StateTensor(s, ExpAvgSqKey, p);                            // v_0 ← 0
                var vmax = amsgrad ? StateTensor(s, MaxExpAvgSqKey, p) : null;     // v_0^max ← 0
                double t = (s.Scalars.TryGetValue(StepKey, out var prev) ? prev : 0) + 1;
                s.Scalars[StepKey] = t;
                double stepSize = lr / (1 - Math.Pow(beta1, t));                   // γ / (1 − β₁^t)
                double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, t));                // √(1 − β₂^t)
                // AdamW: θ ← θ (1 − γλ) before the moments; Adam: g ← g + λθ.
                double l2 = decoupled ? 0 : weightDecay, shrink = decoupled ? 1 - lr * weightDecay : 1;
                p.Backend.AdamStep(p, grad, m, v, vmax, new AdamUpdate(beta1, beta2, eps, l2, shrink, stepSize, bc2Sqrt, maximize));
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

}
