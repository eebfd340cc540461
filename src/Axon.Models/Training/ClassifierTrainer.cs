using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>How to train an image classifier (the <c>axon train</c> options).</summary>
/// <param name="Epochs">Number of passes over the training set.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="Optimizer">Any of <see cref="OptimizerFactory.Names"/>: sgd (momentum, Nesterov, weight decay), asgd (the lecture's averaged SGD; evaluation uses the average), torch-asgd, adagrad, rmsprop, adam, adamw, adadelta. Momentum applies to sgd and rmsprop; the other hyper-parameters are the nullable properties (<see cref="Beta1"/>, ...), null meaning the optimiser's default.</param>
/// <param name="LearningRate">Initial learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Nesterov">Nesterov momentum.</param>
/// <param name="Schedule">Schedule, one of <see cref="ClassifierTrainer.Schedules"/>: "none", "step" (multiply by Gamma every StepSize epochs), "exp" (by Gamma each epoch), "inverse-time" (lr0 / (1 + Gamma t)), "cosine" (cosine annealing to 0 over the epochs), "warmup-cosine" (linear warm-up over the first tenth, then cosine), "plateau" (multiply by <see cref="PlateauFactor"/> when the validation loss has not improved for <see cref="PlateauPatience"/> epochs) or "onecycle" (one cycle per batch up to <see cref="MaxLr"/> and down, over all the epochs' batches).</param>
/// <param name="StepSize">Epochs between decays of the step schedule.</param>
/// <param name="Gamma">Decay factor of the schedule.</param>
/// <param name="Augment">Random crop (padding 2), horizontal flip and random erasing on training batches.</param>
/// <param name="Seed">Seed of the weights, the shuffling, dropout, augmentation and the validation split.</param>
/// <param name="Prefetch">Batches prepared ahead on a background thread (0 = none).</param>
public sealed record TrainerOptions(
    int Epochs = 10, int BatchSize = 64, string Optimizer = "sgd", double LearningRate = 0.05, double Momentum = 0.9,
    double WeightDecay = 5e-4, bool Nesterov = false, string Schedule = "step", int StepSize = 4, double Gamma = 0.3,
    bool Augment = false, long Seed = 0, int Prefetch = 2)
{
    /// <summary>Fraction of the training set held out (a split seeded by <see cref="Seed"/>) to validate on after each epoch; 0 (the default) validates on the test set.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>The k of the top-k accuracy reported with the evaluations (default 5).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Coefficient λ₁ of the L1 penalty λ₁ Σ |w| added to the loss (0 = none). With <see cref="L2"/> as well, the elastic net.</summary>
    public double L1 { get; init; }

    /// <summary>Coefficient λ₂ of the L2 penalty λ₂ Σ w² added to the loss (0 = none; unlike <see cref="TrainerOptions.WeightDecay"/> it is part of the reported objective).</summary>
    public double L2 { get; init; }

    /// <summary>Include the biases in the L1/L2 penalties (by default only the weights are penalised).</summary>
    public bool PenalizeBiases { get; init; }

    /// <summary>Clip the gradients' total L2 norm to this value before each step (0 = no clipping).</summary>
    public double GradClipNorm { get; init; }

    /// <summary>Clamp every gradient element to [−v, v] before each step (0 = no clipping).</summary>
    public double GradClipValue { get; init; }

    /// <summary>Max-norm constraint: after each step, rescale every unit's incoming weights to at most this L2 norm (0 = none).</summary>
    public double MaxNorm { get; init; }

    /// <summary>Stop when the validation loss has not improved for this many epochs (0 = no early stopping).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Smallest decrease of the validation loss that counts as an improvement for early stopping.</summary>
    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>With early stopping, load the best epoch's weights back at the end of training (default true).</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>β₁ of adam and adamw (null: the optimiser's default).</summary>
    public double? Beta1 { get; init; }

    /// <summary>β₂ of adam and adamw (null: the optimiser's default).</summary>
    public double? Beta2 { get; init; }

    /// <summary>ε of adagrad, rmsprop, adam, adamw and adadelta (null: the optimiser's default).</summary>
    public double? Eps { get; init; }

    /// <summary>Smoothing constant of rmsprop or power of torch-asgd's decay (null: the optimiser's default).</summary>
    public double? Alpha { get; init; }

    /// <summary>Decay of adadelta's running averages (null: the default).</summary>
    public double? Rho { get; init; }

    /// <summary>Centred rmsprop (null: the default, false).</summary>
    public bool? Centered { get; init; }

    /// <summary>AMSGrad variant of adam and adamw (null: the default, false).</summary>
    public bool? AmsGrad { get; init; }

    /// <summary>Epochs without improvement of the validation loss before the plateau schedule reduces the rate.</summary>
    public int PlateauPatience { get; init; } = 2;

    /// <summary>Factor of each reduction of the plateau schedule, in (0, 1).</summary>
    public double PlateauFactor { get; init; } = 0.1;

    /// <summary>Peak rate of the onecycle schedule (null: <see cref="LearningRate"/>); it starts at a 25th of it and ends near 0.</summary>
    public double? MaxLr { get; init; }

    /// <summary>Fraction of the onecycle schedule spent increasing the rate.</summary>
    public double PctStart { get; init; } = 0.3;

    /// <summary>The optimiser settings these options describe.</summary>
    public OptimizerSettings ToOptimizerSettings() => new()
    {
        Lr = LearningRate,
        Momentum = Momentum,
        Nesterov = Nesterov,
        WeightDecay = WeightDecay,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Eps = Eps,
        Alpha = Alpha,
        Rho = Rho,
        Centered = Centered,
        AmsGrad = AmsGrad,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
        }
        Check(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Check(ValidationFraction >= 0 && ValidationFraction < 1, nameof(ValidationFraction), ValidationFraction, "must be in [0, 1)");
        Check(TopK >= 1, nameof(TopK), TopK, "must be at least 1");
        foreach (var (name, v) in new[] { (nameof(L1), L1), (nameof(L2), L2), (nameof(GradClipNorm), GradClipNorm), (nameof(GradClipValue), GradClipValue), (nameof(MaxNorm), MaxNorm), (nameof(EarlyStoppingMinDelta), EarlyStoppingMinDelta) })
            Check(v >= 0 && double.IsFinite(v), name, v, "must be finite and non-negative (0 = off)");
        Check(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be non-negative (0 = off)");
        Check(PlateauPatience >= 0, nameof(PlateauPatience), PlateauPatience, "must be non-negative");
        Check(PlateauFactor > 0 && PlateauFactor < 1, nameof(PlateauFactor), PlateauFactor, "must be in (0, 1)");
        Check(MaxLr is null || MaxLr > 0, nameof(MaxLr), MaxLr ?? 0, "must be greater than 0");
        Check(PctStart > 0 && PctStart < 1, nameof(PctStart), PctStart, "must be in (0, 1)");
        var taken = OptimizerFactory.SettingsOf(Optimizer);
        foreach (var (name, set) in new[]
        {
            (nameof(Beta1), Beta1 is not null), (nameof(Beta2), Beta2 is not null), (nameof(Eps), Eps is not null), (nameof(Alpha), Alpha is not null),
            (nameof(Rho), Rho is not null), (nameof(Centered), Centered is not null), (nameof(AmsGrad), AmsGrad is not null),
        })
            if (set && !taken.Contains(name))
                throw new ArgumentException($"The optimizer {Optimizer} has no setting {name} (it takes {string.Join(", ", taken)}).", nameof(Optimizer));
    }
}

