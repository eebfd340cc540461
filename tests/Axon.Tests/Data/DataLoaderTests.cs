using Axon.Data;

namespace Axon.Tests.Data;

public class DataLoaderTests
{
    // Sample i has input row [i, 10 i, 100 i] and target i, so a batch reveals which samples it holds.
    private static TensorDataset MakeDataset(int n)
    {
        var x = new float[n * 3];
        for (int i = 0; i < n; i++) { x[3 * i] = i; x[3 * i + 1] = 10 * i; x[3 * i + 2] = 100 * i; }
        return new TensorDataset(Tensor.FromArray(x, n, 3), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)i).ToArray()));
    }

    private static List<long[]> Epoch(DataLoader loader)
    {
        var batches = new List<long[]>();
        foreach (var (x, y) in loader)
        {
            Assert.Equal(2, x.Rank);
            Assert.Equal(3, x.Size(1));
            Assert.Equal(x.Size(0), y.Size(0));
            var ids = y.ToLongArray();
            var rows = x.ToFloatArray();
            for (int k = 0; k < ids.Length; k++) Assert.Equal([ids[k], 10f * ids[k], 100f * ids[k]], rows.AsSpan(3 * k, 3).ToArray());
            batches.Add(ids);
        }
        return batches;
    }

    [Fact]
    public void EveryEpochCoversEverySampleExactlyOnce()
    {
        var loader = new DataLoader(MakeDataset(23), batchSize: 5, shuffle: true, generator: new Generator(1));
        Assert.Equal(5, loader.Count);
        for (int e = 0; e < 3; e++)
        {
            var batches = Epoch(loader);
            Assert.Equal(5, batches.Count);
            Assert.Equal([5, 5, 5, 5, 3], batches.Select(b => b.Length));
            Assert.Equal(Enumerable.Range(0, 23).Select(i => (long)i), batches.SelectMany(b => b).Order());
        }
    }

    [Fact]
    public void WithoutShuffleTheOrderIsSequential()
    {
        var batches = Epoch(new DataLoader(MakeDataset(7), batchSize: 3));
        Assert.Equal([[0, 1, 2], [3, 4, 5], [6]], batches);
    }

    [Fact]
    public void SameSeedSameOrderAndEachEpochReshuffles()
    {
        var a = new DataLoader(MakeDataset(20), batchSize: 4, shuffle: true, generator: new Generator(42));
        var b = new DataLoader(MakeDataset(20), batchSize: 4, shuffle: true, generator: new Generator(42));
        var c = new DataLoader(MakeDataset(20), batchSize: 4, shuffle: true, generator: new Generator(43));
        var a1 = Epoch(a).SelectMany(x => x).ToArray();
        var a2 = Epoch(a).SelectMany(x => x).ToArray();
        Assert.Equal(a1, Epoch(b).SelectMany(x => x).ToArray());
        Assert.Equal(a2, Epoch(b).SelectMany(x => x).ToArray());
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(a1, Epoch(c).SelectMany(x => x).ToArray());
    }

    [Fact]
    public void DropLastDropsTheIncompleteBatch()
    {
        var loader = new DataLoader(MakeDataset(23), batchSize: 5, shuffle: true, dropLast: true, generator: new Generator(3));
        Assert.Equal(4, loader.Count);
        var batches = Epoch(loader);
        Assert.Equal(4, batches.Count);
        Assert.All(batches, b => Assert.Equal(5, b.Length));
        Assert.Equal(20, batches.SelectMany(b => b).Distinct().Count());
        Assert.Equal(4, new DataLoader(MakeDataset(20), batchSize: 5, dropLast: true).Count);
        Assert.Equal(0, new DataLoader(MakeDataset(3), batchSize: 5, dropLast: true).Count);
    }

    [Fact]
    public void BatchSizeMustBePositive()
    {
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(MakeDataset(3), batchSize: 0)).ParamName);
    }

    [Fact]
    public void TensorDatasetChecksCountsAndReturnsRows()
    {
        Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros([4, 2]), Tensor.Zeros([5])));
        var ds = MakeDataset(4);
        var (x, y) = ds.Get(2);
        Assert.Equal([2f, 20f, 200f], x.ToFloatArray());
        Assert.Equal(2L, (long)y.Item());
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Get(4));
    }

    private sealed class SquaresDataset : IDataset
    {
        public int Count => 6;

        public (Tensor Input, Tensor Target) Get(int index) =>
            (Tensor.FromArray([(float)index, (float)(index * index)]), Tensor.Scalar(index, DType.Int64));
    }

    [Fact]
    public void AnyDatasetIsStackedSampleBySample()
    {
        var batches = new DataLoader(new SquaresDataset(), batchSize: 4).ToList();
        Assert.Equal(2, batches.Count);
        Assert.Equal([4, 2], batches[0].Input.GetShape());
        Assert.Equal([0f, 0f, 1f, 1f, 2f, 4f, 3f, 9f], batches[0].Input.ToFloatArray());
        Assert.Equal([4L, 5L], batches[1].Target.ToLongArray());
    }

    [Fact]
    public void SplitGivesDisjointSubsetsCoveringTheDataset()
    {
        var ds = MakeDataset(10);
        var (train, val) = Dataset.Split(ds, 0.8, new Generator(9));
        Assert.Equal(8, train.Count);
        Assert.Equal(2, val.Count);
        Assert.Equal(Enumerable.Range(0, 10), train.Indices.Concat(val.Indices).Order());
        var (train2, _) = Dataset.Split(ds, 0.8, new Generator(9));
        Assert.Equal(train.Indices, train2.Indices);
        // A subset of a TensorDataset is batched by a single gather and still yields its own samples.
        var ids = Epoch(new DataLoader(train, batchSize: 3)).SelectMany(b => b).ToArray();
        Assert.Equal(train.Indices.Select(i => (long)i), ids);

        var parts = Dataset.RandomSplit(ds, [3, 3, 4], new Generator(1));
        Assert.Equal([3, 3, 4], parts.Select(p => p.Count));
        Assert.Throws<ArgumentException>(() => Dataset.RandomSplit(ds, [3, 3]));
        Assert.Equal("trainFraction", Assert.Throws<ArgumentOutOfRangeException>(() => Dataset.Split(ds, 1.5)).ParamName);
    }

    [Fact]
    public void BatchesBelongToTheCurrentScope()
    {
        var loader = new DataLoader(MakeDataset(6), batchSize: 3);
        Tensor? kept = null;
        foreach (var (x, _) in loader)
        {
            using var scope = new TensorScope();
            kept = x;
        }
        // The batch was produced before the scope began, so the scope does not own it.
        Assert.False(kept!.IsDisposed);
        foreach (var batch in WithScope(loader)) Assert.True(batch.IsDisposed);
    }

    private static IEnumerable<Tensor> WithScope(DataLoader loader)
    {
        var seen = new List<Tensor>();
        using (new TensorScope())
            foreach (var (x, _) in loader) seen.Add(x);
        return seen;
    }
}
