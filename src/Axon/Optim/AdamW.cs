namespace Axon.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter), as torch.optim.AdamW (PyTorch 1.13, single-tensor
/// implementation). The algorithm, from PyTorch's documentation (γ lr, β₁ β₂ betas, ε eps, λ weight decay):
/// <code>
/// m_0 ← 0, v_0 ← 0, v_0^max ← 0
/// for t = 1 to ... do
///     if maximize:  g_t ← −∇_θ f_t(θ_{t-1})
///     else:         g_t ←  ∇_θ f_t(θ_{t-1})
///     θ_t ← θ_{t-1} − γλ θ_{t-1}                    (decoupled: the decay never enters m or v)
///     m_t ← β₁ m_{t-1} + (1 − β₁) g_t
///     v_t ← β₂ v_{t-1} + (1 − β₂) g_t²
///     if amsgrad:   v_t^max ← max(v_{t-1}^max, v_t);   v̂_t ← v_t^max
///     else:         v̂_t ← v_t
///     θ_t ← θ_t − γ/(1 − β₁^t) · m_t / (√v̂_t / √(1 − β₂^t) + ε)
/// return θ_t
/// </code>
/// The step is <see cref="Adam"/>'s fused pass with the decay applied as the factor (1 − γλ) instead of being added to
/// the gradient; state, keys and skipping of parameters without gradient are the same. PyTorch's default weight decay
/// for AdamW is 1e-2 (Adam's is 0).
/// <para>Hyper-parameters live in each <see cref="ParamGroup"/> under the keys <c>lr</c>, <c>beta1</c>, <c>beta2</c>,
/// <c>eps</c>, <c>weight_decay</c>, <c>amsgrad</c>, <c>maximize</c> (booleans as 0/1).</para>
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates AdamW over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="beta1">Decay β₁ of the running mean of the gradient, in [0, 1).</param>
    /// <param name="beta2">Decay β₂ of the running mean of its square, in [0, 1).</param>
    /// <param name="eps">ε added to the denominator (≥ 0).</param>
    /// <param name="weightDecay">Decoupled weight decay λ: each step multiplies θ by 1 − γλ (≥ 0).</param>
    /// <param name="amsGrad">Use AMSGrad (normalise by the running maximum of v).</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsGrad = false, bool maximize = false)
        : base(parameters, Adam.MakeDefaults(lr, beta1, beta2, eps, weightDecay, amsGrad, maximize))
    {
    }

    /// <summary>Creates AdamW over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsGrad = false, bool maximize = false)
        : base(groups, Adam.MakeDefaults(lr, beta1, beta2, eps, weightDecay, amsGrad, maximize))
    {
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Adam.Validate(group.Lr, group[Adam.Beta1Key], group[Adam.Beta2Key], group[Adam.EpsKey], group.WeightDecay, index);

    /// <inheritdoc/>
    public override void Step() => Adam.StepAll(this, decoupled: true);
}