/// <summary>Progress inside an epoch, after each optimiser step.</summary>
/// <param name="Epoch">Epoch index (from 1).</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches in the epoch.</param>
/// <param name="Loss">Running mean training loss (cross-entropy) of the epoch.</param>
/// <param name="Accuracy">Running training accuracy of the epoch.</param>
/// <param name="ImagesPerSecond">Training throughput so far in the epoch.</param>
/// <param name="Step">Optimiser steps taken since the start of training, this one included.</param>
/// <param name="StepLoss">This batch's objective: cross-entropy plus the L1/L2 penalties.</param>
/// <param name="LearningRate">The learning rate of this step.</param>
public sealed record BatchReport(int Epoch, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond, long Step = 0, double StepLoss = double.NaN, double LearningRate = double.NaN);

/// <summary>The result of one epoch.</summary>
/// <param name="Epoch">Epoch index (from 1).</param>
/// <param name="LearningRate">Learning rate at the start of the epoch.</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="TrainAccuracy">Training accuracy (with dropout and augmentation active).</param>
/// <param name="TestLoss">Test loss (NaN without a test set).</param>
/// <param name="TestAccuracy">Test accuracy.</param>
/// <param name="Seconds">Wall time of the epoch's training part.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
public sealed record EpochReport(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double Seconds, double ImagesPerSecond)
{
    /// <summary>Loss on the validation set: the held-out split, or the test set when <see cref="TrainerOptions.ValidationFraction"/> is 0 (NaN when neither). Schedules and callbacks monitor it.</summary>
    public double ValidationLoss { get; init; } = double.NaN;

