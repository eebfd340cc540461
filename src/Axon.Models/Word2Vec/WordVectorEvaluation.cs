using System.Globalization;
using System.Reflection;

namespace Axon.Models.Word2Vec;

/// <summary>A rated word pair of a similarity test set: how related the two words are, on the set's own scale.</summary>
public sealed record RatedPair(string A, string B, double Rating);

/// <summary>An analogy question a : b :: c : d of a category (word2vec's questions-words format).</summary>
public sealed record AnalogyQuestion(string Category, string A, string B, string C, string D);

/// <summary>How vectors rank a similarity test set: Spearman's ρ between the ratings and the cosines.</summary>
/// <param name="Spearman">Rank correlation over the pairs whose two words have vectors (NaN with fewer than two).</param>
/// <param name="Scored">Pairs scored.</param>
/// <param name="Total">Pairs in the set; the others have a word without a vector.</param>
public sealed record SimilarityScore(double Spearman, int Scored, int Total);

/// <summary>Accuracy on one category of analogies (or all of them).</summary>
/// <param name="Category">The category's name (<c>all</c> for the total).</param>
/// <param name="Correct">Questions whose 3CosAdd answer is d.</param>
/// <param name="Answerable">Questions whose four words have vectors.</param>
/// <param name="Total">Questions in the category; unanswerable ones count as wrong in <see cref="Accuracy"/>.</param>
public sealed record AnalogyScore(string Category, int Correct, int Answerable, int Total)
{
    /// <summary>Correct answers over all questions (a question with an unknown word is wrong).</summary>
    public double Accuracy => Total == 0 ? double.NaN : Correct / (double)Total;
}

/// <summary>
/// Intrinsic tests of word vectors: rated word pairs scored by rank correlation, and analogies answered by 3CosAdd
/// (as word2vec's <c>compute-accuracy</c> answers them). The test sets written for the King James Bible ship with the
/// library (<see cref="KjvSimilarity"/>, <see cref="KjvAnalogies"/>); files in the same formats read with
/// <see cref="ReadSimilarity"/> and <see cref="ReadAnalogies"/>.
/// </summary>
public static class WordVectorEvaluation
{
    /// <summary>232 word pairs of the KJV, each rated 0 (unrelated) to 10 (the same meaning) by hand.</summary>
    public static IReadOnlyList<RatedPair> KjvSimilarity() => ParseSimilarity(Resource("kjv-similarity.txt"), "kjv-similarity.txt");

    /// <summary>1,158 analogies in six categories (gender, plural, past tense, -eth/-est, land and people, comparative) of KJV words.</summary>
    public static IReadOnlyList<AnalogyQuestion> KjvAnalogies() => ParseAnalogies(Resource("kjv-analogies.txt"), "kjv-analogies.txt");

    /// <summary>Reads rated pairs: one "word word rating" per line (white space between); # starts a comment.</summary>
    public static IReadOnlyList<RatedPair> ReadSimilarity(string path) => ParseSimilarity(File.ReadAllText(path), path);

    /// <summary>Reads analogies in word2vec's format: ": category" lines, then "a b c d" lines; # starts a comment.</summary>
    public static IReadOnlyList<AnalogyQuestion> ReadAnalogies(string path) => ParseAnalogies(File.ReadAllText(path), path);

    /// <summary>Spearman's ρ between the ratings and the cosine similarities, over the pairs both of whose words have vectors.</summary>
    public static SimilarityScore Similarity(WordVectors vectors, IReadOnlyList<RatedPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(pairs);
        var known = pairs.Where(p => vectors.Contains(p.A) && vectors.Contains(p.B)).ToArray();
        double rho = known.Length < 2 ? double.NaN
            : Spearman(known.Select(p => p.Rating).ToArray(), known.Select(p => vectors.Similarity(p.A, p.B)).ToArray());
        return new SimilarityScore(rho, known.Length, pairs.Count);
    }

