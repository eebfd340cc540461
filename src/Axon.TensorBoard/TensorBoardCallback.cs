using Axon.Models.Training;

namespace Axon.TensorBoard;

/// <summary>
/// Logs a <see cref="Trainer"/>'s run to TensorBoard through a <see cref="SummaryWriter"/>, the tags PyTorch and Keras
/// users look for:
/// <list type="bullet">
/// <item><c>batch/loss</c> and <c>batch/lr</c> every <see cref="BatchInterval"/> optimiser steps (x axis: the step);</item>
/// <item><c>epoch/train_loss</c>, <c>epoch/validation_loss</c>, <c>epoch/test_loss</c>, each of the task's metrics as
/// <c>epoch/train_NAME</c>, <c>epoch/validation_NAME</c>, <c>epoch/test_NAME</c>, <c>epoch/lr</c> and
/// <c>epoch/samples_per_second</c> after every epoch (x axis: the epoch);</item>
/// <item>histograms <c>weights/NAME</c> and <c>gradients/NAME</c> of every parameter after every epoch (the gradients of
/// the epoch's last step), when <see cref="Histograms"/>;</item>
/// <item>the image grid <see cref="SampleImages"/> as <c>samples/inputs</c> when training starts, and
/// <see cref="EpochImages"/>' grid (e.g. a generator's samples) as <c>samples/epoch</c> after every epoch.</item>
/// </list>
/// The file is flushed after every epoch, so a TensorBoard watching the folder follows the run.
/// </summary>
/// <param name="writer">Where to log; the callback flushes it but does not dispose it.</param>
public sealed class TensorBoardCallback(SummaryWriter writer) : ITrainerCallback
{
    /// <summary>The writer.</summary>
    public SummaryWriter Writer { get; } = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Optimiser steps between <c>batch/</c> scalars (0: none). Default 10.</summary>
    public int BatchInterval { get; init; } = 10;

    /// <summary>Whether to log the parameters' and gradients' histograms after each epoch. Default true.</summary>
    public bool Histograms { get; init; } = true;

    /// <summary>Input images to show once, [n, channels, height, width] in [0, 1] (null: none).</summary>
    public Tensor? SampleImages { get; init; }

    /// <summary>Images to show after each epoch, [n, channels, height, width] in [0, 1], e.g. a generator's samples (null: none).</summary>
    public Func<Trainer, Tensor>? EpochImages { get; init; }

    /// <inheritdoc/>
    public void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (SampleImages is not null) Writer.AddImage("samples/inputs", SampleImages, trainer.Epoch);
        Writer.Flush();
    }

    /// <inheritdoc/>
    public void OnBatchEnd(Trainer trainer, BatchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (BatchInterval <= 0 || report.Step % BatchInterval != 0) return;
        Scalar("batch/loss", report.StepLoss, report.Step);
        Scalar("batch/lr", report.LearningRate, report.Step);
    }

    /// <inheritdoc/>
    public CallbackResult OnEpochEnd(Trainer trainer, EpochReport report)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(report);
        long epoch = report.Epoch;
        Scalar("epoch/train_loss", report.TrainLoss, epoch);
        Scalar("epoch/validation_loss", report.ValidationLoss, epoch);
        Scalar("epoch/test_loss", report.TestLoss, epoch);
        foreach (var (name, v) in report.TrainMetrics) Scalar("epoch/train_" + name, v, epoch);
        foreach (var (name, v) in report.ValidationMetrics) Scalar("epoch/validation_" + name, v, epoch);
        foreach (var (name, v) in report.TestMetrics) Scalar("epoch/test_" + name, v, epoch);
        Scalar("epoch/lr", report.LearningRate, epoch);
        Scalar("epoch/samples_per_second", report.SamplesPerSecond, epoch);
        if (Histograms) Writer.AddParameterHistograms(trainer.Model, epoch);
        if (EpochImages is not null)
        {
            using var scope = new TensorScope();
            Writer.AddImage("samples/epoch", EpochImages(trainer), epoch);
        }
        Writer.Flush();
        return CallbackResult.Continue;
    }

    /// <inheritdoc/>
    public void OnTrainEnd(Trainer trainer) => Writer.Flush();

    // A value the run does not have (NaN: no validation or test set) is left out rather than drawn as a gap.
    private void Scalar(string tag, double value, long step)
    {
        if (double.IsFinite(value)) Writer.AddScalar(tag, value, step);
    }
}
