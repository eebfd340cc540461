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
}
