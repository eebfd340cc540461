using Axon.Data;
using Axon.IO;
using Axon.Models.Training;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>The training toolkit around <see cref="Trainer"/>: validation split, metrics, callbacks, schedules, penalties, the range test.</summary>
public sealed class TrainerToolkitTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-toolkit-");

    public void Dispose() => dir.Delete(true);

    internal static TensorDataset Synthetic(int n, int seed)
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

    internal static (Trainer Trainer, Module<Tensor, Tensor> Model) Create(TrainerOptions options, long? modelSeed = null, int topK = 5)
    {
        var g = new Generator(modelSeed ?? options.Seed);
        var model = new Sequential(new Flatten(), new Linear(784, 32, generator: g), new ReLU(), new Dropout(0.2, g), new Linear(32, 4, generator: g));
        return (new Trainer(new ClassificationTask(model, 4, topK), g, options), model);
    }

    private static TrainerOptions WithLr(TrainerOptions o, double lr) => o with { OptimizerSettings = o.Hyperparameters with { Lr = lr } };

    internal static readonly TrainerOptions Base = new() { Epochs = 4, BatchSize = 16, Schedule = "none", Seed = 3, Prefetch = 0 };

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The reports as JSON without their timings, to compare two runs.</summary>
    private static string WithoutTimings(IEnumerable<EpochReport> history) =>
        System.Text.Json.JsonSerializer.Serialize(history.Select(h => h with { Seconds = 0, SamplesPerSecond = 0 }), Json);

    private static float[][] Weights(Module model) => [.. model.Parameters().Select(p => p.ToFloatArray())];

    private static void AssertSameWeights(float[][] expected, Module model, string what)
    {
        var actual = Weights(model);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(expected[i].SequenceEqual(actual[i]), $"{what}: parameter {i} differs");
    }

    public static TheoryData<string> ResumeCases => ["validation+plateau", "onecycle", "penalties+clipping+early-stopping", "ema"];

    private static TrainerOptions ResumeOptions(string name) => name switch
    {
        "validation+plateau" => Base with { Schedule = "plateau", PlateauPatience = 0, PlateauFactor = 0.5, Augment = true, Prefetch = 2, ValidationFraction = 0.25 },
        "onecycle" => Base with { Schedule = "onecycle", MaxLr = 0.1, ValidationFraction = 0.2 },
        "ema" => Base with { Schedule = "onecycle", MaxLr = 0.1, ValidationFraction = 0.2, Ema = 0.9 },
        _ => Base with { Optimizer = "adam", OptimizerSettings = new() { Lr = 0.003, Beta1 = 0.8, AmsGrad = true }, L1 = 1e-4, L2 = 1e-3, GradClipNorm = 1, GradClipValue = 0.5, MaxNorm = 2, EarlyStoppingPatience = 3, ValidationFraction = 0.25 },
    };

    [Theory]
    [MemberData(nameof(ResumeCases))]
    public void ResumeIsExactWithTheNewOptions(string name)
    {
        var options = ResumeOptions(name);
        var train = Synthetic(96, 1);
        var test = Synthetic(32, 2);
        var (straight, straightModel) = Create(options);
        for (int e = 0; e < 4; e++) straight.TrainEpoch(train, test);

        var path = Path.Combine(dir.FullName, "checkpoint.safetensors");
        var (first, _) = Create(options);
        for (int e = 0; e < 2; e++) first.TrainEpoch(train, test);
        first.SaveCheckpoint(path, new Dictionary<string, string> { ["model"] = "test-mlp" });

        var (resumed, resumedModel) = Create(options, modelSeed: 99);  // other initial weights: all state must come from the file
        resumed.LoadCheckpoint(path);
        for (int e = 0; e < 2; e++) resumed.TrainEpoch(train, test);

        Assert.Equal(WithoutTimings(straight.History), WithoutTimings(resumed.History));
        Assert.Equal(straight.Steps, resumed.Steps);
        AssertSameWeights(Weights(straightModel), resumedModel, name);
        var (savedOptions, metadata) = Trainer.ReadCheckpointSettings(path);
        Assert.Equal(options, savedOptions);
        Assert.Equal("test-mlp", metadata["model"]);
        Assert.All(straight.History, h => Assert.True(h.HeldOut && double.IsFinite(h.ValidationLoss) && double.IsFinite(h.TestTopKAccuracy), $"epoch {h.Epoch}"));
    }

    [Fact]
    public void TheValidationSplitIsSeededDisjointAndComplete()
    {
        var train = Synthetic(100, 1);
        var (a, _) = Create(Base with { ValidationFraction = 0.2 });
        var (b, _) = Create(Base with { ValidationFraction = 0.2 });
        var (c, _) = Create(Base with { ValidationFraction = 0.2, Seed = 4 });
        var (fa, va) = a.SplitTrainingSet(train);
        var (fb, vb) = b.SplitTrainingSet(train);
        var (_, vc) = c.SplitTrainingSet(train);
        var ia = ((Subset)fa).Indices;
        var ja = ((Subset)va!).Indices;
        Assert.Equal(20, ja.Count);
        Assert.Equal(80, ia.Count);
        Assert.Equal(Enumerable.Range(0, 100), ia.Concat(ja).Order());
        Assert.Equal(ia, ((Subset)fb).Indices);
        Assert.Equal(ja, ((Subset)vb!).Indices);
        Assert.NotEqual(ja, ((Subset)vc!).Indices);
        var (none, _) = Create(Base);
        Assert.Same(train, none.SplitTrainingSet(train).Train);
        Assert.Null(none.SplitTrainingSet(train).Validation);

        // The epoch trains on the 80 and validates on the 20.
        var report = a.TrainEpoch(train, null);
        Assert.Equal(5, a.Steps);
        Assert.True(report.HeldOut);
        Assert.Equal(a.Evaluate(va).Loss, report.ValidationLoss, 12);
        Assert.True(double.IsNaN(report.TestLoss));
    }

    [Fact]
    public void TopKAccuracyOnAHandMadeBatch()
    {
        var logits = Tensor.FromArray(new float[] { 0.1f, 0.5f, 0.2f, 0.9f, 3, 2, 1, 0, 0, 0, 0, 1 }, [3, 4]);
        var target = Tensor.FromArray(new long[] { 1, 3, 0 }, [3]);
        // Row 0: one score above the target's; row 1: three; row 2: one (the ties do not count against it).
        Assert.Equal([0L, 2, 2, 3], [.. Enumerable.Range(1, 4).Select(k => Metrics.TopKCorrect(logits, target, k))]);
        Assert.Equal(2.0 / 3, Metrics.TopKAccuracy(logits, target, 2), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.TopKCorrect(logits, target, 0));

        var (trainer, model) = Create(Base, topK: 2);
        var test = Synthetic(40, 5);
        var eval = ((ClassificationTask)trainer.Task).EvaluateClasses(test);
        Assert.Equal(2, eval.TopK);
        Assert.True(eval.TopKAccuracy >= eval.Accuracy);
        var score = trainer.Evaluate(test);
        Assert.Equal(eval.Loss, score.Loss, 12);
        Assert.Equal(eval.Accuracy, score.Metric(ClassificationTask.AccuracyKey), 12);
        Assert.Equal(eval.TopKAccuracy, score.Metric(ClassificationTask.TopKKey), 12);
        Assert.Equal(1.0, new ClassificationTask(model, 4, topK: 4).EvaluateClasses(test).TopKAccuracy);
    }

    [Fact]
    public void EarlyStoppingStopsAfterThePatienceAndRestoresTheBestWeights()
    {
        // With a zero rate nothing changes: epoch 1 is the best, and two more epochs without improvement stop training.
        var (still, _) = Create(WithLr(Base with { Epochs = 10, EarlyStoppingPatience = 2 }, 0));
        still.Fit(Synthetic(64, 1), Synthetic(32, 2));
        Assert.Equal(3, still.Epoch);
        Assert.Contains("early stopping: no improvement for 2 epochs", still.StopReason, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => still.TrainEpoch(Synthetic(64, 1), null));

        // A rate multiplied by 40 each epoch makes the validation loss worse after a while; the best epoch's weights come back,
        // and CheckpointBest holds the same weights.
        var best = Path.Combine(dir.FullName, "best.safetensors");
        var (trainer, model) = Create(Base with { Schedule = "exp", Gamma = 40, Epochs = 10, EarlyStoppingPatience = 2, ValidationFraction = 0.25 });
        var checkpointBest = new CheckpointBest(best, new Dictionary<string, string> { ["model"] = "test-mlp" });
        trainer.Callbacks.Add(checkpointBest);
        var perEpoch = new List<float[][]>();
        trainer.Fit(Synthetic(128, 1), null, onEpoch: _ => perEpoch.Add(Weights(model)));
        int bestEpoch = trainer.EarlyStopping!.RestoredEpoch;
        Assert.True(trainer.Epoch < 10, $"ran all {trainer.Epoch} epochs; losses {string.Join(", ", trainer.History.Select(h => h.ValidationLoss))}");
        Assert.Equal(trainer.Epoch - 2, bestEpoch);
        Assert.Equal(trainer.History.MinBy(h => double.IsNaN(h.ValidationLoss) ? double.MaxValue : h.ValidationLoss)!.Epoch, bestEpoch);
        AssertSameWeights(perEpoch[bestEpoch - 1], model, "restored");
        Assert.Equal(bestEpoch, checkpointBest.BestEpoch);
        var fresh = Create(Base).Model;
        var meta = fresh.Load(best);
        Assert.Equal(bestEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture), meta["epoch"]);
        Assert.Equal("test-mlp", meta["model"]);
        AssertSameWeights(perEpoch[bestEpoch - 1], fresh, "best.safetensors");
    }

    [Fact]
    public void NanTerminationNamesTheEpochTheStepAndTheLastGoodCheckpoint()
    {
        var path = Path.Combine(dir.FullName, "checkpoint.safetensors");
        var callback = new NanTermination(path);
        var report = new BatchReport(3, 37, 938, 0.5, new Dictionary<string, double> { ["accuracy"] = 0.8 }, 1000, Step: 1913, StepLoss: double.NaN, LearningRate: 0.1);
        var none = Assert.Throws<NonFiniteLossException>(() => ((ITrainerCallback)callback).OnBatchEnd(null!, report));
        Assert.Equal($"Loss became NaN at epoch 3, step 1913 (batch 37 of 938); stopping. No checkpoint has been written yet.", none.Message);

        // A real divergence: the rate jumps from 0.05 to 5e28 after the first epoch, and the logits overflow.
        var (trainer, _) = Create(Base with { Schedule = "exp", Gamma = 1e30, Epochs = 3 });
        trainer.Callbacks.Add(callback);
        var train = Synthetic(64, 1);
        trainer.TrainEpoch(train, null);
        trainer.SaveCheckpoint(path);
        var ex = Assert.Throws<NonFiniteLossException>(() => trainer.TrainEpoch(train, null));
        Assert.Equal(2, ex.Epoch);
        Assert.Equal(4 + ex.Batch, ex.Step);
        Assert.Matches(@$"^Loss became (NaN|infinite) at epoch 2, step {ex.Step} \(batch {ex.Batch} of 4\); stopping\. The last good checkpoint is .*checkpoint\.safetensors \(end of epoch 1\)\.$", ex.Message);
        Assert.Equal(1, Checkpoint.ReadInfo(path).Epoch);
        ((ITrainerCallback)callback).OnBatchEnd(trainer, report with { StepLoss = 1.5 });  // finite: nothing happens
    }

    [Fact]
    public void EvalEveryEvaluatesTheTestSetOnItsEpochsAndAfterTheLastWithoutChangingTraining()
    {
        var (every, _) = Create(Base with { Epochs = 5 });
        every.Fit(Synthetic(64, 1), Synthetic(32, 2));
        var (sparse, _) = Create(Base with { Epochs = 5, EvalEvery = 2 });
        sparse.Fit(Synthetic(64, 1), Synthetic(32, 2));
        Assert.Equal(every.History.Select(h => h.TrainLoss), sparse.History.Select(h => h.TrainLoss));
        Assert.Equal([false, true, false, true, true], sparse.History.Select(h => !double.IsNaN(h.TestLoss)));
        foreach (var (a, b) in every.History.Zip(sparse.History))
        {
            if (double.IsNaN(b.TestLoss)) { Assert.Empty(b.TestMetrics); continue; }
            Assert.Equal(a.TestLoss, b.TestLoss);
            Assert.Equal(a.TestAccuracy, b.TestAccuracy);
        }
        // A held-out split is validated every epoch all the same.
        var (held, _) = Create(Base with { Epochs = 3, EvalEvery = 3, ValidationFraction = 0.25 });
        held.Fit(Synthetic(64, 1), Synthetic(32, 2));
        Assert.All(held.History, h => Assert.False(double.IsNaN(h.ValidationLoss)));
        Assert.Equal([false, false, true], held.History.Select(h => !double.IsNaN(h.TestLoss)));
        // Without one, early stopping and the plateau schedule watch the test loss: the option is refused with them.
        var ex = Assert.Throws<ArgumentException>(() => (Base with { EvalEvery = 2, EarlyStoppingPatience = 2 }).Validate());
        Assert.Contains("eval-every 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("early stopping", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => (Base with { EvalEvery = 2, Schedule = "plateau" }).Validate());
        (Base with { EvalEvery = 2, EarlyStoppingPatience = 2, ValidationFraction = 0.25 }).Validate();
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => (Base with { EvalEvery = 0 }).Validate());
        Assert.Contains("eval-every must be at least 1 (got 0)", zero.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlateauStepsWithTheValidationLoss()
    {
        var (trainer, _) = Create(WithLr(Base with { Schedule = "plateau", PlateauPatience = 0, PlateauFactor = 0.5, Epochs = 6, ValidationFraction = 0.25 }, 0.5));
        trainer.Fit(Synthetic(64, 1), Synthetic(32, 2));
        // Replay the validation losses through a reference scheduler: the rates must match the epochs' rates.
        var reference = new Sgd([Tensor.Zeros([1])], lr: 0.5);
        var plateau = new ReduceLROnPlateau(reference, MetricMode.Min, 0.5, 0);
        var expected = new List<double>();
        foreach (var h in trainer.History) { expected.Add(reference.ParamGroups[0].Lr); plateau.Step(h.ValidationLoss); }
        Assert.Equal(expected, trainer.History.Select(h => h.LearningRate));
        Assert.Equal(reference.ParamGroups[0].Lr, trainer.Optimizer.ParamGroups[0].Lr);
        Assert.Equal(plateau.Best, ((ReduceLROnPlateau)trainer.Scheduler!).Best);
        // Without a validation or test set it refuses to run.
        var (blind, _) = Create(Base with { Schedule = "plateau" });
        Assert.Throws<InvalidOperationException>(() => blind.TrainEpoch(Synthetic(32, 1), null));
    }

    [Fact]
    public void OneCycleStepsPerBatchOverAllTheEpochs()
    {
        var (trainer, _) = Create(Base with { Schedule = "onecycle", MaxLr = 0.2, Epochs = 3 });
        var logger = new LrLogger();
        trainer.Callbacks.Add(logger);
        trainer.Fit(Synthetic(64, 1));  // 4 batches per epoch, 12 steps
        var cycle = Assert.IsType<OneCycleLR>(trainer.Scheduler);
        Assert.Equal(12, cycle.TotalSteps);
        Assert.Equal(12, cycle.LastEpoch);
        var reference = new Sgd([Tensor.Zeros([1])], lr: 0.05, momentum: 0.9);
        var expectedCycle = new OneCycleLR(reference, 0.2, 12);
        var expected = new List<double>();
        for (int i = 0; i < 12; i++) { expected.Add(reference.ParamGroups[0].Lr); expectedCycle.Step(); }
        Assert.Equal(expected, logger.Steps.Select(s => s.LearningRate));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), logger.Steps.Select(s => s.Step));
        Assert.Equal([expected[0], expected[4], expected[8]], logger.Epochs.Select(e => e.LearningRate));
        Assert.Equal(0.2 / 25, expected[0], 12);
        Assert.InRange(expected.Max(), 0.19, 0.2);  // the peak falls between steps 2 and 3
    }

    [Fact]
    public void MaxNormBoundsEveryUnitAndBadOptionsAreRejected()
    {
        var (trainer, model) = Create(WithLr(Base with { MaxNorm = 0.5, L2 = 1e-3 }, 0.5));
        trainer.TrainEpoch(Synthetic(64, 1), null);
        foreach (var p in model.Parameters().Where(p => p.Rank == 2))
        {
            var v = p.ToDoubleArray();
            int cols = p.Size(1);
            for (int r = 0; r < p.Size(0); r++) Assert.True(Math.Sqrt(v.Skip(r * cols).Take(cols).Sum(x => x * x)) <= 0.5 + 1e-6);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(Base with { ValidationFraction = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(Base with { L1 = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(Base, topK: 0));
        var ex = Assert.Throws<ArgumentException>(() => Create(Base with { OptimizerSettings = new() { Beta1 = 0.8 } }));
        Assert.Contains("sgd has no setting Beta1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRangeTestFindsADecreasingThenExplodingLossAndRestoresTheModel()
    {
        var options = Base with { BatchSize = 8 };
        var (_, model) = Create(options);
        var g = new Generator(7);
        var model2 = new Sequential(new Flatten(), new Linear(784, 32, generator: g), new ReLU(), new Dropout(0.2, g), new Linear(32, 4, generator: g));
        var before = Weights(model2);
        var stateBefore = g.GetState();
        var result = LrFinder.Run(new ClassificationTask(model2, 4), g, Synthetic(96, 1), options, new LrFinderOptions(StartLr: 1e-4, EndLr: 1e3, Steps: 60));
        AssertSameWeights(before, model2, "after the range test");
        Assert.Equal(stateBefore, g.GetState());

        var points = result.Points;
        Assert.True(result.Diverged, $"no divergence up to {points[^1].LearningRate}");
        Assert.True(points.Count < 60);
        double min = points.Min(p => p.SmoothedLoss);
        Assert.True(min < 0.8 * points[0].SmoothedLoss, $"the loss never decreased: {points[0].SmoothedLoss} -> {min}");
        Assert.True(points[^1].SmoothedLoss > 4 * min || !double.IsFinite(points[^1].Loss) || result.Diverged);
        Assert.Equal(1e-4, points[0].LearningRate, 12);
        Assert.True(points.Zip(points.Skip(1)).All(p => p.Second.LearningRate > p.First.LearningRate));
        Assert.InRange(result.SuggestedLr, 1e-4, result.MinLossLr);
        Assert.Throws<ArgumentOutOfRangeException>(() => LrFinder.Run(new ClassificationTask(model, 4), new Generator(0), Synthetic(8, 1), options, new LrFinderOptions(StartLr: 1, EndLr: 0.5)));
    }
}
