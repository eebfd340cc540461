using Axon.Nn;

namespace Axon.Optim;

/// <summary>
/// Penalty terms of the penalised empirical risk L_n(θ) = (1/n) Σ ℓ(f(X_i, θ), Y_i) + λ Ω(θ), as differentiable
/// scalars to add to the loss:
/// <list type="bullet">
/// <item>L2: Ω(θ) = Σ_k ‖W^(k)‖_F² = Σ w², gradient 2λw. (PyTorch's <c>weight_decay</c> λ' adds λ'w to the gradient,
/// i.e. it equals this penalty with λ = λ'/2.)</item>
/// <item>L1 (LASSO): Ω(θ) = Σ |w|, gradient λ sign(w) (0 at w = 0), which drives weights to exactly zero.</item>
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

    private static Tensor Penalty(List<Tensor> parameters, double lambda, bool l1)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "The penalty weight lambda must be finite and non-negative.");
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
