using Axon.Data;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Distributed.Tests;

/// <summary>The README's data-parallel loop, as written there, on in-process ranks.</summary>
public class DocExampleTests
{
    [Fact]
    public void TheReadmeLoopTrainsIdenticalReplicas()
    {
        var g0 = new Generator(2);
        var train = new TensorDataset(Tensor.Randn([256, 1, 4, 4], g0), Tensor.Randint(0, 3, [256], g0));
        var digests = InProcessGroup.Run(2, group =>
        {
            var g = new Generator(group.Rank);
            var model = new Sequential(new Conv2d(1, 4, 3, generator: g), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(16, 3, generator: g));
            var optimizer = new Sgd(model.Parameters(), lr: 0.1);
            // From here as in README.md.
            SyncBatchNorm.Convert(model, group);                       // optional: global batch-norm statistics
            using var ddp = new DistributedDataParallel(model, group); // same model on every rank, rank 0's weights
            var sampler = new DistributedSampler(group.Rank, group.Size);
            foreach (var (x, y) in new DataLoader(train, 64, sampler: sampler, generator: new Generator(1)))
            {
                using var scope = new TensorScope();
                optimizer.ZeroGrad();
                Functional.CrossEntropy(model.Forward(x), y).Backward();   // buckets all-reduced as their gradients arrive
                ddp.WaitForGradients();                                    // the average over the ranks, the same bits everywhere
                optimizer.Step();
            }
            Assert.Equal(2, ddp.Steps);   // 256 samples, 128 per rank, batches of 64
            return ddp.VerifyReplicas();
        });
        Assert.Equal(digests[0], digests[1]);
    }
}
