using System.Globalization;
using Axon.IO;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>What a callback tells the trainer at the end of an epoch.</summary>
/// <param name="Stop">Stop training after this epoch.</param>
/// <param name="Reason">Why (shown to the user and saved in checkpoints as <see cref="Trainer.StopReason"/>).</param>
public readonly record struct CallbackResult(bool Stop, string? Reason)
{
    /// <summary>Go on training.</summary>
    public static CallbackResult Continue => default;

    /// <summary>Stop training after this epoch, for <paramref name="reason"/>.</summary>
    public static CallbackResult StopTraining(string reason) => new(true, reason);
}

/// <summary>
/// Hooks into <see cref="Trainer"/>: <see cref="OnTrainBegin"/> before the first epoch the trainer runs (also after a
/// checkpoint is loaded, so a callback can rebuild its state from <see cref="Trainer.History"/>),
/// <see cref="OnBatchEnd"/> after every optimiser step, <see cref="OnEpochEnd"/> after every epoch's evaluation (it may stop
/// training) and <see cref="OnTrainEnd"/> when training ends. Every method has an empty default.
/// </summary>
public interface ITrainerCallback
{
    /// <summary>Before the first epoch of this session; <paramref name="trainer"/>'s history holds the epochs already done (after a resume).</summary>
    void OnTrainBegin(Trainer trainer)
    {
    }

    /// <summary>After each optimiser step. Throwing stops training at once.</summary>
    void OnBatchEnd(Trainer trainer, BatchReport report)
    {
    }

    /// <summary>After each epoch (the report is already in the history): continue or stop.</summary>
    CallbackResult OnEpochEnd(Trainer trainer, EpochReport report) => CallbackResult.Continue;

    /// <summary>When training ends (<see cref="Trainer.EndTraining"/>).</summary>
    void OnTrainEnd(Trainer trainer)
    {
    }
}

/// <summary>The validation metrics callbacks can monitor.</summary>
public static class Monitor
{
    /// <summary>The validation loss (lower is better).</summary>
    public static Func<EpochReport, double> ValidationLoss { get; } = r => r.ValidationLoss;

    /// <summary>The validation accuracy of a classification task (higher is better).</summary>
    public static Func<EpochReport, double> ValidationAccuracy { get; } = r => r.ValidationAccuracy;

    /// <summary>The task's validation metric <paramref name="name"/> (NaN when the task does not report it).</summary>
    public static Func<EpochReport, double> ValidationMetric(string name) => r => r.ValidationMetrics.TryGetValue(name, out var v) ? v : double.NaN;

    internal static bool Better(double value, double best, MetricMode mode, double minDelta = 0) =>
        mode == MetricMode.Min ? value < best - minDelta : value > best + minDelta;

    internal static double Worst(MetricMode mode) => mode == MetricMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
}

/// <summary>
/// Saves the model's weights (as <c>Module.Save</c>, atomically) to <see cref="Path"/> whenever the monitored validation metric
/// improves, so the file always holds the best epoch so far. Under averaged SGD the averaged weights are saved.
/// </summary>
public sealed class CheckpointBest : ITrainerCallback
{
    private readonly Dictionary<string, string> metadata;
    private readonly Func<EpochReport, double> metric;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The weights file (e.g. <c>runs/x/best.safetensors</c>).</param>
    /// <param name="metadata">Extra metadata for the file (e.g. the model name); <c>epoch</c> and <c>metric</c> are added.</param>
    /// <param name="mode">Min for a loss (the default metric is the validation loss), Max for an accuracy.</param>
    /// <param name="metric">The monitored metric (default <see cref="Monitor.ValidationLoss"/>).</param>
    public CheckpointBest(string path, IReadOnlyDictionary<string, string>? metadata = null, MetricMode mode = MetricMode.Min, Func<EpochReport, double>? metric = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        this.metadata = metadata is null ? new(StringComparer.Ordinal) : new(metadata, StringComparer.Ordinal);
        Mode = mode;
        this.metric = metric ?? Monitor.ValidationLoss;
        Best = Monitor.Worst(mode);
    }

    /// <summary>The weights file.</summary>
    public string Path { get; }

