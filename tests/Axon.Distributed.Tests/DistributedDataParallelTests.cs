using Axon.Nn;
using Axon.Optim;

namespace Axon.Distributed.Tests;

/// <summary>DistributedDataParallel on in-process ranks: equivalence with one process, identical replicas, buckets, NoSync, errors.</summary>
public class DistributedDataParallelTests
{
    private static Sequential Mlp(long seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(5, 16, generator: g), new ReLU(), new Linear(16, 3, generator: g));
    }

    private static (Tensor X, Tensor Y) Batch(int n, long seed = 7)
    {
        var g = new Generator(seed);
        var x = Tensor.Randn([n, 5], g);
        var y = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(g.NextInt64(3))).ToArray(), n);
        return (x, y);
    }

    private static float[][] Values(Module m) => m.Parameters().Select(p => p.ToFloatArray()).ToArray();

    /// <summary>Three SGD steps of one process on the whole batch.</summary>
    private static float[][] SingleProcess(Tensor x, Tensor y, int steps)
    {
        var model = Mlp(1);
        var sgd = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
        for (int s = 0; s < steps; s++)
        {
            sgd.ZeroGrad();
            Functional.CrossEntropy(model.Forward(x), y).Backward();
            sgd.Step();
        }
        return Values(model);
    }

    [Fact]
    public void TwoRanksOnHalvesEqualOneProcessOnTheWholeBatchAndStayBitIdentical()
    {
        var (x, y) = Batch(8);
        var single = SingleProcess(x, y, 3);
        var ranks = InProcessGroup.Run(2, g =>
        {
            var model = Mlp(1 + g.Rank);   // different initial weights: the wrapper copies rank 0's
            using var ddp = new DistributedDataParallel(model, g);
            var sgd = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
            var (xs, ys) = (x.Narrow(0, 4 * g.Rank, 4), y.Narrow(0, 4 * g.Rank, 4));
            for (int s = 0; s < 3; s++)
            {
                sgd.ZeroGrad();
                Functional.CrossEntropy(model.Forward(xs), ys).Backward();
                ddp.WaitForGradients();
                sgd.Step();
            }
            Assert.Equal(3, ddp.Steps);
            return (Values(model), ddp.VerifyReplicas());
        });
        for (int p = 0; p < single.Length; p++)
        {
            Assert.Equal(ranks[0].Item1[p], ranks[1].Item1[p]);   // bit-identical replicas
            for (int i = 0; i < single[p].Length; i++) Assert.Equal(single[p][i], ranks[0].Item1[p][i], 1e-6f);
        }
        Assert.Equal(ranks[0].Item2, ranks[1].Item2);
        Assert.Matches("^[0-9a-f]{16}$", ranks[0].Item2);
    }

    [Fact]
    public void GradientsOnAnotherDeviceTravelThroughHostBuffers()
    {
        // The reference backend stands in for a device the host cannot address directly: the buckets copy through the backend.
        var (x, y) = Batch(8);
        var grads = InProcessGroup.Run(2, g =>
        {
            var onCpu = Mlp(1);
            var elsewhere = Mlp(1);
            elsewhere.To(Device.Reference);
            using var a = new DistributedDataParallel(onCpu, g);
            using var b = new DistributedDataParallel(elsewhere, g);
            var (xs, ys) = (x.Narrow(0, 4 * g.Rank, 4), y.Narrow(0, 4 * g.Rank, 4));
            Functional.CrossEntropy(onCpu.Forward(xs), ys).Backward();
            a.WaitForGradients();
            Functional.CrossEntropy(elsewhere.Forward(xs.To(Device.Reference)), ys.To(Device.Reference)).Backward();
            b.WaitForGradients();
            Assert.All(elsewhere.Parameters(), p => Assert.Same(Device.Reference, p.Grad!.Device));
            return (onCpu.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray(), elsewhere.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray());
        });
        for (int p = 0; p < grads[0].Item1.Length; p++)
            for (int i = 0; i < grads[0].Item1[p].Length; i++) Assert.Equal(grads[0].Item1[p][i], grads[1].Item2[p][i], 1e-6f);
    }

    [Fact]
    public void BucketsFollowReverseParameterOrderWithASmallerFirstOne()
    {
        var model = new Sequential(new Linear(100, 100), new Linear(100, 100), new Linear(100, 10), new Linear(10, 10));
        var buckets = InProcessGroup.Run(1, g =>
        {
            // Bytes from the end: 40 + 400 + 40 + 4,000 reach the first cap (1,048); 400 + 40,000 the others' (36,700).
            using var ddp = new DistributedDataParallel(model, g, new DistributedDataParallelOptions { FirstBucketCapMiB = 0.001, BucketCapMiB = 0.035 });
            return ddp.Buckets.Select(b => string.Join(" ", b.ParameterNames)).ToArray();
        })[0];
        Assert.Equal(["3.bias 3.weight 2.bias 2.weight", "1.bias 1.weight", "0.bias 0.weight"], buckets);
    }

    [Fact]
    public void EachBucketIsReducedAsSoonAsItsGradientsAreReadyDuringTheBackwardPass()
    {
        var steps = InProcessGroup.Run(2, g =>
        {
            var gen = new Generator(3);
            var model = new Sequential(new Linear(64, 256, generator: gen), new ReLU(), new Linear(256, 256, generator: gen), new ReLU(), new Linear(256, 4, generator: gen));
            using var ddp = new DistributedDataParallel(model, g, new DistributedDataParallelOptions { FirstBucketCapMiB = 0.001, BucketCapMiB = 0.1 });
            var (x, _) = (Tensor.Randn([32, 64], new Generator(g.Rank)), 0);
            model.Forward(x).Square().Mean().Backward();
            ddp.WaitForGradients();
            return (ddp.LastStep!, ddp.Buckets.Count);
        });
        foreach (var (step, count) in steps)
        {
            Assert.Equal(count, step.Buckets.Count);
            Assert.True(count >= 3);
            Assert.Equal(Enumerable.Range(0, count), step.Buckets.Select(b => b.Bucket));
            // The first bucket (the last layer's gradients) was complete, and queued, before the backward pass ended.
            Assert.True(step.Buckets[0].ReadyAt < step.LastGradientAt);
            Assert.True(step.Buckets[0].ReadyAt <= step.Buckets[^1].ReadyAt);
            Assert.All(step.Buckets, b => Assert.True(b.StartedAt >= b.ReadyAt && b.FinishedAt >= b.StartedAt));
            Assert.Contains("bucket  0 |", step.Render());
        }
    }

    [Fact]
    public void NoSyncAccumulatesLocallyAndTheLastBackwardAveragesTheSum()
    {
        var (x, y) = Batch(8);
        // One process: the gradient of two micro-batches of 4 per rank = the sum of the mean losses of the 4 quarters, halved.
        var reference = Mlp(1);
        for (int q = 0; q < 4; q++) (Functional.CrossEntropy(reference.Forward(x.Narrow(0, 2 * q, 2)), y.Narrow(0, 2 * q, 2)) * 0.5f).Backward();
        var expected = reference.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray();
        var grads = InProcessGroup.Run(2, g =>
        {
            var model = Mlp(1);
            using var ddp = new DistributedDataParallel(model, g);
            // Rank r's micro-batches are quarters r and r + 2.
            using (ddp.NoSync())
            {
                Functional.CrossEntropy(model.Forward(x.Narrow(0, 2 * g.Rank, 2)), y.Narrow(0, 2 * g.Rank, 2)).Backward();
                Assert.Null(ddp.LastStep);
                Assert.Throws<InvalidOperationException>(ddp.WaitForGradients);
            }
            Functional.CrossEntropy(model.Forward(x.Narrow(0, 2 * (g.Rank + 2), 2)), y.Narrow(0, 2 * (g.Rank + 2), 2)).Backward();
            ddp.WaitForGradients();
            return model.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray();
        });
        for (int p = 0; p < expected.Length; p++)
        {
            Assert.Equal(grads[0][p], grads[1][p]);
            for (int i = 0; i < expected[p].Length; i++) Assert.Equal(expected[p][i], grads[0][p][i], 1e-6f);
        }
    }

    [Fact]
    public void ParametersAndBuffersComeFromRankZeroAtTheStartAndBuffersAfterEveryStep()
    {
        var result = InProcessGroup.Run(2, g =>
        {
            var gen = new Generator(10 + g.Rank);
            var model = new Sequential(new Conv2d(1, 3, 3, padding: 1, generator: gen), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(3 * 16, 2, generator: gen));
            using var ddp = new DistributedDataParallel(model, g);
            var afterStart = Values(model);
            var x = Tensor.Randn([4, 1, 4, 4], new Generator(20 + g.Rank)) * (g.Rank + 1);   // different batches: different batch statistics
            model.Forward(x).Sum().Backward();
            ddp.WaitForGradients();
            var bn = (BatchNorm2d)model[1];
            return (afterStart, bn.RunningMean!.ToFloatArray(), bn.RunningVar!.ToFloatArray(), bn.NumBatchesTracked!.ToLongArray(), ddp.VerifyReplicas());
        });
        for (int p = 0; p < result[0].afterStart.Length; p++) Assert.Equal(result[0].afterStart[p], result[1].afterStart[p]);
        Assert.Equal(result[0].Item2, result[1].Item2);
        Assert.Equal(result[0].Item3, result[1].Item3);
        Assert.Equal([1L], result[1].Item4);
        Assert.NotEqual(new float[3], result[0].Item2);   // rank 0's statistics moved, and rank 1 holds them
    }

    [Fact]
    public void DifferentModelsOnTheRanksAreRefusedAtTheStartOnEveryRank()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            using var ddp = new DistributedDataParallel(g.Rank == 0 ? Mlp(1) : new Sequential(new Linear(5, 17), new ReLU(), new Linear(17, 3)), g);
        }));
        Assert.Equal(2, e.InnerExceptions.Count);
        foreach (var inner in e.InnerExceptions)
        {
            var d = Assert.IsType<DistributedException>(inner);
            Assert.Contains("the ranks hold different models", d.Message);
            Assert.Contains("rank 0: 4 tensors, 147 elements; rank 1: 4 tensors, 156 elements", d.Message);
        }
    }

    [Fact]
    public void AGradientReadyTwiceInOneStepIsAnErrorAndVerifyReplicasFindsADifference()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            var model = Mlp(1);
            using var ddp = new DistributedDataParallel(model, g);
            if (g.Rank == 1) model.Parameters().First().Fill(0);   // a replica drifts
            ddp.VerifyReplicas();
        }));
        Assert.All(e.InnerExceptions, inner => Assert.Contains("The model differs from rank 0's on rank 1 (80 elements differ)", inner.Message));
        Assert.Contains(e.InnerExceptions, inner => inner.Message.Contains("here on rank 1 first in 0.weight", StringComparison.Ordinal));

        var twice = Assert.Throws<AggregateException>(() => InProcessGroup.Run(1, g =>
        {
            var model = Mlp(1);
            using var ddp = new DistributedDataParallel(model, g);
            var (x, y) = Batch(2);
            Functional.CrossEntropy(model.Forward(x), y).Backward();
            Functional.CrossEntropy(model.Forward(x), y).Backward();
        }));
        Assert.Contains("became ready twice in one step", twice.InnerExceptions[0].Message);
    }
}
