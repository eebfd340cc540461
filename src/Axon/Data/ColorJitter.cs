using System.Globalization;

namespace Axon.Data;

/// <summary>
/// Randomly changes the brightness, contrast, saturation and hue of each image (torchvision.transforms.ColorJitter on
/// tensors, values in [0, 1]). Per image: a random order of the four adjustments (a permutation of 0..3: brightness,
/// contrast, saturation, hue), then a factor uniform in each enabled range, in that fixed order; then the enabled
/// adjustments are applied in the drawn order. The formulas are torchvision's (see <see cref="AdjustBrightness"/> and
/// the others), so with the same factors and order the result equals torchvision's to float32 rounding. torchvision
/// draws once per call, which for a batch means one draw for all its images; here each image gets its own draw, as
/// the other random transforms here do. Grey (1-channel) images ignore saturation and hue. Works in place.
/// <para><b>Shape:</b> [N, C, H, W], [C, H, W] or [H, W] with C = 1 or 3, unchanged.</para>
/// </summary>
public sealed class ColorJitter : Transform
{
    /// <summary>
    /// Factors drawn from [max(0, 1 − brightness), 1 + brightness] and likewise for contrast and saturation, and hue
    /// shifts from [−hue, hue] (hue ≤ 0.5: half way round the colour wheel). A 0 leaves that property alone.
    /// </summary>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0)
    {
        Brightness = Range(brightness, nameof(brightness));
        Contrast = Range(contrast, nameof(contrast));
        Saturation = Range(saturation, nameof(saturation));
        if (!(hue >= 0 && hue <= 0.5)) throw new ArgumentOutOfRangeException(nameof(hue), hue, "ColorJitter: hue must be in [0, 0.5].");
        Hue = hue == 0 ? null : (-hue, hue);
    }