    /// <summary>Accuracy on the validation set (see <see cref="ValidationLoss"/>).</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;

    /// <summary>Top-k accuracy on the validation set, k = <see cref="TopK"/>.</summary>
    public double ValidationTopKAccuracy { get; init; } = double.NaN;

    /// <summary>Top-k accuracy on the test set.</summary>
    public double TestTopKAccuracy { get; init; } = double.NaN;

    /// <summary>The k of the top-k accuracies.</summary>
    public int TopK { get; init; }

    /// <summary>True when the validation metrics come from a split held out of the training set (false: from the test set).</summary>
    public bool HeldOut { get; init; }
}

/// <summary>Loss, accuracy and confusion matrix (rows: true class, columns: predicted class) of a model on a data set.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction correct.</param>
/// <param name="Confusion">Counts [true, predicted].</param>
public sealed record Evaluation(double Loss, double Accuracy, long[,] Confusion)
{
    /// <summary>Fraction of samples whose true class is among the <see cref="TopK"/> highest scores (NaN when not computed).</summary>
    public double TopKAccuracy { get; init; } = double.NaN;

    /// <summary>The k of <see cref="TopKAccuracy"/>.</summary>
    public int TopK { get; init; }

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
/// Trains an image classifier with cross-entropy, one epoch at a time: optionally holds out a seeded validation split,
/// adds the L1/L2 penalties, clips gradients, applies the max-norm constraint, steps the schedule (per epoch, per batch for
/// onecycle, with the validation loss for plateau), evaluates (loss, accuracy, top-k) and runs the
/// <see cref="Callbacks"/>. Its checkpoints hold the model, optimiser, scheduler, history and both generators
/// (weights/dropout and data order/augmentation), so a resumed run continues exactly as an uninterrupted one; the
/// callbacks rebuild their state from the history.
/// <code>
/// var trainer = new ClassifierTrainer(model, generator, new TrainerOptions(Epochs: 20) { ValidationFraction = 0.1, EarlyStoppingPatience = 3 });
/// trainer.Callbacks.Add(new NanTermination());
/// trainer.Callbacks.Add(new CheckpointBest("runs/x/best.safetensors"));
/// trainer.Fit(train, test);
/// </code>
/// </summary>
public sealed class ClassifierTrainer
{
    private const string StoppedKey = "stopped", StepsPerEpochKey = "steps_per_epoch";

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly Generator dataGenerator;
    private readonly List<EpochReport> history = [];
    private IDataset? splitSource;
    private (IDataset Fit, IDataset? Validation) split;
    private bool began;

    /// <summary>Creates a trainer. <paramref name="modelGenerator"/> is the generator the model was built with (it also drives dropout); its state is checkpointed.</summary>
    /// <exception cref="ArgumentException">An invalid option (named by the message).</exception>
    public ClassifierTrainer(Module<Tensor, Tensor> model, Generator modelGenerator, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(modelGenerator);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        ModelGenerator = modelGenerator;
        Options = options;
        dataGenerator = new Generator(options.Seed + 1);
        Optimizer = OptimizerFactory.Create(options.Optimizer, model.Parameters(), options.ToOptimizerSettings());
        Scheduler = options.Schedule.ToLowerInvariant() switch
        {
            "none" => null,
            "step" => new StepLR(Optimizer, options.StepSize, options.Gamma),
            "exp" => new ExponentialLR(Optimizer, options.Gamma),
            "inverse-time" => new InverseTimeLR(Optimizer, options.Gamma),
            "cosine" => new CosineAnnealingLR(Optimizer, options.Epochs),
            "warmup-cosine" => WarmupCosine(Optimizer, options.Epochs),
            "plateau" => new ReduceLROnPlateau(Optimizer, MetricMode.Min, options.PlateauFactor, options.PlateauPatience),
            "onecycle" => null,  // created at the first epoch, when the number of batches is known
            _ => throw new ArgumentException($"Unknown schedule '{options.Schedule}' (expected {string.Join(", ", Schedules)}).", nameof(options)),
        };
        if (options.EarlyStoppingPatience > 0)
        {
            EarlyStopping = new EarlyStoppingCallback(options.EarlyStoppingPatience, options.EarlyStoppingMinDelta, restoreBestWeights: options.RestoreBestWeights);
            Callbacks.Add(EarlyStopping);
        }
    }

