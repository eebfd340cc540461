using Axon.Data;

namespace Axon.Tests.Data;

public class DistributedSamplerTests
{
    private static TensorDataset Numbers(int n) =>
        new(Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n, 1), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)i).ToArray()));

    [Fact]
    public void ShardsAreDisjointStridedAndPaddedWithTheFirstIndicesAsPyTorchDoes()
    {
        var order = new Generator(3).Permutation(10);
        var shards = Enumerable.Range(0, 3).Select(r => new DistributedSampler(r, 3).EpochIndices(10, new Generator(3))).ToArray();
        Assert.All(shards, s => Assert.Equal(4, s.Length));
        // Positions r, r + 3, r + 6, r + 9 of the order extended by its first two entries.
        int[] extended = [.. order, order[0], order[1]];
        for (int r = 0; r < 3; r++) Assert.Equal(new[] { extended[r], extended[r + 3], extended[r + 6], extended[r + 9] }, shards[r]);
        Assert.Equal(Enumerable.Range(0, 10), shards.SelectMany(s => s).Distinct().Order());
        Assert.Equal(12, new DistributedSampler(0, 3).TotalCount(10));
    }

    [Fact]
    public void DropLastCutsTheTailAndNoShuffleKeepsTheDatasetOrder()
    {
        var shards = Enumerable.Range(0, 3).Select(r => new DistributedSampler(r, 3, shuffle: false, dropLast: true).EpochIndices(10, new Generator(0))).ToArray();
        Assert.Equal([0, 3, 6], shards[0]);
        Assert.Equal([1, 4, 7], shards[1]);
        Assert.Equal([2, 5, 8], shards[2]);
        // Fewer samples than ranks: padding repeats the order as often as needed.
        Assert.Equal([1], new DistributedSampler(3, 5, shuffle: false).EpochIndices(2, new Generator(0)));
        Assert.Empty(new DistributedSampler(1, 5, shuffle: false, dropLast: true).EpochIndices(2, new Generator(0)));
        Assert.Equal("DistributedSampler(num_replicas=3, rank=1, shuffle=True, drop_last=False)", new DistributedSampler(1, 3).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(0, 0));
    }

    [Fact]
    public void TheRanksBatchesTogetherAreTheSingleProcessBatchOfTheGlobalSize()
    {
        // Two epochs: rank 0's and rank 1's batch b of 3 hold the samples of a single process's batch b of 6.
        var single = new DataLoader(Numbers(23), batchSize: 6, shuffle: true, generator: new Generator(9));
        var ranks = Enumerable.Range(0, 2).Select(r => new DataLoader(Numbers(23), batchSize: 3, sampler: new DistributedSampler(r, 2), generator: new Generator(9))).ToArray();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var whole = single.Select(b => b.Target.ToLongArray().Order().ToArray()).ToList();
            var parts = ranks.Select(l => l.Select(b => b.Target.ToLongArray()).ToList()).ToArray();
            Assert.Equal(4, parts[0].Count);   // 12 samples each (23 padded to 24), batches of 3
            for (int b = 0; b < 3; b++) Assert.Equal(whole[b], parts[0][b].Concat(parts[1][b]).Order().ToArray());
        }
    }

    private sealed class RecordSeed : Transform
    {
        public List<double> Draws { get; } = [];

        public override Tensor Apply(Tensor images, Generator? generator = null)
        {
            Draws.Add(generator!.NextDouble());
            return images;
        }
    }

    [Fact]
    public void EachRankAugmentsWithItsOwnSeedsWhileTheGeneratorsStayAlike()
    {
        var transforms = new[] { new RecordSeed(), new RecordSeed() };
        var generators = new[] { new Generator(4), new Generator(4) };
        for (int r = 0; r < 2; r++)
            foreach (var _ in new DataLoader(Numbers(8), batchSize: 2, sampler: new DistributedSampler(r, 2), generator: generators[r], transform: transforms[r])) { }
        Assert.Equal(2, transforms[0].Draws.Count);
        Assert.NotEqual(transforms[0].Draws, transforms[1].Draws);
        Assert.Equal(generators[0].GetState(), generators[1].GetState());
    }
}
