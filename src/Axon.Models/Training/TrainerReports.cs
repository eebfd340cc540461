using System.Text.Json.Serialization;

namespace Axon.Models.Training;

/// <summary>Progress inside an epoch, after each optimiser step.</summary>
/// <param name="Epoch">Epoch index (from 1).</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches in the epoch.</param>
/// <param name="Loss">Running mean training loss of the epoch (the task's loss, without penalties).</param>
/// <param name="Metrics">Running means of the task's metrics over the epoch (e.g. "accuracy").</param>
/// <param name="SamplesPerSecond">Training throughput so far in the epoch.</param>
/// <param name="Step">Optimiser steps taken since the start of training, this one included.</param>
/// <param name="StepLoss">This batch's objective: the loss plus the L1/L2 penalties.</param>
/// <param name="LearningRate">The learning rate of this step.</param>
public sealed record BatchReport(int Epoch, int Batch, int Batches, double Loss, IReadOnlyDictionary<string, double> Metrics, double SamplesPerSecond, long Step, double StepLoss, double LearningRate)
{
    /// <summary>A metric's running mean, or NaN when the task does not report it.</summary>
    public double Metric(string name) => Metrics.TryGetValue(name, out var v) ? v : double.NaN;

    /// <summary>The running accuracy of a classification task (NaN for other tasks).</summary>
    public double Accuracy => Metric(ClassificationTask.AccuracyKey);
}

/// <summary>
/// The result of one epoch: the training loss and metrics (with dropout and augmentation active), and the loss and
/// metrics of the validation split and of the test set when there are. Saved in checkpoints as the history.
/// </summary>
/// <param name="Epoch">Epoch index (from 1).</param>
/// <param name="LearningRate">Learning rate at the start of the epoch.</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="Seconds">Wall time of the epoch's training part.</param>
/// <param name="SamplesPerSecond">Training throughput.</param>
public sealed record EpochReport(int Epoch, double LearningRate, double TrainLoss, double Seconds, double SamplesPerSecond)
{
    private static readonly IReadOnlyDictionary<string, double> None = new Dictionary<string, double>();

    /// <summary>Means of the task's metrics over the epoch's training batches.</summary>
    public IReadOnlyDictionary<string, double> TrainMetrics { get; init; } = None;

    /// <summary>Loss on the validation set: the held-out split, or the test set when <see cref="TrainerOptions.ValidationFraction"/> is 0 (NaN when neither). Schedules and callbacks monitor it.</summary>
    public double ValidationLoss { get; init; } = double.NaN;

    /// <summary>The task's metrics on the validation set (see <see cref="ValidationLoss"/>).</summary>
    public IReadOnlyDictionary<string, double> ValidationMetrics { get; init; } = None;

    /// <summary>Test loss (NaN without a test set).</summary>
    public double TestLoss { get; init; } = double.NaN;

    /// <summary>The task's metrics on the test set.</summary>
    public IReadOnlyDictionary<string, double> TestMetrics { get; init; } = None;

    /// <summary>True when the validation metrics come from a split held out of the training set (false: from the test set).</summary>
    public bool HeldOut { get; init; }

    /// <summary>Training accuracy of a classification task (NaN for other tasks).</summary>
    [JsonIgnore]
    public double TrainAccuracy => Get(TrainMetrics, ClassificationTask.AccuracyKey);

    /// <summary>Validation accuracy of a classification task.</summary>
    [JsonIgnore]
    public double ValidationAccuracy => Get(ValidationMetrics, ClassificationTask.AccuracyKey);

    /// <summary>Test accuracy of a classification task.</summary>
    [JsonIgnore]
    public double TestAccuracy => Get(TestMetrics, ClassificationTask.AccuracyKey);

    /// <summary>Validation top-k accuracy of a classification task.</summary>
    [JsonIgnore]
    public double ValidationTopKAccuracy => Get(ValidationMetrics, ClassificationTask.TopKKey);

    /// <summary>Test top-k accuracy of a classification task.</summary>
    [JsonIgnore]
    public double TestTopKAccuracy => Get(TestMetrics, ClassificationTask.TopKKey);

    private static double Get(IReadOnlyDictionary<string, double> metrics, string name) => metrics.TryGetValue(name, out var v) ? v : double.NaN;
}
