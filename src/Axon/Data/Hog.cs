using Axon.Kernels;

namespace Axon.Data;

/// <summary>
/// Histograms of Oriented Gradients (Dalal and Triggs, 2005), the hand-designed features of "shallow learning", computed
/// exactly as scikit-image 0.19's <c>skimage.feature.hog</c> for grey images (checked against it within 1e-5 by
/// <c>tests/Fixtures/hog/make_hog_fixture.py</c>):
/// <list type="number">
/// <item>centred [-1, 0, 1] gradients in float32; the first and last row (column) have no row (column) gradient;</item>
/// <item>per pixel the magnitude hypot(g_col, g_row) and the orientation atan2(g_row, g_col) in degrees, modulo 180
/// (360 with <see cref="HogOptions.Signed"/>);</item>
/// <item>per cell, each pixel's magnitude votes into the one bin [i·180/n, (i+1)·180/n) that holds its orientation (no
/// interpolation between bins or cells, as in scikit-image; <see cref="HogOptions.InterpolateBins"/> splits the vote
/// between the two nearest bins instead, as Dalal and Triggs do), summed in float32 and divided by the cell's area;</item>
/// <item>per block of cells, the concatenated histograms normalised (<see cref="HogBlockNorm"/>, ε = 1e-5), and the
/// blocks concatenated in row-major order: [block row, block column, cell row, cell column, orientation].</item>
/// </list>
/// Shape: one image [H, W] -> [D]; a batch [N, H, W] or [N, 1, H, W] -> [N, D], float32, with D =
/// <see cref="HogOptions.FeatureLength"/> (for 28x28 images, 4-pixel cells and 2x2 blocks: 6·6·2·2·9 = 1296).
/// <code>
/// var options = new HogOptions { CellSize = 4, BlockSize = 2 };
/// var features = Hog.Compute(images, options);          // [60000, 1, 28, 28] -> [60000, 1296], over all cores
/// </code>
/// </summary>
public static class Hog
{
    /// <summary>
    /// The descriptors of a batch of grey images, [N, H, W] or [N, 1, H, W] (or one image [H, W] -> [D]), float32,
    /// computed in parallel over the images on <paramref name="threads"/> threads (0: one per processor).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor's rank, dtype or channel count is wrong, an image is smaller than one
    /// block, a pixel is not finite, or (with <see cref="HogOptions.TransformSqrt"/>) negative.</exception>
    public static Tensor Compute(Tensor images, HogOptions? options = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        options ??= new HogOptions();
        options.Validate();
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Hog.Compute: threads must be non-negative (0 = one per processor).");
        var shape = images.GetShape();
        if (images.DType != DType.Float32)
            throw new ArgumentException($"Hog.Compute: the images must be float32 (got {images.DType.TorchName()}); convert them with To(DType.Float32).", nameof(images));
        bool single = shape.Length == 2;
        if (!(single || shape.Length == 3 || (shape.Length == 4 && shape[1] == 1)))
            throw new ArgumentException($"Hog.Compute: expected grey images [N, H, W] or [N, 1, H, W] (or one image [H, W]), got {ShapeText(shape)}" +
                (shape.Length == 4 ? $" with {shape[1]} channels; HOG here takes one channel." : "."), nameof(images));
        int n = single ? 1 : shape[0], h = shape[^2], w = shape[^1];
        int d = options.FeatureLength(h, w);
        var source = images.To(Device.Cpu).ContiguousData();
        var result = Tensor.Empty(single ? [d] : [n, d], DType.Float32);
        if (n == 0) return result;
        var body = new BatchBody(source, result, options, n, h, w, d);
        int parts = Math.Min(n, threads == 0 ? Environment.ProcessorCount : KernelThreads.CheckThreads(threads));
        body.Parts = parts;
        KernelThreads.For(parts, ref body);
        return result;
    }

    /// <summary>
    /// The descriptor of one <paramref name="height"/> x <paramref name="width"/> grey image (row-major) into
    /// <paramref name="features"/>, which must hold <see cref="HogOptions.FeatureLength"/> values.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> image, int height, int width, HogOptions options, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (height < 1 || width < 1) throw new ArgumentException($"Hog.Compute: the image size must be positive (got {height}x{width}).");
        if (image.Length != height * width) throw new ArgumentException($"Hog.Compute: a {height}x{width} image has {height * width} pixels, got {image.Length}.");
        int d = options.FeatureLength(height, width);
        if (features.Length != d) throw new ArgumentException($"Hog.Compute: the descriptor of a {height}x{width} image with {options} has {d} values, got room for {features.Length}.");
        var scratch = new Scratch(options, height, width);
        scratch.Run(image, features, -1);
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>One partition of a batch: a contiguous range of images, with its own scratch buffers.</summary>
    private struct BatchBody(Tensor source, Tensor result, HogOptions options, int n, int h, int w, int d) : IPartitionBody
    {
        public int Parts;

