using Axon.Data;
using Axon.IO;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

public class TrainerTests
{
    /// <summary>Images whose class is written in their brightness pattern, so a small network can learn it.</summary>
    private static TensorDataset Synthetic(int n, int seed)
    {
        var g = new Generator(seed);
        var labels = Tensor.Randint(0, 4, [n], g);
        var images = Tensor.Randn([n, 1, 28, 28], g) * 0.3;
        var l = labels.ToLongArray();
        for (int i = 0; i < n; i++)
            for (int r = 0; r < 7; r++)
                for (int c = 0; c < 28; c++) images.SetDouble(images.GetDouble(i, 0, (int)l[i] * 7 + r, c) + 1.0, i, 0, (int)l[i] * 7 + r, c);
        return new TensorDataset(images, labels);
    }

    private static (Trainer Trainer, Module<Tensor, Tensor> Model) Create(TrainerOptions options)
    {
        var g = new Generator(options.Seed);
        var model = new Sequential(new Flatten(), new Linear(784, 32, generator: g), new ReLU(), new Dropout(0.2, g), new Linear(32, 4, generator: g));
        return (new Trainer(new ClassificationTask(model, 4), g, options), model);
    }

    private static TrainerOptions WithLr(TrainerOptions o, double lr) => o with { OptimizerSettings = o.Hyperparameters with { Lr = lr } };

    private static readonly TrainerOptions Options = new() { Epochs = 4, BatchSize = 16, Schedule = "step", StepSize = 1, Gamma = 0.5, Augment = true, Seed = 3, Prefetch = 2 };

    /// <summary>A data set that keeps every batch tensor it hands out.</summary>
    private sealed class Recording(TensorDataset inner) : Dataset
    {
        public List<Tensor> Handed { get; } = [];

        public override int Count => inner.Count;

        public override (Tensor Input, Tensor Target) Get(int index) => inner.Get(index);

        public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
        {
            var (x, y) = inner.GetBatch(indices);
            Handed.Add(x);
            Handed.Add(y);
            return (x, y);
        }
    }

    [Fact]
    public void TheTrainerGivesEveryBatchBackWhenItsStepIsDone()
    {
        var train = new Recording(Synthetic(40, 1));
        var test = new Recording(Synthetic(24, 2));
        var (trainer, _) = Create(Options with { Augment = false });
        trainer.TrainEpoch(train, test);
        // 40 samples in batches of 16 (3 batches), then the test set in one evaluation pass: inputs and targets each.
        Assert.Equal(6, train.Handed.Count);
        Assert.NotEmpty(test.Handed);
        Assert.All(train.Handed.Concat(test.Handed), t => Assert.True(t.IsDisposed));
        Assert.Equal(24, trainer.Evaluate(test).Count);
    }

    [Fact]
    public void ResumedTrainingEqualsUninterruptedTraining()
    {
        var train = Synthetic(96, 1);
        var test = Synthetic(32, 2);
        var (straight, straightModel) = Create(Options);
        for (int e = 0; e < 4; e++) straight.TrainEpoch(train, test);

        var dir = Directory.CreateTempSubdirectory("axon-resume-");
        var path = Path.Combine(dir.FullName, "checkpoint.safetensors");
        var (first, _) = Create(Options);
        for (int e = 0; e < 2; e++) first.TrainEpoch(train, test);
        first.SaveCheckpoint(path, new Dictionary<string, string> { ["model"] = "test-mlp" });

        var (resumed, resumedModel) = Create(Options with { Seed = 99 });  // different initial weights: all state must come from the file
        resumed.LoadCheckpoint(path);
        Assert.Equal(2, resumed.Epoch);
        for (int e = 0; e < 2; e++) resumed.TrainEpoch(train, test);

        Assert.Equal(straight.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
        Assert.Equal(straight.Steps, resumed.Steps);
        foreach (var ((name, a), (_, b)) in straightModel.NamedParameters().Zip(resumedModel.NamedParameters()))
            Assert.True(a.ToFloatArray().SequenceEqual(b.ToFloatArray()), $"parameter {name} differs after resume");
        var (savedOptions, metadata) = Trainer.ReadCheckpointSettings(path);
        Assert.Equal(Options, savedOptions);
        Assert.Equal("test-mlp", metadata["model"]);
        dir.Delete(true);
    }

    [Fact]
    public void TrainingLearnsAndTheConfusionMatrixAddsUp()
    {
        var (trainer, model) = Create(Options with { Augment = false, Epochs = 3 });
        var train = Synthetic(128, 4);
        var test = Synthetic(64, 5);
        EpochReport? last = null;
        int batches = 0;
        for (int e = 0; e < 3; e++) last = trainer.TrainEpoch(train, test, _ => batches++);
        Assert.Equal(3 * 8, batches);
        Assert.True(last!.TestAccuracy > 0.9, $"test accuracy {last.TestAccuracy}");
        var eval = new ClassificationTask(model, 4).EvaluateClasses(test);
        Assert.Equal(last.TestAccuracy, eval.Accuracy, 12);
        long total = 0, diagonal = 0;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) { total += eval.Confusion[i, j]; if (i == j) diagonal += eval.Confusion[i, j]; }
        Assert.Equal(64, total);
        Assert.Equal(eval.Accuracy, (double)diagonal / total, 12);
        Assert.Equal([0.05, 0.025, 0.0125], trainer.History.Select(h => h.LearningRate));
    }

