namespace Axon.Models.Word2Vec;

/// <summary>A word's path in the Huffman tree: inner-node indices from the root down and the branch bits.</summary>
public sealed record HuffmanPath(int[] Points, byte[] Codes);

/// <summary>The tables word2vec.c precomputes: subsampling keep-probabilities, the unigram^0.75 table, the Huffman tree.</summary>
public static class Word2VecTables
{
    /// <summary>
    /// Mikolov's subsampling keep-probability as word2vec.c computes it: p = (√(f/(t·N)) + 1)·(t·N)/f with f the
    /// word's count, N the total count and t the threshold; values above 1 mean always kept. t ≤ 0 disables (1).
    /// </summary>
    public static double KeepProbability(long count, long total, double threshold)
    {
        if (threshold <= 0 || count <= 0) return 1.0;
        double tn = threshold * total;
        return (Math.Sqrt(count / tn) + 1) * tn / count;
    }

    /// <summary>The keep-probabilities of every word of a vocabulary (see <see cref="KeepProbability"/>).</summary>
    public static double[] KeepProbabilities(IReadOnlyList<long> counts, long total, double threshold)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var p = new double[counts.Count];
        for (int i = 0; i < p.Length; i++) p[i] = KeepProbability(counts[i], total, threshold);
        return p;
    }

    /// <summary>
    /// The negative-sampling table as word2vec.c's InitUnigramTable fills it: word i occupies a share of the slots
    /// proportional to count_i^0.75 (counts sorted descending, slots filled in order).
    /// </summary>
    public static int[] UnigramTable(IReadOnlyList<long> counts, int size, double power = 0.75)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0) throw new ArgumentException("The vocabulary is empty.", nameof(counts));
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "The table size must be positive.");
        double totalPow = 0;
        foreach (long c in counts) totalPow += Math.Pow(c, power);
        var table = new int[size];
        int i = 0;
        double d1 = Math.Pow(counts[0], power) / totalPow;
        for (int a = 0; a < size; a++)
        {
            table[a] = i;
            if (a / (double)size > d1 && i < counts.Count - 1)
            {
                i++;
                d1 += Math.Pow(counts[i], power) / totalPow;
            }
        }
        return table;
    }

    /// <summary>
    /// The Huffman tree as word2vec.c's CreateBinaryTree builds it (counts sorted descending): the two smallest nodes
    /// merge, the second-picked child gets bit 1; a word's path lists inner nodes from the root (index V−2) down,
    /// numbered 0..V−2, with the branch bit taken at each. A one-word vocabulary has an empty path.
    /// </summary>
    public static HuffmanPath[] HuffmanTree(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int v = counts.Count;
        var paths = new HuffmanPath[v];
        if (v == 1)
        {
            paths[0] = new HuffmanPath([], []);
            return paths;
        }
        var count = new long[2 * v - 1];
        var binary = new byte[2 * v - 1];
        var parent = new int[2 * v - 1];
        for (int a = 0; a < v; a++) count[a] = counts[a];
        for (int a = v; a < 2 * v - 1; a++) count[a] = long.MaxValue / 4;
        int pos1 = v - 1, pos2 = v;
        for (int a = 0; a < v - 1; a++)
        {
            int min1 = pos1 >= 0 && count[pos1] < count[pos2] ? pos1-- : pos2++;
            int min2 = pos1 >= 0 && count[pos1] < count[pos2] ? pos1-- : pos2++;
            count[v + a] = count[min1] + count[min2];
            parent[min1] = v + a;
            parent[min2] = v + a;
            binary[min2] = 1;
        }
        int root = 2 * v - 2;
        var codeUp = new List<byte>();
        var pointUp = new List<int>();
        for (int a = 0; a < v; a++)
        {
            codeUp.Clear();
            pointUp.Clear();
            int b = a;
            while (b != root)
            {
                codeUp.Add(binary[b]);
                b = parent[b];
                pointUp.Add(b - v);
            }
            codeUp.Reverse();
            pointUp.Reverse();
            paths[a] = new HuffmanPath(pointUp.ToArray(), codeUp.ToArray());
        }
        return paths;
    }
}
