using Axon.Data;

namespace Axon.Tests.Data;

public class PrefetchTests
{
    /// <summary>n images [1, 4, 4] whose pixels encode the sample index, labels = index.</summary>
    private static TensorDataset Images(int n)
    {
        var x = new float[n * 16];
        for (int i = 0; i < x.Length; i++) x[i] = i / 16 * 100 + i % 16 + 1;
        return new TensorDataset(Tensor.FromArray(x, n, 1, 4, 4), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)i).ToArray()));
    }

    private static Compose Augment() => new(new RandomCrop(4, padding: 1), new RandomHorizontalFlip(), new RandomErasing(p: 0.5));

    private static List<(float[] X, long[] Y)> Epoch(DataLoader loader)
    {
        var result = new List<(float[], long[])>();
        foreach (var (x, y) in loader)
        {
            result.Add((x.ToFloatArray(), y.ToLongArray()));
            x.Dispose();
            y.Dispose();
        }
        return result;
    }

    private static void AssertSame(List<(float[] X, long[] Y)> a, List<(float[] X, long[] Y)> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].X, b[i].X);
            Assert.Equal(a[i].Y, b[i].Y);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void PrefetchingGivesTheSameBatchesAsThePlainLoader(int prefetch)
    {
        var data = Images(37);
        var plain = new DataLoader(data, batchSize: 8, shuffle: true, generator: new Generator(17), transform: Augment());
        var ahead = new DataLoader(data, batchSize: 8, shuffle: true, generator: new Generator(17), transform: Augment(), prefetch: prefetch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var expected = Epoch(plain);
            Assert.Equal(5, expected.Count);
            AssertSame(expected, Epoch(ahead));
        }
    }

    [Fact]
    public void AugmentationDoesNotDependOnConsumerTiming()
    {
        var data = Images(40);
        var reference = Epoch(new DataLoader(data, batchSize: 4, shuffle: true, generator: new Generator(3), transform: Augment()));
        var slow = new List<(float[], long[])>();
        foreach (var (x, y) in new DataLoader(data, batchSize: 4, shuffle: true, generator: new Generator(3), transform: Augment(), prefetch: 2))
        {
            Thread.Sleep(slow.Count % 3 == 0 ? 15 : 0); // the worker gets ahead, then waits on the bounded queue
            slow.Add((x.ToFloatArray(), y.ToLongArray()));
        }
        AssertSame(reference, slow);
    }

    [Fact]
    public void TheTransformReallyAugmentsAndTheSeedMatters()
    {
        var data = Images(16);
        var none = Epoch(new DataLoader(data, batchSize: 16));
        var a = Epoch(new DataLoader(data, batchSize: 16, generator: new Generator(1), transform: Augment()));
        var b = Epoch(new DataLoader(data, batchSize: 16, generator: new Generator(2), transform: Augment()));
        Assert.NotEqual(none[0].X, a[0].X);
        Assert.NotEqual(a[0].X, b[0].X);
        Assert.Equal(none[0].Y, a[0].Y);
    }

    [Fact]
    public void ExceptionsReachTheConsumerWithTheOriginalMessageAtTheRightBatch()
    {
        var loader = new DataLoader(new Failing(20, failAt: 13), batchSize: 4, prefetch: 2);
        int seen = 0;
        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var (x, _) in loader) seen++;
        });
        Assert.Equal("sample 13 is broken", e.Message);
        Assert.Equal(3, seen); // batches 0..2 came through, batch 3 (samples 12..15) failed
        // The plain loader fails the same way.
        int plainSeen = 0;
        var e2 = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var (x, _) in new DataLoader(new Failing(20, failAt: 13), batchSize: 4)) plainSeen++;
        });
        Assert.Equal(e.Message, e2.Message);
        Assert.Equal(seen, plainSeen);
    }

    [Fact]
    public void BreakingOutStopsTheWorker()
    {
        var data = new Counting(1000);
        var loader = new DataLoader(data, batchSize: 2, prefetch: 2);
        int taken = 0;
        foreach (var (x, y) in loader)
        {
            if (++taken == 3) break;
        }
        int made = data.Batches;
        Assert.InRange(made, 3, 3 + 2 + 1); // what was taken, the queue, and one in the worker's hands
        Thread.Sleep(50);
        Assert.Equal(made, data.Batches); // and nothing after disposal
    }

    [Fact]
    public void DisposingTheEnumeratorWhileTheWorkerIsBlockedReturns()
    {
        var loader = new DataLoader(Images(100), batchSize: 1, prefetch: 1);
        using var e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        Thread.Sleep(20); // the worker fills the queue and blocks
        e.Dispose();
        Assert.Throws<ObjectDisposedException>(() => e.MoveNext());
    }

    [Fact]
    public void PrefetchedBatchesJoinTheConsumersScope()
    {
        var loader = new DataLoader(Images(8), batchSize: 4, prefetch: 2);
        Tensor? first = null;
        using (var scope = new TensorScope())
        {
            foreach (var (x, y) in loader)
            {
                first ??= x;
            }
            Assert.True(scope.Count >= 4);
        }
        Assert.True(first!.IsDisposed);
    }

    [Fact]
    public void AnEmptyEpochEndsAtOnce()
    {
        var loader = new DataLoader(Images(3), batchSize: 5, dropLast: true, prefetch: 2);
        Assert.Empty(Epoch(loader));
        Assert.Empty(Epoch(loader));
    }

    [Fact]
    public void PrefetchMustBeNonNegative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Images(2), prefetch: -1));
        Assert.Equal(3, new DataLoader(Images(2), prefetch: 3).Prefetch);
    }

    [Fact]
    public void FashionMnistStyleBatchesPrefetchIdentically()
    {
        var images = Enumerable.Range(0, 50 * 784).Select(i => (byte)(i * 31 % 256)).ToArray();
        var labels = Enumerable.Range(0, 50).Select(i => (byte)(i % 10)).ToArray();
        var ds = new FashionMnist(images, labels);
        var augment = new Compose(new RandomCrop(28, padding: 4), new RandomHorizontalFlip(), new RandomErasing());
        var plain = Epoch(new DataLoader(ds, batchSize: 16, shuffle: true, generator: new Generator(8), transform: augment));
        var ahead = Epoch(new DataLoader(ds, batchSize: 16, shuffle: true, generator: new Generator(8), transform: augment, prefetch: 2));
        AssertSame(plain, ahead);
    }

    /// <summary>Throws when asked for sample failAt.</summary>
    private sealed class Failing(int n, int failAt) : Dataset
    {
        public override int Count => n;

        public override (Tensor Input, Tensor Target) Get(int index) =>
            index == failAt ? throw new InvalidOperationException($"sample {index} is broken") : (Tensor.Scalar(index), Tensor.Scalar(index, DType.Int64));
    }

    /// <summary>Counts the batches made.</summary>
    private sealed class Counting(int n) : Dataset
    {
        private int batches;

        public int Batches => Volatile.Read(ref batches);

        public override int Count => n;

        public override (Tensor Input, Tensor Target) Get(int index) => (Tensor.Scalar(index), Tensor.Scalar(index, DType.Int64));

        public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
        {
            Interlocked.Increment(ref batches);
            return base.GetBatch(indices);
        }
    }
}
