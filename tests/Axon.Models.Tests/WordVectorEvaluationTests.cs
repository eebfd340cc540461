using Axon.Models.Word2Vec;

namespace Axon.Models.Tests;

/// <summary>Spearman's rho, analogy scoring and the KJV test sets that ship with the library.</summary>
public sealed class WordVectorEvaluationTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-w2v-eval-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public void SpearmanMatchesTheClosedFormAndAveragesTies()
    {
        // No ties: 1 - 6 sum d^2 / (n (n^2 - 1)) = 1 - 6 * 2 / 60.
        Assert.Equal(0.8, WordVectorEvaluation.Spearman([1, 2, 3, 4], [10, 30, 20, 40]), 12);
        // Ties share rank 2.5: Pearson of (1, 2.5, 2.5, 4) and (1, 2, 3, 4) = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
        Assert.Equal(3 / Math.Sqrt(10), WordVectorEvaluation.Spearman([1, 2, 2, 3], [5, 6, 7, 8]), 12);
        Assert.Equal(-1, WordVectorEvaluation.Spearman([1, 2, 3], [9, 4, 1]), 12);
        Assert.Throws<ArgumentException>(() => WordVectorEvaluation.Spearman([1, 2], [1]));
    }

    private static WordVectors Toy() => new(
        ["man", "woman", "king", "queen", "boy", "apple"],
        [1, 0, 0, /**/ 0, 1, 0, /**/ 1, 0, 1, /**/ 0, 1, 1, /**/ 0.9f, 0.1f, 0, /**/ 0, 0, -1], 3);

    [Fact]
    public void SimilarityScoresOnlyPairsWithVectors()
    {
        var v = Toy();
        // Cosines: king-queen 0.5, man-boy 0.994, man-apple 0; ratings in the same order give rho 1.
        RatedPair[] pairs = [new("king", "queen", 5), new("man", "boy", 9), new("man", "apple", 1), new("man", "unicorn", 7)];
        var s = WordVectorEvaluation.Similarity(v, pairs);
        Assert.Equal((1.0, 3, 4), (Math.Round(s.Spearman, 12), s.Scored, s.Total));
    }

    [Fact]
    public void AnalogiesAreScoredPerCategoryWithUnknownWordsWrong()
    {
        var v = Toy();
        AnalogyQuestion[] q =
        [
            new("gender", "man", "woman", "king", "queen"),   // woman - man + king = (0, 1, 1): queen
            new("gender", "king", "queen", "man", "woman"),   // queen - king + man = (1, 1, 0) / ...: woman or boy
            new("gender", "man", "woman", "prince", "princess"),
            new("fruit", "man", "apple", "woman", "king"),
        ];
        var scores = WordVectorEvaluation.Analogies(v, q);
        Assert.Equal(["gender", "fruit", "all"], scores.Select(s => s.Category));
        Assert.Equal((2, 2, 3), (scores[0].Correct, scores[0].Answerable, scores[0].Total));
        Assert.Equal((0, 1, 1), (scores[1].Correct, scores[1].Answerable, scores[1].Total));
        Assert.Equal((2, 3, 4), (scores[2].Correct, scores[2].Answerable, scores[2].Total));
        Assert.Equal(0.5, scores[2].Accuracy);
        // Only the two most frequent words as candidates: no question is answerable.
        Assert.Equal(0, WordVectorEvaluation.Analogies(v, q, maxVocabulary: 2)[^1].Answerable);
    }

    [Fact]
    public void TheKjvTestSetsAreWhatTheirHeadersSay()
    {
        var pairs = WordVectorEvaluation.KjvSimilarity();
        Assert.Equal(232, pairs.Count);
        Assert.All(pairs, p => Assert.InRange(p.Rating, 0, 10));
        Assert.Equal(pairs.Count, pairs.Select(p => string.CompareOrdinal(p.A, p.B) < 0 ? (p.A, p.B) : (p.B, p.A)).Distinct().Count());
        Assert.Equal(("anger", "wrath", 9.6), (pairs[0].A, pairs[0].B, pairs[0].Rating));

        var questions = WordVectorEvaluation.KjvAnalogies();
        Assert.Equal(1158, questions.Count);
        var perCategory = questions.GroupBy(q => q.Category).ToDictionary(g => g.Key, g => g.Count());
        // Every ordered pair of distinct pairs: n (n - 1) questions from n pairs.
        Assert.Equal(new Dictionary<string, int>
        {
            ["gender"] = 16 * 15,
            ["plural"] = 18 * 17,
            ["past-tense"] = 15 * 14,
            ["third-second-person"] = 13 * 12,
            ["land-people"] = 13 * 12,
            ["comparative"] = 10 * 9,
        }, perCategory);
        Assert.Contains(new AnalogyQuestion("gender", "man", "woman", "king", "queen"), questions);
        Assert.All(questions, q => Assert.Equal(4, new[] { q.A, q.B, q.C, q.D }.Distinct().Count()));
    }

    [Fact]
    public void FilesInTheSameFormatsReadAndBadLinesNameTheirPlace()
    {
        string sim = Path.Combine(dir.FullName, "sim.txt"), ana = Path.Combine(dir.FullName, "ana.txt");
        File.WriteAllText(sim, "# comment\ncat dog 7.5\n\nsun moon 8 # trailing\n");
        Assert.Equal([new RatedPair("cat", "dog", 7.5), new RatedPair("sun", "moon", 8)], WordVectorEvaluation.ReadSimilarity(sim));
        File.WriteAllText(ana, ": capital-common-countries\nathens greece baghdad iraq\n: family\nboy girl brother sister\n");
        Assert.Equal(
            [new AnalogyQuestion("capital-common-countries", "athens", "greece", "baghdad", "iraq"), new AnalogyQuestion("family", "boy", "girl", "brother", "sister")],
            WordVectorEvaluation.ReadAnalogies(ana));

        File.WriteAllText(sim, "cat dog 7.5\nsun moon high\n");
        var e = Assert.Throws<InvalidDataException>(() => WordVectorEvaluation.ReadSimilarity(sim));
        Assert.Contains("sim.txt:2:", e.Message, StringComparison.Ordinal);
        Assert.Contains("sun moon high", e.Message, StringComparison.Ordinal);
        File.WriteAllText(ana, ": family\nboy girl brother\n");
        e = Assert.Throws<InvalidDataException>(() => WordVectorEvaluation.ReadAnalogies(ana));
        Assert.Contains("ana.txt:2: an analogy is four words", e.Message, StringComparison.Ordinal);
        File.WriteAllText(ana, "# nothing\n");
        Assert.Contains("no analogy questions", Assert.Throws<InvalidDataException>(() => WordVectorEvaluation.ReadAnalogies(ana)).Message, StringComparison.Ordinal);
    }
}
