using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// Local response normalisation across channels (torch.nn.LocalResponseNorm): each activation divided by
/// (k + alpha / size * the sum of squares over <paramref name="size"/> neighbouring channels)^beta. AlexNet (Krizhevsky
/// et al. 2012) used it after its first two convolutions with size 5, alpha 1e-4, beta 0.75, k 2. No parameters.
/// Repr as PyTorch: <c>LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)</c>.
/// </summary>
public sealed class LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0) : Module<Tensor, Tensor>
{
    /// <summary>Number of neighbouring channels in the window (the channel itself included).</summary>
    public int Size { get; } = size > 0 ? size : throw new ArgumentOutOfRangeException(nameof(size), size, "LocalResponseNorm: size must be positive.");

    /// <summary>Scale of the window's sum of squares (divided by <see cref="Size"/>, as PyTorch).</summary>
    public double Alpha { get; } = alpha;

    /// <summary>Exponent of the divisor.</summary>
    public double Beta { get; } = beta;

    /// <summary>Additive constant of the divisor.</summary>
    public double K { get; } = k;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.LocalResponseNorm(input, Size, Alpha, Beta, K);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"{Size}, alpha={Py(Alpha)}, beta={Py(Beta)}, k={Py(K)}");

    // Python's repr of a float: 2.0 rather than 2, 0.0001, 1e-05.
    private static string Py(double v)
    {
        string s = v.ToString("R", CultureInfo.InvariantCulture).Replace("E-0", "e-0", StringComparison.Ordinal).Replace("E", "e", StringComparison.Ordinal);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('e', StringComparison.Ordinal) || s.Contains("Inf", StringComparison.Ordinal) || s.Contains("NaN", StringComparison.Ordinal) ? s : s + ".0";
    }
}
