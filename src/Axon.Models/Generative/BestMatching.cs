namespace Axon.Models.Generative;

/// <summary>
/// The best one-to-one matching between k clusters (e.g. InfoGAN's categorical codes) and k classes, the one that
/// maximises the number of samples whose cluster is matched to their class: the usual "clustering accuracy" (cluster
/// labels are arbitrary, so they are compared with the classes up to the best permutation).
/// </summary>
/// <param name="Assignment">For each cluster (row) the class (column) it is matched to; a permutation of 0..k−1.</param>
/// <param name="Matched">The number of samples on the matched pairs.</param>
/// <param name="Total">The number of samples in the count matrix.</param>
public sealed record BestMatching(int[] Assignment, long Matched, long Total)
{
    /// <summary>Matched / Total: the fraction of samples whose cluster is matched to their class.</summary>
    public double Accuracy => (double)Matched / Total;

    /// <summary>
    /// Finds the matching that maximises the matched count with the Hungarian algorithm (Kuhn–Munkres, in the O(k³)
    /// form with row and column potentials and shortest augmenting paths), on costs max − count.
    /// </summary>
    /// <param name="counts">A square k x k matrix of non-negative counts: rows are clusters, columns classes, entry [i, j] the
    /// number of samples of cluster i classified as (or labelled) j. At least one count must be positive.</param>
    public static BestMatching Find(long[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int k = counts.GetLength(0);
        if (counts.GetLength(1) != k)
            throw new ArgumentException($"BestMatching: the count matrix must be square (clusters x classes), got {k} x {counts.GetLength(1)}.", nameof(counts));
        if (k == 0) throw new ArgumentException("BestMatching: the count matrix is empty (0 x 0).", nameof(counts));
        long total = 0, max = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                long c = counts[i, j];
                if (c < 0) throw new ArgumentException($"BestMatching: counts must be non-negative, got {c} at [{i}, {j}].", nameof(counts));
                total = checked(total + c);
                max = Math.Max(max, c);
            }
        if (total == 0) throw new ArgumentException($"BestMatching: the {k} x {k} count matrix holds no samples.", nameof(counts));

        var assignment = Hungarian(k, (i, j) => max - counts[i, j]);
        long matched = 0;
        for (int i = 0; i < k; i++) matched += counts[i, assignment[i]];
        return new BestMatching(assignment, matched, total);
    }

    /// <summary>
    /// The minimum-cost perfect matching of a k x k cost matrix: for each row its column. Indices 1..k inside, with row
    /// and column 0 as the virtual start of each augmenting path; all arithmetic is on integers, so ties and the result
    /// are exact.
    /// </summary>
    private static int[] Hungarian(int k, Func<int, int, long> cost)
    {
        var u = new long[k + 1];          // row potentials
        var v = new long[k + 1];          // column potentials
        var rowOf = new int[k + 1];       // rowOf[j]: the row matched to column j (0: none)
        var way = new int[k + 1];         // the previous column on the shortest path
        var minTo = new long[k + 1];
        var used = new bool[k + 1];
        for (int i = 1; i <= k; i++)
        {
            rowOf[0] = i;
            int j0 = 0;
            Array.Fill(minTo, long.MaxValue);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = rowOf[j0], j1 = 0;
                long delta = long.MaxValue;
                for (int j = 1; j <= k; j++)
                {
                    if (used[j]) continue;
                    long reduced = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if (reduced < minTo[j])
                    {
                        minTo[j] = reduced;
                        way[j] = j0;
                    }
                    if (minTo[j] < delta)
                    {
                        delta = minTo[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= k; j++)
                {
                    if (used[j])
                    {
                        u[rowOf[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minTo[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (rowOf[j0] != 0);
            do
            {
                int j1 = way[j0];
                rowOf[j0] = rowOf[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var assignment = new int[k];
        for (int j = 1; j <= k; j++) assignment[rowOf[j] - 1] = j - 1;
        return assignment;
    }
}
