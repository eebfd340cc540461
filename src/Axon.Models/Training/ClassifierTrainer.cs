using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>How to train an image classifier (the <c>axon train</c> options).</summary>
/// <param name="Epochs">Number of passes over the training set.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="Optimizer">Any of <see cref="OptimizerFactory.Names"/>: sgd (momentum, Nesterov, weight decay), asgd (the lecture's averaged SGD; evaluation uses the average), torch-asgd, adagrad, rmsprop, adam, adamw, adadelta. Momentum applies to sgd and rmsprop; the others use PyTorch's defaults for their own settings.</param>
/// <param name="LearningRate">Initial learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Nesterov">Nesterov momentum.</param>
/// <param name="Schedule">Per-epoch schedule: "none", "step" (multiply by Gamma every StepSize epochs), "exp" (by Gamma each epoch), "inverse-time" (lr0 / (1 + Gamma t)), "cosine" (cosine annealing to 0 over the epochs) or "warmup-cosine" (linear warm-up over the first tenth, then cosine).</param>
/// <param name="StepSize">Epochs between decays of the step schedule.</param>
/// <param name="Gamma">Decay factor of the schedule.</param>
/// <param name="Augment">Random crop (padding 2), horizontal flip and random erasing on training batches.</param>
/// <param name="Seed">Seed of the weights, the shuffling, dropout and augmentation.</param>
/// <param name="Prefetch">Batches prepared ahead on a background thread (0 = none).</param>
public sealed record TrainerOptions(
    int Epochs = 10, int BatchSize = 64, string Optimizer = "sgd", double LearningRate = 0.05, double Momentum = 0.9,
    double WeightDecay = 5e-4, bool Nesterov = false, string Schedule = "step", int StepSize = 4, double Gamma = 0.3,
    bool Augment = false, long Seed = 0, int Prefetch = 2);

/// <summary>Progress inside an epoch.</summary>
/// <param name="Epoch">Epoch index (from 1).</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches in the epoch.</param>
/// <param name="Loss">Running mean training loss of the epoch.</param>
/// <param name="Accuracy">Running training accuracy of the epoch.</param>
/// <param name="ImagesPerSecond">Training throughput so far in the epoch.</param>
public sealed record BatchReport(int Epoch, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond);

/// <summary>The result of one epoch.</summary>
/// <param name="Epoch">Epoch index (from 1).</param>
/// <param name="LearningRate">Learning rate used during the epoch.</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="TrainAccuracy">Training accuracy (with dropout and augmentation active).</param>
/// <param name="TestLoss">Test loss.</param>
/// <param name="TestAccuracy">Test accuracy.</param>
/// <param name="Seconds">Wall time of the epoch's training part.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
public sealed record EpochReport(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double Seconds, double ImagesPerSecond);

/// <summary>Loss, accuracy and confusion matrix (rows: true class, columns: predicted class) of a model on a data set.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction correct.</param>
/// <param name="Confusion">Counts [true, predicted].</param>
public sealed record Evaluation(double Loss, double Accuracy, long[,] Confusion)
{
    /// <summary>Accuracy per true class (recall).</summary>
    public double[] PerClassAccuracy()
    {
        int k = Confusion.GetLength(0);
        var r = new double[k];
        for (int i = 0; i < k; i++)
        {
            long total = 0;
            for (int j = 0; j < k; j++) total += Confusion[i, j];
            r[i] = total == 0 ? double.NaN : (double)Confusion[i, i] / total;
        }
        return r;
    }
}

/// <summary>
/// Trains an image classifier with cross-entropy, one epoch at a time, evaluating on the test set after each
/// epoch. Its checkpoints hold the model, optimiser, scheduler, history and both generators (weights/dropout
/// and data order/augmentation), so a resumed run continues exactly as an uninterrupted one.
/// </summary>
public sealed class ClassifierTrainer
{
    private readonly Generator dataGenerator;
    private readonly List<EpochReport> history = [];

    /// <summary>Creates a trainer. <paramref name="modelGenerator"/> is the generator the model was built with (it also drives dropout); its state is checkpointed.</summary>
    public ClassifierTrainer(Module model, Generator modelGenerator, TrainerOptions options)
    {
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "Epochs must be at least 1.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        Model = model;
        ModelGenerator = modelGenerator;
        Options = options;
        dataGenerator = new Generator(options.Seed + 1);
        Optimizer = OptimizerFactory.Create(options.Optimizer, model.Parameters(), new OptimizerSettings
        {
            Lr = options.LearningRate,
            Momentum = options.Momentum,
            Nesterov = options.Nesterov,
            WeightDecay = options.WeightDecay,
        });
        Scheduler = options.Schedule.ToLowerInvariant() switch
        {
            "none" => null,
            "step" => new StepLR(Optimizer, options.StepSize, options.Gamma),
            "exp" => new ExponentialLR(Optimizer, options.Gamma),
            "inverse-time" => new InverseTimeLR(Optimizer, options.Gamma),
            "cosine" => new CosineAnnealingLR(Optimizer, options.Epochs),
            "warmup-cosine" => WarmupCosine(Optimizer, options.Epochs),
            _ => throw new ArgumentException($"Unknown schedule '{options.Schedule}' (expected {string.Join(", ", Schedules)}).", nameof(options)),
        };
    }

    /// <summary>The schedule names <see cref="TrainerOptions.Schedule"/> accepts.</summary>
    public static IReadOnlyList<string> Schedules { get; } = ["none", "step", "exp", "inverse-time", "cosine", "warmup-cosine"];

