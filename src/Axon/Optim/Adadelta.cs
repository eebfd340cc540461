namespace Axon.Optim;

/// <summary>
/// Adadelta, as torch.optim.Adadelta (PyTorch 1.13, single-tensor implementation). The algorithm, from PyTorch's
/// documentation (γ lr, ρ decay, ε eps, λ weight decay):
/// <code>
/// v_0 ← 0 (square avg), u_0 ← 0 (accumulated update)
/// for t = 1 to ... do
///     if maximize:  g_t ← −∇_θ f_t(θ_{t-1})
///     else:         g_t ←  ∇_θ f_t(θ_{t-1})
///     if λ ≠ 0:     g_t ← g_t + λ θ_{t-1}
///     v_t ← ρ v_{t-1} + (1 − ρ) g_t²
///     Δx_t ← √(u_{t-1} + ε) / √(v_t + ε) · g_t
///     u_t ← ρ u_{t-1} + (1 − ρ) Δx_t²
///     θ_t ← θ_{t-1} − γ Δx_t
/// return θ_t
/// </code>
/// Parameters whose <see cref="Tensor.Grad"/> is null are skipped. State (PyTorch's names): <c>square_avg</c> v,
/// <c>acc_delta</c> u and the counter "step"; the tensors are created at a parameter's first step, after which a step
/// allocates nothing.
/// <para>Hyper-parameters live in each <see cref="ParamGroup"/> under the keys <c>lr</c>, <c>rho</c>, <c>eps</c>,
/// <c>weight_decay</c>, <c>maximize</c> (0/1).</para>
/// </summary>
public sealed class Adadelta : Optimizer
{
    /// <summary>Key of the decay ρ of the running averages.</summary>
    public const string RhoKey = "rho";

    /// <summary>Name of the running mean of the squared gradient v in <see cref="ParameterState.Tensors"/>.</summary>
    public const string SquareAvgKey = "square_avg";

    /// <summary>Name of the running mean of the squared update u in <see cref="ParameterState.Tensors"/>.</summary>
    public const string AccDeltaKey = "acc_delta";

    /// <summary>Creates Adadelta over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ scaling the update (≥ 0; PyTorch's default 1).</param>
    /// <param name="rho">Decay ρ of the running averages, in [0, 1].</param>
    /// <param name="eps">ε added inside the square roots (≥ 0).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient as λθ (≥ 0).</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, bool maximize = false)
        : base(parameters, MakeDefaults(lr, rho, eps, weightDecay, maximize))
    {
    }

    /// <summary>Creates Adadelta over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public Adadelta(IEnumerable<ParamGroup> groups, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, bool maximize = false)
        : base(groups, MakeDefaults(lr, rho, eps, weightDecay, maximize))
    {
    }

    private static Dictionary<string, double> MakeDefaults(double lr, double rho, double eps, double weightDecay, bool maximize)
    {
        Validate(lr, rho, eps, weightDecay, null);
        return new()
        {
            [ParamGroup.LrKey] = lr,
            [RhoKey] = rho,
            [EpsKey] = eps,
            [ParamGroup.WeightDecayKey] = weightDecay,
            [MaximizeKey] = maximize ? 1 : 0,
        };
    }

    private static void Validate(double lr, double rho, double eps, double weightDecay, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckInRange(rho, nameof(rho), "rho value", 0, 1, highExclusive: false, group);
        CheckNonNegative(eps, nameof(eps), "epsilon value", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Validate(group.Lr, group[RhoKey], group[EpsKey], group.WeightDecay, index);

    /// <inheritdoc/>
    public override void Step()
    {
        var groups = ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, rho = group[RhoKey], eps = group[EpsKey], weightDecay = group.WeightDecay;
            bool maximize = Flag(group, MaximizeKey);
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                var s = GetOrCreateState(p);
                var sq = StateTensor(s, SquareAvgKey, p);    // v_0 ← 0
                var acc = StateTensor(s, AccDeltaKey, p);    // u_0 ← 0
                s.Scalars[StepKey] = (s.Scalars.TryGetValue(StepKey, out var prev) ? prev : 0) + 1;
                p.Backend.AdadeltaStep(p, grad, sq, acc, new AdadeltaUpdate(lr, rho, eps, weightDecay, maximize));
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

}
