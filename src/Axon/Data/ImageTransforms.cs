using System.Globalization;

namespace Axon.Data;

/// <summary>
/// Resizes images with bilinear interpolation (torchvision.transforms.Resize on tensors, with
/// <c>antialias=True</c> unless asked otherwise). Given one size, the shorter side becomes that size and the longer
/// keeps the aspect ratio (its new length rounded down, as torchvision); given a height and width, the images take
/// exactly that shape. Antialiasing widens the bilinear filter by the shrink factor when downscaling, so a photo
/// shrunk to 224 pixels averages all its pixels instead of sampling a few (PIL's and PyTorch's antialiased bilinear);
/// upscaling is the same either way. Deterministic; returns a new tensor, or the input itself when the size is
/// unchanged. Agrees with torchvision 0.14's <c>F.resize</c> to float32 rounding (tests: 2e-6 on values in [0, 1]).
/// <para><b>Shape:</b> [N, C, H, W] → [N, C, H', W'] (also [C, H, W] and [H, W]).</para>
/// </summary>
public sealed class Resize : Transform
{
    /// <summary>Resizes the shorter side to <paramref name="size"/>, keeping the aspect ratio.</summary>
    public Resize(int size, bool antialias = true)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "Resize: the size must be positive.");
        Size = size;
        Antialias = antialias;
    }

    /// <summary>Resizes to exactly <paramref name="height"/> x <paramref name="width"/>.</summary>
    public Resize(int height, int width, bool antialias = true)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"Resize: the height and width must be positive, got {height}x{width}.");
        Height = height;
        Width = width;
        Antialias = antialias;
    }

    /// <summary>The length of the shorter side after resizing, or null when a height and width are given.</summary>
    public int? Size { get; }

    /// <summary>The height after resizing, or null when only the shorter side is given.</summary>
    public int? Height { get; }

    /// <summary>The width after resizing, or null when only the shorter side is given.</summary>
    public int? Width { get; }

    /// <summary>Whether downscaling widens the filter (antialiasing).</summary>
    public bool Antialias { get; }

    /// <summary>The size an <paramref name="height"/> x <paramref name="width"/> image is resized to.</summary>
    public (int Height, int Width) OutputSize(int height, int width)
    {
        if (Size is not int s) return (Height!.Value, Width!.Value);
        // The longer side: int(size * long / short) in Python, truncating the exact quotient.
        if (width <= height) return ((int)((double)s * height / width), s);
        return (s, (int)((double)s * width / height));
    }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var (n, c, h, w) = Layout(images, "Resize");
        if (h == 0 || w == 0) throw new ArgumentException($"Resize: cannot resize an empty {h}x{w} image.", nameof(images));
        var (oh, ow) = OutputSize(h, w);
        if (oh == h && ow == w) return images;
        var result = Resampling.NewImages(images, oh, ow);
        Resampling.CropResize(images.AsSpan<float>(), n * c, h, w, 0, 0, h, w, result.AsSpan<float>(), oh, ow, Antialias);
        return result;
    }

    /// <summary>
    /// The window (top, left, height, width) of each image, zero outside the image, resized to
    /// <paramref name="outHeight"/> x <paramref name="outWidth"/> (torchvision.transforms.functional.resized_crop,
    /// bilinear). Returns a new tensor.
    /// </summary>
    public static Tensor ResizedCrop(Tensor images, int top, int left, int height, int width, int outHeight, int outWidth, bool antialias = true)
    {
        var (n, c, h, w) = Layout(images, "ResizedCrop");
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"ResizedCrop: the window must be non-empty, got {height}x{width}.");
        if (outHeight <= 0 || outWidth <= 0) throw new ArgumentOutOfRangeException(nameof(outHeight), $"ResizedCrop: the output size must be positive, got {outHeight}x{outWidth}.");
        var result = Resampling.NewImages(images, outHeight, outWidth);
        Resampling.CropResize(images.AsSpan<float>(), n * c, h, w, top, left, height, width, result.AsSpan<float>(), outHeight, outWidth, antialias);
        return result;
    }

    /// <summary>As torchvision's repr, e.g. <c>Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)</c>.</summary>
    public override string ToString() =>
        $"Resize(size={(Size is int s ? s.ToString(CultureInfo.InvariantCulture) : $"({Height}, {Width})")}, interpolation=bilinear, max_size=None, antialias={(Antialias ? "True" : "False")})";
}

