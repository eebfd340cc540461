namespace Axon.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay,
/// as torch.optim.SGD. The algorithm, from PyTorch's documentation (γ lr, λ weight decay, μ momentum, τ dampening):
/// <code>
/// for t = 1 to ... do
///     g_t ← ∇_θ f_t(θ_{t-1})
///     if λ ≠ 0:        g_t ← g_t + λ θ_{t-1}
///     if μ ≠ 0:
///         if t > 1:    b_t ← μ b_{t-1} + (1 − τ) g_t
///         else:        b_t ← g_t
///         if nesterov: g_t ← g_t + μ b_t
///         else:        g_t ← b_t
///     if maximize:     θ_t ← θ_{t-1} + γ g_t
///     else:            θ_t ← θ_{t-1} − γ g_t
/// return θ_t
/// </code>
/// Parameters whose <see cref="Tensor.Grad"/> is null are skipped (and their "t" does not advance).
/// A step updates the parameters' and momentum buffers' memory in place in one fused pass and allocates
/// nothing once the momentum buffers exist (they are created at a parameter's first step, as copies of g_1).
/// <para>Hyper-parameters live in each <see cref="ParamGroup"/> under PyTorch's keys
/// (<c>lr</c>, <c>momentum</c>, <c>dampening</c>, <c>weight_decay</c>, <c>nesterov</c>, <c>maximize</c>; booleans as 0/1),
/// so groups may differ in any of them.</para>
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Key of the dampening τ.</summary>
    public const string DampeningKey = "dampening";

    /// <summary>Key of the Nesterov flag (0 or 1).</summary>
    public const string NesterovKey = "nesterov";

    /// <summary>Name of the momentum buffer in <see cref="ParameterState.Tensors"/> (as PyTorch's).</summary>
    public const string MomentumBufferKey = "momentum_buffer";

    /// <summary>Creates SGD over <paramref name="parameters"/> (e.g. <c>model.Parameters()</c>).</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="momentum">Momentum factor μ (≥ 0).</param>
    /// <param name="dampening">Dampening τ for momentum.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient as λθ (≥ 0).</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public Sgd(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, MakeDefaults(lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    /// <summary>Creates SGD over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public Sgd(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, MakeDefaults(lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    private static Dictionary<string, double> MakeDefaults(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        Validate(lr, momentum, dampening, weightDecay, nesterov, null);
        return new()
        {
            [ParamGroup.LrKey] = lr,
            [MomentumKey] = momentum,
            [DampeningKey] = dampening,
            [ParamGroup.WeightDecayKey] = weightDecay,
            [NesterovKey] = nesterov ? 1 : 0,
            [MaximizeKey] = maximize ? 1 : 0,
        };
    }

    private static void Validate(double lr, double momentum, double dampening, double weightDecay, bool nesterov, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckNonNegative(momentum, nameof(momentum), "momentum value", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
        if (!double.IsFinite(dampening)) throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "Invalid dampening value: it must be finite.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(nesterov), nesterov, "Nesterov momentum requires a momentum and zero dampening.");
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Validate(group.Lr, group[MomentumKey], group[DampeningKey], group.WeightDecay, Flag(group, NesterovKey), index);

    /// <inheritdoc/>
    public override void Step()
    {
        var groups = ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, momentum = group[MomentumKey], dampening = group[DampeningKey], weightDecay = group.WeightDecay;
            bool nesterov = Flag(group, NesterovKey), maximize = Flag(group, MaximizeKey);
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                Tensor? buf = null;
                bool first = false;
                if (momentum != 0)
                {
                    var s = GetOrCreateState(p);
                    if (!s.Tensors.TryGetValue(MomentumBufferKey, out buf))
                    {
                        // b_1 = g_1: allocated here once; the fused update below writes g_1 into it.
                        buf = NewBuffer(p);
                        s.Tensors[MomentumBufferKey] = buf;
                        first = true;
                    }
                }
                p.Backend.SgdStep(p, grad, buf, new SgdUpdate(lr, weightDecay, momentum, dampening, first, nesterov, maximize));
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

    // A separate method so that the closure is allocated only when a buffer is created, not on every step.
    private static Tensor NewBuffer(Tensor p) => CreateStateTensor(() => Tensor.Zeros(p.ShapeArray, p.DType, p.Device));
}