    /// <summary>The schedule names <see cref="TrainerOptions.Schedule"/> accepts.</summary>
    public static IReadOnlyList<string> Schedules { get; } = ["none", "step", "exp", "inverse-time", "cosine", "warmup-cosine", "plateau", "onecycle"];

    /// <summary>Linear warm-up from a tenth of the rate over the first tenth of the epochs (at least one), then cosine annealing to zero.</summary>
    private static SequentialLR WarmupCosine(Optimizer optimizer, int epochs)
    {
        int warm = Math.Max(1, epochs / 10);
        return new SequentialLR(optimizer, [new LinearLR(optimizer, 0.1, 1.0, warm), new CosineAnnealingLR(optimizer, Math.Max(1, epochs - warm))], [warm]);
    }

    private bool IsOneCycle => Options.Schedule.Equals("onecycle", StringComparison.OrdinalIgnoreCase);

    /// <summary>The model being trained.</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>The generator the model was created with (initialisation and dropout).</summary>
    public Generator ModelGenerator { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; }

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

    private static Transform Augmentation() => new Compose(new RandomCrop(28, padding: 2), new RandomHorizontalFlip(), new RandomErasing(p: 0.25));

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
        int epoch = Epoch + 1;
        var loader = new DataLoader(fit, Options.BatchSize, shuffle: true, generator: dataGenerator,
            transform: Options.Augment ? Augmentation() : null, prefetch: Options.Prefetch, device: Model.Device);
        if (IsOneCycle) EnsureOneCycle(loader.Count);
        if (!began) BeginTraining();
        double lr = Optimizer.ParamGroups[0].Lr;
        Model.Train();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int batch = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (x, y) in loader)
        {
            using var scope = new TensorScope();
            double stepLr = Optimizer.ParamGroups[0].Lr;
            var (loss, objective, hits) = TrainStep(x, y);
            if (IsOneCycle) Scheduler!.Step();
            int n = y.NumEl;
            lossSum += loss * n;
            correct += hits;
            seen += n;
            batch++;
            var batchReport = new BatchReport(epoch, batch, loader.Count, lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds, Steps, objective, stepLr);
            onBatch?.Invoke(batchReport);
            foreach (var callback in Callbacks) callback.OnBatchEnd(this, batchReport);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Evaluation? testEval = test is null ? null : Evaluate(test);
        Evaluation? valEval = validation is null ? testEval : Evaluate(validation);
        if (plateau) ((ReduceLROnPlateau)Scheduler!).Step(valEval!.Loss);
        else if (!IsOneCycle) Scheduler?.Step();
        var report = new EpochReport(epoch, lr, lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1),
            testEval?.Loss ?? double.NaN, testEval?.Accuracy ?? double.NaN, seconds, seen / seconds)
        {
            ValidationLoss = valEval?.Loss ?? double.NaN,
            ValidationAccuracy = valEval?.Accuracy ?? double.NaN,
            ValidationTopKAccuracy = valEval?.TopKAccuracy ?? double.NaN,
            TestTopKAccuracy = testEval?.TopKAccuracy ?? double.NaN,
            TopK = Options.TopK,
            HeldOut = validation is not null,
        };
        history.Add(report);
        foreach (var callback in Callbacks)
        {
            var result = callback.OnEpochEnd(this, report);
            if (result.Stop) StopReason ??= result.Reason ?? callback.GetType().Name + " stopped training.";
        }
        return report;
    }

    /// <summary>
    /// One optimiser step on a batch (inside the caller's <see cref="TensorScope"/>): cross-entropy plus penalties, backward,
    /// gradient clipping, the step, the max-norm constraint. Returns the cross-entropy, the objective and the number correct.
    /// </summary>
    internal (double Loss, double Objective, long Correct) TrainStep(Tensor x, Tensor y)
    {
        Optimizer.ZeroGrad(setToNone: false);
        var logits = Model.Forward(x);
        var loss = Functional.CrossEntropy(logits, y);
        var objective = Penalized(loss);
        objective.Backward();
        if (Options.GradClipValue > 0) Utils.ClipGradValue(Model.Parameters(), Options.GradClipValue);
        if (Options.GradClipNorm > 0) Utils.ClipGradNorm(Model.Parameters(), Options.GradClipNorm);
        Optimizer.Step();
        if (Options.MaxNorm > 0) MaxNormConstraint.Apply(Model, Options.MaxNorm);
        Steps++;
        int n = y.NumEl;
        double value = loss.Item();
        return (value, ReferenceEquals(objective, loss) ? value : objective.Item(), (long)Math.Round(Functional.Accuracy(logits, y) * n));
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

    /// <summary>Swaps in the weights the model is evaluated with (the running average under averaged SGD) until disposed; null when they are the model's own.</summary>
    public IDisposable? UseEvaluationWeights() => Optimizer is AveragedSgd asgd ? asgd.UseAverage() : null;

    /// <summary>Evaluates the model in eval mode (with the averaged weights under averaged SGD): loss, accuracy, top-k accuracy, confusion matrix.</summary>
    public Evaluation Evaluate(IDataset data, int numClasses = 10)
    {
        using var average = UseEvaluationWeights();
        return Evaluate(Model, data, Math.Max(Options.BatchSize, 256), numClasses, Options.TopK);
    }

    /// <summary>Evaluates any classifier: mean cross-entropy, accuracy, top-<paramref name="topK"/> accuracy and confusion matrix.</summary>
    public static Evaluation Evaluate(Module<Tensor, Tensor> model, IDataset data, int batchSize = 256, int numClasses = 10, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = model.Training;
        model.Eval();
        var confusion = new long[numClasses, numClasses];
        double lossSum = 0;
        long correct = 0, topCorrect = 0, seen = 0;
        using var noGrad = GradMode.NoGrad();
        foreach (var (x, y) in new DataLoader(data, batchSize, device: model.Device))
        {
            using var scope = new TensorScope();
            var logits = model.Forward(x);
            lossSum += Functional.CrossEntropy(logits, y, reduction: Reduction.Sum).Item();
            topCorrect += Metrics.TopKCorrect(logits, y, topK);
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
        return new Evaluation(lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), confusion)
        {
            TopKAccuracy = (double)topCorrect / Math.Max(seen, 1),
            TopK = topK,
        };
    }

    /// <summary>Writes a training checkpoint (atomically): weights, optimiser, scheduler, generators, history, options, stop reason.</summary>
    public void SaveCheckpoint(string path, string modelName)
    {
        var info = new CheckpointInfo { Epoch = Epoch, Step = Steps };
        info.CaptureGenerator("model", ModelGenerator).CaptureGenerator("data", dataGenerator);
        info.Metadata["model"] = modelName;
        info.Metadata["options"] = JsonSerializer.Serialize(Options, Json);
        info.Metadata["history"] = JsonSerializer.Serialize(history, Json);
        if (StopReason is not null) info.Metadata[StoppedKey] = StopReason;
        if (Scheduler is OneCycleLR cycle) info.Metadata[StepsPerEpochKey] = (cycle.TotalSteps / Options.Epochs).ToString(CultureInfo.InvariantCulture);
        Checkpoint.Save(path, Model, Optimizer, Scheduler, info);
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer (same model and options). The callbacks rebuild their state from the restored history at the next epoch.</summary>
    public void LoadCheckpoint(string path)
    {
        if (IsOneCycle)
        {
            var saved = Checkpoint.ReadInfo(path);
            if (!saved.Metadata.TryGetValue(StepsPerEpochKey, out var spe) || !int.TryParse(spe, NumberStyles.None, CultureInfo.InvariantCulture, out int stepsPerEpoch) || stepsPerEpoch < 1)
                throw new InvalidDataException($"{path}: a onecycle checkpoint must record its steps per epoch.");
            EnsureOneCycle(stepsPerEpoch);
        }
        var info = Checkpoint.Load(path, Model, Optimizer, Scheduler);
        info.RestoreGenerator("model", ModelGenerator);
        info.RestoreGenerator("data", dataGenerator);
        Steps = info.Step;
        history.Clear();
        if (info.Metadata.TryGetValue("history", out var json)) history.AddRange(JsonSerializer.Deserialize<List<EpochReport>>(json, Json) ?? []);
        if (history.Count != info.Epoch)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the checkpoint says epoch {info.Epoch} but holds {history.Count} epochs of history."));
        StopReason = info.Metadata.GetValueOrDefault(StoppedKey);
        began = false;
    }

    /// <summary>Reads the model name and options stored in a training checkpoint.</summary>
    public static (string Model, TrainerOptions Options) ReadCheckpointSettings(string path)
    {
        var info = Checkpoint.ReadInfo(path);
        if (!info.Metadata.TryGetValue("model", out var model) || !info.Metadata.TryGetValue("options", out var options))
            throw new InvalidDataException($"{path}: not a training checkpoint written by axon train (no model name or options in its metadata).");
        return (model, JsonSerializer.Deserialize<TrainerOptions>(options, Json) ?? throw new InvalidDataException($"{path}: unreadable options."));
    }
}