    /// <summary>
    /// Answers each analogy by 3CosAdd over the vocabulary (a, b and c left out) and scores it per category, in the
    /// order they first appear, then <c>all</c>. With <paramref name="maxVocabulary"/> only the most frequent (first)
    /// words are candidates and questions using others are unanswerable, as in word2vec's tool (which uses 30,000).
    /// </summary>
    public static IReadOnlyList<AnalogyScore> Analogies(WordVectors vectors, IReadOnlyList<AnalogyQuestion> questions, int maxVocabulary = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVocabulary, 1);
        var restricted = maxVocabulary >= vectors.Count ? vectors : Truncate(vectors, maxVocabulary);
        var order = new List<string>();
        var counts = new Dictionary<string, (int Correct, int Answerable, int Total)>();
        // The questions are independent: answer them in parallel, then tally in order.
        var answers = new bool?[questions.Count];
        Parallel.For(0, questions.Count, i =>
        {
            var q = questions[i];
            if (!(restricted.Contains(q.A) && restricted.Contains(q.B) && restricted.Contains(q.C) && restricted.Contains(q.D))) return;
            answers[i] = restricted.Analogy(q.B, q.A, q.C, 1)[0].Word == q.D;
        });
        for (int i = 0; i < questions.Count; i++)
        {
            string c = questions[i].Category;
            if (!counts.TryGetValue(c, out var n)) order.Add(c);
            counts[c] = (n.Correct + (answers[i] == true ? 1 : 0), n.Answerable + (answers[i] is null ? 0 : 1), n.Total + 1);
        }
        var scores = order.Select(c => new AnalogyScore(c, counts[c].Correct, counts[c].Answerable, counts[c].Total)).ToList();
        scores.Add(new AnalogyScore("all", scores.Sum(s => s.Correct), scores.Sum(s => s.Answerable), questions.Count));
        return scores;
    }

    /// <summary>Spearman's rank correlation: Pearson's correlation of the ranks, ties given their average rank.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"Spearman: {x.Count} values against {y.Count}.", nameof(y));
        return Pearson(Ranks(x), Ranks(y));
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var idx = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int s = 0; s < idx.Length;)
        {
            int e = s;
            while (e + 1 < idx.Length && v[idx[e + 1]] == v[idx[s]]) e++;
            double r = (s + e) / 2.0 + 1;
            for (int k = s; k <= e; k++) ranks[idx[k]] = r;
            s = e + 1;
        }
        return ranks;
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    private static WordVectors Truncate(WordVectors v, int n) =>
        new(v.Words.Take(n).ToArray(), v.Data[..(n * v.Dimension)].ToArray(), v.Dimension);

    private static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Axon.Models.Word2Vec.TestSets." + name)
            ?? throw new InvalidOperationException($"WordVectorEvaluation: the embedded test set {name} is missing from the assembly.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private static IEnumerable<(int Line, string[] Fields)> Lines(string text)
    {
        int no = 0;
        foreach (var raw in text.Split('\n'))
        {
            no++;
            int hash = raw.IndexOf('#', StringComparison.Ordinal);
            var fields = (hash >= 0 ? raw[..hash] : raw).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0) yield return (no, fields);
        }
    }

    private static List<RatedPair> ParseSimilarity(string text, string source)
    {
        var pairs = new List<RatedPair>();
        foreach (var (line, f) in Lines(text))
        {
            if (f.Length != 3 || !double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double rating) || !double.IsFinite(rating))
                throw new InvalidDataException($"{source}:{line}: expected \"word word rating\" (a finite number), got '{string.Join(' ', f)}'.");
            pairs.Add(new RatedPair(f[0], f[1], rating));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"{source}: no rated pairs.");
        return pairs;
    }

    private static List<AnalogyQuestion> ParseAnalogies(string text, string source)
    {
        var questions = new List<AnalogyQuestion>();
        string? category = null;
        foreach (var (line, f) in Lines(text))
        {
            if (f[0] == ":")
            {
                if (f.Length != 2) throw new InvalidDataException($"{source}:{line}: a category line is \": name\", got '{string.Join(' ', f)}'.");
                category = f[1];
            }
            else if (f[0].StartsWith(':') && f.Length == 1) category = f[0][1..];
            else if (f.Length != 4) throw new InvalidDataException($"{source}:{line}: an analogy is four words \"a b c d\", got {f.Length}: '{string.Join(' ', f)}'.");
            else questions.Add(new AnalogyQuestion(category ?? "analogies", f[0], f[1], f[2], f[3]));
        }
        if (questions.Count == 0) throw new InvalidDataException($"{source}: no analogy questions.");
        return questions;
    }
}
