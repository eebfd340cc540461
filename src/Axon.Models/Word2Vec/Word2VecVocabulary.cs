namespace Axon.Models.Word2Vec;

/// <summary>
/// The training vocabulary: words with count ≥ minCount, sorted by count descending (ties by ordinal word order),
/// so index 0 is the most frequent word; word → index lookup; counts; the total count N of kept words.
/// </summary>
public sealed class Word2VecVocabulary
{
    private readonly Dictionary<string, int> index;

    /// <summary>Builds a vocabulary from counts; throws when nothing survives minCount.</summary>
    public Word2VecVocabulary(IReadOnlyDictionary<string, long> counts, int minCount)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0) throw new InvalidDataException("The corpus is empty: it has no tokens.");
        var kept = counts.Where(kv => kv.Value >= minCount).ToList();
        if (kept.Count == 0)
        {
            throw new InvalidDataException(
                $"The minimum count {minCount} empties the vocabulary: the most frequent of the corpus's {counts.Count} words occurs {counts.Values.Max()} times.");
        }
        kept.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        Words = kept.Select(kv => kv.Key).ToArray();
        Counts = kept.Select(kv => kv.Value).ToArray();
        index = new Dictionary<string, int>(Words.Count, StringComparer.Ordinal);
        for (int i = 0; i < Words.Count; i++) index[Words[i]] = i;
        TotalCount = Counts.Sum();
        MinCount = minCount;
    }

    /// <summary>The words, most frequent first.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Each word's count in the corpus.</summary>
    public IReadOnlyList<long> Counts { get; }

    /// <summary>N: the total count of the kept words (the training words per epoch).</summary>
    public long TotalCount { get; }

    /// <summary>The minimum count the vocabulary was built with.</summary>
    public int MinCount { get; }

    /// <summary>The number of words.</summary>
    public int Count => Words.Count;

    /// <summary>The index of a word, or −1 when it is not in the vocabulary.</summary>
    public int IndexOf(string word) => index.TryGetValue(word, out int i) ? i : -1;

    /// <summary>Counts the tokens of a sentence stream and keeps words with count ≥ minCount.</summary>
    public static Word2VecVocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int minCount)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), minCount, "The minimum count must be at least 1.");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in sentences)
        {
            foreach (var w in s)
            {
                counts.TryGetValue(w, out long c);
                counts[w] = c + 1;
            }
        }
        return new Word2VecVocabulary(counts, minCount);
    }
}
