using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// Gradient clipping (torch.nn.utils): call between <c>loss.Backward()</c> and <c>optimizer.Step()</c>.
/// <code>
/// loss.Backward();
/// double norm = Utils.ClipGradNorm(model.Parameters(), maxNorm: 1.0);
/// optimizer.Step();
/// </code>
/// Both change the gradients in place, unrecorded; parameters without a gradient are skipped.
/// </summary>
public static class Utils
{
    /// <summary>
    /// Rescales the gradients so that their total norm (all gradients viewed as one vector) is at most <paramref name="maxNorm"/>,
    /// as <c>torch.nn.utils.clip_grad_norm_</c>: every gradient is multiplied by min(1, maxNorm / (total + 1e-6)).
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped (e.g. <c>model.Parameters()</c>).</param>
    /// <param name="maxNorm">The largest allowed total norm (≥ 0).</param>
    /// <param name="normType">The p of the p-norm (&gt; 0), or <see cref="double.PositiveInfinity"/> for the largest absolute value.</param>
    /// <param name="errorIfNonfinite">Throw instead of clipping when the total norm is NaN or infinite (PyTorch then scales by the non-finite norm anyway).</param>
    /// <returns>The total norm of the gradients before clipping (0 when none has a gradient).</returns>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonfinite"/> is set and the norm is not finite; the gradients are unchanged.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be non-negative.");
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "normType must be positive (or +infinity).");
        var grads = parameters.Select(p => p?.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;

        double total;
        if (double.IsPositiveInfinity(normType))
        {
            total = 0;
            foreach (var g in grads) total = Math.Max(total, g.Backend.Norm(g, normType));  // Math.Max propagates NaN
        }
        else
        {
            // The norm of the per-tensor norms, as PyTorch computes it (equal to the norm of the concatenation).
            double sum = 0;
            foreach (var g in grads)
            {
                double norm = g.Backend.Norm(g, normType);
                sum += normType == 2 ? norm * norm : normType == 1 ? norm : Math.Pow(norm, normType);
            }
            total = normType == 2 ? Math.Sqrt(sum) : normType == 1 ? sum : Math.Pow(sum, 1 / normType);
        }
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The total norm of order {normType} for gradients from the parameters is non-finite ({total}), so it cannot be clipped. To scale the gradients by the non-finite norm anyway, pass errorIfNonfinite: false."));
        double coef = Math.Min(maxNorm / (total + 1e-6), 1.0);  // NaN stays NaN, as torch.clamp
        if (coef != 1.0)
            foreach (var g in grads) InPlace(g, t => t.Backend.ScaleInPlace(t, coef));
        return total;
    }

    /// <summary>Clamps every gradient element to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>], as <c>torch.nn.utils.clip_grad_value_</c> (NaN stays NaN).</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be non-negative.");
        foreach (var g in parameters.Select(p => p?.Grad).OfType<Tensor>().ToList())
            InPlace(g, t => t.Backend.Clamp(t, -clipValue, clipValue, t));
    }

    // Runs an in-place primitive on a floating-point gradient, through a contiguous copy when the gradient is strided.
    private static void InPlace(Tensor t, Action<Tensor> update)
    {
        if (!t.DType.IsFloatingPoint()) throw new ArgumentException($"Gradient clipping needs floating-point gradients, got {t.DType.TorchName()}.", nameof(t));
        if (t.IsContiguous) { update(t); return; }
        using var copy = TensorScope.Unscoped(t.CloneData);
        update(copy);
        using (GradMode.NoGrad()) t.CopyFrom(copy);
    }
}
