using Axon.Data;
using Axon.Distributed;
using Axon.Models.Generative;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>The trainer as one rank of several (in-process ranks): the same run as one process on the global batch.</summary>
public class DistributedTrainerTests
{
    private static TensorDataset Data(int n, int seed)
    {
        var g = new Generator(seed);
        var labels = Tensor.Randint(0, 3, [n], g);
        var x = Tensor.Randn([n, 6], g);
        var l = labels.ToLongArray();
        for (int i = 0; i < n; i++) x.SetDouble(x.GetDouble(i, (int)l[i]) + 2, i, (int)l[i]);
        return new TensorDataset(x, labels);
    }

    private static (Trainer Trainer, Module Model) Create(TrainerOptions options, DataParallel? parallel = null, double dropout = 0)
    {
        var g = new Generator(options.Seed);
        var model = dropout > 0 ? new Sequential(new Linear(6, 16, generator: g), new ReLU(), new Dropout(dropout, g), new Linear(16, 3, generator: g))
            : new Sequential(new Linear(6, 16, generator: g), new ReLU(), new Linear(16, 3, generator: g));
        return (new Trainer(new ClassificationTask(model, 3, topK: 2), g, options, dataParallel: parallel), model);
    }

    private static readonly TrainerOptions Options = new() { Epochs = 2, BatchSize = 8, Schedule = "step", StepSize = 1, Gamma = 0.5, Seed = 4 };

    private static float[][] Values(Module m) => m.Parameters().Select(p => p.ToFloatArray()).ToArray();

    [Fact]
    public void TwoRanksOfBatchFourTrainAsOneProcessOfBatchEight()
    {
        var (train, test) = (Data(64, 1), Data(21, 2));
        var (single, singleModel) = Create(Options);
        single.Fit(train, test);

        var ranks = InProcessGroup.Run(2, g =>
        {
            var (trainer, model) = Create(Options with { BatchSize = 4 }, new DataParallel(g));
            var batches = new List<BatchReport>();
            trainer.Fit(train, test, batches.Add);
            return (Values(model), trainer.History.ToList(), batches, trainer.IsPrimary, trainer.DataParallel!.Steps);
        });
        Assert.True(ranks[0].IsPrimary);
        Assert.False(ranks[1].IsPrimary);
        Assert.Equal(16, ranks[0].Steps);   // 2 epochs of 64 / (2 × 4)
        var expected = Values(singleModel);
        for (int p = 0; p < expected.Length; p++)
        {
            Assert.Equal(ranks[0].Item1[p], ranks[1].Item1[p]);
            for (int i = 0; i < expected[p].Length; i++) Assert.Equal(expected[p][i], ranks[0].Item1[p][i], 2e-5f);
        }
        // Every rank reports the global figures: the same on both, and those of the single process up to rounding.
        for (int e = 0; e < 2; e++)
        {
            var (a, b, s) = (ranks[0].Item2[e], ranks[1].Item2[e], single.History[e]);
            Assert.Equal(a.TrainLoss, b.TrainLoss);
            Assert.Equal(a.TestLoss, b.TestLoss);
            Assert.Equal(s.TrainLoss, a.TrainLoss, 1e-5);
            Assert.Equal(s.TrainAccuracy, a.TrainAccuracy, 1e-12);
            Assert.Equal(s.TestLoss, a.TestLoss, 1e-5);
            Assert.Equal(s.TestAccuracy, a.TestAccuracy, 1e-12);
        }
        Assert.Equal(ranks[0].batches.Select(r => r.Loss), ranks[1].batches.Select(r => r.Loss));
        Assert.Equal(8, ranks[0].batches.Count(r => r.Epoch == 1));
    }

    [Fact]
    public void CheckpointsAreWrittenByRankZeroAndResumedByEveryRankWithItsOwnDropoutStream()
    {
        var (train, test) = (Data(32, 1), Data(8, 2));
        var dir = Directory.CreateTempSubdirectory("axon-ddp-");
        try
        {
            string path = Path.Combine(dir.FullName, "checkpoint.safetensors");
            var straight = InProcessGroup.Run(2, g =>
            {
                var (trainer, model) = Create(Options with { BatchSize = 4 }, new DataParallel(g), dropout: 0.3);
                var streams = g.AllGather(trainer.ModelGenerator.GetState());
                Assert.NotEqual(streams[..7], streams[7..]);   // rank 1 draws its own dropout masks
                trainer.Fit(train, test);
                return Values(model);
            });
            var resumed = InProcessGroup.Run(2, g =>
            {
                var (first, _) = Create(Options with { BatchSize = 4, Epochs = 1 }, new DataParallel(g), dropout: 0.3);
                first.Fit(train, test);
                first.SaveCheckpoint(path);
                Assert.True(File.Exists(path));   // rank 0 wrote it before any rank returned
                var (second, model) = Create(Options with { BatchSize = 4, Seed = 99 }, new DataParallel(g), dropout: 0.3);
                second.LoadCheckpoint(path);
                second.Fit(train, test);
                return Values(model);
            });
            for (int p = 0; p < straight[0].Length; p++)
            {
                Assert.Equal(straight[0][p], resumed[0][p]);
                Assert.Equal(straight[0][p], resumed[1][p]);
            }
            Assert.Single(Directory.GetFiles(dir.FullName));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void DifferentDataOnTheRanksIsRefusedBeforeTheFirstStep()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            var (trainer, _) = Create(Options with { BatchSize = 4 }, new DataParallel(g));
            trainer.TrainEpoch(Data(g.Rank == 0 ? 32 : 40, 1), Data(8, 2));
        }));
        Assert.All(e.InnerExceptions, inner =>
        {
            Assert.IsType<DistributedException>(inner);
            Assert.Contains("The ranks hold different data: rank 0: 32 training samples (32 trained on, 0 validation), 8 test; rank 1: 40 training samples", inner.Message);
        });
    }

    /// <summary>A task with its own step that forgets to average the gradients.</summary>
    private sealed class LocalStep(Module<Tensor, Tensor> model) : TrainingTask
    {
        public override Module Model => model;

        public override TaskLoss Loss(Tensor input, Tensor target) => new(Functional.CrossEntropy(model.Forward(input), target), target.NumEl);

        public override (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target, StepContext context)
        {
            context.Optimizer.ZeroGrad();
            var loss = Loss(input, target);
            loss.Loss.Backward();
            context.Optimizer.Step();
            return (loss, loss.Loss.Item());
        }
    }

    [Fact]
    public void AStepThatDoesNotAverageTheGradientsIsStoppedAtOnce()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            var gen = new Generator(1);
            var task = new LocalStep(new Sequential(new Linear(6, 3, generator: gen)));
            new Trainer(task, gen, Options with { BatchSize = 4 }, dataParallel: new DataParallel(g)).TrainEpoch(Data(16, 1), null);
        }));
        Assert.All(e.InnerExceptions, inner => Assert.Contains("LocalStep's step did not average its gradients over the ranks: a task with its own step must call StepContext.Minimize, or StepContext.SynchronizeGradients", inner.Message));
    }

    [Fact]
    public void AGanCannotBeTrainedDataParallelAndSaysWhy()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(1, g =>
        {
            var gen = new Generator(1);
            var task = new GanTask(DcGan.Create(latent: 4, width: 4, generator: gen), gen);
            _ = new Trainer(task, gen, new TrainerOptions(), dataParallel: new DataParallel(g));
        }));
        Assert.Contains("GanTask cannot be trained data-parallel: its step takes two optimiser steps per batch", e.InnerExceptions[0].Message);
    }
}