        public readonly void Run(int part)
        {
            int start = (int)((long)n * part / Parts), end = (int)((long)n * (part + 1) / Parts);
            var scratch = new Scratch(options, h, w);
            var pixels = source.AsSpan<float>();
            var output = result.AsSpan<float>();
            for (int i = start; i < end; i++)
                scratch.Run(pixels.Slice(i * h * w, h * w), output.Slice(i * d, d), i);
        }
    }

    /// <summary>The buffers and geometry of one image's computation, reused across the images of a partition.</summary>
    private sealed class Scratch
    {
        private readonly HogOptions o;
        private readonly int h, w, cellRows, cellCols, blockRows, blockCols, bins;
        private readonly float[] sqrtImage;
        private readonly float[] totals;     // [cell row, cell column, bin], summed in float32 as scikit-image does
        private readonly double[] edges;     // bin i holds orientations in [edges[i], edges[i + 1])
        private readonly double[] block;
        private readonly double range, binWidth, perBin;
        private readonly int[] columnCell;   // the cell column of each pixel column (no division per pixel)

        public Scratch(HogOptions options, int height, int width)
        {
            o = options;
            h = height;
            w = width;
            (cellRows, cellCols) = options.Cells(height, width);
            (blockRows, blockCols) = options.Blocks(height, width);
            bins = options.Orientations;
            sqrtImage = options.TransformSqrt ? new float[height * width] : [];
            totals = new float[cellRows * cellCols * bins];
            range = options.Signed ? 360 : 180;
            // The edges are the products per·i in double, as scikit-image compares them (with n = 7 the last is not exactly 180).
            binWidth = range / bins;
            perBin = 1 / binWidth;
            columnCell = [.. Enumerable.Range(0, width).Select(c => c / options.CellSize)];
            edges = new double[bins + 1];
            for (int i = 0; i <= bins; i++) edges[i] = binWidth * i;
            block = new double[options.BlockLength];
        }

        public void Run(ReadOnlySpan<float> image, Span<float> features, int index)
        {
            for (int p = 0; p < image.Length; p++)
            {
                if (!float.IsFinite(image[p]))
                    throw new ArgumentException($"Hog.Compute: {Which(index)} has a non-finite pixel ({image[p]}) at row {p / w}, column {p % w}.");
            }
            if (o.TransformSqrt)
            {
                for (int p = 0; p < image.Length; p++)
                {
                    if (image[p] < 0)
                        throw new ArgumentException($"Hog.Compute: {Which(index)} has a negative pixel ({image[p]}) at row {p / w}, column {p % w}; TransformSqrt needs non-negative pixels.");
                    sqrtImage[p] = MathF.Sqrt(image[p]);
                }
                image = sqrtImage;
            }
            Histograms(image);
            // scikit-image divides each cell's float32 total by the cell's area in float32, once per cell.
            System.Numerics.Tensors.TensorPrimitives.Divide(totals, (float)(o.CellSize * o.CellSize), totals);
            Normalize(features);
        }

        private static string Which(int index) => index >= 0 ? $"image {index}" : "the image";

        private void Histograms(ReadOnlySpan<float> img)
        {
            Array.Clear(totals);
            int cell = o.CellSize, usedRows = cellRows * cell, usedCols = cellCols * cell;
            const double Degrees = 180.0 / Math.PI;   // numpy's rad2deg multiplies by this constant
            for (int r = 0; r < usedRows; r++)
            {
                int rowBase = (r / cell) * cellCols;
                bool rowEdge = r == 0 || r == h - 1;
                for (int c = 0; c < usedCols; c++)
                {
                    int p = r * w + c;
                    // The differences in float32, as scikit-image takes them for float32 images, then widened.
                    double gRow = rowEdge ? 0 : (double)(img[p + w] - img[p - w]);
                    double gCol = c == 0 || c == w - 1 ? 0 : (double)(img[p + 1] - img[p - 1]);
                    if (gRow == 0 && gCol == 0) continue;   // a zero magnitude adds nothing to any bin
                    // numpy's hypot; the squares of float32 differences cannot overflow a double, so the plain root is within an ulp of it.
                    double magnitude = Math.Sqrt(gCol * gCol + gRow * gRow);
                    int cellBase = (rowBase + columnCell[c]) * bins;
                    if (o.InterpolateBins)
                    {
                        Vote(cellBase, PythonMod(Math.Atan2(gRow, gCol) * Degrees, range), magnitude);
                        continue;
                    }
                    int bin = FastBin(gRow, gCol);
                    if (bin == NearEdge) bin = Bin(PythonMod(Math.Atan2(gRow, gCol) * Degrees, range));
                    if (bin < 0) continue;
                    ref float total = ref totals[cellBase + bin];
                    total = (float)(total + magnitude);
                }
            }
        }

        /// <summary>
        /// Dalal and Triggs' vote: the magnitude split linearly between the two bins whose centres ((i + ½)·width)
        /// surround the angle, the orientations wrapping around (the last bin neighbours the first).
        /// </summary>
        private void Vote(int cellBase, double angle, double magnitude)
        {
            double position = angle * perBin - 0.5;
            double low = Math.Floor(position);
            double upper = position - low;                           // the share of the upper bin
            int lo = ((int)low % bins + bins) % bins, hi = (lo + 1) % bins;
            ref float a = ref totals[cellBase + lo];
            a = (float)(a + magnitude * (1 - upper));
            ref float b = ref totals[cellBase + hi];
            b = (float)(b + magnitude * upper);
        }

