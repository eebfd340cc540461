using Axon.Nn;
using Axon.Optim;

namespace Axon.Distributed.Tests;

public class SyncBatchNormTests
{
    private static Sequential Cnn()
    {
        var g = new Generator(5);
        return new Sequential(new Conv2d(2, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 3, generator: g), new BatchNorm1d(3));
    }

    private static float[][] State(Module m) => m.Parameters().Concat(m.NamedBuffers().Select(b => b.Buffer)).Where(t => t.DType == DType.Float32).Select(t => t.ToFloatArray()).ToArray();

    private static (Tensor X, Tensor Y) Batch()
    {
        var g = new Generator(8);
        // Two halves with different scales and offsets, so local statistics would differ from the global ones.
        var x = Tensor.Cat([Tensor.Randn([3, 2, 5, 5], g), Tensor.Randn([3, 2, 5, 5], g) * 3 + 1]);
        var y = Tensor.FromArray(new long[] { 0, 1, 2, 2, 1, 0 }, 6);
        return (x, y);
    }

    [Fact]
    public void TwoRanksWithSyncBatchNormMatchOneProcessOnTheWholeBatch()
    {
        var (x, y) = Batch();
        var single = Cnn();
        var sgd = new Sgd(single.Parameters(), lr: 0.05);
        for (int s = 0; s < 2; s++)
        {
            sgd.ZeroGrad();
            Functional.CrossEntropy(single.Forward(x), y).Backward();
            sgd.Step();
        }
        var expected = State(single);

        var ranks = InProcessGroup.Run(2, g =>
        {
            var model = Cnn();
            Assert.Equal(2, SyncBatchNorm.Convert(model, g));
            using var ddp = new DistributedDataParallel(model, g);
            var opt = new Sgd(model.Parameters(), lr: 0.05);
            for (int s = 0; s < 2; s++)
            {
                opt.ZeroGrad();
                Functional.CrossEntropy(model.Forward(x.Narrow(0, 3 * g.Rank, 3)), y.Narrow(0, 3 * g.Rank, 3)).Backward();
                ddp.WaitForGradients();
                opt.Step();
            }
            ddp.VerifyReplicas();
            return State(model);
        });
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(ranks[0][t], ranks[1][t]);
            for (int i = 0; i < expected[t].Length; i++) Assert.Equal(expected[t][i], ranks[0][t][i], 2e-5f);
        }
    }

    [Fact]
    public void LocalStatisticsDifferAndRevertRestoresThem()
    {
        var (x, y) = Batch();
        var results = InProcessGroup.Run(2, g =>
        {
            var model = Cnn();
            SyncBatchNorm.Convert(model, g);
            var bn = (BatchNorm2d)model[1];
            Assert.NotNull(bn.CrossReplica);
            var synced = model.Forward(x.Narrow(0, 3 * g.Rank, 3)).ToFloatArray();
            Assert.Equal(2, SyncBatchNorm.Revert(model));
            Assert.Null(bn.CrossReplica);
            var local = model.Forward(x.Narrow(0, 3 * g.Rank, 3)).ToFloatArray();
            model.Eval();
            SyncBatchNorm.Convert(model, g);
            var evaluated = model.Forward(x.Narrow(0, 3 * g.Rank, 3));   // evaluation uses the running statistics: no collective
            return (synced, local, evaluated.Shape[0]);
        });
        Assert.NotEqual(results[0].synced, results[0].local);
        Assert.Equal(3, results[1].Item3);
    }
}
