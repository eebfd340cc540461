using System.Globalization;

namespace Axon;

// Nearest and bilinear resizing of [N, C, H, W] images, composed from index gathers (IndexSelect) along H and W and
// weighted sums, so that the backward (IndexAdd) is automatic and differentiates again.
public sealed partial class Tensor
{
    /// <summary>
    /// Resizes the spatial dimensions of a 4-D input [N, C, H, W] as PyTorch's F.interpolate (and nn.Upsample), with
    /// exactly one of <paramref name="size"/> (Ho, Wo) and <paramref name="scaleFactor"/> (sh, sw; then Ho = floor(H sh)).
    /// Modes: "nearest" (source index floor(i / sh), or floor(i H / Ho) given a size, as PyTorch's legacy nearest) and
    /// "bilinear" (with <paramref name="alignCorners"/> the corner pixels of input and output are aligned, source
    /// i (H - 1) / (Ho - 1); else pixel centres, source (i + 0.5) / sh - 0.5 clamped at 0). A given scale factor sets
    /// the source positions, as PyTorch does without recompute_scale_factor.
    /// </summary>
    public static Tensor Interpolate(Tensor input, Size2? size = null, Scale2? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        const string op = "Interpolate";
        if (mode is not ("nearest" or "bilinear"))
            throw new ArgumentException($"{op}: unsupported mode '{mode}', should be one of 'nearest', 'bilinear'.", nameof(mode));
        if (alignCorners is not null && mode == "nearest")
            throw new ArgumentException($"{op}: the align_corners option can only be set with the interpolating modes (bilinear), not '{mode}'.", nameof(alignCorners));
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W] for {mode} mode, got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: expected a floating-point input, got {input.DType.TorchName()}.", nameof(input));
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException(size is null ? $"{op}: either size or scale_factor should be defined." : $"{op}: only one of size or scale_factor should be defined.");
        int h = input.shape[2], w = input.shape[3];
        int ho, wo;
        double? sh = null, sw = null;
        if (size is { } sz)
        {
            (ho, wo) = (sz.H, sz.W);
            if (ho <= 0 || wo <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"{op}: the output size must be positive, got {sz.ToPairString()} (input {ShapeUtil.Format(input.shape)}).");
        }
        else
        {
            var (fh, fw) = (scaleFactor!.Value.H, scaleFactor.Value.W);
            if (!(fh > 0) || !(fw > 0) || double.IsInfinity(fh) || double.IsInfinity(fw))
                throw new ArgumentOutOfRangeException(nameof(scaleFactor), string.Create(CultureInfo.InvariantCulture, $"{op}: the scale factor must be positive and finite, got ({fh}, {fw})."));
            (ho, wo) = ((int)Math.Floor(h * fh), (int)Math.Floor(w * fw));
            if (ho <= 0 || wo <= 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: the scale factor ({fh}, {fw}) makes an empty output {ho} x {wo} from input {ShapeUtil.Format(input.shape)}."), nameof(scaleFactor));
            (sh, sw) = (fh, fw);
        }
        if (h == 0 || w == 0) throw new ArgumentException($"{op}: the input {ShapeUtil.Format(input.shape)} is empty.", nameof(input));

        return mode == "nearest"
            ? ResizeNearest(ResizeNearest(input, 2, ho, sh), 3, wo, sw)
            : ResizeLinear(ResizeLinear(input, 2, ho, sh, alignCorners ?? false), 3, wo, sw, alignCorners ?? false);
    }

    /// <summary>Nearest resizing of one dimension: a gather of source rows min(floor(i scale), size - 1), scale in float32 as PyTorch's kernel.</summary>
    private static Tensor ResizeNearest(Tensor x, int dim, int outSize, double? scaleFactor)
    {
        int inSize = x.shape[dim];
        // PyTorch's nearest_idx: the same size is the identity and twice the size halves the index, whatever the scale.
        if (inSize == outSize) return x;
        float scale = scaleFactor is { } f ? (float)(1.0 / f) : (float)inSize / outSize;
        var idx = new long[outSize];
        for (int i = 0; i < outSize; i++) idx[i] = outSize == 2 * inSize ? i >> 1 : Math.Min((long)MathF.Floor(i * scale), inSize - 1);
        return x.IndexSelect(dim, FromArray(idx).To(x.Device));
    }

    /// <summary>
    /// Linear resizing of one dimension: y[i] = (1 - l_i) x[i0] + l_i x[i1] with i0 = floor(src), i1 = min(i0 + 1, size - 1),
    /// l_i = src - i0, as two gathers and a weighted sum.
    /// </summary>
    private static Tensor ResizeLinear(Tensor x, int dim, int outSize, double? scaleFactor, bool alignCorners)
    {
        int inSize = x.shape[dim];
        if (inSize == outSize && (alignCorners || scaleFactor is null or 1.0)) return x;
        double scale = alignCorners ? (outSize > 1 ? (inSize - 1.0) / (outSize - 1.0) : 0.0) : scaleFactor is { } f ? 1.0 / f : (double)inSize / outSize;
        long[] i0 = new long[outSize], i1 = new long[outSize];
        double[] l0 = new double[outSize], l1 = new double[outSize];
        for (int i = 0; i < outSize; i++)
        {
            double src = alignCorners ? scale * i : Math.Max(scale * (i + 0.5) - 0.5, 0.0);
            long lo = Math.Min((long)src, inSize - 1);
            i0[i] = lo;
            i1[i] = lo < inSize - 1 ? lo + 1 : lo;
            l1[i] = src - lo;
            l0[i] = 1 - l1[i];
        }
        int[] wShape = [1, 1, 1, 1];
        wShape[dim] = outSize;
        var dev = x.Device;
        var w0 = FromArray(l0).To(x.DType).Reshape(wShape).To(dev);
        var w1 = FromArray(l1).To(x.DType).Reshape(wShape).To(dev);
        return x.IndexSelect(dim, FromArray(i0).To(dev)) * w0 + x.IndexSelect(dim, FromArray(i1).To(dev)) * w1;
    }
}

/// <summary>
/// A (height, width) pair of scale factors, as PyTorch's float-or-tuple scale_factor: a <see cref="double"/> converts to
/// a square pair and <c>(h, w)</c> to a pair; it remembers which, so reprs print it back as PyTorch does.
/// </summary>
public readonly record struct Scale2(double H, double W)
{
    /// <summary>A square pair (v, v).</summary>
    public Scale2(double value) : this(value, value) => IsScalar = true;

    /// <summary>True when created from a single number.</summary>
    public bool IsScalar { get; }

    /// <summary>A square pair from one number.</summary>
    public static implicit operator Scale2(double value) => new(value);

    /// <summary>A pair from a tuple (h, w).</summary>
    public static implicit operator Scale2((double H, double W) value) => new(value.H, value.W);

    /// <summary>As Python prints the argument: "2.0" for a single number, "(1.5, 2.0)" for a pair.</summary>
    public override string ToString() => IsScalar ? PyFloat(H) : $"({PyFloat(H)}, {PyFloat(W)})";

    private static string PyFloat(double v)
    {
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }
}
