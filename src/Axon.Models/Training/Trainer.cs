using System.Diagnostics;
using System.Globalization;
using Axon.Data;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>
/// Trains any <see cref="TrainingTask"/>, one epoch at a time: optionally holds out a seeded validation split, runs the
/// task's step on every batch (by default its loss plus the L1/L2 penalties, backward, gradient clipping, the optimiser
/// step, the max-norm constraint), steps the schedule (per epoch, per batch for onecycle, with the validation loss for
/// plateau), evaluates the task's loss and metrics on the validation and test sets, and runs the <see cref="Callbacks"/>.
/// Its checkpoints hold the model, optimiser, scheduler, history and both generators (weights/dropout and data
/// order/augmentation), so a resumed run continues exactly as an uninterrupted one; the callbacks rebuild their state
/// from the history.
/// <code>
/// var task = new ClassificationTask(model, numClasses: 10);
/// var trainer = new Trainer(task, generator, new TrainerOptions { Epochs = 20, ValidationFraction = 0.1, EarlyStoppingPatience = 3 });
/// trainer.Callbacks.Add(new NanTermination());
/// trainer.Callbacks.Add(new CheckpointBest("runs/x/best.safetensors"));
/// trainer.Fit(train, test);
/// </code>
/// </summary>
public sealed partial class Trainer
{
    private readonly Generator dataGenerator;
    private readonly List<EpochReport> history = [];
    private readonly StepContext context;
    private IDataset? splitSource;
    private (IDataset Fit, IDataset? Validation) split;
    private bool began;

    /// <summary>
    /// Creates a trainer. <paramref name="modelGenerator"/> is the generator the model was built with (it also drives
    /// dropout); its state is checkpointed. The optimiser updates every parameter of the model at the options' rate, or
    /// the <paramref name="paramGroups"/> when given (e.g. <see cref="ParamGroups.ByPattern"/>'s, for a slower body);
    /// frozen parameters get no gradient and so no update either way. With <paramref name="dataParallel"/> this trainer is
    /// one rank of a data-parallel run: it trains on its share of each epoch, averages the gradients over the ranks, reports
    /// figures reduced over them, and writes checkpoints on rank 0 only (see <see cref="Training.DataParallel"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An invalid option (named by the message), or a task that cannot be trained data-parallel.</exception>
    /// <exception cref="Distributed.DistributedException">The ranks hold different models.</exception>
    public Trainer(TrainingTask task, Generator modelGenerator, TrainerOptions options, IEnumerable<ParamGroup>? paramGroups = null, DataParallel? dataParallel = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(modelGenerator);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Task = task;
        ModelGenerator = modelGenerator;
        Options = options;
        context = new StepContext(this);
        dataGenerator = new Generator(options.Seed + 1);
        group = dataParallel?.Group;
        ddp = Wrap(task, dataParallel);
        SeparateRandomStreams();
        Optimizer = paramGroups is null ? OptimizerFactory.Create(options.Optimizer, task.Model.Parameters(), options.Hyperparameters)
            : OptimizerFactory.Create(options.Optimizer, paramGroups, options.Hyperparameters);
        Scheduler = CreateScheduler(Optimizer, options);
        Ema = options.Ema > 0 ? new ExponentialMovingAverage(task.Model, options.Ema) : null;
        if (options.EarlyStoppingPatience > 0)
        {
            EarlyStopping = new EarlyStoppingCallback(options.EarlyStoppingPatience, options.EarlyStoppingMinDelta, restoreBestWeights: options.RestoreBestWeights);
            Callbacks.Add(EarlyStopping);
        }
    }

    /// <summary>The schedule names <see cref="TrainerOptions.Schedule"/> accepts.</summary>
    public static IReadOnlyList<string> Schedules { get; } = ["none", "step", "exp", "inverse-time", "cosine", "warmup-cosine", "plateau", "onecycle"];

    /// <summary>The task: the model, its loss and metrics, its step.</summary>
    public TrainingTask Task { get; }

    /// <summary>The model being trained (the task's).</summary>
    public Module Model => Task.Model;

