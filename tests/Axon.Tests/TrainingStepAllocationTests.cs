using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests;

[CollectionDefinition("BufferPool counters", DisableParallelization = true)]
public class BufferPoolCounters;

/// <summary>A steady-state training step takes every large buffer from the pool (it allocates no large arrays).</summary>
[Collection("BufferPool counters")]
public class TrainingStepAllocationTests
{
    [Fact]
    public void SteadyStateStepAllocatesNoLargeArrays()
    {
        var g = new Generator(0);
        var model = new Sequential(new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 256, generator: g), new ReLU(), new Linear(256, 10, generator: g));
        var optimizer = new Sgd(model.Parameters(), lr: 0.01, momentum: 0.9);
        var x = Tensor.Randn([64, 784], g);
        var y = Tensor.Randint(0, 10, [64], g);
        void Step()
        {
            using var scope = new TensorScope();
            optimizer.ZeroGrad(setToNone: false);
            Functional.CrossEntropy(model.Forward(x), y).Backward();
            optimizer.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        long misses = BufferPool.Misses, bytes = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 10; i++) Step();
        Assert.Equal(misses, BufferPool.Misses);
        // Only small bookkeeping objects remain (graph nodes, shapes); the first layer's gradient alone is 800 KB.
        long perStep = (GC.GetTotalAllocatedBytes(precise: true) - bytes) / 10;
        Assert.True(perStep < 256 * 1024, $"{perStep} bytes allocated per step");
    }

    [Fact]
    public void AFullPoolDropsTheLengthUsedLongestAgo()
    {
        long cap = BufferPool.MaxRetainedBytes;
        try
        {
            BufferPool.Clear();
            BufferPool.MaxRetainedBytes = 2 * 7001 * sizeof(float);
            // Two arrays of an old length fill most of the pool.
            var a = BufferPool.Rent<float>(5003, clear: false);
            var b = BufferPool.Rent<float>(5003, clear: false);
            BufferPool.Return(a);
            BufferPool.Return(b);
            // A newer length comes back: one old array is dropped to make room, not the new one.
            var c = BufferPool.Rent<float>(7001, clear: false);
            BufferPool.Return(c);
            long misses = BufferPool.Misses;
            Assert.Same(c, BufferPool.Rent<float>(7001, clear: false));
            var kept = BufferPool.Rent<float>(5003, clear: false);
            Assert.True(ReferenceEquals(kept, a) || ReferenceEquals(kept, b));
            Assert.Equal(misses, BufferPool.Misses);
            BufferPool.Rent<float>(5003, clear: false);
            Assert.Equal(misses + 1, BufferPool.Misses);
            // Nothing older to drop: an array that does not fit is itself dropped.
            BufferPool.Clear();
            var big = BufferPool.Rent<float>(3 * 7001, clear: false);
            BufferPool.Return(big);
            Assert.NotSame(big, BufferPool.Rent<float>(3 * 7001, clear: false));
        }
        finally
        {
            BufferPool.MaxRetainedBytes = cap;
            BufferPool.Clear();
        }
    }

    [Fact]
    public void ThePoolKeepsAQuarterOfTheMemoryByDefault() =>
        Assert.Equal(Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4), BufferPool.MaxRetainedBytes);
}
