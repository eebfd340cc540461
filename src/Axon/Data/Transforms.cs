namespace Axon.Data;

/// <summary>
/// An image transform, as torchvision.transforms, applied to a float32 tensor of images: a batch [N, C, H, W], one image
/// [C, H, W], or one single-channel image [H, W]. Random transforms make one independent draw per image (all channels
/// of an image share it), image after image, from the <see cref="Generator"/> passed to <see cref="Apply"/>, so the
/// same generator state gives the same result. Transforms work in place: when the result has the input's shape,
/// <see cref="Apply"/> overwrites the input and returns it; otherwise it returns a new tensor and leaves the input as it
/// was. Give a <see cref="DataLoader"/> a transform to augment every batch it produces.
/// </summary>
public abstract class Transform
{
    /// <summary>Applies the transform to <paramref name="images"/> (see the class remarks for shapes and in-place behaviour).</summary>
    /// <param name="images">Contiguous float32 images, [N, C, H, W], [C, H, W] or [H, W].</param>
    /// <param name="generator">The source of randomness (default <see cref="Generator.Default"/>); unused by deterministic transforms.</param>
    public abstract Tensor Apply(Tensor images, Generator? generator = null);

    /// <summary>Number of images, channels, rows and columns of an image tensor (validating it).</summary>
    private protected static (int N, int C, int H, int W) Layout(Tensor images, string who)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.DType != DType.Float32) throw new ArgumentException($"{who}: the images must be float32, got {images.DType.TorchName()}.", nameof(images));
        if (!images.IsContiguous) throw new ArgumentException($"{who}: the images must be contiguous; call Contiguous() first.", nameof(images));
        var s = images.Shape;
        return s.Length switch
        {
            2 => (1, 1, s[0], s[1]),
            3 => (1, s[0], s[1], s[2]),
            4 => (s[0], s[1], s[2], s[3]),
            _ => throw new ArgumentException($"{who}: expected images [N, C, H, W], [C, H, W] or [H, W], got a tensor of rank {s.Length}.", nameof(images)),
        };
    }
}

/// <summary>Applies transforms one after the other (torchvision.transforms.Compose); each draws its randomness in turn.</summary>
public sealed class Compose : Transform
{
    private readonly Transform[] transforms;

    /// <summary>Chains <paramref name="transforms"/>, applied in the order given.</summary>
    public Compose(params Transform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        foreach (var t in transforms) ArgumentNullException.ThrowIfNull(t, nameof(transforms));
        this.transforms = (Transform[])transforms.Clone();
    }

    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<Transform> Transforms => transforms;

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var current = images;
        foreach (var t in transforms)
        {
            var next = t.Apply(current, g);
            if (!ReferenceEquals(next, current) && !ReferenceEquals(current, images)) current.Dispose(); // an intermediate of ours
            current = next;
        }
        return current;
    }
}

/// <summary>Normalises each channel: x ← (x − mean[c]) / std[c] (torchvision.transforms.Normalize). Deterministic.</summary>
public sealed class Normalize : Transform
{
    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Per-channel means and standard deviations (one value each applies to every channel).</summary>
    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: need as many means as standard deviations (at least one), got {mean.Length} and {std.Length}.", nameof(std));
        foreach (float s in std)
            if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(std), s, "Normalize: every standard deviation must be positive and finite.");
        this.mean = (float[])mean.Clone();
        this.std = (float[])std.Clone();
    }

    /// <summary>One mean and standard deviation for every channel.</summary>
    public Normalize(float mean, float std) : this([mean], [std]) { }

    /// <summary>
    /// The ImageNet statistics of RGB images in [0, 1] (means 0.485, 0.456, 0.406; standard deviations 0.229, 0.224,
    /// 0.225), which torchvision's pretrained models expect after ToTensor.
    /// </summary>
    public static Normalize ImageNet => new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>The per-channel means.</summary>
    public IReadOnlyList<float> Mean => mean;

    /// <summary>The per-channel standard deviations.</summary>
    public IReadOnlyList<float> Std => std;

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var (n, c, h, w) = Layout(images, "Normalize");
        if (mean.Length != 1 && mean.Length != c)
            throw new ArgumentException($"Normalize: {mean.Length} means for images of {c} channels.", nameof(images));
        var data = images.AsSpan<float>();
        int plane = h * w;
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                int k = mean.Length == 1 ? 0 : ch;
                float m = mean[k], inv = 1f / std[k];
                var p = data.Slice((i * c + ch) * plane, plane);
                for (int j = 0; j < p.Length; j++) p[j] = (p[j] - m) * inv;
            }
        return images;
    }
}