    /// <summary>Linear warm-up from a tenth of the rate over the first tenth of the epochs (at least one), then cosine annealing to zero.</summary>
    private static SequentialLR WarmupCosine(Optimizer optimizer, int epochs)
    {
        int warm = Math.Max(1, epochs / 10);
        return new SequentialLR(optimizer, [new LinearLR(optimizer, 0.1, 1.0, warm), new CosineAnnealingLR(optimizer, Math.Max(1, epochs - warm))], [warm]);
    }

    /// <summary>The model being trained.</summary>
    public Module Model { get; }

    /// <summary>The generator the model was created with (initialisation and dropout).</summary>
    public Generator ModelGenerator { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule (stepped once per epoch), or null.</summary>
    public LrScheduler? Scheduler { get; }

    /// <summary>Completed epochs.</summary>
    public int Epoch => history.Count;

    /// <summary>Total optimiser steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>One report per completed epoch.</summary>
    public IReadOnlyList<EpochReport> History => history;

    private static Transform Augmentation() => new Compose(new RandomCrop(28, padding: 2), new RandomHorizontalFlip(), new RandomErasing(p: 0.25));

    /// <summary>Trains one epoch on <paramref name="train"/>, then evaluates on <paramref name="test"/> (if given).</summary>
    public EpochReport TrainEpoch(IDataset train, IDataset? test, Action<BatchReport>? onBatch = null)
    {
        int epoch = Epoch + 1;
        double lr = Optimizer.ParamGroups[0].Lr;
        var loader = new DataLoader(train, Options.BatchSize, shuffle: true, generator: dataGenerator,
            transform: Options.Augment ? Augmentation() : null, prefetch: Options.Prefetch);
        Model.Train();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int batch = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (x, y) in loader)
        {
            using var scope = new TensorScope();
            Optimizer.ZeroGrad(setToNone: false);
            var logits = Model.Forward(x);
            var loss = Functional.CrossEntropy(logits, y);
            loss.Backward();
            Optimizer.Step();
            Steps++;
            int n = y.NumEl;
            lossSum += loss.Item() * n;
            correct += (long)Math.Round(Functional.Accuracy(logits, y) * n);
            seen += n;
            batch++;
            onBatch?.Invoke(new BatchReport(epoch, batch, loader.Count, lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Scheduler?.Step();
        Evaluation? eval = test is null ? null : Evaluate(test);
        var report = new EpochReport(epoch, lr, lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1),
            eval?.Loss ?? double.NaN, eval?.Accuracy ?? double.NaN, seconds, seen / seconds);
        history.Add(report);
        return report;
    }

    /// <summary>Evaluates the model in eval mode (with the averaged weights under averaged SGD).</summary>
    public Evaluation Evaluate(IDataset data, int numClasses = 10)
    {
        using var average = Optimizer is AveragedSgd asgd ? asgd.UseAverage() : null;
        return Evaluate(Model, data, Math.Max(Options.BatchSize, 256), numClasses);
    }

    /// <summary>Evaluates any classifier: mean cross-entropy, accuracy and confusion matrix.</summary>
    public static Evaluation Evaluate(Module model, IDataset data, int batchSize = 256, int numClasses = 10)
    {
        bool wasTraining = model.Training;
        model.Eval();
        var confusion = new long[numClasses, numClasses];
        double lossSum = 0;
        long correct = 0, seen = 0;
        using var noGrad = GradMode.NoGrad();
        foreach (var (x, y) in new DataLoader(data, batchSize))
        {
            using var scope = new TensorScope();
            var logits = model.Forward(x);
            lossSum += Functional.CrossEntropy(logits, y, reduction: Reduction.Sum).Item();
            var pred = logits.ArgMax(1).ToLongArray();
            var truth = y.ToLongArray();
            for (int i = 0; i < pred.Length; i++)
            {
                confusion[truth[i], pred[i]]++;
                if (pred[i] == truth[i]) correct++;
            }
            seen += pred.Length;
        }
        model.Train(wasTraining);
        return new Evaluation(lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), confusion);
    }

    /// <summary>Writes a training checkpoint (atomically): weights, optimiser, scheduler, generators, history, options.</summary>
    public void SaveCheckpoint(string path, string modelName)
    {
        var info = new CheckpointInfo { Epoch = Epoch, Step = Steps };
        info.CaptureGenerator("model", ModelGenerator).CaptureGenerator("data", dataGenerator);
        info.Metadata["model"] = modelName;
        info.Metadata["options"] = JsonSerializer.Serialize(Options);
        info.Metadata["history"] = JsonSerializer.Serialize(history);
        Checkpoint.Save(path, Model, Optimizer, Scheduler, info);
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer (same model and options).</summary>
    public void LoadCheckpoint(string path)
    {
        var info = Checkpoint.Load(path, Model, Optimizer, Scheduler);
        info.RestoreGenerator("model", ModelGenerator);
        info.RestoreGenerator("data", dataGenerator);
        Steps = info.Step;
        history.Clear();
        if (info.Metadata.TryGetValue("history", out var json)) history.AddRange(JsonSerializer.Deserialize<List<EpochReport>>(json) ?? []);
        if (history.Count != info.Epoch)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the checkpoint says epoch {info.Epoch} but holds {history.Count} epochs of history."));
    }

    /// <summary>Reads the model name and options stored in a training checkpoint.</summary>
    public static (string Model, TrainerOptions Options) ReadCheckpointSettings(string path)
    {
        var info = Checkpoint.ReadInfo(path);
        if (!info.Metadata.TryGetValue("model", out var model) || !info.Metadata.TryGetValue("options", out var options))
            throw new InvalidDataException($"{path}: not a training checkpoint written by axon train (no model name or options in its metadata).");
        return (model, JsonSerializer.Deserialize<TrainerOptions>(options) ?? throw new InvalidDataException($"{path}: unreadable options."));
    }
}