    /// <summary>The generator the model was created with (initialisation and dropout).</summary>
    public Generator ModelGenerator { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimiser, over the task model's parameters.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The exponential moving average of the weights (<see cref="TrainerOptions.Ema"/>), or null; updated after every step and checkpointed.</summary>
    public ExponentialMovingAverage? Ema { get; }

    /// <summary>The learning-rate schedule, or null (onecycle's is created at the first epoch or when a checkpoint is loaded).</summary>
    public LrScheduler? Scheduler { get; private set; }

    /// <summary>The callbacks run after each batch and epoch, in order. The early-stopping callback of the options is added by the constructor.</summary>
    public IList<ITrainerCallback> Callbacks { get; } = new List<ITrainerCallback>();

    /// <summary>The early-stopping callback created from <see cref="TrainerOptions.EarlyStoppingPatience"/>, or null.</summary>
    public EarlyStoppingCallback? EarlyStopping { get; }

    /// <summary>Why training stopped before <see cref="TrainerOptions.Epochs"/> (a callback asked to), or null. Saved in checkpoints.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Completed epochs.</summary>
    public int Epoch => history.Count;

    /// <summary>Total optimiser steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>One report per completed epoch.</summary>
    public IReadOnlyList<EpochReport> History => history;

    private bool IsOneCycle => Options.Schedule.Equals("onecycle", StringComparison.OrdinalIgnoreCase);

    private static LrScheduler? CreateScheduler(Optimizer optimizer, TrainerOptions options) => options.Schedule.ToLowerInvariant() switch
    {
        "none" => null,
        "step" => new StepLR(optimizer, options.StepSize, options.Gamma),
        "exp" => new ExponentialLR(optimizer, options.Gamma),
        "inverse-time" => new InverseTimeLR(optimizer, options.Gamma),
        "cosine" => new CosineAnnealingLR(optimizer, options.Epochs),
        "warmup-cosine" => WarmupCosine(optimizer, options.Epochs),
        "plateau" => new ReduceLROnPlateau(optimizer, MetricMode.Min, options.PlateauFactor, options.PlateauPatience),
        "onecycle" => null,  // created at the first epoch, when the number of batches is known
        _ => throw new ArgumentException($"Unknown schedule '{options.Schedule}' (expected {string.Join(", ", Schedules)}).", nameof(options)),
    };

    /// <summary>Linear warm-up from a tenth of the rate over the first tenth of the epochs (at least one), then cosine annealing to zero.</summary>
    private static SequentialLR WarmupCosine(Optimizer optimizer, int epochs)
    {
        int warm = Math.Max(1, epochs / 10);
        return new SequentialLR(optimizer, [new LinearLR(optimizer, 0.1, 1.0, warm), new CosineAnnealingLR(optimizer, Math.Max(1, epochs - warm))], [warm]);
    }

    /// <summary>
    /// The part of <paramref name="train"/> trained on and the validation split held out of it (null when
    /// <see cref="TrainerOptions.ValidationFraction"/> is 0). The split depends only on the seed and the data set's size.
    /// </summary>
    public (IDataset Train, IDataset? Validation) SplitTrainingSet(IDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (ReferenceEquals(train, splitSource)) return split;
        if (Options.ValidationFraction == 0) split = (train, null);
        else
        {
            var (fit, validation) = Dataset.Split(train, 1 - Options.ValidationFraction, new Generator(Options.Seed + 2));
            if (fit.Count == 0 || validation.Count == 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"A validation fraction of {Options.ValidationFraction} of {train.Count} training samples leaves {fit.Count} to train on and {validation.Count} to validate on; both must be at least 1."), nameof(train));
            split = (fit, validation);
        }
        splitSource = train;
        return split;
    }

    /// <summary>Trains until <see cref="TrainerOptions.Epochs"/> epochs are done or a callback stops training, then runs the callbacks' <see cref="ITrainerCallback.OnTrainEnd"/>.</summary>
    public IReadOnlyList<EpochReport> Fit(IDataset train, IDataset? test = null, Action<BatchReport>? onBatch = null, Action<EpochReport>? onEpoch = null)
    {
        while (Epoch < Options.Epochs && StopReason is null)
        {
            var report = TrainEpoch(train, test, onBatch);
            onEpoch?.Invoke(report);
        }
        EndTraining();
        return History;
    }

    /// <summary>Runs the callbacks' <see cref="ITrainerCallback.OnTrainEnd"/> (e.g. early stopping restores the best weights). <see cref="Fit"/> calls it.</summary>
    public void EndTraining()
    {
        if (!began) BeginTraining();
        foreach (var callback in Callbacks) callback.OnTrainEnd(this);
        began = false;
    }

