namespace Axon.Models.Generative;

/// <summary>
/// The eigen-decomposition A = V diag(λ) Vᵀ of a real symmetric matrix, in double precision, by the cyclic Jacobi
/// method: plane rotations that each zero one off-diagonal pair, swept over all pairs until the off-diagonal part
/// vanishes. Jacobi is slower than tridiagonalisation followed by QL for large matrices, but it is short, needs no
/// shifts and is accurate to the last digits for small eigenvalues too, which matters for the nearly singular
/// covariances a Fréchet distance takes square roots of. A 256 x 256 matrix takes a fraction of a second.
/// </summary>
public static class SymmetricEigen
{
    // Sweeps are cheap to count past: the method converges quadratically and typical matrices need 6 to 10.
    private const int MaxSweeps = 100;

    /// <summary>
    /// Decomposes the symmetric <paramref name="matrix"/> (n x n; only symmetry up to rounding is assumed: the mean of
    /// the matrix and its transpose is decomposed). Returns the eigenvalues in ascending order and the matrix whose
    /// columns are the matching orthonormal eigenvectors, so that matrix = vectors · diag(values) · vectorsᵀ.
    /// </summary>
    /// <param name="matrix">A square symmetric matrix with finite entries; it is not modified.</param>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n)
            throw new ArgumentException($"SymmetricEigen: the matrix must be square, got {n} x {matrix.GetLength(1)}.", nameof(matrix));
        // Row-major copies: a holds the matrix being diagonalised (both triangles kept in step, so every rotation reads
        // contiguous rows), vt holds the eigenvectors as rows, so rotating two of them is two contiguous row updates.
        var a = new double[n * n];
        var vt = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            vt[i * n + i] = 1;
            for (int j = 0; j < n; j++)
            {
                double v = 0.5 * (matrix[i, j] + matrix[j, i]);
                if (!double.IsFinite(v)) throw new ArgumentException($"SymmetricEigen: entry [{i}, {j}] is {matrix[i, j]}; the matrix must be finite.", nameof(matrix));
                a[i * n + j] = v;
            }
        }
        Diagonalise(a, vt, n);

        var order = Enumerable.Range(0, n).OrderBy(i => a[i * n + i]).ToArray();
        var values = new double[n];
        var vectors = new double[n, n];
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            values[k] = a[i * n + i];
            for (int r = 0; r < n; r++) vectors[r, k] = vt[i * n + r];
        }
        return (values, vectors);
    }

    /// <summary>The symmetric positive semi-definite square root V diag(√max(λ, 0)) Vᵀ; negative eigenvalues are rounding and count as 0.</summary>
    /// <param name="matrix">A symmetric positive semi-definite matrix.</param>
    public static double[,] Sqrt(double[,] matrix)
    {
        var (values, v) = Decompose(matrix);
        int n = values.Length;
        var roots = values.Select(x => Math.Sqrt(Math.Max(x, 0))).ToArray();
        var result = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += v[i, k] * roots[k] * v[j, k];
                result[i, j] = s;
                result[j, i] = s;
            }
        return result;
    }

    /// <summary>
    /// Jacobi sweeps on the row-major symmetric <paramref name="a"/>, accumulating the rotations into the rows of
    /// <paramref name="vt"/>, following Numerical Recipes' <c>jacobi</c>: the first three sweeps skip small pairs (below a
    /// fifth of the mean off-diagonal magnitude) to spend the rotations where they pay, and from the fifth sweep on a pair
    /// too small to change either diagonal entry is set to zero, which guarantees that the loop ends.
    /// </summary>
    private static void Diagonalise(double[] a, double[] vt, int n)
    {
        for (int sweep = 1; ; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += Math.Abs(a[p * n + q]);
            if (off == 0) return;
            if (sweep > MaxSweeps)
                throw new InvalidOperationException($"SymmetricEigen: no convergence after {MaxSweeps} sweeps (off-diagonal sum {off}).");
            double threshold = sweep < 4 ? 0.2 * off / ((double)n * n) : 0;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    double g = 100 * Math.Abs(apq);
                    double app = a[p * n + p], aqq = a[q * n + q];
                    if (sweep > 4 && Math.Abs(app) + g == Math.Abs(app) && Math.Abs(aqq) + g == Math.Abs(aqq))
                    {
                        a[p * n + q] = 0;
                        a[q * n + p] = 0;
                    }
                    else if (Math.Abs(apq) > threshold)
                    {
                        Rotate(a, vt, n, p, q, g);
                    }
                }
        }
    }

    /// <summary>The rotation in the (p, q) plane that zeroes a[p, q], applied as A ← Jᵀ A J and Vᵀ ← Jᵀ Vᵀ.</summary>
    private static void Rotate(double[] a, double[] vt, int n, int p, int q, double g)
    {
        double apq = a[p * n + q], app = a[p * n + p], aqq = a[q * n + q];
        double h = aqq - app;
        double t;
        if (Math.Abs(h) + g == Math.Abs(h))
        {
            t = apq / h;   // θ is so large that t = 1/(2θ) to working precision
        }
        else
        {
            double theta = 0.5 * h / apq;
            t = 1 / (Math.Abs(theta) + Math.Sqrt(1 + theta * theta));
            if (theta < 0) t = -t;
        }
        double c = 1 / Math.Sqrt(1 + t * t), s = t * c, tau = s / (1 + c);
        double shift = t * apq;
        var rowP = a.AsSpan(p * n, n);
        var rowQ = a.AsSpan(q * n, n);
        for (int j = 0; j < n; j++)
        {
            if (j == p || j == q) continue;
            double x = rowP[j], y = rowQ[j];
            double nx = x - s * (y + x * tau), ny = y + s * (x - y * tau);
            rowP[j] = nx;
            rowQ[j] = ny;
            a[j * n + p] = nx;
            a[j * n + q] = ny;
        }
        rowP[p] = app - shift;
        rowQ[q] = aqq + shift;
        rowP[q] = 0;
        rowQ[p] = 0;
        var vp = vt.AsSpan(p * n, n);
        var vq = vt.AsSpan(q * n, n);
        for (int j = 0; j < n; j++)
        {
            double x = vp[j], y = vq[j];
            vp[j] = x - s * (y + x * tau);
            vq[j] = y + s * (x - y * tau);
        }
    }
}
