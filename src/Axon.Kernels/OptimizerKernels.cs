using System.Numerics;
using System.Runtime.CompilerServices;

namespace Axon.Kernels;

/// <summary>
/// The optimisers' update loops: one fused pass of each algorithm box over a parameter, its gradient and its state,
/// in place. The boxes themselves are in the optimisers' docs (Axon.Optim); each operator below follows its box line by
/// line and every width computes the same operations in the same order (so an element's result does not depend on the
/// width or on how a caller splits the parameter over threads). The coefficients arrive already in the parameter's type.
/// </summary>
public static class OptimizerKernels
{
    /// <summary>
    /// SGD: g ← g + λθ; b ← g (first step) or μb + (1 − τ)g; g ← g + μb (Nesterov) or b; θ ← θ + step·g, with step = −γ
    /// (or +γ to maximise). <paramref name="buffer"/> is empty without momentum.
    /// </summary>
    public static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buffer, T weightDecay, T momentum, T oneMinusDampening, T step, bool first, bool nesterov)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, buffer, default, default, new SgdOperator<T>(weightDecay, momentum, oneMinusDampening, step, first, nesterov));

    /// <summary>
    /// Adam and AdamW (decoupled decay as <paramref name="shrink"/> = 1 − γλ, else <paramref name="l2"/> = λ):
    /// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; v̂ ← max(v^max, v) with AMSGrad; θ ← θ·shrink − stepSize·m / (√v̂ / bc2Sqrt + ε).
    /// <paramref name="maxSq"/> is empty without AMSGrad.
    /// </summary>
    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> maxSq, T beta1, T beta2, T eps, T l2, T shrink, T stepSize, T bc2Sqrt, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, m, v, maxSq, new AdamOperator<T>(beta1, beta2, eps, l2, shrink, stepSize, bc2Sqrt, !maxSq.IsEmpty, maximize));

    /// <summary>Adagrad: g ← g + λθ; s ← s + g²; θ ← θ − γ̃ g / (√s + ε), with γ̃ the decayed rate.</summary>
    public static void Adagrad<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> sum, T weightDecay, T eps, T lr, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, sum, default, default, new AdagradOperator<T>(weightDecay, eps, lr, maximize));

    /// <summary>
    /// RMSprop: v ← αv + (1 − α)g²; centred: a ← αa + (1 − α)g, ṽ ← v − a²; with momentum b ← μb + g/(√ṽ + ε), θ ← θ − γb,
    /// else θ ← θ − γ g/(√ṽ + ε). <paramref name="buffer"/> is empty without momentum, <paramref name="average"/> when not centred.
    /// </summary>
    public static void RmsProp<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> squareAverage, Span<T> buffer, Span<T> average, T lr, T alpha, T eps, T weightDecay, T momentum, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, squareAverage, buffer, average, new RmsPropOperator<T>(lr, alpha, eps, weightDecay, momentum, !buffer.IsEmpty, !average.IsEmpty, maximize));

    /// <summary>Adadelta: v ← ρv + (1 − ρ)g²; Δ ← √(u + ε)/√(v + ε)·g; u ← ρu + (1 − ρ)Δ²; θ ← θ − γΔ.</summary>
    public static void Adadelta<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> squareAverage, Span<T> accumulatedDelta, T lr, T rho, T eps, T weightDecay, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, squareAverage, accumulatedDelta, default, new AdadeltaOperator<T>(lr, rho, eps, weightDecay, maximize));

    /// <summary>
    /// PyTorch's ASGD: g ← g + ωθ; θ ← θ(1 − λη) − ηg; ax ← θ when μ = 1, else ax + (θ − ax)μ.
    /// </summary>
    public static void Asgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> average, T weightDecay, T shrink, T eta, T mu, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, average, default, default, new AsgdOperator<T>(weightDecay, shrink, eta, mu, maximize));

    /// <summary>The lecture's averaged SGD: g ← g + λW; W ← W − γg; W̄ ← W when μ = 1, else W̄ + (W − W̄)μ.</summary>
    public static void AveragedSgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> average, T lr, T weightDecay, T mu, bool copy)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UpdateDriver.Run(p, g, average, default, default, new AveragedSgdOperator<T>(lr, weightDecay, mu, copy));

    private readonly struct SgdOperator<T>(T weightDecay, T momentum, T oneMinusDampening, T step, bool first, bool nesterov) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Decided once, not per vector (a float comparison in the loop costs more than the branch it feeds).
        private readonly bool decay = weightDecay != T.Zero, useMomentum = momentum != T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV b, ref TV s1, ref TV s2) where TV : struct, ILanes<TV, T>
        {
            if (decay) g += TV.Create(weightDecay) * p;                                                    // g_t ← g_t + λ θ_{t-1}
            if (useMomentum)
            {
                var mu = TV.Create(momentum);
                b = first ? g : mu * b + TV.Create(oneMinusDampening) * g;                                  // b_t ← g_t or μ b_{t-1} + (1 − τ) g_t
                g = nesterov ? g + mu * b : b;                                                              // g_t ← g_t + μ b_t or b_t
            }
            p += TV.Create(step) * g;                                                                       // θ_t ← θ_{t-1} ∓ γ g_t
        }
    }

    private readonly struct AdamOperator<T>(T beta1, T beta2, T eps, T l2, T shrink, T stepSize, T bc2Sqrt, bool amsgrad, bool maximize) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool decay = l2 != T.Zero, decoupled = shrink != T.One;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV m, ref TV v, ref TV vmax) where TV : struct, ILanes<TV, T>
        {
            if (maximize) g = -g;                                                                          // g_t ← ±∇f(θ_{t-1})
            var w = p;
            if (decay) g += TV.Create(l2) * w;                                                      // g_t ← g_t + λ θ_{t-1}
            if (decoupled) w *= TV.Create(shrink);                                                   // AdamW: θ ← θ (1 − γλ)
            var mk = m * TV.Create(beta1) + TV.Create(T.One - beta1) * g;                                  // m_t ← β₁ m_{t-1} + (1 − β₁) g_t
            var vk = v * TV.Create(beta2) + TV.Create(T.One - beta2) * g * g;                              // v_t ← β₂ v_{t-1} + (1 − β₂) g_t²
            m = mk;
            v = vk;
            if (amsgrad)
            {
                vk = TV.Max(vmax, vk);                                                                     // v_t^max ← max(v_{t-1}^max, v_t)
                vmax = vk;
            }
            var denom = TV.Sqrt(vk) / TV.Create(bc2Sqrt) + TV.Create(eps);                                // √v̂_t / √(1 − β₂^t) + ε
            p = w + TV.Create(-stepSize) * (mk / denom);                                                   // θ_t ← θ − γ/(1 − β₁^t) · m_t / denom
        }
    }

    private readonly struct AdagradOperator<T>(T weightDecay, T eps, T lr, bool maximize) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool decay = weightDecay != T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV sum, ref TV s1, ref TV s2) where TV : struct, ILanes<TV, T>
        {
            if (maximize) g = -g;                                                                          // g_t ← ±∇f(θ_{t-1})
            if (decay) g += TV.Create(weightDecay) * p;                                    // g_t ← g_t + λ θ_{t-1}
            var s = sum + g * g;                                                                           // state_sum_t ← state_sum_{t-1} + g_t²
            sum = s;
            p += TV.Create(-lr) * (g / (TV.Sqrt(s) + TV.Create(eps)));                                     // θ_t ← θ_{t-1} − γ̃ g_t / (√state_sum_t + ε)
        }
    }

    private readonly struct RmsPropOperator<T>(T lr, T alpha, T eps, T weightDecay, T momentum, bool useMomentum, bool centered, bool maximize) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool decay = weightDecay != T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV sq, ref TV buf, ref TV avg) where TV : struct, ILanes<TV, T>
        {
            if (maximize) g = -g;                                                                          // g_t ← ±∇f(θ_{t-1})
            if (decay) g += TV.Create(weightDecay) * p;                                    // g_t ← g_t + λ θ_{t-1}
            TV al = TV.Create(alpha), alc = TV.Create(T.One - alpha);
            var v = sq * al + alc * g * g;                                                                 // v_t ← α v_{t-1} + (1 − α) g_t²
            sq = v;
            if (centered)
            {
                var a = avg * al + alc * g;                                                                // g^ave_t ← α g^ave_{t-1} + (1 − α) g_t
                avg = a;
                v -= a * a;                                                                                // ṽ_t ← v_t − (g^ave_t)²
            }
            var denom = TV.Sqrt(v) + TV.Create(eps);                                                       // √ṽ_t + ε
            if (useMomentum)
            {
                var b = buf * TV.Create(momentum) + g / denom;                                             // b_t ← μ b_{t-1} + g_t / (√ṽ_t + ε)
                buf = b;
                p += TV.Create(-lr) * b;                                                                   // θ_t ← θ_{t-1} − γ b_t
            }
            else p += TV.Create(-lr) * (g / denom);                                                        // θ_t ← θ_{t-1} − γ g_t / (√ṽ_t + ε)
        }
    }

    private readonly struct AdadeltaOperator<T>(T lr, T rho, T eps, T weightDecay, bool maximize) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool decay = weightDecay != T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV sq, ref TV acc, ref TV s2) where TV : struct, ILanes<TV, T>
        {
            if (maximize) g = -g;                                                                          // g_t ← ±∇f(θ_{t-1})
            if (decay) g += TV.Create(weightDecay) * p;                                    // g_t ← g_t + λ θ_{t-1}
            TV r = TV.Create(rho), rc = TV.Create(T.One - rho), e = TV.Create(eps);
            var v = sq * r + rc * g * g;                                                                   // v_t ← ρ v_{t-1} + (1 − ρ) g_t²
            sq = v;
            var delta = TV.Sqrt(acc + e) / TV.Sqrt(v + e) * g;                                             // Δx_t ← √(u_{t-1} + ε) / √(v_t + ε) · g_t
            acc = acc * r + rc * delta * delta;                                                            // u_t ← ρ u_{t-1} + (1 − ρ) Δx_t²
            p += TV.Create(-lr) * delta;                                                                   // θ_t ← θ_{t-1} − γ Δx_t
        }
    }

    private readonly struct AsgdOperator<T>(T weightDecay, T shrink, T eta, T mu, bool maximize) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool decay = weightDecay != T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV ax, ref TV s1, ref TV s2) where TV : struct, ILanes<TV, T>
        {
            if (maximize) g = -g;                                                                          // g_t ← ±∇f(θ_{t-1})
            var w = p;
            if (decay) g += TV.Create(weightDecay) * w;                                    // g_t ← g_t + ω θ_{t-1}
            w *= TV.Create(shrink);                                                                        // θ_t ← θ_{t-1} (1 − λ η_{t-1})
            w += TV.Create(-eta) * g;                                                                      // θ_t ← θ_t − η_{t-1} g_t
            p = w;
            ax = mu == T.One ? w : ax + (w - ax) * TV.Create(mu);                                          // ax_t ← ax_{t-1} + (θ_t − ax_{t-1}) μ_{t-1}, or θ_t
        }
    }

    private readonly struct AveragedSgdOperator<T>(T lr, T weightDecay, T mu, bool copy) : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool decay = weightDecay != T.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TV>(ref TV p, TV g, ref TV ax, ref TV s1, ref TV s2) where TV : struct, ILanes<TV, T>
        {
            if (decay) g += TV.Create(weightDecay) * p;                                    // g ← ∇L + λ W^(n-1)
            var w = p + TV.Create(-lr) * g;                                                                // W^(n) = W^(n-1) − γ g
            p = w;
            ax = copy ? w : ax + (w - ax) * TV.Create(mu);                                                 // W̄^(n) = W̄^(n-1) + (W^(n) − W̄^(n-1)) μ
        }
    }
}
