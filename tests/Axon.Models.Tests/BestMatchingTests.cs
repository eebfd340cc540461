using Axon.Models.Generative;

namespace Axon.Models.Tests;

/// <summary>The Hungarian matching of clusters to classes, against brute force and a case checked by hand.</summary>
public class BestMatchingTests
{
    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }
        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest)) yield return [items[i], .. p];
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void MatchesBruteForceOnRandom6x6(int seed)
    {
        var g = new Generator(seed);
        var counts = new long[6, 6];
        // Small counts make ties (several optimal permutations) common, which the matched count must still get right.
        for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) counts[i, j] = g.NextInt64(seed <= 2 ? 4 : 1000);
        long best = Permutations([0, 1, 2, 3, 4, 5]).Max(p => Enumerable.Range(0, 6).Sum(i => counts[i, p[i]]));
        var m = BestMatching.Find(counts);
        Assert.Equal(best, m.Matched);
        Assert.Equal(best, Enumerable.Range(0, 6).Sum(i => counts[i, m.Assignment[i]]));
        Assert.Equal([0, 1, 2, 3, 4, 5], m.Assignment.Order());
    }

    [Fact]
    public void HandCheckedThreeByThree()
    {
        // Greedy, largest count first (9, then 7, then 4), gets 20; the best is 8 + 7 + 6 = 21 with cluster 0 -> class 1,
        // cluster 1 -> class 2, cluster 2 -> class 0. The six permutations in lexicographic order: 11, 20, 11, 21, 7, 8.
        long[,] counts = { { 9, 8, 1 }, { 2, 1, 7 }, { 6, 4, 1 } };
        var m = BestMatching.Find(counts);
        Assert.Equal([1, 2, 0], m.Assignment);
        Assert.Equal(21, m.Matched);
        Assert.Equal(39, m.Total);
        Assert.Equal(21.0 / 39, m.Accuracy, 15);
    }

    [Fact]
    public void BadInputIsAnError()
    {
        Assert.Contains("3 x 4", Assert.Throws<ArgumentException>(() => BestMatching.Find(new long[3, 4])).Message, StringComparison.Ordinal);
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => BestMatching.Find(new long[2, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => BestMatching.Find(new long[,] { { 1, -1 }, { 0, 0 } })).Message, StringComparison.Ordinal);
    }
}