        /// <summary>What <see cref="FastBin"/> answers for an angle too close to a bin edge to decide without atan2.</summary>
        private const int NearEdge = int.MinValue;

        /// <summary>
        /// The bin of the gradient's orientation from a polynomial arctangent (Abramowitz and Stegun 4.4.49, error under
        /// 2e-8 rad, about 1e-6 degrees), or <see cref="NearEdge"/> when the angle lies within 1e-4 degrees of a bin edge:
        /// then only the exact atan2 says on which side scikit-image puts it. Most pixels are far from an edge, and the
        /// polynomial is several times faster than atan2.
        /// </summary>
        private int FastBin(double gRow, double gCol)
        {
            const double Margin = 1e-4, Degrees = 180.0 / Math.PI;
            double ax = Math.Abs(gCol), ay = Math.Abs(gRow);
            bool steep = ay > ax;
            double t = steep ? ax / ay : ay / ax;                      // in [0, 1]
            double t2 = t * t;
            double a = t * (1 + t2 * (-0.3333314528 + t2 * (0.1999355085 + t2 * (-0.1420889944 + t2 * (0.1065626393
                + t2 * (-0.0752896400 + t2 * (0.0429096138 + t2 * (-0.0161657367 + t2 * 0.0028662257))))))));
            if (steep) a = Math.PI / 2 - a;
            if (gCol < 0) a = Math.PI - a;
            if (gRow < 0) a = -a;
            double angle = a * Degrees;
            if (angle < 0) angle += range;
            int b = Math.Clamp((int)(angle * perBin), 0, bins - 1);
            return angle - edges[b] > Margin && edges[b + 1] - angle > Margin ? b : NearEdge;
        }

        /// <summary>Python's float modulo, as numpy's remainder: the result takes the sign of the divisor, and +0 for a zero.</summary>
        private static double PythonMod(double a, double b)
        {
            double m = a % b;   // fmod
            if (m != 0) return m < 0 ? m + b : m;
            return 0.0;
        }

        /// <summary>The bin [edges[i], edges[i+1]) holding <paramref name="angle"/>, or -1 when none does (an angle rounded up to the range's end).</summary>
        private int Bin(double angle)
        {
            int b = Math.Clamp((int)(angle / binWidth), 0, bins - 1);
            while (b > 0 && angle < edges[b]) b--;
            while (b < bins - 1 && angle >= edges[b + 1]) b++;
            return angle >= edges[b] && angle < edges[b + 1] ? b : -1;
        }

        private void Normalize(Span<float> features)
        {
            int size = o.BlockSize, stride = o.BlockStride, length = o.BlockLength;
            int at = 0;
            for (int br = 0; br < blockRows; br++)
            {
                for (int bc = 0; bc < blockCols; bc++)
                {
                    int k = 0;
                    for (int i = 0; i < size; i++)
                    {
                        for (int j = 0; j < size; j++)
                        {
                            int cellBase = ((br * stride + i) * cellCols + bc * stride + j) * bins;
                            for (int b = 0; b < bins; b++) block[k++] = totals[cellBase + b];
                        }
                    }
                    NormalizeBlock(block, o.BlockNorm, o.Clip);
                    for (int q = 0; q < length; q++) features[at + q] = (float)block[q];
                    at += length;
                }
            }
        }
    }

    /// <summary>Normalises one block's values in place, in double as scikit-image does.</summary>
    private static void NormalizeBlock(Span<double> v, HogBlockNorm norm, double clip)
    {
        const double Eps = HogOptions.Epsilon;
        switch (norm)
        {
            case HogBlockNorm.L1:
            case HogBlockNorm.L1Sqrt:
                {
                    double s = 0;
                    foreach (double x in v) s += Math.Abs(x);
                    double scale = s + Eps;
                    double inverse = 1 / scale;   // a multiplication per value instead of a division: within an ulp of numpy's
                    if (norm == HogBlockNorm.L1) Scale(v, inverse);
                    else
                        for (int i = 0; i < v.Length; i++) v[i] = Math.Sqrt(v[i] * inverse);
                    break;
                }
            case HogBlockNorm.L2:
                DivideByL2(v);
                break;
            default:
                DivideByL2(v);
                for (int i = 0; i < v.Length; i++) v[i] = Math.Min(v[i], clip);
                DivideByL2(v);
                break;
        }

        static void DivideByL2(Span<double> v)
        {
            double s = 0;
            foreach (double x in v) s += x * x;
            Scale(v, 1 / Math.Sqrt(s + Eps * Eps));
        }

        static void Scale(Span<double> v, double factor)
        {
            for (int i = 0; i < v.Length; i++) v[i] *= factor;
        }
    }
}
