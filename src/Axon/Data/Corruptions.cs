namespace Axon.Data;

/// <summary>
/// Adds Gaussian noise N(0, std²) to every pixel, then clamps to [<see cref="Min"/>, <see cref="Max"/>] (the corruption
/// of a denoising autoencoder; <c>clamp: false</c> keeps the raw sum). In place, one draw per pixel.
/// </summary>
public sealed class GaussianNoise(double std, double min = 0, double max = 1, bool clamp = true) : Transform
{
    /// <summary>The noise's standard deviation.</summary>
    public double Std { get; } = std >= 0 && double.IsFinite(std) ? std : throw new ArgumentOutOfRangeException(nameof(std), std, "GaussianNoise: the standard deviation must be finite and ≥ 0.");

    /// <summary>The clamp's lower bound.</summary>
    public double Min { get; } = min;

    /// <summary>The clamp's upper bound.</summary>
    public double Max { get; } = max;

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        Layout(images, "GaussianNoise");
        images.Add_(Tensor.Randn(images.Shape.ToArray(), generator ?? Generator.Default, images.DType, 0, Std, images.Device));
        return clamp ? images.Clamp_(Min, Max) : images;
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"GaussianNoise(std={Std})");
}

/// <summary>Masking noise: sets each pixel to zero with probability <see cref="P"/> (Vincent et al. 2008). In place.</summary>
public sealed class RandomMasking(double p) : Transform
{
    /// <summary>The probability of zeroing a pixel.</summary>
    public double P { get; } = p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "RandomMasking: p must be in [0, 1].");

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        Layout(images, "RandomMasking");
        var u = Tensor.Rand(images.Shape.ToArray(), generator ?? Generator.Default, images.DType, device: images.Device);
        return images.Mul_(u.Ge(P).To(images.DType));
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"RandomMasking(p={P})");
}

/// <summary>
/// Salt-and-pepper noise: each pixel, with probability <see cref="P"/>, becomes <see cref="Low"/> or <see cref="High"/>
/// (even odds); the others keep their value. In place.
/// </summary>
public sealed class SaltAndPepper(double p, double low = 0, double high = 1) : Transform
{
    /// <summary>The probability of replacing a pixel.</summary>
    public double P { get; } = p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "SaltAndPepper: p must be in [0, 1].");

    /// <summary>The pepper value.</summary>
    public double Low { get; } = low;

    /// <summary>The salt value.</summary>
    public double High { get; } = high;

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        Layout(images, "SaltAndPepper");
        // One uniform per pixel: below p/2 pepper, in [p/2, p) salt, from p on the pixel stays.
        var u = Tensor.Rand(images.Shape.ToArray(), generator ?? Generator.Default, images.DType, device: images.Device);
        var keep = u.Ge(P).To(images.DType);
        var salt = u.Ge(P / 2).To(images.DType) - keep;
        var pepper = 1.0 - keep - salt;
        images.Mul_(keep);
        images.Add_(salt * High + pepper * Low);
        return images;
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"SaltAndPepper(p={P})");
}