    private void BeginTraining()
    {
        foreach (var callback in Callbacks) callback.OnTrainBegin(this);
        began = true;
    }

    /// <summary>
    /// Trains one epoch on <paramref name="train"/> (less the validation split), then evaluates on the validation split and
    /// <paramref name="test"/> (if given), steps the per-epoch schedule and runs the callbacks.
    /// </summary>
    /// <exception cref="InvalidOperationException">Training has stopped, or the plateau schedule has nothing to validate on; a callback's exception (e.g. <see cref="NonFiniteLossException"/>) propagates.</exception>
    public EpochReport TrainEpoch(IDataset train, IDataset? test, Action<BatchReport>? onBatch = null)
    {
        if (StopReason is not null) throw new InvalidOperationException($"Training has stopped: {StopReason}");
        var (fit, validation) = SplitTrainingSet(train);
        bool plateau = Scheduler is ReduceLROnPlateau;
        if (plateau && validation is null && test is null)
            throw new InvalidOperationException("The plateau schedule steps with the validation loss: set a validation fraction or pass a test set.");
        CheckSameData(train, fit, validation, test);
        int epoch = Epoch + 1;
        var loader = EpochLoader(fit);
        if (IsOneCycle) EnsureOneCycle(loader.Count);
        if (!began) BeginTraining();
        double lr = Optimizer.ParamGroups[0].Lr;
        Model.Train();
        double lossSum = 0;
        long seen = 0;
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        int batch = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (x, y) in loader)
        {
            // The loader made the batch outside this scope: disposed here, its buffers go back to the pool for the next
            // batch instead of to the collector (an MNIST batch of 64 is 200 KB, a large-object-heap array each step).
            using var input = x;
            using var target = y;
            using var scope = new TensorScope();
            double stepLr = Optimizer.ParamGroups[0].Lr;
            var (loss, objective) = TrainStep(x, y);
            if (IsOneCycle) Scheduler!.Step();
            // Distributed: the figures of the whole step, over every rank's share.
            var (batchLoss, batchCount, batchObjective, batchSums) = ReduceBatch(loss, objective);
            objective = batchObjective;
            lossSum += batchLoss;
            seen += batchCount;
            Accumulate(sums, batchSums);
            batch++;
            var batchReport = new BatchReport(epoch, batch, loader.Count, lossSum / seen, Means(sums, seen), seen / clock.Elapsed.TotalSeconds, Steps, objective, stepLr);
            onBatch?.Invoke(batchReport);
            foreach (var callback in Callbacks) callback.OnBatchEnd(this, batchReport);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        // Without a held-out split, the plateau schedule and early stopping watch the test loss: it is due every epoch then.
        bool testDue = epoch % Options.EvalEvery == 0 || epoch >= Options.Epochs
            || (validation is null && (plateau || Callbacks.Any(c => c is EarlyStoppingCallback)));
        Score? testScore = test is null || !testDue ? null : Evaluate(test);
        Score? valScore = validation is null ? testScore : Evaluate(validation);
        if (plateau) ((ReduceLROnPlateau)Scheduler!).Step(valScore!.Loss);
        else if (!IsOneCycle) Scheduler?.Step();
        var report = new EpochReport(epoch, lr, lossSum / Math.Max(seen, 1), seconds, seen / seconds)
        {
            TrainMetrics = Means(sums, seen),
            ValidationLoss = valScore?.Loss ?? double.NaN,
            ValidationMetrics = valScore?.Metrics ?? new Dictionary<string, double>(),
            TestLoss = testScore?.Loss ?? double.NaN,
            TestMetrics = testScore?.Metrics ?? new Dictionary<string, double>(),
            HeldOut = validation is not null,
        };
        history.Add(report);
        foreach (var callback in Callbacks)
        {
            var result = callback.OnEpochEnd(this, report);
            if (result.Stop) StopReason ??= result.Reason ?? callback.GetType().Name + " stopped training.";
        }
        group?.Barrier();   // what rank 0's callbacks wrote this epoch is complete before any rank reads it
        return report;
    }

    private static void Accumulate(Dictionary<string, double> sums, IReadOnlyDictionary<string, double>? batch)
    {
        if (batch is null) return;
        foreach (var (k, v) in batch) sums[k] = sums.GetValueOrDefault(k) + v;
    }

