namespace Axon.Data;

/// <summary>
/// The pixel work behind <see cref="Resize"/>, <see cref="CenterCrop"/> and <see cref="RandomResizedCrop"/>: cropping
/// with zero fill and separable bilinear resampling with optional antialiasing, on contiguous float32 planes.
/// </summary>
/// <remarks>
/// Resampling follows PyTorch's <c>interpolate(mode="bilinear", align_corners=False, antialias=True)</c>, which is also
/// what PIL does: output pixel i along an axis of scale s = input / output has its centre at s·(i + ½) in input
/// coordinates, and takes the input pixels whose centres lie within the filter's support, weighted by a triangle
/// (tent) filter and normalised to sum to one. When shrinking (s &gt; 1) and antialiasing, the tent is stretched by s
/// (support s, weight 1 − |d|/s), so every input pixel contributes and none is skipped — the antialiasing; otherwise
/// the support is 1 pixel and the result is plain bilinear interpolation (the normalisation at the borders equals
/// PyTorch's clamping there). Rows are resampled first, then columns; weights are computed in double.
/// </remarks>
internal static class Resampling
{
    /// <summary>The input pixels and weights of each output pixel along one axis.</summary>
    private readonly struct AxisWeights(int[] start, int[] count, double[] weights, int stride)
    {
        public readonly int[] Start = start;
        public readonly int[] Count = count;
        public readonly double[] Weights = weights; // [output, stride], the first Count[i] used
        public readonly int Stride = stride;
    }

    private static AxisWeights Weights(int inSize, int outSize, bool antialias)
    {
        double scale = (double)inSize / outSize;
        bool widen = antialias && scale > 1;
        double support = widen ? scale : 1.0;
        double invScale = widen ? 1.0 / scale : 1.0;
        int stride = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new double[outSize * stride];
        for (int i = 0; i < outSize; i++)
        {
            double center = scale * (i + 0.5);
            // Truncation toward zero, then the clamp, as PyTorch computes the window.
            int lo = Math.Max((int)(center - support + 0.5), 0);
            int hi = Math.Min((int)(center + support + 0.5), inSize);
            int n = Math.Min(hi - lo, stride);
            double total = 0;
            var w = weights.AsSpan(i * stride, stride);
            for (int j = 0; j < n; j++)
            {
                double d = Math.Abs((j + lo - center + 0.5) * invScale);
                w[j] = d < 1 ? 1 - d : 0;
                total += w[j];
            }
            if (total != 0)
                for (int j = 0; j < n; j++) w[j] /= total;
            start[i] = lo;
            count[i] = n;
        }
        return new AxisWeights(start, count, weights, stride);
    }

    /// <summary>
    /// For each of <paramref name="planes"/> planes of <paramref name="h"/> x <paramref name="w"/> in
    /// <paramref name="source"/>: the window (top, left, cropH, cropW) — pixels outside the plane read as zero — resampled
    /// to <paramref name="outH"/> x <paramref name="outW"/> into <paramref name="destination"/>.
    /// </summary>
    public static void CropResize(ReadOnlySpan<float> source, int planes, int h, int w, int top, int left, int cropH, int cropW,
        Span<float> destination, int outH, int outW, bool antialias)
    {
        if (cropH == outH && cropW == outW)
        {
            Crop(source, planes, h, w, top, left, destination, outH, outW);
            return;
        }
        // Zero-filled windows are rare (CenterCrop larger than the image); copy the window first only then.
        bool inside = top >= 0 && left >= 0 && top + cropH <= h && left + cropW <= w;
        float[]? window = inside ? null : new float[cropH * cropW];
        var rows = Weights(cropW, outW, antialias);
        var cols = Weights(cropH, outH, antialias);
        var temp = new double[cropH * outW];
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> plane = source.Slice(p * h * w, h * w);
            int pw = w, py = top, px = left;
            if (window is not null)
            {
                Crop(plane, 1, h, w, top, left, window, cropH, cropW);
                plane = window;
                pw = cropW;
                py = px = 0;
            }
            // Horizontal pass: each row of the window to outW columns.
            for (int y = 0; y < cropH; y++)
            {
                var row = plane.Slice((py + y) * pw + px, cropW);
                for (int x = 0; x < outW; x++)
                {
                    var wt = rows.Weights.AsSpan(x * rows.Stride, rows.Count[x]);
                    int s = rows.Start[x];
                    double acc = 0;
                    for (int j = 0; j < wt.Length; j++) acc += wt[j] * row[s + j];
                    temp[y * outW + x] = acc;
                }
            }
            // Vertical pass: columns to outH rows.
            var dst = destination.Slice(p * outH * outW, outH * outW);
            for (int y = 0; y < outH; y++)
            {
                var wt = cols.Weights.AsSpan(y * cols.Stride, cols.Count[y]);
                int s = cols.Start[y];
                var outRow = dst.Slice(y * outW, outW);
                for (int x = 0; x < outW; x++)
                {
                    double acc = 0;
                    for (int j = 0; j < wt.Length; j++) acc += wt[j] * temp[(s + j) * outW + x];
                    outRow[x] = (float)acc;
                }
            }
        }
    }

    /// <summary>The window (top, left, outH, outW) of each plane, with zeros where it leaves the plane.</summary>
    public static void Crop(ReadOnlySpan<float> source, int planes, int h, int w, int top, int left, Span<float> destination, int outH, int outW)
    {
        int x0 = Math.Clamp(-left, 0, outW), x1 = Math.Clamp(w - left, x0, outW); // output columns inside the plane
        for (int p = 0; p < planes; p++)
        {
            var src = source.Slice(p * h * w, h * w);
            var dst = destination.Slice(p * outH * outW, outH * outW);
            for (int y = 0; y < outH; y++)
            {
                var row = dst.Slice(y * outW, outW);
                int sy = top + y;
                if (sy < 0 || sy >= h) { row.Clear(); continue; }
                row[..x0].Clear();
                src.Slice(sy * w + left + x0, x1 - x0).CopyTo(row[x0..x1]);
                row[x1..].Clear();
            }
        }
    }

    /// <summary>A new tensor of <paramref name="images"/>' leading dimensions with the last two set to (h, w).</summary>
    public static Tensor NewImages(Tensor images, int h, int w)
    {
        var shape = images.GetShape();
        shape[^2] = h;
        shape[^1] = w;
        return Tensor.Empty(shape, DType.Float32);
    }
}