    /// <summary>Whether lower or higher is better.</summary>
    public MetricMode Mode { get; }

    /// <summary>The best metric so far.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch (from 1) of the best metric, or 0 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc/>
    public void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Best = Monitor.Worst(Mode);
        BestEpoch = 0;
        foreach (var r in trainer.History)
            if (Monitor.Better(metric(r), Best, Mode)) (Best, BestEpoch) = (metric(r), r.Epoch);
    }

    /// <inheritdoc/>
    public CallbackResult OnEpochEnd(Trainer trainer, EpochReport report)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(report);
        double value = metric(report);
        if (!Monitor.Better(value, Best, Mode)) return CallbackResult.Continue;
        (Best, BestEpoch) = (value, report.Epoch);
        var meta = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
        {
            ["epoch"] = report.Epoch.ToString(CultureInfo.InvariantCulture),
            ["metric"] = value.ToString("R", CultureInfo.InvariantCulture),
        };
        if (!trainer.IsPrimary) return CallbackResult.Continue;   // distributed: rank 0 writes (the trainer's barrier ends the epoch)
        using var weights = trainer.UseEvaluationWeights();
        trainer.Model.Save(Path, meta);
        return CallbackResult.Continue;
    }
}

/// <summary>
/// Early stopping on the validation loss (or another metric), wrapping <see cref="Optim.EarlyStopping"/>: stops when
/// <see cref="Patience"/> epochs have passed without an improvement larger than the minimum delta and, with
/// <c>restoreBestWeights</c>, loads the best epoch's weights back at the end of training. After a resume the state is
/// rebuilt from the history; if the best epoch lies before the resume, the weights come from <see cref="BestWeightsPath"/>
/// (e.g. the file of <see cref="CheckpointBest"/>) when set.
/// </summary>
public sealed class EarlyStoppingCallback : ITrainerCallback
{
    private readonly Func<EpochReport, double> metric;
    private bool weightsHeld;

    /// <summary>Creates the callback (see <see cref="Optim.EarlyStopping"/> for the arguments).</summary>
    public EarlyStoppingCallback(int patience, double minDelta = 0, MetricMode mode = MetricMode.Min, bool restoreBestWeights = false, Func<EpochReport, double>? metric = null)
    {
        Stopper = new EarlyStopping(patience, minDelta, mode, restoreBestWeights);
        this.metric = metric ?? Monitor.ValidationLoss;
    }

    /// <summary>The criterion (its best value, best epoch and bad-epoch count).</summary>
    public EarlyStopping Stopper { get; private set; }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience => Stopper.Patience;

    /// <summary>A weights file holding the best epoch (written by <see cref="CheckpointBest"/>), used when a resumed run cannot hold the best weights in memory.</summary>
    public string? BestWeightsPath { get; set; }

    /// <summary>The epoch (from 1) whose weights <see cref="OnTrainEnd"/> restored, or 0.</summary>
    public int RestoredEpoch { get; private set; }

    /// <inheritdoc/>
    public void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var old = Stopper;
        Stopper = new EarlyStopping(old.Patience, old.MinDelta, old.Mode, old.RestoreBestWeights);
        old.Reset();
        RestoredEpoch = 0;
        // Replay the history. The model now holds the last epoch's weights, which are the best ones only if it was the best.
        foreach (var r in trainer.History) Stopper.Step(metric(r), Stopper.RestoreBestWeights ? trainer.Model : null);
        weightsHeld = Stopper.BestEpoch >= 0 && Stopper.BestEpoch == trainer.History.Count - 1;
    }

    /// <inheritdoc/>
    public CallbackResult OnEpochEnd(Trainer trainer, EpochReport report)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(report);
        int bestBefore = Stopper.BestEpoch;
        using (trainer.UseEvaluationWeights()) Stopper.Step(metric(report), Stopper.RestoreBestWeights ? trainer.Model : null);
        if (Stopper.BestEpoch != bestBefore) weightsHeld = true;
        if (!Stopper.ShouldStop) return CallbackResult.Continue;
        return CallbackResult.StopTraining(string.Create(CultureInfo.InvariantCulture,
            $"early stopping: no improvement for {Stopper.Patience} epochs (best {Stopper.Best:G6} at epoch {Stopper.BestEpoch + 1})."));
    }

    /// <inheritdoc/>
    public void OnTrainEnd(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (!Stopper.RestoreBestWeights || Stopper.BestEpoch < 0) return;
        if (weightsHeld && Stopper.RestoreBest(trainer.Model)) RestoredEpoch = Stopper.BestEpoch + 1;
        else if (BestWeightsPath is not null && File.Exists(BestWeightsPath))
        {
            trainer.Model.Load(BestWeightsPath);
            RestoredEpoch = Stopper.BestEpoch + 1;
        }
    }
}

