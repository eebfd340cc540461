using Axon.Nn;

namespace Axon.Optim;

/// <summary>
/// Penalty terms of the penalised empirical risk L_n(θ) = (1/n) Σ ℓ(f(X_i, θ), Y_i) + λ Ω(θ), as differentiable
/// scalars to add to the loss:
/// <list type="bullet">
/// <item>L2: Ω(θ) = Σ_k ‖W^(k)‖_F² = Σ w², gradient 2λw. (PyTorch's <c>weight_decay</c> λ' adds λ'w to the gradient,
/// i.e. it equals this penalty with λ = λ'/2.)</item>
/// <item>L1 (LASSO): Ω(θ) = Σ |w|, gradient λ sign(w) (0 at w = 0), which drives weights to exactly zero.</item>
/// <item>Elastic net: λ₁ Σ |w| + λ₂ Σ w², sparse like L1 while keeping L2's grouping of correlated weights.</item>
/// </list>
/// As the lecture says, only the weights are penalised, not the biases: the overloads taking named parameters
/// (or a <see cref="Module"/>) skip parameters named <c>bias</c> / <c>*.bias</c> unless a predicate says otherwise.
/// </summary>
public static class Regularization
{
    /// <summary>True for a parameter name whose last component is "bias" (e.g. "layers.0.bias").</summary>
    public static bool IsBias(string name) =>
        name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);

    /// <summary>λ Σ |w| over <paramref name="parameters"/> (those for which <paramref name="include"/> holds, when given).</summary>
    public static Tensor L1Penalty(IEnumerable<Tensor> parameters, double lambda, Func<Tensor, bool>? include = null) =>
        Penalty(Filter(parameters, include), lambda, l1: true);

    /// <summary>λ Σ w² over <paramref name="parameters"/> (those for which <paramref name="include"/> holds, when given).</summary>
    public static Tensor L2Penalty(IEnumerable<Tensor> parameters, double lambda, Func<Tensor, bool>? include = null) =>
        Penalty(Filter(parameters, include), lambda, l1: false);

    /// <summary>λ Σ |w| over named parameters accepted by <paramref name="include"/> (default: every name but biases).</summary>
    public static Tensor L1Penalty(IEnumerable<(string Name, Tensor Parameter)> namedParameters, double lambda, Func<string, bool>? include = null) =>
        Penalty(Filter(namedParameters, include), lambda, l1: true);

    /// <summary>λ Σ w² over named parameters accepted by <paramref name="include"/> (default: every name but biases).</summary>
    public static Tensor L2Penalty(IEnumerable<(string Name, Tensor Parameter)> namedParameters, double lambda, Func<string, bool>? include = null) =>
        Penalty(Filter(namedParameters, include), lambda, l1: false);

    /// <summary>λ Σ |w| over the module's parameters, biases skipped unless <paramref name="includeBiases"/>.</summary>
    public static Tensor L1Penalty(Module module, double lambda, bool includeBiases = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        return L1Penalty(module.NamedParameters(), lambda, includeBiases ? _ => true : null);
    }

    /// <summary>λ Σ w² over the module's parameters, biases skipped unless <paramref name="includeBiases"/>.</summary>
    public static Tensor L2Penalty(Module module, double lambda, bool includeBiases = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        return L2Penalty(module.NamedParameters(), lambda, includeBiases ? _ => true : null);
    }

    /// <summary>Elastic net λ₁ Σ |w| + λ₂ Σ w² over <paramref name="parameters"/> (those for which <paramref name="include"/> holds, when given).</summary>
    public static Tensor ElasticNetPenalty(IEnumerable<Tensor> parameters, double l1, double l2, Func<Tensor, bool>? include = null) =>
        Penalty(Filter(parameters, include), l1, l2);

    /// <summary>Elastic net λ₁ Σ |w| + λ₂ Σ w² over named parameters accepted by <paramref name="include"/> (default: every name but biases).</summary>
    public static Tensor ElasticNetPenalty(IEnumerable<(string Name, Tensor Parameter)> namedParameters, double l1, double l2, Func<string, bool>? include = null) =>
        Penalty(Filter(namedParameters, include), l1, l2);

    /// <summary>Elastic net λ₁ Σ |w| + λ₂ Σ w² over the module's parameters, biases skipped unless <paramref name="includeBiases"/>.</summary>
    public static Tensor ElasticNetPenalty(Module module, double l1, double l2, bool includeBiases = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        return ElasticNetPenalty(module.NamedParameters(), l1, l2, includeBiases ? _ => true : null);
    }

    private static List<Tensor> Filter(IEnumerable<Tensor> parameters, Func<Tensor, bool>? include)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [.. include is null ? parameters : parameters.Where(include)];
    }

    private static List<Tensor> Filter(IEnumerable<(string Name, Tensor Parameter)> named, Func<string, bool>? include)
    {
        ArgumentNullException.ThrowIfNull(named);
        include ??= n => !IsBias(n);
        return [.. named.Where(np => include(np.Name)).Select(np => np.Parameter)];
    }

    private static Tensor Penalty(List<Tensor> parameters, double l1, double l2)
    {
        CheckWeight(l1, nameof(l1));
        CheckWeight(l2, nameof(l2));
        if (parameters.Count == 0) return Tensor.Scalar(0);
        return Penalty(parameters, l1, l1: true) + Penalty(parameters, l2, l1: false);
    }

    private static void CheckWeight(double lambda, string name)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(name, lambda, $"The penalty weight {name} must be finite and non-negative.");
    }

    private static Tensor Penalty(List<Tensor> parameters, double lambda, bool l1)
    {
        CheckWeight(lambda, nameof(lambda));
        if (parameters.Count == 0) return Tensor.Scalar(0);
        Tensor? total = null;
        foreach (var p in parameters)
        {
            var term = l1 ? p.Abs().Sum() : p.Square().Sum();
            total = total is null ? term : total + term;
        }
        return total! * lambda;
    }
}