    [Theory]
    [InlineData("adam", 0.003)]
    [InlineData("rmsprop", 0.001)]
    [InlineData("asgd", 0.05)]
    public void EveryOptimiserByNameTrains(string optimizer, double lr)
    {
        var (trainer, _) = Create(Options with { Optimizer = optimizer, OptimizerSettings = new() { Lr = lr }, Augment = false, Schedule = "none" });
        EpochReport? last = null;
        for (int e = 0; e < 3; e++) last = trainer.TrainEpoch(Synthetic(128, 4), Synthetic(64, 5));
        Assert.Equal(optimizer == "asgd" ? "AveragedSgd" : optimizer == "adam" ? "Adam" : "RmsProp", trainer.Optimizer.GetType().Name);
        Assert.True(last!.TestAccuracy > 0.9, $"{optimizer}: test accuracy {last.TestAccuracy}");
    }

    [Fact]
    public void WarmupCosineWarmsUpThenAnnealsToZero()
    {
        var (trainer, _) = Create(WithLr(Options with { Schedule = "warmup-cosine", Epochs = 10, Augment = false }, 0.1));
        var lrs = new List<double>();
        for (int e = 0; e < 10; e++) { lrs.Add(trainer.Optimizer.ParamGroups[0].Lr); trainer.TrainEpoch(Synthetic(32, 6), null); }
        Assert.Equal(0.01, lrs[0], 12);                 // epoch 1: warm-up starts at a tenth
        Assert.Equal(0.1, lrs[1], 12);                  // epoch 2: full rate, the cosine starts
        Assert.Equal(0.05 * (1 + Math.Cos(Math.PI * 4 / 9)), lrs[5], 9);
        Assert.True(lrs.Skip(1).Zip(lrs.Skip(2)).All(p => p.First > p.Second));
    }

    [Fact]
    public void ACheckpointOfAnotherLayoutIsRefusedNotMisread()
    {
        var dir = Directory.CreateTempSubdirectory("axon-old-");
        var path = Path.Combine(dir.FullName, "old.safetensors");
        var (trainer, model) = Create(Options);
        // The layout before the trainer took any task: options with a top-level LearningRate, no format key.
        var info = new Axon.IO.CheckpointInfo { Epoch = 0 };
        info.Metadata["options"] = "{\"Epochs\":10,\"LearningRate\":0.1}";
        Axon.IO.Checkpoint.Save(path, model, trainer.Optimizer, null, info);
        var ex = Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(path));
        Assert.Contains("from an earlier version of Axon", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Trainer.ReadCheckpointSettings(path));
        model.Save(path);  // plain weights: not a training checkpoint
        Assert.Contains("not a training checkpoint", Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(path)).Message, StringComparison.Ordinal);
        dir.Delete(true);
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Create(Options with { Optimizer = "adamw-ish" }));
        Assert.Throws<ArgumentException>(() => Create(Options with { Schedule = "cosine-ish" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(Options with { BatchSize = 0 }));
    }
}