    private static (double Min, double Max)? Range(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"ColorJitter: {name} must be non-negative and finite.");
        return value == 0 ? null : (Math.Max(1 - value, 0), 1 + value);
    }

    /// <summary>The brightness factor's range, or null when brightness is left alone.</summary>
    public (double Min, double Max)? Brightness { get; }

    /// <summary>The contrast factor's range, or null.</summary>
    public (double Min, double Max)? Contrast { get; }

    /// <summary>The saturation factor's range, or null.</summary>
    public (double Min, double Max)? Saturation { get; }

    /// <summary>The hue shift's range (fractions of the colour wheel), or null.</summary>
    public (double Min, double Max)? Hue { get; }

    /// <summary>The order and factors for one image, drawn as <see cref="Apply"/> draws them (null: that adjustment is off).</summary>
    public (int[] Order, double? Brightness, double? Contrast, double? Saturation, double? Hue) GetParams(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var order = generator.Permutation(4);
        double? Draw((double Min, double Max)? r) => r is { } v ? v.Min + (v.Max - v.Min) * generator.NextDouble() : null;
        var b = Draw(Brightness);
        var c = Draw(Contrast);
        var s = Draw(Saturation);
        var h = Draw(Hue);
        return (order, b, c, s, h);
    }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor images, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var (n, c, h, w) = Layout(images, "ColorJitter");
        CheckChannels(c, "ColorJitter");
        var data = images.AsSpan<float>();
        int size = c * h * w;
        for (int i = 0; i < n; i++)
        {
            var (order, b, ct, s, hue) = GetParams(g);
            var image = data.Slice(i * size, size);
            foreach (int k in order)
                switch (k)
                {
                    case 0 when b is double f: Blend(image, f, 0); break;
                    case 1 when ct is double f: Blend(image, f, Mean(image, c, h * w)); break;
                    case 2 when s is double f && c == 3: Saturate(image, h * w, f); break;
                    case 3 when hue is double f && c == 3: ShiftHue(image, h * w, f); break;
                }
        }
        return images;
    }

    /// <summary>x ← clamp(f·x, 0, 1) (torchvision's adjust_brightness: a blend with black); in place, returns the images.</summary>
    public static Tensor AdjustBrightness(Tensor images, double factor) => Adjust(images, factor, "AdjustBrightness", (img, c, plane) => Blend(img, factor, 0));

    /// <summary>x ← clamp(f·x + (1 − f)·m, 0, 1), m the mean grey level (0.2989 r + 0.587 g + 0.114 b) of each image (torchvision's adjust_contrast).</summary>
    public static Tensor AdjustContrast(Tensor images, double factor) => Adjust(images, factor, "AdjustContrast", (img, c, plane) => Blend(img, factor, Mean(img, c, plane)));

    /// <summary>x ← clamp(f·x + (1 − f)·grey, 0, 1) per pixel, grey its grey level (torchvision's adjust_saturation); grey images unchanged.</summary>
    public static Tensor AdjustSaturation(Tensor images, double factor) => Adjust(images, factor, "AdjustSaturation", (img, c, plane) =>
    {
        if (c == 3) Saturate(img, plane, factor);
    });

    /// <summary>Rotates the hue by <paramref name="factor"/> turns in [−0.5, 0.5] through HSV (torchvision's adjust_hue); grey images unchanged.</summary>
    public static Tensor AdjustHue(Tensor images, double factor)
    {
        if (!(factor >= -0.5 && factor <= 0.5)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "AdjustHue: the hue factor must be in [-0.5, 0.5].");
        return Adjust(images, 0, "AdjustHue", (img, c, plane) =>
        {
            if (c == 3) ShiftHue(img, plane, factor);
        });
    }

    private delegate void ImageAction(Span<float> image, int channels, int plane);

    private static Tensor Adjust(Tensor images, double factor, string who, ImageAction action)
    {
        if (!(factor >= 0) || !double.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, $"{who}: the factor must be non-negative and finite.");
        var (n, c, h, w) = Layout(images, who);
        CheckChannels(c, who);
        var data = images.AsSpan<float>();
        int size = c * h * w;
        for (int i = 0; i < n; i++) action(data.Slice(i * size, size), c, h * w);
        return images;
    }

    private static void CheckChannels(int c, string who)
    {
        if (c is not (1 or 3)) throw new ArgumentException($"{who}: expected grey (1-channel) or RGB (3-channel) images, got {c} channels.");
    }

    // torchvision's grey level for float images.
    private static float Grey(float r, float g, float b) => 0.2989f * r + 0.587f * g + 0.114f * b;

    /// <summary>x ← clamp(f·x + (1 − f)·other, 0, 1) for a constant other, in float32 as torchvision's _blend.</summary>
    private static void Blend(Span<float> image, double factor, float other)
    {
        float f = (float)factor, rest = (float)(1 - factor) * other;
        for (int j = 0; j < image.Length; j++) image[j] = Math.Clamp(f * image[j] + rest, 0f, 1f);
    }

    /// <summary>The mean grey level of one image (its only channel, or the grey of RGB), summed in double.</summary>
    private static float Mean(Span<float> image, int channels, int plane)
    {
        double sum = 0;
        if (channels == 1) foreach (float v in image) sum += v;
        else
            for (int p = 0; p < plane; p++) sum += Grey(image[p], image[plane + p], image[2 * plane + p]);
        return (float)(sum / plane);
    }

    private static void Saturate(Span<float> image, int plane, double factor)
    {
        float f = (float)factor, rest = (float)(1 - factor);
        var r = image[..plane];
        var g = image.Slice(plane, plane);
        var b = image.Slice(2 * plane, plane);
        for (int p = 0; p < plane; p++)
        {
            float grey = Grey(r[p], g[p], b[p]);
            r[p] = Math.Clamp(f * r[p] + rest * grey, 0f, 1f);
            g[p] = Math.Clamp(f * g[p] + rest * grey, 0f, 1f);
            b[p] = Math.Clamp(f * b[p] + rest * grey, 0f, 1f);
        }
    }

    /// <summary>RGB → HSV, hue + shift (mod 1), HSV → RGB, per pixel, with torchvision's formulas (those of PIL's converter).</summary>
    private static void ShiftHue(Span<float> image, int plane, double shift)
    {
        float s0 = (float)shift;
        var rs = image[..plane];
        var gs = image.Slice(plane, plane);
        var bs = image.Slice(2 * plane, plane);
        for (int p = 0; p < plane; p++)
        {
            float r = rs[p], g = gs[p], b = bs[p];
            float max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
            float range = max - min;
            // Grey pixels (max = min) have no hue or saturation; the divisors become 1 so nothing is NaN.
            float sat = range / (max == min ? 1f : max);
            float div = max == min ? 1f : range;
            float rc = (max - r) / div, gc = (max - g) / div, bc = (max - b) / div;
            float hue = max == r ? bc - gc : max == g ? 2f + rc - bc : 4f + gc - rc;
            hue = (hue / 6f + 1f) % 1f;
            // Python's %: the result takes the divisor's sign.
            hue = (hue + s0) % 1f;
            if (hue < 0) hue += 1f;
            float h6 = hue * 6f;
            float i = MathF.Floor(h6);
            float fr = h6 - i;
            float pv = Math.Clamp(max * (1f - sat), 0f, 1f);
            float q = Math.Clamp(max * (1f - sat * fr), 0f, 1f);
            float t = Math.Clamp(max * (1f - sat * (1f - fr)), 0f, 1f);
            (rs[p], gs[p], bs[p]) = ((int)i % 6) switch
            {
                0 => (max, t, pv),
                1 => (q, max, pv),
                2 => (pv, max, t),
                3 => (pv, q, max),
                4 => (t, pv, max),
                _ => (max, pv, q),
            };
        }
    }

    /// <summary>As torchvision's repr, e.g. <c>ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=None, hue=(-0.1, 0.1))</c>.</summary>
    public override string ToString()
    {
        static string F((double Min, double Max)? r) => r is { } v ? string.Create(CultureInfo.InvariantCulture, $"({v.Min:0.0###}, {v.Max:0.0###})") : "None";
        return $"ColorJitter(brightness={F(Brightness)}, contrast={F(Contrast)}, saturation={F(Saturation)}, hue={F(Hue)})";
    }
}
