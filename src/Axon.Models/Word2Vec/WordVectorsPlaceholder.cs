namespace Axon.Models.Word2Vec;

/// <summary>Placeholder until the real WordVectors lands (delete on merge): words and row-major [V, D] vectors.</summary>
public sealed class WordVectors
{
    private readonly Dictionary<string, int> index = new(StringComparer.Ordinal);

    /// <summary>Words and their vectors.</summary>
    public WordVectors(IReadOnlyList<string> words, float[] vectors, int dimension)
    {
        ArgumentNullException.ThrowIfNull(words);
        Words = words;
        Vectors = vectors;
        Dimension = dimension;
        for (int i = 0; i < words.Count; i++) index[words[i]] = i;
    }

    /// <summary>The words.</summary>
    public IReadOnlyList<string> Words { get; }

    private float[] Vectors { get; }

    /// <summary>All vectors, row-major [Count, Dimension] (as the real class).</summary>
    public ReadOnlySpan<float> Data => Vectors;

    /// <summary>D.</summary>
    public int Dimension { get; }

    /// <summary>Cosine similarity of two words.</summary>
    public double Similarity(string a, string b)
    {
        int i = index[a], j = index[b];
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < Dimension; k++)
        {
            double x = Vectors[i * Dimension + k], y = Vectors[j * Dimension + k];
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return dot / Math.Sqrt(na * nb);
    }
}
