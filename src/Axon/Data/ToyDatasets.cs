namespace Axon.Data;

/// <summary>
/// Seeded two-dimensional toy problems for the labs: each returns X [n, 2] float32 and y [n] int64 class labels
/// 0..K-1 (except <see cref="LinearlySeparable"/>, whose labels are −1/+1). The same generator state gives identical
/// data on every machine. Samples are ordered by construction (not shuffled); use a shuffling <see cref="DataLoader"/>.
/// Wrap the result in a <see cref="TensorDataset"/> to train on it.
/// </summary>
public static class ToyDatasets
{
    /// <summary>
    /// The xor problem, not linearly separable: label = x1 xor x2 at the corners (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0.
    /// With <paramref name="samplesPerCorner"/> = 1 and no noise these are the 4 corners; otherwise noisy clusters
    /// (Gaussian, std <paramref name="noise"/>) around them, interleaved corner by corner so the classes stay balanced.
    /// </summary>
    public static (Tensor X, Tensor Y) Xor(int samplesPerCorner = 1, double noise = 0, Generator? generator = null)
    {
        CheckCount(samplesPerCorner, nameof(samplesPerCorner));
        CheckNoise(noise);
        var g = generator ?? Generator.Default;
        int n = 4 * samplesPerCorner;
        var x = new float[n * 2];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % 4, a = c >> 1, b = c & 1;
            x[2 * i] = (float)(a + noise * Normal(g, noise));
            x[2 * i + 1] = (float)(b + noise * Normal(g, noise));
            y[i] = a ^ b;
        }
        return Make(x, y);
    }

    /// <summary>
    /// Two interleaving half circles (sklearn's make_moons): n/2 (rounded down) points of class 0 on the upper arc
    /// (cos t, sin t), the rest of class 1 on the lower arc (1 − cos t, 0.5 − sin t), t evenly spaced in [0, π], plus Gaussian noise.
    /// </summary>
    public static (Tensor X, Tensor Y) TwoMoons(int n = 100, double noise = 0.1, Generator? generator = null)
    {
        CheckCount(n, nameof(n));
        CheckNoise(noise);
        var g = generator ?? Generator.Default;
        int nOut = n / 2, nIn = n - nOut;
        var x = new float[n * 2];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            bool outer = i < nOut;
            int k = outer ? i : i - nOut, m = outer ? nOut : nIn;
            double t = m > 1 ? Math.PI * k / (m - 1) : 0;
            double px = outer ? Math.Cos(t) : 1 - Math.Cos(t), py = outer ? Math.Sin(t) : 0.5 - Math.Sin(t);
            x[2 * i] = (float)(px + noise * Normal(g, noise));
            x[2 * i + 1] = (float)(py + noise * Normal(g, noise));
            y[i] = outer ? 0 : 1;
        }
        return Make(x, y);
    }

    /// <summary>
    /// Two concentric circles (sklearn's make_circles): n/2 (rounded down) points of class 0 on the unit circle and the
    /// rest of class 1 on a circle of radius <paramref name="factor"/> (0 &lt; factor &lt; 1), angles evenly spaced, plus Gaussian noise.
    /// </summary>
    public static (Tensor X, Tensor Y) Circles(int n = 100, double noise = 0.05, double factor = 0.5, Generator? generator = null)
    {
        CheckCount(n, nameof(n));
        CheckNoise(noise);
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Circles: factor must be in (0, 1).");
        var g = generator ?? Generator.Default;
        int nOut = n / 2, nIn = n - nOut;
        var x = new float[n * 2];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            bool outer = i < nOut;
            int k = outer ? i : i - nOut, m = outer ? nOut : nIn;
            double t = 2 * Math.PI * k / m, r = outer ? 1 : factor;
            x[2 * i] = (float)(r * Math.Cos(t) + noise * Normal(g, noise));
            x[2 * i + 1] = (float)(r * Math.Sin(t) + noise * Normal(g, noise));
            y[i] = outer ? 0 : 1;
        }
        return Make(x, y);
    }

    /// <summary>
    /// K interleaved spiral arms, as in the CS231n neural-network case study the lecture's lab follows: for class j,
    /// <paramref name="samplesPerClass"/> points with radius r evenly spaced in [0, 1] and angle
    /// t evenly spaced in [4j, 4(j+1)] plus Gaussian noise of std <paramref name="noise"/>, at (r sin t, r cos t).
    /// Total n = samplesPerClass · classes, class j in rows [j·samplesPerClass, (j+1)·samplesPerClass).
    /// </summary>
    public static (Tensor X, Tensor Y) Spirals(int samplesPerClass = 100, int classes = 3, double noise = 0.2, Generator? generator = null)
    {
        CheckCount(samplesPerClass, nameof(samplesPerClass));
        CheckCount(classes, nameof(classes));
        CheckNoise(noise);
        var g = generator ?? Generator.Default;
        int n = samplesPerClass * classes;
        var x = new float[n * 2];
        var y = new long[n];
        for (int j = 0; j < classes; j++)
        {
            for (int k = 0; k < samplesPerClass; k++)
            {
                int i = j * samplesPerClass + k;
                double f = samplesPerClass > 1 ? (double)k / (samplesPerClass - 1) : 0;
                double r = f, t = 4.0 * j + 4.0 * f + noise * Normal(g, noise);
                x[2 * i] = (float)(r * Math.Sin(t));
                x[2 * i + 1] = (float)(r * Math.Cos(t));
                y[i] = j;
            }
        }
        return Make(x, y);
    }

    /// <summary>
    /// Isotropic Gaussian blobs (sklearn's make_blobs) around <paramref name="centers"/> random centres drawn uniformly in
    /// [−10, 10]², each with standard deviation <paramref name="std"/>. Sample i belongs to blob i mod centers (balanced classes).
    /// </summary>
    public static (Tensor X, Tensor Y) Blobs(int n = 100, int centers = 3, double std = 1.0, Generator? generator = null)
    {
        CheckCount(centers, nameof(centers));
        var g = generator ?? Generator.Default;
        var c = new double[centers, 2];
        for (int k = 0; k < centers; k++) { c[k, 0] = -10 + 20 * g.NextDouble(); c[k, 1] = -10 + 20 * g.NextDouble(); }
        return Blobs(n, c, std, g);
    }

    /// <summary>Isotropic Gaussian blobs around the given centres ([K, 2]); sample i belongs to blob i mod K.</summary>
    public static (Tensor X, Tensor Y) Blobs(int n, double[,] centers, double std = 1.0, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(centers);
        CheckCount(n, nameof(n));
        if (centers.GetLength(0) == 0 || centers.GetLength(1) != 2) throw new ArgumentException($"Blobs: centers must be a [K, 2] array with K > 0, got [{centers.GetLength(0)}, {centers.GetLength(1)}].", nameof(centers));
        if (!(std >= 0) || double.IsInfinity(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "Blobs: std must be finite and non-negative.");
        var g = generator ?? Generator.Default;
        int k = centers.GetLength(0);
        var x = new float[n * 2];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % k;
            x[2 * i] = (float)(centers[c, 0] + std * g.NextNormal());
            x[2 * i + 1] = (float)(centers[c, 1] + std * g.NextNormal());
            y[i] = c;
        }
        return Make(x, y);
    }

    /// <summary>
    /// Linearly separable data for the perceptron, with the quantities of the lecture's convergence theorem.
    /// A unit normal w* = (cos θ, sin θ) through the origin is drawn at random; points are drawn uniformly in the disc of
    /// radius <paramref name="radius"/> and kept only if |x · w*| ≥ <paramref name="margin"/>/2, with labels
    /// y = sign(x · w*) ∈ {−1, +1} (int64), alternating +1, −1 so the classes are balanced. Hence ‖x_n‖ ≤ R and
    /// y_n (x_n · w*) ≥ γ/2, and the perceptron (w ← w + y_n x_n on each mistake, no bias, starting from 0) makes
    /// at most ⌊4R²/γ²⌋ updates (<see cref="SeparableData.MistakeBound"/>). The returned <see cref="SeparableData.Gamma"/> and
    /// <see cref="SeparableData.Radius"/> are those of the sample (γ = 2 min_n y_n x_n · w* ≥ margin, R = max_n ‖x_n‖ ≤ radius).
    /// </summary>
    public static SeparableData LinearlySeparable(int n = 100, double margin = 0.2, double radius = 1.0, Generator? generator = null)
    {
        CheckCount(n, nameof(n));
        if (!(radius > 0) || double.IsInfinity(radius)) throw new ArgumentOutOfRangeException(nameof(radius), radius, "LinearlySeparable: radius must be finite and positive.");
        if (!(margin > 0) || margin >= radius) throw new ArgumentOutOfRangeException(nameof(margin), margin, "LinearlySeparable: margin (gamma) must be positive and smaller than the radius.");
        var g = generator ?? Generator.Default;
        double theta = 2 * Math.PI * g.NextDouble();
        double wx = Math.Cos(theta), wy = Math.Sin(theta);
        var x = new float[n * 2];
        var y = new long[n];
        double minMargin = double.PositiveInfinity, maxNorm = 0;
        for (int i = 0; i < n; i++)
        {
            long label = i % 2 == 0 ? 1 : -1;
            float px, py;
            double proj;
            do
            {
                double r = radius * Math.Sqrt(g.NextDouble()), a = 2 * Math.PI * g.NextDouble();
                px = (float)(r * Math.Cos(a));
                py = (float)(r * Math.Sin(a));
                proj = label * (px * wx + py * wy);  // computed on the float32 values actually stored
            }
            while (proj < margin / 2 || Math.Sqrt((double)px * px + (double)py * py) > radius);
            x[2 * i] = px;
            x[2 * i + 1] = py;
            y[i] = label;
            minMargin = Math.Min(minMargin, proj);
            maxNorm = Math.Max(maxNorm, Math.Sqrt((double)px * px + (double)py * py));
        }
        var (xt, yt) = Make(x, y);
        return new SeparableData(xt, yt, [wx, wy], 2 * minMargin, maxNorm);
    }

    private static double Normal(Generator g, double noise) => noise == 0 ? 0 : g.NextNormal();

    private static (Tensor X, Tensor Y) Make(float[] x, long[] y) => (Tensor.FromArray(x, y.Length, 2), Tensor.FromArray(y));

    private static void CheckCount(int value, string paramName)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be positive.");
    }

    private static void CheckNoise(double noise)
    {
        if (!(noise >= 0) || double.IsInfinity(noise)) throw new ArgumentOutOfRangeException(nameof(noise), noise, "noise must be finite and non-negative.");
    }
}

/// <summary>
/// Linearly separable data with its separator and the constants of the perceptron convergence theorem
/// (lecture: ‖x_n‖ ≤ R and y_n (x_n · w*) ≥ γ/2 with ‖w*‖ = 1 imply at most ⌊4R²/γ²⌋ updates).
/// </summary>
/// <param name="X">Points, [n, 2] float32.</param>
/// <param name="Y">Labels in {−1, +1}, [n] int64.</param>
/// <param name="WStar">The unit normal w* of the separating line through the origin.</param>
/// <param name="Gamma">The margin γ of the sample: 2 min_n y_n (x_n · w*).</param>
/// <param name="Radius">R = max_n ‖x_n‖.</param>
public sealed record SeparableData(Tensor X, Tensor Y, double[] WStar, double Gamma, double Radius)
{
    /// <summary>⌊4R²/γ²⌋, the lecture's bound on the number of perceptron updates.</summary>
    public long MistakeBound => (long)Math.Floor(4 * Radius * Radius / (Gamma * Gamma));
}
