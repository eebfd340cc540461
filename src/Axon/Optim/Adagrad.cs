namespace Axon.Optim;

/// <summary>
/// Adagrad, as torch.optim.Adagrad (PyTorch 1.13, dense gradients). The algorithm, from PyTorch's documentation
/// (γ lr, η lr decay, λ weight decay, τ initial accumulator value, ε eps):
/// <code>
/// state_sum_0 ← τ
/// for t = 1 to ... do
///     if maximize:  g_t ← −∇_θ f_t(θ_{t-1})
///     else:         g_t ←  ∇_θ f_t(θ_{t-1})
///     if λ ≠ 0:     g_t ← g_t + λ θ_{t-1}
///     γ̃ ← γ / (1 + (t − 1) η)
///     state_sum_t ← state_sum_{t-1} + g_t²
///     θ_t ← θ_{t-1} − γ̃ g_t / (√state_sum_t + ε)
/// return θ_t
/// </code>
/// Each parameter counts its own steps ("step" in its state); parameters whose <see cref="Tensor.Grad"/> is null are
/// skipped. State (PyTorch's names): <c>sum</c>, created at a parameter's first step filled with τ (PyTorch creates it
/// in the constructor; the trajectory is the same); after that a step allocates nothing.
/// <para>Hyper-parameters live in each <see cref="ParamGroup"/> under the keys <c>lr</c>, <c>lr_decay</c>,
/// <c>weight_decay</c>, <c>initial_accumulator_value</c>, <c>eps</c>, <c>maximize</c> (0/1).</para>
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Key of the learning-rate decay η.</summary>
    public const string LrDecayKey = "lr_decay";

    /// <summary>Key of the initial value τ of the accumulator.</summary>
    public const string InitialAccumulatorValueKey = "initial_accumulator_value";

    /// <summary>Name of the sum of squared gradients in <see cref="ParameterState.Tensors"/>.</summary>
    public const string SumKey = "sum";

    /// <summary>Creates Adagrad over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (≥ 0).</param>
    /// <param name="lrDecay">Learning-rate decay η: step t uses γ / (1 + (t − 1) η) (≥ 0).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient as λθ (≥ 0).</param>
    /// <param name="initialAccumulatorValue">Initial value τ of the sum of squared gradients (≥ 0).</param>
    /// <param name="eps">ε added to the denominator (≥ 0).</param>
    /// <param name="maximize">Ascend the objective instead of descending it.</param>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(parameters, MakeDefaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
    }

    /// <summary>Creates Adagrad over several parameter groups; the other arguments are the defaults for options a group does not set.</summary>
    public Adagrad(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(groups, MakeDefaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
    }

    private static Dictionary<string, double> MakeDefaults(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps, bool maximize)
    {
        Validate(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, null);
        return new()
        {
            [ParamGroup.LrKey] = lr,
            [LrDecayKey] = lrDecay,
            [ParamGroup.WeightDecayKey] = weightDecay,
            [InitialAccumulatorValueKey] = initialAccumulatorValue,
            [EpsKey] = eps,
            [MaximizeKey] = maximize ? 1 : 0,
        };
    }

    private static void Validate(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps, int? group)
    {
        CheckNonNegative(lr, nameof(lr), "learning rate", group);
        CheckNonNegative(lrDecay, nameof(lrDecay), "lr_decay value", group);
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight_decay value", group);
        CheckNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue), "initial_accumulator_value", group);
        CheckNonNegative(eps, nameof(eps), "epsilon value", group);
    }

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group, int index) =>
        Validate(group.Lr, group[LrDecayKey], group.WeightDecay, group[InitialAccumulatorValueKey], group[EpsKey], index);

    /// <inheritdoc/>
    public override void Step()
    {
        var groups = ParamGroups;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var group = groups[gi];
            double lr = group.Lr, lrDecay = group[LrDecayKey], weightDecay = group.WeightDecay, init = group[InitialAccumulatorValueKey], eps = group[EpsKey];
            bool maximize = Flag(group, MaximizeKey);
            var ps = group.ParameterList;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                if (p.Grad is null) continue;
                var grad = CheckedGrad(p, p.Grad);
                var s = GetOrCreateState(p);
                var sum = StateTensor(s, SumKey, p, init);                          // state_sum_0 ← τ
                double t = (s.Scalars.TryGetValue(StepKey, out var prev) ? prev : 0) + 1;
                s.Scalars[StepKey] = t;
                double clr = lr / (1 + (t - 1) * lrDecay);                           // γ̃ ← γ / (1 + (t − 1) η)
                p.Backend.AdagradStep(p, grad, sum, new AdagradUpdate(clr, weightDecay, eps, maximize));
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

}