/// <summary>
/// Crops the centre of each image (torchvision.transforms.CenterCrop): the window starts at round((H − h) / 2) rows
/// and round((W − w) / 2) columns, halves rounded to even as Python's round; an image smaller than the crop is padded
/// with zeros first ((h − H) / 2 rows above, rounded down, the rest below; likewise for columns). Deterministic; returns
/// a new tensor, or the input itself when the size is unchanged.
/// <para><b>Shape:</b> [N, C, H, W] → [N, C, h, w] (also [C, H, W] and [H, W]).</para>
/// </summary>
public sealed class CenterCrop : Transform
{
    /// <summary>A <paramref name="size"/> x <paramref name="size"/> centre crop.</summary>
    public CenterCrop(int size) : this(size, size) { }

    /// <summary>A <paramref name="height"/> x <paramref name="width"/> centre crop.</summary>
    public CenterCrop(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"CenterCrop: the crop must be non-empty, got {height}x{width}.");
        Height = height;
        Width = width;
    }

    /// <summary>Rows of the crop.</summary>
    public int Height { get; }

    /// <summary>Columns of the crop.</summary>
    public int Width { get; }

    /// <summary>Where the crop starts along an axis of <paramref name="size"/> pixels (negative: zero padding before).</summary>
    internal static int Offset(int size, int crop) =>
        size >= crop ? (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven) : -((crop - size) / 2);

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var (n, c, h, w) = Layout(images, "CenterCrop");
        if (h == Height && w == Width) return images;
        var result = Resampling.NewImages(images, Height, Width);
        Resampling.Crop(images.AsSpan<float>(), n * c, h, w, Offset(h, Height), Offset(w, Width), result.AsSpan<float>(), Height, Width);
        return result;
    }

    /// <summary>As torchvision's repr, e.g. <c>CenterCrop(size=(224, 224))</c>.</summary>
    public override string ToString() => $"CenterCrop(size=({Height}, {Width}))";
}

/// <summary>
/// Crops a random window of random area and aspect ratio from each image and resizes it to a fixed size
/// (torchvision.transforms.RandomResizedCrop; Szegedy et al., 2015, "Going deeper with convolutions"), the standard
/// ImageNet training augmentation. Per image, as torchvision's <c>get_params</c>: up to ten tries of an area fraction
/// uniform in <see cref="Scale"/> and an aspect ratio (width / height) log-uniform in <see cref="Ratio"/>, the window's
/// width and height rounded half to even; the first that fits gets a top row uniform in [0, H − h] and a left column in
/// [0, W − w]. If none fits, the centre crop of the whole image clamped to the ratio range. The window is then resized
/// bilinearly (antialiased by default, like PIL-based pipelines; torchvision 0.14's tensor default is not).
/// <para><b>Shape:</b> [N, C, H, W] → [N, C, height, width] (also [C, H, W] and [H, W]); always a new tensor.</para>
/// </summary>
public sealed class RandomResizedCrop : Transform
{
    /// <summary>Crops to <paramref name="size"/> x <paramref name="size"/>.</summary>
    public RandomResizedCrop(int size, double scaleMin = 0.08, double scaleMax = 1.0, double ratioMin = 3.0 / 4.0, double ratioMax = 4.0 / 3.0, bool antialias = true)
        : this(size, size, scaleMin, scaleMax, ratioMin, ratioMax, antialias) { }

