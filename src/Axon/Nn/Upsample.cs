using System.Globalization;
using System.Text;

namespace Axon.Nn;

/// <summary>
/// Upsampling of [N, C, H, W] images (torch.nn.Upsample): nearest or bilinear resizing to a fixed <c>size</c> or by a
/// <c>scaleFactor</c> (exactly one of them), through <see cref="Tensor.Interpolate"/>. No parameters.
/// </summary>
public sealed class Upsample : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer with exactly one of <paramref name="size"/> (an int for a square output, or (Ho, Wo)) and
    /// <paramref name="scaleFactor"/> (a number for both dimensions, or (sh, sw)), as PyTorch's nn.Upsample.
    /// </summary>
    public Upsample(Size2? size = null, Scale2? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        if (mode is not ("nearest" or "bilinear"))
            throw new ArgumentException($"Upsample: unsupported mode '{mode}', should be one of 'nearest', 'bilinear'.", nameof(mode));
        if (alignCorners is not null && mode == "nearest")
            throw new ArgumentException($"Upsample: the align_corners option can only be set with the interpolating modes (bilinear), not '{mode}'.", nameof(alignCorners));
        if (size is { } s && (s.H <= 0 || s.W <= 0))
            throw new ArgumentOutOfRangeException(nameof(size), $"Upsample: the output size must be positive, got {s.ToPairString()}.");
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException(size is null ? "Upsample: either size or scale_factor should be defined." : "Upsample: only one of size or scale_factor should be defined.");
        if (scaleFactor is var (fh, fw) && (!(fh > 0) || !(fw > 0) || double.IsInfinity(fh) || double.IsInfinity(fw)))
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), string.Create(CultureInfo.InvariantCulture, $"Upsample: the scale factor must be positive and finite, got ({fh}, {fw})."));
        Size = size;
        ScaleFactor = scaleFactor;
        Mode = mode;
        AlignCorners = alignCorners;
    }

    /// <summary>The output size (Ho, Wo), or null when a scale factor is given.</summary>
    public Size2? Size { get; }

    /// <summary>The scale factors (sh, sw), or null when a size is given.</summary>
    public Scale2? ScaleFactor { get; }

    /// <summary>"nearest" or "bilinear".</summary>
    public string Mode { get; }

    /// <summary>Whether bilinear resizing aligns the corner pixels (null: not given, i.e. false).</summary>
    public bool? AlignCorners { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Interpolate(input, Size, ScaleFactor, Mode, AlignCorners);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        // As PyTorch: scale factors print as Python floats; align_corners is not shown.
        var sb = new StringBuilder();
        if (ScaleFactor is not null)
            sb.Append("scale_factor=").Append(ScaleFactor.Value.ToString());
        else sb.Append("size=").Append(Size!.Value.ToString());
        sb.Append(", mode=").Append(Mode);
        return sb.ToString();
    }
}
