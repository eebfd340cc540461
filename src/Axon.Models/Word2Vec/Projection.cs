namespace Axon.Models.Word2Vec;

/// <summary>
/// A 2-D principal-component projection of chosen words' vectors, as Mikolov et al. draw countries and capitals: the
/// vectors are centred on their mean and projected on the two directions of largest variance.
/// </summary>
public static class Projection
{
    /// <summary>
    /// The coordinates of <paramref name="words"/> on the first two principal components of their centred vectors, and
    /// the fraction of the variance each component explains. Computed from the words' Gram matrix (n × n, in double) by
    /// power iteration with deflation from a fixed start, so the result is deterministic; each axis's sign is chosen so
    /// that the first word has a non-negative coordinate.
    /// </summary>
    public static ((double X, double Y)[] Points, double[] Explained) Pca2(WordVectors vectors, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(words);
        int n = words.Count, d = vectors.Dimension;
        if (n < 2) throw new ArgumentException($"Projection.Pca2: needs at least 2 words, got {n}.", nameof(words));
        var x = new double[n, d];
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            var v = vectors[words[i]];
            for (int j = 0; j < d; j++) mean[j] += (x[i, j] = v[j]) / n;
        }
        var gram = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k <= i; k++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += (x[i, j] - mean[j]) * (x[k, j] - mean[j]);
                gram[i, k] = gram[k, i] = s;
            }
        double total = 0;
        for (int i = 0; i < n; i++) total += gram[i, i];
        var points = new (double X, double Y)[n];
        var explained = new double[2];
        for (int c = 0; c < 2; c++)
        {
            var (lambda, u) = TopEigen(gram);
            explained[c] = total > 0 ? lambda / total : 0;
            double scale = Math.Sqrt(Math.Max(lambda, 0)) * (u[0] < 0 ? -1 : 1);
            for (int i = 0; i < n; i++)
            {
                if (c == 0) points[i].X = scale * u[i];
                else points[i].Y = scale * u[i];
                for (int k = 0; k < n; k++) gram[i, k] -= lambda * u[i] * u[k];   // deflate
            }
        }
        return (points, explained);
    }

    /// <summary>The largest eigenvalue of a symmetric positive semi-definite matrix and its unit eigenvector.</summary>
    private static (double Lambda, double[] Vector) TopEigen(double[,] a)
    {
        int n = a.GetLength(0);
        var u = new double[n];
        for (int i = 0; i < n; i++) u[i] = 1 + 0.01 * i;   // fixed, not orthogonal to any eigenvector in practice
        Normalize(u);
        double lambda = 0;
        var next = new double[n];
        for (int iter = 0; iter < 10_000; iter++)
        {
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i, k] * u[k];
                next[i] = s;
            }
            double norm = Normalize(next);
            double change = 0;
            for (int i = 0; i < n; i++) change = Math.Max(change, Math.Abs(next[i] - u[i]));
            (u, next) = (next, u);
            lambda = norm;
            if (norm == 0 || change < 1e-12) break;
        }
        return (lambda, u);
    }

    private static double Normalize(double[] v)
    {
        double s = Math.Sqrt(v.Sum(t => t * t));
        if (s > 0) for (int i = 0; i < v.Length; i++) v[i] /= s;
        return s;
    }
}
