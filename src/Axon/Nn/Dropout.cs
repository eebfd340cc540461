using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// Dropout: in training, zeroes each element with probability p and scales the survivors by 1/(1-p)
/// (inverted dropout, so evaluation is the identity). The lectures use p = 0.2 on inputs and 0.5 on
/// hidden layers. The mask comes from a seeded generator.
/// </summary>
public sealed class Dropout : Module<Tensor, Tensor>
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
        var mask = Tensor.Rand(input.GetShape(), generator, input.DType, device: input.Device).Ge(P) * (1 / (1 - P));
        return input * mask;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"p={P}, inplace=False");
}

/// <summary>
/// Channel dropout (torch.nn.Dropout2d): in training, zeroes each whole channel of an [N, C, H, W] (or unbatched
/// [C, H, W]) input with probability p and scales the surviving channels by 1/(1-p); evaluation is the identity.
/// Adjacent pixels of a feature map are strongly correlated, so dropping single pixels regularises little.
/// </summary>
public sealed class Dropout2d : Module<Tensor, Tensor>
{
    private readonly Generator? generator;

    /// <summary>Creates the layer; p must be in [0, 1).</summary>
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout2d probability p must be in [0, 1).");
        P = p;
        this.generator = generator;
    }

    /// <summary>Probability of zeroing a channel.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"Dropout2d: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got [{string.Join(", ", input.GetShape())}].", nameof(input));
        if (!Training || P == 0) return input;
        // One mask value per (sample, channel), broadcast over the plane.
        var maskShape = input.GetShape();
        maskShape[^1] = 1;
        maskShape[^2] = 1;
        var mask = Tensor.Rand(maskShape, generator, input.DType, device: input.Device).Ge(P) * (1 / (1 - P));
        return input * mask;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"p={P}, inplace=False");
}