/// <summary>The loss became NaN or infinite; the message names the epoch, the step and the last good checkpoint.</summary>
public sealed class NonFiniteLossException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(string message, int epoch, long step, int batch) : base(message)
    {
        Epoch = epoch;
        Step = step;
        Batch = batch;
    }

    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException() : this("The loss became non-finite.", 0, 0, 0)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(string message) : this(message, 0, 0, 0)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The epoch (from 1) in which the loss became non-finite.</summary>
    public int Epoch { get; }

    /// <summary>The optimiser step (from 1, counted since the start of training).</summary>
    public long Step { get; }

    /// <summary>The batch (from 1) within the epoch.</summary>
    public int Batch { get; }
}

/// <summary>
/// Stops training with a <see cref="NonFiniteLossException"/> as soon as a batch's loss is NaN or infinite, e.g. "Loss became
/// NaN at epoch 3, step 412 (batch 37 of 938); stopping. The last good checkpoint is runs/x/checkpoint.safetensors (end of epoch 2)."
/// </summary>
/// <param name="checkpointPath">The training checkpoint written after each epoch, named in the message (optional).</param>
public sealed class NanTermination(string? checkpointPath = null) : ITrainerCallback
{
    /// <summary>The checkpoint named in the message, or null.</summary>
    public string? CheckpointPath { get; } = checkpointPath;

    /// <inheritdoc/>
    public void OnBatchEnd(Trainer trainer, BatchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (double.IsFinite(report.StepLoss)) return;
        string what = double.IsNaN(report.StepLoss) ? "NaN" : "infinite";
        string message = string.Create(CultureInfo.InvariantCulture, $"Loss became {what} at epoch {report.Epoch}, step {report.Step} (batch {report.Batch} of {report.Batches}); stopping.");
        if (CheckpointPath is not null) message += " " + DescribeCheckpoint(CheckpointPath);
        throw new NonFiniteLossException(message, report.Epoch, report.Step, report.Batch);
    }

    private static string DescribeCheckpoint(string path)
    {
        if (!File.Exists(path)) return "No checkpoint has been written yet.";
        try
        {
            long epoch = Checkpoint.ReadInfo(path).Epoch;
            return string.Create(CultureInfo.InvariantCulture, $"The last good checkpoint is {path} (end of epoch {epoch}).");
        }
        catch (InvalidDataException e)
        {
            return $"The checkpoint {path} is unreadable: {e.Message}";
        }
    }
}

/// <summary>Records the learning rate of every step and every epoch.</summary>
public sealed class LrLogger : ITrainerCallback
{
    private readonly List<(int Epoch, long Step, double LearningRate)> steps = [];
    private readonly List<(int Epoch, double LearningRate)> epochs = [];

    /// <summary>The rate of each optimiser step.</summary>
    public IReadOnlyList<(int Epoch, long Step, double LearningRate)> Steps => steps;

    /// <summary>The rate at the start of each epoch (including the epochs before a resume, from the history).</summary>
    public IReadOnlyList<(int Epoch, double LearningRate)> Epochs => epochs;

    /// <inheritdoc/>
    public void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        epochs.Clear();
        foreach (var r in trainer.History) epochs.Add((r.Epoch, r.LearningRate));
    }

    /// <inheritdoc/>
    public void OnBatchEnd(Trainer trainer, BatchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        steps.Add((report.Epoch, report.Step, report.LearningRate));
    }

    /// <inheritdoc/>
    public CallbackResult OnEpochEnd(Trainer trainer, EpochReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        epochs.Add((report.Epoch, report.LearningRate));
        return CallbackResult.Continue;
    }
}
