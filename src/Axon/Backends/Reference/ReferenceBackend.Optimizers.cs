using System.Numerics;

namespace Axon.Backends;

// The optimisers' updates, element by element, each line one line of the algorithm boxes in OptimizerKernels (and the
// optimisers' docs). As in the CPU backend, every coefficient is rounded to the parameter's type first and the box is
// then evaluated in that type, operation by operation in the box's order, so both backends agree to the bit.
public sealed partial class ReferenceBackend
{
    /// <inheritdoc/>
    public void SgdStep(Tensor p, Tensor grad, Tensor? buffer, in SgdUpdate u)
    {
        Own(p, grad, buffer);
        if (p.DType == DType.Float32) Sgd<float>(p, grad, buffer, u);
        else Sgd<double>(p, grad, buffer, u);
    }

    private static void Sgd<T>(Tensor p, Tensor grad, Tensor? buffer, SgdUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = C<T>(u.WeightDecay), mu = C<T>(u.Momentum), oneMinusDampening = C<T>(1 - u.Dampening), step = C<T>(u.Maximize ? u.Lr : -u.Lr);
        Span<T> theta = p.AsSpan<T>(), b = buffer is null ? default : buffer.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = gs[i];
            if (wd != T.Zero) g += wd * theta[i];                                        // g ← g + λθ
            if (mu != T.Zero)
            {
                b[i] = u.First ? g : mu * b[i] + oneMinusDampening * g;                   // b ← g, or μb + (1 − τ)g
                g = u.Nesterov ? g + mu * b[i] : b[i];                                    // g ← g + μb, or b
            }
            theta[i] += step * g;                                                         // θ ← θ ∓ γg
        }
    }

    /// <summary>A coefficient rounded to the parameter's type.</summary>
    private static T C<T>(double value) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(value);

    /// <inheritdoc/>
    public void AdamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, in AdamUpdate u)
    {
        Own(p, grad, m, v, maxSq);
        if (p.DType == DType.Float32) Adam<float>(p, grad, m, v, maxSq, u);
        else Adam<double>(p, grad, m, v, maxSq, u);
    }

    private static void Adam<T>(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, AdamUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T beta1 = C<T>(u.Beta1), beta2 = C<T>(u.Beta2), eps = C<T>(u.Eps), l2 = C<T>(u.L2), shrink = C<T>(u.Shrink), stepSize = C<T>(u.StepSize), bc2Sqrt = C<T>(u.Bc2Sqrt);
        Span<T> theta = p.AsSpan<T>(), ms = m.AsSpan<T>(), vs = v.AsSpan<T>(), vmax = maxSq is null ? default : maxSq.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = u.Maximize ? -gs[i] : gs[i];                                           // g ← ±∇f(θ)
            T w = theta[i];
            if (l2 != T.Zero) g += l2 * w;                                               // Adam: g ← g + λθ
            if (shrink != T.One) w *= shrink;                                            // AdamW: θ ← θ(1 − γλ)
            ms[i] = ms[i] * beta1 + (T.One - beta1) * g;                                 // m ← β₁m + (1 − β₁)g
            vs[i] = vs[i] * beta2 + (T.One - beta2) * g * g;                             // v ← β₂v + (1 − β₂)g²
            T vhat = vs[i];
            if (maxSq is not null) vhat = vmax[i] = T.Max(vmax[i], vhat);                // AMSGrad: v̂ ← max(v̂, v)
            T denom = T.Sqrt(vhat) / bc2Sqrt + eps;                                      // √v̂ / √(1 − β₂ᵗ) + ε
            theta[i] = w + -stepSize * (ms[i] / denom);                                  // θ ← θ − γ/(1 − β₁ᵗ) · m / denom
        }
    }

    /// <inheritdoc/>
    public void AdagradStep(Tensor p, Tensor grad, Tensor sum, in AdagradUpdate u)
    {
        Own(p, grad, sum);
        if (p.DType == DType.Float32) Adagrad<float>(p, grad, sum, u);
        else Adagrad<double>(p, grad, sum, u);
    }

    private static void Adagrad<T>(Tensor p, Tensor grad, Tensor sum, AdagradUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = C<T>(u.WeightDecay), eps = C<T>(u.Eps), lr = C<T>(u.Lr);
        Span<T> theta = p.AsSpan<T>(), ss = sum.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = u.Maximize ? -gs[i] : gs[i];
            if (wd != T.Zero) g += wd * theta[i];                                        // g ← g + λθ
            ss[i] += g * g;                                                              // s ← s + g²
            theta[i] += -lr * (g / (T.Sqrt(ss[i]) + eps));                               // θ ← θ − γ̃ g / (√s + ε)
        }
    }

    /// <inheritdoc/>
    public void RmsPropStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, in RmsPropUpdate u)
    {
        Own(p, grad, squareAverage, buffer, average);
        if (p.DType == DType.Float32) RmsProp<float>(p, grad, squareAverage, buffer, average, u);
        else RmsProp<double>(p, grad, squareAverage, buffer, average, u);
    }

    private static void RmsProp<T>(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, RmsPropUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = C<T>(u.Lr), alpha = C<T>(u.Alpha), eps = C<T>(u.Eps), wd = C<T>(u.WeightDecay), mu = C<T>(u.Momentum);
        Span<T> theta = p.AsSpan<T>(), sq = squareAverage.AsSpan<T>();
        Span<T> b = buffer is null ? default : buffer.AsSpan<T>(), avg = average is null ? default : average.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = u.Maximize ? -gs[i] : gs[i];
            if (wd != T.Zero) g += wd * theta[i];                                        // g ← g + λθ
            sq[i] = sq[i] * alpha + (T.One - alpha) * g * g;                             // v ← αv + (1 − α)g²
            T vt = sq[i];
            if (average is not null)
            {
                avg[i] = avg[i] * alpha + (T.One - alpha) * g;                           // centred: a ← αa + (1 − α)g
                vt -= avg[i] * avg[i];                                                   // ṽ ← v − a²
            }
            T denom = T.Sqrt(vt) + eps;
            if (buffer is not null)
            {
                b[i] = b[i] * mu + g / denom;                                            // b ← μb + g / (√ṽ + ε)
                theta[i] += -lr * b[i];                                                  // θ ← θ − γb
            }
            else theta[i] += -lr * (g / denom);                                          // θ ← θ − γ g / (√ṽ + ε)
        }
    }

    /// <inheritdoc/>
    public void AdadeltaStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, in AdadeltaUpdate u)
    {
        Own(p, grad, squareAverage, accumulatedDelta);
        if (p.DType == DType.Float32) Adadelta<float>(p, grad, squareAverage, accumulatedDelta, u);
        else Adadelta<double>(p, grad, squareAverage, accumulatedDelta, u);
    }

    private static void Adadelta<T>(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, AdadeltaUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = C<T>(u.Lr), rho = C<T>(u.Rho), eps = C<T>(u.Eps), wd = C<T>(u.WeightDecay);
        Span<T> theta = p.AsSpan<T>(), sq = squareAverage.AsSpan<T>(), acc = accumulatedDelta.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = u.Maximize ? -gs[i] : gs[i];
            if (wd != T.Zero) g += wd * theta[i];                                        // g ← g + λθ
            sq[i] = sq[i] * rho + (T.One - rho) * g * g;                                 // v ← ρv + (1 − ρ)g²
            T delta = T.Sqrt(acc[i] + eps) / T.Sqrt(sq[i] + eps) * g;                    // Δ ← √(u + ε) / √(v + ε) · g
            acc[i] = acc[i] * rho + (T.One - rho) * delta * delta;                       // u ← ρu + (1 − ρ)Δ²
            theta[i] += -lr * delta;                                                     // θ ← θ − γΔ
        }
    }

    /// <inheritdoc/>
    public void AsgdStep(Tensor p, Tensor grad, Tensor average, in AsgdUpdate u)
    {
        Own(p, grad, average);
        if (p.DType == DType.Float32) Asgd<float>(p, grad, average, u);
        else Asgd<double>(p, grad, average, u);
    }

    private static void Asgd<T>(Tensor p, Tensor grad, Tensor average, AsgdUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = C<T>(u.WeightDecay), shrink = C<T>(u.Shrink), eta = C<T>(u.Eta), mu = C<T>(u.Mu);
        Span<T> theta = p.AsSpan<T>(), ax = average.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = u.Maximize ? -gs[i] : gs[i];
            T w = theta[i];
            if (wd != T.Zero) g += wd * w;                                               // g ← g + ωθ
            w *= shrink;                                                                 // θ ← θ(1 − λη)
            w += -eta * g;                                                               // θ ← θ − ηg
            theta[i] = w;
            ax[i] = mu == T.One ? w : ax[i] + (w - ax[i]) * mu;                          // ax ← θ when μ = 1, else ax + (θ − ax)μ
        }
    }

    /// <inheritdoc/>
    public void AveragedSgdStep(Tensor p, Tensor grad, Tensor average, in AveragedSgdUpdate u)
    {
        Own(p, grad, average);
        if (p.DType == DType.Float32) AveragedSgd<float>(p, grad, average, u);
        else AveragedSgd<double>(p, grad, average, u);
    }

    private static void AveragedSgd<T>(Tensor p, Tensor grad, Tensor average, AveragedSgdUpdate u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = C<T>(u.Lr), wd = C<T>(u.WeightDecay), mu = C<T>(u.Mu);
        bool copy = u.Mu == 1.0;   // decided on the double, as the CPU backend does
        Span<T> theta = p.AsSpan<T>(), ax = average.AsSpan<T>();
        ReadOnlySpan<T> gs = grad.AsSpan<T>();
        for (int i = 0; i < theta.Length; i++)
        {
            T g = gs[i];
            if (wd != T.Zero) g += wd * theta[i];                                        // g ← ∇L + λW
            T w = theta[i] + -lr * g;                                                    // W ← W − γg
            theta[i] = w;
            ax[i] = copy ? w : ax[i] + (w - ax[i]) * mu;                                 // W̄ ← W when μ = 1, else W̄ + (W − W̄)μ
        }
    }
}