    private static Dictionary<string, double> Means(Dictionary<string, double> sums, long seen) =>
        sums.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(seen, 1), StringComparer.Ordinal);

    /// <summary>
    /// One optimisation step of the task on a batch (call it inside a <see cref="TensorScope"/>), counted in
    /// <see cref="Steps"/>. Returns the batch's loss and metrics and the objective the step minimised.
    /// </summary>
    public (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target)
    {
        long synchronized = ddp?.Steps ?? 0;
        var result = Task.TrainStep(input, target, context);
        if (ddp is not null && ddp.Steps == synchronized)
            throw new InvalidOperationException($"{Task.GetType().Name}'s step did not average its gradients over the ranks: a task with its own step must call StepContext.Minimize, or StepContext.SynchronizeGradients between the backward pass and the optimiser step.");
        Ema?.Update();
        Steps++;
        return result;
    }

    /// <summary>The standard step after the forward pass (see <see cref="StepContext.Minimize"/>).</summary>
    internal double Minimize(Tensor loss)
    {
        var objective = Penalized(loss);
        objective.Backward();
        SynchronizeGradients();
        if (Options.GradClipValue > 0) Utils.ClipGradValue(Model.Parameters(), Options.GradClipValue);
        if (Options.GradClipNorm > 0) Utils.ClipGradNorm(Model.Parameters(), Options.GradClipNorm);
        Optimizer.Step();
        if (Options.MaxNorm > 0) MaxNormConstraint.Apply(Model, Options.MaxNorm);
        return objective.Item();
    }

    private Tensor Penalized(Tensor loss)
    {
        double l1 = Options.L1, l2 = Options.L2;
        if (l1 == 0 && l2 == 0) return loss;
        var penalty = l1 > 0 && l2 > 0 ? Regularization.ElasticNetPenalty(Model, l1, l2, Options.PenalizeBiases)
            : l1 > 0 ? Regularization.L1Penalty(Model, l1, Options.PenalizeBiases)
            : Regularization.L2Penalty(Model, l2, Options.PenalizeBiases);
        return loss + penalty;
    }

    private void EnsureOneCycle(int stepsPerEpoch)
    {
        if (Scheduler is OneCycleLR existing)
        {
            if (existing.TotalSteps != (long)Options.Epochs * stepsPerEpoch)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"The onecycle schedule was set up for {existing.TotalSteps} steps; {Options.Epochs} epochs of {stepsPerEpoch} batches make {(long)Options.Epochs * stepsPerEpoch} (the training set or the epochs changed)."));
            return;
        }
        long total = (long)Options.Epochs * stepsPerEpoch;
        if (total > int.MaxValue) throw new ArgumentException($"The onecycle schedule supports at most {int.MaxValue} steps.", nameof(stepsPerEpoch));
        // Momentum (or Adam's β₁) cycles when the optimiser has it; SGD without momentum keeps none.
        var defaults = Optimizer.Defaults;
        bool cycle = defaults.TryGetValue(Sgd.MomentumKey, out var m) ? m > 0 : defaults.ContainsKey(OneCycleLR.Beta1Key);
        Scheduler = new OneCycleLR(Optimizer, Options.MaxLr ?? Options.LearningRate, (int)total, Options.PctStart, cycleMomentum: cycle);
    }

    /// <summary>
    /// Swaps in the weights the model is evaluated with (the moving average of <see cref="TrainerOptions.Ema"/>, or the
    /// running average under averaged SGD) until disposed; null when they are the model's own.
    /// </summary>
    public IDisposable? UseEvaluationWeights() => Ema?.UseAverage() ?? (Optimizer is AveragedSgd asgd ? asgd.UseAverage() : null);

    /// <summary>
    /// The task's loss and metrics on <paramref name="data"/>, in eval mode, with the evaluation weights (the moving average
    /// of <see cref="TrainerOptions.Ema"/>, or the average under averaged SGD) and under the options (a classifier's <see cref="TrainerOptions.FlipTta"/>).
    /// </summary>
    public Score Evaluate(IDataset data)
    {
        using var average = UseEvaluationWeights();
        return group is null ? Task.Evaluate(data, Math.Max(Options.BatchSize, 256), Options) : EvaluateDistributed(data, group);
    }
}
