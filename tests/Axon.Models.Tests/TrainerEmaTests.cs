using Axon.Models.Training;
using Axon.Optim;
using static Axon.Models.Tests.TrainerToolkitTests;

namespace Axon.Models.Tests;

/// <summary>The trainer's moving average of the weights (<see cref="TrainerOptions.Ema"/>): updated every step, evaluated, checked.</summary>
public sealed class TrainerEmaTests
{
    [Fact]
    public void TheAverageIsUpdatedEveryStepAndIsWhatTheEpochsEvaluate()
    {
        var train = Synthetic(64, 1);
        var test = Synthetic(32, 2);
        var (plain, _) = Create(Base with { Epochs = 2 });
        plain.Fit(train, test);
        var (averaged, model) = Create(Base with { Epochs = 2, Ema = 0.9 });
        averaged.Fit(train, test);
        Assert.NotNull(averaged.Ema);
        Assert.Null(plain.Ema);
        Assert.Equal(averaged.Steps, averaged.Ema!.Updates);
        Assert.Equal(8, averaged.Steps);
        // Training itself is unchanged; the evaluations are of the average.
        Assert.Equal(plain.History.Select(h => h.TrainLoss), averaged.History.Select(h => h.TrainLoss));
        Assert.NotEqual(plain.History[^1].TestLoss, averaged.History[^1].TestLoss);
        var task = (ClassificationTask)averaged.Task;
        double own = task.Evaluate(test).Loss;
        Assert.Equal(plain.History[^1].TestLoss, own);
        using (averaged.UseEvaluationWeights())
            Assert.Equal(averaged.History[^1].TestLoss, task.Evaluate(test).Loss);
        // The scope swapped the model's own weights back.
        Assert.Equal(own, task.Evaluate(test).Loss);
        Assert.False(averaged.Ema.IsAverageSwappedIn);
    }

    [Fact]
    public void TheClassifiersEvaluationKeepsItsConfusionMatrixWithTheSameScore()
    {
        var test = Synthetic(40, 2);
        var (trainer, _) = Create(Base with { Epochs = 1 });
        trainer.Fit(Synthetic(64, 1), test);
        var task = (ClassificationTask)trainer.Task;
        var report = trainer.History[^1];
        Assert.True(task.LastEvaluation is { } last && ReferenceEquals(last.Data, test));
        var full = task.EvaluateClasses(test, 256);
        var kept = task.LastEvaluation!.Value.Result;
        Assert.Equal(full.Loss, kept.Loss);
        Assert.Equal(full.Accuracy, kept.Accuracy);
        Assert.Equal(full.Confusion, kept.Confusion);
        Assert.Equal(report.TestLoss, kept.Loss);
        Assert.Equal(report.TestAccuracy, kept.Accuracy);
        Assert.Equal(40, kept.Confusion.Cast<long>().Sum());
    }

    [Fact]
    public void TheOptionIsCheckedAndACheckpointWithoutAveragesIsRefused()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => (Base with { Ema = 1 }).Validate());
        Assert.Contains("ema must be in [0, 1) (got 1)", range.Message, StringComparison.Ordinal);
        var asgd = Assert.Throws<ArgumentException>(() => (Base with { Ema = 0.99, Optimizer = "asgd" }).Validate());
        Assert.Contains("averaged SGD", asgd.Message, StringComparison.Ordinal);
        var stopping = Assert.Throws<ArgumentException>(() => (Base with { Ema = 0.99, EarlyStoppingPatience = 2, ValidationFraction = 0.25 }).Validate());
        Assert.Contains("best epoch's own weights", stopping.Message, StringComparison.Ordinal);
        (Base with { Ema = 0.99, EarlyStoppingPatience = 2, ValidationFraction = 0.25, RestoreBestWeights = false }).Validate();

        var dir = Directory.CreateTempSubdirectory("axon-ema-");
        try
        {
            string path = Path.Combine(dir.FullName, "plain.safetensors");
            var (plain, _) = Create(Base with { Epochs = 1 });
            plain.TrainEpoch(Synthetic(32, 1), null);
            plain.SaveCheckpoint(path);
            var (averaged, _) = Create(Base with { Epochs = 1, Ema = 0.9 });
            var ex = Assert.Throws<InvalidDataException>(() => averaged.LoadCheckpoint(path));
            Assert.Contains("plain.safetensors", ex.Message, StringComparison.Ordinal);
            Assert.Contains("holds none", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