/// <summary>
/// The max-norm constraint of the dropout paper (Srivastava et al. 2014) and Keras's <c>max_norm</c>: after each update,
/// every unit's incoming weight vector w is rescaled to norm c when ‖w‖₂ &gt; c (w ← w · c / (‖w‖₂ + 1e-7), as
/// torch.renorm), so weights stay bounded even with large learning rates. Apply it after <c>optimizer.Step()</c>.
/// </summary>
public static class MaxNormConstraint
{
    /// <summary>
    /// Renormalises, in place and unrecorded, each slice <c>weight.select(dim, i)</c> whose L2 norm exceeds
    /// <paramref name="maxNorm"/>, as <c>torch.renorm(weight, 2, dim, maxNorm)</c>. With <paramref name="dim"/> 0 the slices are
    /// the units of a Linear [out, in] or Conv2d [out, in, kh, kw] weight (each output unit's incoming weights).
    /// </summary>
    /// <returns>The number of slices that were rescaled.</returns>
    public static int Apply(Tensor weight, double maxNorm, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (!(maxNorm >= 0) || double.IsInfinity(maxNorm)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and non-negative.");
        if (!weight.DType.IsFloatingPoint()) throw new ArgumentException($"MaxNormConstraint needs a floating-point tensor, got {weight.DType.TorchName()}.", nameof(weight));
        if (weight.Rank == 0) throw new ArgumentException("MaxNormConstraint needs a tensor with at least one dimension.", nameof(weight));
        int d = ShapeUtil.NormDim(dim, weight.Rank, "MaxNormConstraint");
        if (!weight.IsContiguous) throw new ArgumentException($"MaxNormConstraint: the tensor {ShapeUtil.Format(weight.ShapeArray)} is not contiguous (it is updated in place).", nameof(weight));
        return weight.Backend.Renorm(weight, d, maxNorm);
    }

    /// <summary>
    /// Applies <see cref="Apply(Tensor, double, int)"/> (dim 0) to every trainable parameter of <paramref name="module"/> with
    /// at least two dimensions (weights, not biases); frozen ones (<see cref="Tensor.RequiresGrad"/> false) stay as they are.
    /// </summary>
    /// <returns>The number of units rescaled in all.</returns>
    public static int Apply(Module module, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(module);
        int total = 0;
        foreach (var p in module.Parameters())
            if (p.Rank >= 2 && p.RequiresGrad) total += Apply(p, maxNorm);
        return total;
    }
}
