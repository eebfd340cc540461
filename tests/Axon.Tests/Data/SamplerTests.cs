using Axon.Data;

namespace Axon.Tests.Data;

public class SamplerTests
{
    private static TensorDataset Numbers(int n) =>
        new(Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n, 1), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)i).ToArray()));

    private static long[] Visit(DataLoader loader) => [.. loader.SelectMany(b => b.Target.ToLongArray())];

    [Fact]
    public void TheSequentialSamplerIsTheDefaultOrder()
    {
        var loader = new DataLoader(Numbers(7), batchSize: 3, sampler: new SequentialSampler());
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), Visit(loader));
        Assert.Equal(3, loader.Count);
        Assert.False(loader.Shuffle);
    }

    [Fact]
    public void TheRandomSamplerDrawsThePermutationThatShuffleDraws()
    {
        var shuffled = new DataLoader(Numbers(10), batchSize: 4, shuffle: true, generator: new Generator(5));
        var sampled = new DataLoader(Numbers(10), batchSize: 4, sampler: new RandomSampler(), generator: new Generator(5));
        Assert.True(sampled.Shuffle);
        for (int epoch = 0; epoch < 3; epoch++) Assert.Equal(Visit(shuffled), Visit(sampled));
        Assert.Equal(new Generator(5).Permutation(10).Select(i => (long)i), Visit(new DataLoader(Numbers(10), 4, sampler: new RandomSampler(), generator: new Generator(5))));
    }

    [Fact]
    public void WithReplacementTheSamplerDrawsAnyNumberOfIndices()
    {
        var loader = new DataLoader(Numbers(5), batchSize: 4, sampler: new RandomSampler(replacement: true, numSamples: 18), generator: new Generator(1));
        Assert.Equal(5, loader.Count);  // 18 indices in batches of 4
        var seen = Visit(loader);
        Assert.Equal(18, seen.Length);
        Assert.All(seen, i => Assert.InRange(i, 0, 4));
        Assert.True(seen.Distinct().Count() < 18);  // 18 draws from 5 must repeat
        var g = new Generator(1);
        Assert.Equal(Enumerable.Range(0, 18).Select(_ => g.NextInt64(5)), seen);
        var subset = new DataLoader(Numbers(9), batchSize: 2, sampler: new RandomSampler(numSamples: 4), generator: new Generator(2));
        Assert.Equal(new Generator(2).Permutation(9)[..4].Select(i => (long)i), Visit(subset));
        Assert.Equal("RandomSampler(replacement=True, num_samples=18)", loader.Sampler.ToString());
    }

    /// <summary>A sampler that returns an index past the end of the dataset.</summary>
    private sealed class Broken : ISampler
    {
        public int Count(int datasetCount) => datasetCount;

        public int[] EpochIndices(int datasetCount, Generator generator) => [0, datasetCount];
    }

    [Fact]
    public void BadSamplersAndArgumentsAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DataLoader(Numbers(3), 2, shuffle: true, sampler: new SequentialSampler()));
        Assert.Contains("either shuffle or a sampler", ex.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<InvalidOperationException>(() => Visit(new DataLoader(Numbers(3), 2, sampler: new Broken())));
        Assert.Contains("gave index 3 for a dataset of 3 samples", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RandomSampler(numSamples: 4).Count(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomSampler(numSamples: 0));
    }
}