    /// <summary>Crops to <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="height">Rows of the output.</param>
    /// <param name="width">Columns of the output.</param>
    /// <param name="scaleMin">Smallest window area, as a fraction of the image.</param>
    /// <param name="scaleMax">Largest window area, as a fraction of the image.</param>
    /// <param name="ratioMin">Smallest aspect ratio (width / height) of the window.</param>
    /// <param name="ratioMax">Largest aspect ratio.</param>
    /// <param name="antialias">Antialias when the window is shrunk (see <see cref="Resize"/>).</param>
    public RandomResizedCrop(int height, int width, double scaleMin, double scaleMax, double ratioMin, double ratioMax, bool antialias = true)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"RandomResizedCrop: the output size must be positive, got {height}x{width}.");
        if (!(scaleMin >= 0 && scaleMin <= scaleMax && scaleMax <= 1))
            throw new ArgumentOutOfRangeException(nameof(scaleMax), $"RandomResizedCrop: the scale range must satisfy 0 ≤ min ≤ max ≤ 1, got ({scaleMin}, {scaleMax}).");
        if (!(ratioMin > 0 && ratioMin <= ratioMax && double.IsFinite(ratioMax)))
            throw new ArgumentOutOfRangeException(nameof(ratioMax), $"RandomResizedCrop: the ratio range must satisfy 0 < min ≤ max, got ({ratioMin}, {ratioMax}).");
        Height = height;
        Width = width;
        Scale = (scaleMin, scaleMax);
        Ratio = (ratioMin, ratioMax);
        Antialias = antialias;
    }

    /// <summary>Rows of the output.</summary>
    public int Height { get; }

    /// <summary>Columns of the output.</summary>
    public int Width { get; }

    /// <summary>Range of the window's area as a fraction of the image.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the window's aspect ratio (width / height).</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>Whether shrinking antialiases.</summary>
    public bool Antialias { get; }

    /// <summary>The window (top, left, height, width) cropped from an <paramref name="h"/> x <paramref name="w"/> image, drawing as <see cref="Apply"/> does.</summary>
    public (int Top, int Left, int Height, int Width) GetParams(int h, int w, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        double area = (double)h * w;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (Scale.Min + (Scale.Max - Scale.Min) * generator.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * generator.NextDouble());
            int cw = (int)Math.Round(Math.Sqrt(target * aspect));
            int ch = (int)Math.Round(Math.Sqrt(target / aspect));
            if (cw > 0 && cw <= w && ch > 0 && ch <= h)
            {
                int top = (int)generator.NextInt64(h - ch + 1);
                int left = (int)generator.NextInt64(w - cw + 1);
                return (top, left, ch, cw);
            }
        }
        // Fallback: the largest centred window whose ratio is within range.
        double inRatio = (double)w / h;
        int fw = w, fh = h;
        if (inRatio < Ratio.Min) fh = (int)Math.Round(w / Ratio.Min);
        else if (inRatio > Ratio.Max) fw = (int)Math.Round(h * Ratio.Max);
        return ((h - fh) / 2, (w - fw) / 2, fh, fw);
    }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var (n, c, h, w) = Layout(images, "RandomResizedCrop");
        if (h == 0 || w == 0) throw new ArgumentException($"RandomResizedCrop: cannot crop an empty {h}x{w} image.", nameof(images));
        var result = Resampling.NewImages(images, Height, Width);
        var src = images.AsSpan<float>();
        var dst = result.AsSpan<float>();
        int inImage = c * h * w, outImage = c * Height * Width;
        for (int i = 0; i < n; i++)
        {
            var (top, left, ch, cw) = GetParams(h, w, g);
            Resampling.CropResize(src.Slice(i * inImage, inImage), c, h, w, top, left, ch, cw, dst.Slice(i * outImage, outImage), Height, Width, Antialias);
        }
        return result;
    }

    /// <summary>As torchvision's repr, e.g. <c>RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"RandomResizedCrop(size=({Height}, {Width}), scale=({Scale.Min:0.0###}, {Scale.Max:0.0###}), ratio=({Ratio.Min:0.0###}, {Ratio.Max:0.0###}), interpolation=bilinear, antialias={(Antialias ? "True" : "False")})");
}
