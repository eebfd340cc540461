using System.Numerics;

namespace Axon.Models.Generative;

/// <summary>
/// The mean and covariance of a set of feature vectors, in double precision: what a Fréchet distance compares.
/// </summary>
/// <param name="Mean">The mean vector, length d.</param>
/// <param name="Covariance">The unbiased sample covariance (divided by N − 1), d x d.</param>
/// <param name="Count">How many vectors N the statistics were computed from.</param>
public sealed record FeatureStatistics(double[] Mean, double[,] Covariance, int Count)
{
    /// <summary>The feature dimension d.</summary>
    public int Dimension => Mean.Length;

    /// <summary>The statistics of the rows of a [N, d] float32 or float64 tensor (N ≥ 2).</summary>
    /// <param name="features">One feature vector per row.</param>
    public static FeatureStatistics From(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 2)
            throw new ArgumentException($"FeatureStatistics.From: features must be [N, d], got {Format(features.GetShape())}.", nameof(features));
        return From(features.ToArray<double>(), features.Size(0), features.Size(1));
    }

    /// <summary>The statistics of <paramref name="count"/> row-major rows of length <paramref name="dimension"/> (count ≥ 2).</summary>
    /// <param name="rows">count · dimension values, one row after the other.</param>
    /// <param name="count">The number of rows N.</param>
    /// <param name="dimension">The feature dimension d.</param>
    public static FeatureStatistics From(ReadOnlySpan<double> rows, int count, int dimension)
    {
        if (count < 2) throw new ArgumentException($"FeatureStatistics.From: a covariance needs at least 2 vectors, got {count}.", nameof(count));
        if (dimension < 1) throw new ArgumentException($"FeatureStatistics.From: the dimension must be positive, got {dimension}.", nameof(dimension));
        if (rows.Length != (long)count * dimension)
            throw new ArgumentException($"FeatureStatistics.From: {count} rows of {dimension} need {(long)count * dimension} values, got {rows.Length}.", nameof(rows));
        int d = dimension;
        var mean = new double[d];
        for (int r = 0; r < count; r++)
        {
            var row = rows.Slice(r * d, d);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= count;

        // Two passes (mean first, then products of centred values) so that large means do not cancel the covariance away.
        // Only the upper triangle is accumulated; the inner loop runs over contiguous memory in SIMD vectors.
        var upper = new double[d * d];
        var centred = new double[d];
        for (int r = 0; r < count; r++)
        {
            var row = rows.Slice(r * d, d);
            for (int j = 0; j < d; j++) centred[j] = row[j] - mean[j];
            for (int i = 0; i < d; i++)
            {
                double xi = centred[i];
                if (xi == 0) continue;
                AddScaled(upper.AsSpan(i * d + i, d - i), centred.AsSpan(i, d - i), xi);
            }
        }
        var covariance = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                double c = upper[i * d + j] / (count - 1);
                covariance[i, j] = c;
                covariance[j, i] = c;
            }
        return new FeatureStatistics(mean, covariance, count);
    }

    private static void AddScaled(Span<double> destination, ReadOnlySpan<double> source, double scale)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<double>(scale);
            for (; j <= source.Length - Vector<double>.Count; j += Vector<double>.Count)
                (new Vector<double>(destination[j..]) + s * new Vector<double>(source[j..])).CopyTo(destination[j..]);
        }
        for (; j < source.Length; j++) destination[j] += scale * source[j];
    }

    internal static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>
/// The Fréchet distance between two Gaussians fitted to feature vectors (Dowson and Landau, 1982), the quantity behind
/// the FID of Heusel et al. (2017): d² = ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^{1/2}). Which features it is computed in
/// decides what it measures; Axon computes it in the penultimate layer of its own Fashion-MNIST classifier
/// (<see cref="ClassifierFeatures"/>), not in the Inception network's pool layer, so its values are not comparable with
/// published FIDs, only with each other (same classifier, same number of samples: the estimate is biased upward for
/// small N).
/// </summary>
public static class FrechetDistance
{
    /// <summary>
    /// The squared Fréchet distance between the Gaussians of <paramref name="a"/> and <paramref name="b"/>. The trace of
    /// the matrix square root is computed through a symmetric matrix: Tr((Σa Σb)^{1/2}) = Tr((Σa^{1/2} Σb Σa^{1/2})^{1/2}),
    /// the sum of the square roots of its eigenvalues (negative ones, which are rounding, count as 0), so no
    /// non-symmetric square root (and no complex rounding residue, as scipy's sqrtm leaves) is needed. For (nearly)
    /// identical statistics the result can come out a rounding error below 0 (about 1e-12 of the traces); it is returned
    /// as computed rather than clamped, so that such a value shows as what it is.
    /// </summary>
    /// <param name="a">The statistics of one feature set.</param>
    /// <param name="b">The statistics of the other, of the same dimension.</param>
    public static double Compute(FeatureStatistics a, FeatureStatistics b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int d = a.Dimension;
        if (b.Dimension != d || a.Covariance.GetLength(0) != d || b.Covariance.GetLength(0) != d)
            throw new ArgumentException($"FrechetDistance: the feature dimensions differ: {d} (covariance {a.Covariance.GetLength(0)}) and {b.Dimension} (covariance {b.Covariance.GetLength(0)}).", nameof(b));
        double meanTerm = 0;
        for (int i = 0; i < d; i++)
        {
            double diff = a.Mean[i] - b.Mean[i];
            meanTerm += diff * diff;
        }
        double trace = 0;
        for (int i = 0; i < d; i++) trace += a.Covariance[i, i] + b.Covariance[i, i];

        var root = SymmetricEigen.Sqrt(a.Covariance);
        var product = Multiply(Multiply(root, b.Covariance), root);
        var (values, _) = SymmetricEigen.Decompose(product);
        double traceSqrt = 0;
        foreach (double v in values) traceSqrt += Math.Sqrt(Math.Max(v, 0));
        return meanTerm + trace - 2 * traceSqrt;
    }

    /// <summary>The distance between the statistics of two [N, d] feature tensors.</summary>
    /// <param name="a">One feature set.</param>
    /// <param name="b">The other.</param>
    public static double Compute(Tensor a, Tensor b) => Compute(FeatureStatistics.From(a), FeatureStatistics.From(b));

    private static double[,] Multiply(double[,] x, double[,] y)
    {
        int n = x.GetLength(0), m = x.GetLength(1), p = y.GetLength(1);
        var result = new double[n, p];
        var row = new double[p];
        for (int i = 0; i < n; i++)
        {
            Array.Clear(row);
            for (int k = 0; k < m; k++)
            {
                double xik = x[i, k];
                if (xik == 0) continue;
                for (int j = 0; j < p; j++) row[j] += xik * y[k, j];
            }
            for (int j = 0; j < p; j++) result[i, j] = row[j];
        }
        return result;
    }
}
