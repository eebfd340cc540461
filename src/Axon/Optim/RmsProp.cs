using System.Numerics;
using System.Runtime.InteropServices;

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
                if (p.DType == DType.Float32)
                    Update(p.AsSpan<float>(), grad.AsSpan<float>(), sq.AsSpan<float>(), buf is null ? default : buf.AsSpan<float>(), avg is null ? default : avg.AsSpan<float>(),
                        (float)lr, (float)alpha, (float)eps, (float)weightDecay, (float)momentum, centered, maximize);
                else
                    Update(p.AsSpan<double>(), grad.AsSpan<double>(), sq.AsSpan<double>(), buf is null ? default : buf.AsSpan<double>(), avg is null ? default : avg.AsSpan<double>(),
                        lr, alpha, eps, weightDecay, momentum, centered, maximize);
                if (!ReferenceEquals(grad, p.Grad)) grad.Dispose();
            }
        }
    }

    /// <summary>One fused pass of the algorithm box over a parameter (buf is empty when μ = 0, avg when not centred).</summary>
    private static void Update<T>(Span<T> p, ReadOnlySpan<T> grad, Span<T> sq, Span<T> buf, Span<T> avg, T lr, T alpha, T eps, T weightDecay, T momentum, bool centered, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool decay = weightDecay != T.Zero, useMomentum = momentum > T.Zero;
        T ac = T.One - alpha, neg = -lr;
        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<T>.Count)
        {
            var vp = MemoryMarshal.Cast<T, Vector<T>>(p);
            var vg = MemoryMarshal.Cast<T, Vector<T>>(grad);
            var vsq = MemoryMarshal.Cast<T, Vector<T>>(sq);
            var vb = useMomentum ? MemoryMarshal.Cast<T, Vector<T>>(buf) : default;
            var va = centered ? MemoryMarshal.Cast<T, Vector<T>>(avg) : default;
            Vector<T> wd = new(weightDecay), al = new(alpha), alc = new(ac), ve = new(eps), mu = new(momentum), vneg = new(neg);
            for (int k = 0; k < vp.Length; k++)
            {
                var g = maximize ? -vg[k] : vg[k];                  // g_t ← ±∇f(θ_{t-1})
                if (decay) g += wd * vp[k];                          // g_t ← g_t + λ θ_{t-1}
                var v = vsq[k] * al + alc * g * g;                   // v_t ← α v_{t-1} + (1 − α) g_t²
                vsq[k] = v;
                if (centered)
                {
                    var a = va[k] * al + alc * g;                    // g^ave_t ← α g^ave_{t-1} + (1 − α) g_t
                    va[k] = a;
                    v -= a * a;                                      // ṽ_t ← v_t − (g^ave_t)²
                }
                var denom = Vector.SquareRoot(v) + ve;               // √ṽ_t + ε
                if (useMomentum)
                {
                    var b = vb[k] * mu + g / denom;                  // b_t ← μ b_{t-1} + g_t / (√ṽ_t + ε)
                    vb[k] = b;
                    vp[k] += vneg * b;                               // θ_t ← θ_{t-1} − γ b_t
                }
                else vp[k] += vneg * (g / denom);                    // θ_t ← θ_{t-1} − γ g_t / (√ṽ_t + ε)
            }
            i = vp.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            var g = maximize ? -grad[i] : grad[i];
            if (decay) g += weightDecay * p[i];
            var v = sq[i] * alpha + ac * g * g;
            sq[i] = v;
            if (centered)
            {
                var a = avg[i] * alpha + ac * g;
                avg[i] = a;
                v -= a * a;
            }
            var denom = T.Sqrt(v) + eps;
            if (useMomentum)
            {
                var b = buf[i] * momentum + g / denom;
                buf[i] = b;
                p[i] += neg * b;
            }
            else p[i] += neg * (g / denom);
        }
    }
}