/// <summary>
/// Mirrors each image left-right with probability <see cref="P"/> (torchvision.transforms.RandomHorizontalFlip):
/// one uniform draw per image, flipped when it is below p.
/// </summary>
public sealed class RandomHorizontalFlip : Transform
{
    /// <summary>Flips with probability <paramref name="p"/> in [0, 1].</summary>
    public RandomHorizontalFlip(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "RandomHorizontalFlip: p must be in [0, 1].");
        P = p;
    }

    /// <summary>The flip probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var (n, c, h, w) = Layout(images, "RandomHorizontalFlip");
        var data = images.AsSpan<float>();
        for (int i = 0; i < n; i++)
        {
            if (!(g.NextDouble() < P)) continue;
            for (int r = 0; r < c * h; r++) data.Slice((i * c * h + r) * w, w).Reverse();
        }
        return images;
    }
}

/// <summary>
/// Pads each image by <see cref="Padding"/> pixels of <see cref="Fill"/> on every side and crops a random
/// <see cref="Height"/> x <see cref="Width"/> window (torchvision.transforms.RandomCrop with constant padding): per
/// image, the top row is drawn uniformly in [0, H + 2·padding − height], then the left column in [0, W + 2·padding − width].
/// With the crop size equal to the image size (the usual <c>RandomCrop(28, padding: 4)</c>) the content shifts by up to
/// ±padding pixels, the shape is kept and the images are overwritten in place; another size gives a new tensor.
/// </summary>
public sealed class RandomCrop : Transform
{
    /// <summary>A random <paramref name="size"/> x <paramref name="size"/> crop after padding.</summary>
    public RandomCrop(int size, int padding = 0, float fill = 0) : this(size, size, padding, fill) { }

    /// <summary>A random <paramref name="height"/> x <paramref name="width"/> crop after padding each side by <paramref name="padding"/> pixels of <paramref name="fill"/>.</summary>
    public RandomCrop(int height, int width, int padding, float fill = 0)
    {
        if (height <= 0) throw new ArgumentOutOfRangeException(nameof(height), height, "RandomCrop: the crop height must be positive.");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "RandomCrop: the crop width must be positive.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "RandomCrop: the padding must be non-negative.");
        Height = height;
        Width = width;
        Padding = padding;
        Fill = fill;
    }

    /// <summary>Rows of the crop.</summary>
    public int Height { get; }

    /// <summary>Columns of the crop.</summary>
    public int Width { get; }

    /// <summary>Pixels added on each side before cropping.</summary>
    public int Padding { get; }

    /// <summary>The value of the padding pixels.</summary>
    public float Fill { get; }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var (n, c, h, w) = Layout(images, "RandomCrop");
        int ph = h + 2 * Padding, pw = w + 2 * Padding;
        if (Height > ph || Width > pw)
            throw new ArgumentException($"RandomCrop: a {Height}x{Width} crop does not fit in {h}x{w} images padded by {Padding} ({ph}x{pw}).", nameof(images));
        bool inPlace = Height == h && Width == w;
        Tensor result = images;
        if (!inPlace)
        {
            var shape = images.GetShape();
            shape[^2] = Height;
            shape[^1] = Width;
            result = Tensor.Empty(shape, DType.Float32);
        }
        var src = images.AsSpan<float>();
        var dst = result.AsSpan<float>();
        var scratch = inPlace ? new float[h * w] : null;
        int plane = h * w, outPlane = Height * Width;
        for (int i = 0; i < n; i++)
        {
            int top = (int)g.NextInt64(ph - Height + 1);
            int left = (int)g.NextInt64(pw - Width + 1);
            int dy = top - Padding, dx = left - Padding; // output (y, x) reads input (y + dy, x + dx)
            for (int ch = 0; ch < c; ch++)
            {
                ReadOnlySpan<float> inPlane = src.Slice((i * c + ch) * plane, plane);
                if (scratch is not null)
                {
                    inPlane.CopyTo(scratch);
                    inPlane = scratch;
                }
                var outp = dst.Slice((i * c + ch) * outPlane, outPlane);
                // Columns of the output row that fall inside the image.
                int x0 = Math.Clamp(-dx, 0, Width), x1 = Math.Clamp(w - dx, x0, Width);
                for (int y = 0; y < Height; y++)
                {
                    var row = outp.Slice(y * Width, Width);
                    int sy = y + dy;
                    if (sy < 0 || sy >= h) { row.Fill(Fill); continue; }
                    row[..x0].Fill(Fill);
                    inPlane.Slice(sy * w + x0 + dx, x1 - x0).CopyTo(row[x0..x1]);
                    row[x1..].Fill(Fill);
                }
            }
        }
        return result;
    }
}

