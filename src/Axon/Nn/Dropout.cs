using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// Dropout: in training, zeroes each element with probability p and scales the survivors by 1/(1-p)
/// (inverted dropout, so evaluation is the identity). The lectures use p = 0.2 on inputs and 0.5 on
/// hidden layers. The mask comes from a seeded generator.
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator? generator;

    /// <summary>Creates the layer; p must be in [0, 1).</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability p must be in [0, 1).");
        P = p;
        this.generator = generator;
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!Training || P == 0) return input;
        var mask = Tensor.Rand(input.GetShape(), generator, input.DType).Ge(P) * (1 / (1 - P));
        return input * mask;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"p={P}, inplace=False");
}
