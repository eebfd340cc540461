namespace Axon.TensorBoard;

/// <summary>
/// Turns image tensors into 8-bit interleaved pixels: [height, width], [channels, height, width] or a batch
/// [n, channels, height, width] laid out as torchvision's <c>make_grid</c> does (up to <see cref="Columns"/> images a row,
/// <see cref="Padding"/> black pixels around each). Values in [0, 1] map to 0..255; values outside are clamped.
/// </summary>
public static class TensorImages
{
    /// <summary>Images per row of a grid.</summary>
    public const int Columns = 8;

    /// <summary>Pixels of padding around each image of a grid.</summary>
    public const int Padding = 2;

    /// <summary>The pixels, rows top to bottom with the channels interleaved, and the size.</summary>
    /// <exception cref="ArgumentException">The shape is not [h, w], [c, h, w] or [n, c, h, w] with 1, 3 or 4 channels (the message names <paramref name="what"/>).</exception>
    public static (byte[] Pixels, int Width, int Height, int Channels) ToPixels(Tensor image, string what = "image")
    {
        ArgumentNullException.ThrowIfNull(image);
        int[] s = image.GetShape();
        int n, c, h, w;
        switch (s.Length)
        {
            case 2: (n, c, h, w) = (1, 1, s[0], s[1]); break;
            case 3: (n, c, h, w) = (1, s[0], s[1], s[2]); break;
            case 4: (n, c, h, w) = (s[0], s[1], s[2], s[3]); break;
            default: throw new ArgumentException($"{what}: an image is [height, width], [channels, height, width] or [n, channels, height, width] (got [{string.Join(", ", s)}]).", nameof(image));
        }
        if (c is not (1 or 3 or 4) || n < 1 || h < 1 || w < 1)
            throw new ArgumentException($"{what}: an image needs 1, 3 or 4 channels and at least one pixel (got [{string.Join(", ", s)}]).", nameof(image));
        var values = image.ToArray<float>();   // [n, c, h, w]
        if (s.Length < 4)
            return (Interleave(values, 0, c, h, w, w, new byte[h * w * c], 0), w, h, c);

        int cols = Math.Min(n, Columns), rows = (n + cols - 1) / cols;
        int gridW = cols * (w + Padding) + Padding, gridH = rows * (h + Padding) + Padding;
        var grid = new byte[gridW * gridH * c];
        for (int k = 0; k < n; k++)
        {
            int x0 = Padding + (k % cols) * (w + Padding), y0 = Padding + (k / cols) * (h + Padding);
            Interleave(values, k * c * h * w, c, h, w, gridW, grid, (y0 * gridW + x0) * c);
        }
        return (grid, gridW, gridH, c);
    }

    // Writes one planar image [c, h, w] starting at `from` into the interleaved buffer at `to`, whose rows are stride pixels wide.
    private static byte[] Interleave(float[] values, int from, int c, int h, int w, int stride, byte[] dst, int to)
    {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    float v = values[from + (ch * h + y) * w + x];
                    dst[to + (y * stride + x) * c + ch] = (byte)Math.Round(255 * Math.Clamp(float.IsNaN(v) ? 0 : v, 0, 1));
                }
        return dst;
    }
}
