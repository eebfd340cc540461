using System.Numerics.Tensors;

namespace Axon.Models.Word2Vec;

/// <summary>
/// Trained word vectors: a vocabulary (in its order, most frequent first for vectors word2vec trained) and one vector
/// of <see cref="Dimension"/> floats per word, with the queries the word2vec papers show — cosine similarity, nearest
/// neighbours, analogies (3CosAdd: the word nearest to a − b + c on unit vectors) — and the word2vec text and binary
/// file formats (<see cref="WordVectorFiles"/>) that gensim, fastText and the original tools read.
/// </summary>
public sealed class WordVectors
{
    private readonly float[] vectors;
    private readonly Dictionary<string, int> index;
    private float[]? unit;

    /// <summary>The vectors of <paramref name="words"/>: <paramref name="vectors"/> holds them row by row ([V, D]).</summary>
    public WordVectors(IReadOnlyList<string> words, float[] vectors, int dimension)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(vectors);
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "WordVectors: the dimension must be positive.");
        if ((long)words.Count * dimension != vectors.Length)
            throw new ArgumentException($"WordVectors: {words.Count} words of dimension {dimension} need {(long)words.Count * dimension} floats, got {vectors.Length}.", nameof(vectors));
        index = new Dictionary<string, int>(words.Count, StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++)
        {
            string w = words[i] ?? throw new ArgumentException($"WordVectors: word {i} is null.", nameof(words));
            if (w.Length == 0 || w.Any(char.IsWhiteSpace))
                throw new ArgumentException($"WordVectors: word {i} ('{w}') is empty or contains white space, which the file formats cannot hold.", nameof(words));
            if (!index.TryAdd(w, i)) throw new ArgumentException($"WordVectors: the word '{w}' appears twice (at {index[w]} and {i}).", nameof(words));
        }
        Words = words.ToArray();
        this.vectors = vectors;
        Dimension = dimension;
    }

    /// <summary>The vocabulary, in the vectors' order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Size of each vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of words.</summary>
    public int Count => Words.Count;

    /// <summary>All vectors, row-major [Count, Dimension] (the array itself, not a copy).</summary>
    public ReadOnlySpan<float> Data => vectors;

    /// <summary>The word's row, or −1 when it is not in the vocabulary.</summary>
    public int IndexOf(string word) => index.TryGetValue(word, out int i) ? i : -1;

    /// <summary>Whether the word has a vector.</summary>
    public bool Contains(string word) => index.ContainsKey(word);

    /// <summary>The word's vector (throws naming the word when it is not in the vocabulary).</summary>
    public ReadOnlySpan<float> this[string word] => vectors.AsSpan(Row(word) * Dimension, Dimension);

    /// <summary>The cosine similarity of two words' vectors (0 when one of them is zero).</summary>
    public double Similarity(string a, string b)
    {
        var u = Unit();
        return TensorPrimitives.Dot(u.AsSpan(Row(a) * Dimension, Dimension), u.AsSpan(Row(b) * Dimension, Dimension));
    }

    /// <summary>The <paramref name="k"/> words most similar to <paramref name="word"/> (by cosine), the word itself left out.</summary>
    public IReadOnlyList<(string Word, double Similarity)> Nearest(string word, int k = 10) =>
        Nearest(this[word], k, [Row(word)]);

    /// <summary>
    /// The analogy a : b :: c : ? answered by 3CosAdd, the words nearest to unit(a) − unit(b) + unit(c) (so
    /// <c>Analogy("king", "man", "woman")</c> asks for the word that is to woman what king is to man), a, b and c left out.
    /// </summary>
    public IReadOnlyList<(string Word, double Similarity)> Analogy(string a, string b, string c, int k = 1)
    {
        int ia = Row(a), ib = Row(b), ic = Row(c);
        var u = Unit();
        var query = new float[Dimension];
        for (int j = 0; j < Dimension; j++) query[j] = u[ia * Dimension + j] - u[ib * Dimension + j] + u[ic * Dimension + j];
        return Nearest(query, k, [ia, ib, ic]);
    }

    /// <summary>The <paramref name="k"/> words whose vectors are most similar (by cosine) to <paramref name="query"/>, some rows left out.</summary>
    public IReadOnlyList<(string Word, double Similarity)> Nearest(ReadOnlySpan<float> query, int k, IReadOnlyCollection<int>? exclude = null)
    {
        if (query.Length != Dimension) throw new ArgumentException($"WordVectors.Nearest: the query has {query.Length} dimensions, the vectors {Dimension}.", nameof(query));
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "WordVectors.Nearest: k must be positive.");
        var u = Unit();
        float norm = TensorPrimitives.Norm(query);
        var scores = new float[Count];
        for (int i = 0; i < Count; i++) scores[i] = norm == 0 ? 0 : TensorPrimitives.Dot(u.AsSpan(i * Dimension, Dimension), query) / norm;
        // A bounded selection: the k best so far, ties broken by the vocabulary's order (more frequent first).
        var best = new List<int>(k + 1);
        for (int i = 0; i < Count; i++)
        {
            if (exclude is not null && exclude.Contains(i)) continue;
            if (best.Count == k && scores[i] <= scores[best[^1]]) continue;
            int at = best.Count;
            while (at > 0 && scores[best[at - 1]] < scores[i]) at--;
            best.Insert(at, i);
            if (best.Count > k) best.RemoveAt(k);
        }
        return best.Select(i => (Words[i], (double)scores[i])).ToArray();
    }

    private int Row(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return index.TryGetValue(word, out int i) ? i : throw new KeyNotFoundException($"WordVectors: the word '{word}' is not in the vocabulary ({Count} words).");
    }

    /// <summary>The vectors scaled to unit length (zero vectors stay zero), computed once.</summary>
    private float[] Unit() => LazyInitializer.EnsureInitialized(ref unit, () =>
    {
        var u = new float[vectors.Length];
        for (int i = 0; i < Count; i++)
        {
            var row = vectors.AsSpan(i * Dimension, Dimension);
            float n = TensorPrimitives.Norm(row);
            if (n > 0) TensorPrimitives.Divide(row, n, u.AsSpan(i * Dimension, Dimension));
        }
        return u;
    });
}