/// <summary>
/// Random erasing (Zhong et al., 2017, "Random Erasing Data Augmentation"; torchvision.transforms.RandomErasing):
/// with probability <see cref="P"/> per image, a rectangle of random area (a fraction in <see cref="Scale"/> of the
/// image) and aspect ratio (log-uniform in <see cref="Ratio"/>) is overwritten in every channel with
/// <see cref="Value"/>, or with standard normal noise when <see cref="RandomValues"/>. As torchvision: up to ten tries
/// to find a rectangle that fits (height and width rounded half to even, as Python's round), else the image is left alone; the draws per image
/// are u &lt; p, then per try the area fraction and log-ratio, then the top row and left column.
/// </summary>
public sealed class RandomErasing : Transform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of erasing each image, in [0, 1].</param>
    /// <param name="scaleMin">Smallest erased area, as a fraction of the image.</param>
    /// <param name="scaleMax">Largest erased area, as a fraction of the image.</param>
    /// <param name="ratioMin">Smallest aspect ratio (height / width) of the rectangle.</param>
    /// <param name="ratioMax">Largest aspect ratio.</param>
    /// <param name="value">The value written into the rectangle.</param>
    /// <param name="randomValues">Write standard normal noise instead of <paramref name="value"/>.</param>
    public RandomErasing(double p = 0.5, double scaleMin = 0.02, double scaleMax = 0.33, double ratioMin = 0.3, double ratioMax = 3.3, float value = 0, bool randomValues = false)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "RandomErasing: p must be in [0, 1].");
        if (!(scaleMin >= 0 && scaleMin <= scaleMax && scaleMax <= 1))
            throw new ArgumentOutOfRangeException(nameof(scaleMax), $"RandomErasing: the scale range must satisfy 0 ≤ min ≤ max ≤ 1, got ({scaleMin}, {scaleMax}).");
        if (!(ratioMin > 0 && ratioMin <= ratioMax && double.IsFinite(ratioMax)))
            throw new ArgumentOutOfRangeException(nameof(ratioMax), $"RandomErasing: the ratio range must satisfy 0 < min ≤ max, got ({ratioMin}, {ratioMax}).");
        P = p;
        Scale = (scaleMin, scaleMax);
        Ratio = (ratioMin, ratioMax);
        Value = value;
        RandomValues = randomValues;
    }

    /// <summary>Probability of erasing an image.</summary>
    public double P { get; }

    /// <summary>Range of the erased area as a fraction of the image.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the rectangle's aspect ratio (height / width).</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>The value written (unless <see cref="RandomValues"/>).</summary>
    public float Value { get; }

    /// <summary>Whether the rectangle gets standard normal noise instead of <see cref="Value"/>.</summary>
    public bool RandomValues { get; }

    /// <summary>
    /// The rectangle (top, left, height, width) erased in an <paramref name="h"/> x <paramref name="w"/> image, drawing
    /// as <see cref="Apply"/> does after the u &lt; p draw, or null when ten tries found none that fits.
    /// </summary>
    public (int Top, int Left, int Height, int Width)? DrawRectangle(int h, int w, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        double area = (double)h * w;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double erase = area * (Scale.Min + (Scale.Max - Scale.Min) * generator.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * generator.NextDouble());
            int eh = (int)Math.Round(Math.Sqrt(erase * aspect));
            int ew = (int)Math.Round(Math.Sqrt(erase / aspect));
            if (!(eh < h && ew < w)) continue;
            int top = (int)generator.NextInt64(h - eh + 1);
            int left = (int)generator.NextInt64(w - ew + 1);
            return (top, left, eh, ew);
        }
        return null;
    }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var (n, c, h, w) = Layout(images, "RandomErasing");
        var data = images.AsSpan<float>();
        for (int i = 0; i < n; i++)
        {
            if (!(g.NextDouble() < P)) continue;
            if (DrawRectangle(h, w, g) is not { } rect) continue;
            var (top, left, eh, ew) = rect;
            for (int ch = 0; ch < c; ch++)
                for (int y = top; y < top + eh; y++)
                {
                    var row = data.Slice(((i * c + ch) * h + y) * w + left, ew);
                    if (!RandomValues) row.Fill(Value);
                    else for (int x = 0; x < row.Length; x++) row[x] = (float)g.NextNormal();
                }
        }
        return images;
    }
}
