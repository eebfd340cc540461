using System.Text.Json.Serialization;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>
/// How to train: the run's length and batch size, the optimiser (by name, with its hyper-parameters as the factory takes
/// them), the schedule, the regularisers, validation and early stopping. Every setting is also described once in
/// <see cref="TrainingSettings.All"/> (its command-line name, rule and description), from which the command line builds
/// its options and <see cref="Validate"/> checks the values; the defaults are the default recipe of <c>axon train</c>.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Number of passes over the training set.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The optimiser, one of <see cref="OptimizerFactory.Names"/>.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>
    /// The optimiser's hyper-parameters, as <see cref="OptimizerFactory"/> takes them (a null field takes the optimiser's
    /// default; setting one the optimiser does not take fails <see cref="Validate"/>). Null (the default) means <see cref="Recipe"/>: the recipe's rate
    /// 0.05, momentum 0.9 and weight decay 5e-4 for sgd, the optimiser's own defaults for the others.
    /// </summary>
    public OptimizerSettings? OptimizerSettings { get; init; }

    /// <summary>The hyper-parameters the optimiser is created with: <see cref="OptimizerSettings"/>, or the <see cref="Recipe"/> of <see cref="Optimizer"/>.</summary>
    [JsonIgnore]
    public OptimizerSettings Hyperparameters => OptimizerSettings ?? Recipe(Optimizer);

    /// <summary>The initial learning rate (the optimiser's default when <see cref="Hyperparameters"/> leaves it unset).</summary>
    [JsonIgnore]
    public double LearningRate => Hyperparameters.Lr ?? OptimizerFactory.DefaultLr(Optimizer);

    /// <summary>The default hyper-parameters of <c>axon train</c> for <paramref name="optimizer"/>: for sgd rate 0.05, momentum 0.9 and weight decay 5e-4 (the lecture CNN's recipe); none for the others, which take their own defaults.</summary>
    public static OptimizerSettings Recipe(string optimizer) =>
        string.Equals(optimizer?.Trim(), "sgd", StringComparison.OrdinalIgnoreCase) ? new() { Lr = 0.05, Momentum = 0.9, WeightDecay = 5e-4 } : new();

    /// <summary>Schedule, one of <see cref="Trainer.Schedules"/>: "none", "step" (multiply by <see cref="Gamma"/> every <see cref="StepSize"/> epochs), "exp", "inverse-time", "cosine", "warmup-cosine", "plateau" or "onecycle" (per batch).</summary>
    public string Schedule { get; init; } = "step";

    /// <summary>Epochs between decays of the step schedule.</summary>
    public int StepSize { get; init; } = 4;

    /// <summary>Decay factor of the step, exp and inverse-time schedules.</summary>
    public double Gamma { get; init; } = 0.3;

    /// <summary>Epochs without improvement of the validation loss before the plateau schedule reduces the rate.</summary>
    public int PlateauPatience { get; init; } = 2;

    /// <summary>Factor of each reduction of the plateau schedule, in (0, 1).</summary>
    public double PlateauFactor { get; init; } = 0.1;

    /// <summary>Peak rate of the onecycle schedule (null: <see cref="LearningRate"/>); it starts at a 25th of it and ends near 0.</summary>
    public double? MaxLr { get; init; }

    /// <summary>Fraction of the onecycle schedule spent increasing the rate.</summary>
    public double PctStart { get; init; } = 0.3;

    /// <summary>Augment the training batches (the task's augmentation; for images: random crop, horizontal flip, random erasing).</summary>
    public bool Augment { get; init; }

    /// <summary>
    /// Probability of random erasing in a classifier's image augmentation (<see cref="Augment"/>; default 0.25, 0 = crop and
    /// flip only). A short run may fit better with less of it: the regularisation pays over many epochs.
    /// </summary>
    public double Erasing { get; init; } = 0.25;

    /// <summary>Seed of the data order, augmentation and validation split (the model's generator is the caller's).</summary>
    public long Seed { get; init; }

    /// <summary>Batches prepared ahead on a background thread (0 = none).</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>Fraction of the training set held out (a split seeded by <see cref="Seed"/>) to validate on after each epoch; 0 validates on the test set.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Coefficient λ₁ of the L1 penalty λ₁ Σ |w| added to the loss (0 = none). With <see cref="L2"/> as well, the elastic net.</summary>
    public double L1 { get; init; }

    /// <summary>Coefficient λ₂ of the L2 penalty λ₂ Σ w² added to the loss (0 = none; unlike weight decay it is part of the reported objective).</summary>
    public double L2 { get; init; }

    /// <summary>Include the biases in the L1/L2 penalties (by default only the weights are penalised).</summary>
    public bool PenalizeBiases { get; init; }

    /// <summary>Clip the gradients' total L2 norm to this value before each step (0 = no clipping).</summary>
    public double GradClipNorm { get; init; }

    /// <summary>Clamp every gradient element to [−v, v] before each step (0 = no clipping).</summary>
    public double GradClipValue { get; init; }

    /// <summary>Max-norm constraint: after each step, rescale every unit's incoming weights to at most this L2 norm (0 = none).</summary>
    public double MaxNorm { get; init; }

    /// <summary>
    /// Label smoothing ε in [0, 1) of a classifier's training loss (<see cref="ClassificationTask"/>): the targets become
    /// (1 − ε)·one-hot + ε/C, as PyTorch's <c>CrossEntropyLoss(label_smoothing=ε)</c> (see
    /// <see cref="Functional.CrossEntropy"/>). Only the training loss is smoothed (the loss that is minimised and the
    /// reported training loss); the validation and test losses stay plain cross-entropy, as PyTorch users report them.
    /// 0 (the default) is off; <see cref="Validate"/> rejects a value outside [0, 1). Other tasks ignore it.
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>
    /// Test-time flip augmentation of a classifier (<see cref="ClassificationTask"/>): when it is evaluated on images
    /// [N, C, H, W] (each epoch's validation and test evaluation, <see cref="Trainer.Evaluate"/>), its logits are the mean
    /// of the model's logits on the batch and on the batch mirrored left-right; the loss, accuracy and top-k accuracy are
    /// computed from those. Training is unchanged. Pass it on to <see cref="ClassificationTask.EvaluateClasses"/> for a
    /// final evaluation. Other tasks ignore it.
    /// </summary>
    public bool FlipTta { get; init; }

    /// <summary>
    /// Evaluate the test set passed to <see cref="Trainer.TrainEpoch"/> every this many epochs and after the last one
    /// (default 1: every epoch). A test evaluation with <see cref="FlipTta"/> costs about a ninth of a ResNet epoch on a
    /// CPU, so a short run spends less of its time on its curve. Epochs in between report a NaN test loss and no test
    /// metrics; a held-out validation split is still evaluated every epoch. Without one, the plateau schedule and early
    /// stopping need the test set every epoch, and <see cref="Validate"/> rejects a value above 1 with them.
    /// </summary>
    public int EvalEvery { get; init; } = 1;

    /// <summary>
    /// Decay of an exponential moving average of the weights (<see cref="ExponentialMovingAverage"/>, with warm-up), updated
    /// after every step and evaluated in place of the model's own weights (each epoch's validation and test evaluation,
    /// <see cref="Trainer.UseEvaluationWeights"/>); 0.999 averages about the last 1,000 steps. 0 (the default) is off;
    /// <see cref="Validate"/> rejects a value outside [0, 1), and any with averaged SGD (which evaluates its own average) or
    /// with early stopping that restores the best epoch's weights (its own, not their average).
    /// </summary>
    public double Ema { get; init; }

    /// <summary>Stop when the validation loss has not improved for this many epochs (0 = no early stopping).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Smallest decrease of the validation loss that counts as an improvement for early stopping.</summary>
    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>With early stopping, load the best epoch's weights back at the end of training (default true).</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting whose value breaks its rule (see
    /// <see cref="TrainingSettings"/>), or <see cref="ArgumentException"/> for an unknown optimiser or schedule or a
    /// hyper-parameter the optimiser does not take.
    /// </summary>
    public void Validate()
    {
        foreach (var setting in TrainingSettings.All)
        {
            var value = setting.Get(this);
            if (setting.IsValid(value)) continue;
            string message = $"{setting.Name} {setting.Rule} (got {TrainingSetting.Show(value)}).";
            // An unknown name is not a value out of a range.
            throw setting.Choices is null ? new ArgumentOutOfRangeException(setting.Name, value, message) : new ArgumentException(message, setting.Name);
        }
        if (Prefetch < 0) throw new ArgumentOutOfRangeException(nameof(Prefetch), Prefetch, "Prefetch must be non-negative.");
        if (EvalEvery > 1 && ValidationFraction == 0 && (Schedule == "plateau" || EarlyStoppingPatience > 0))
            throw new ArgumentException($"eval-every {EvalEvery}: without a validation split (--validation) the {(Schedule == "plateau" ? "plateau schedule" : "early stopping")} watches the test loss, which must then be evaluated every epoch.", nameof(EvalEvery));
        if (Ema > 0 && string.Equals(Optimizer.Trim(), "asgd", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"ema {Ema.ToString(System.Globalization.CultureInfo.InvariantCulture)}: averaged SGD evaluates its own average of the weights; use one or the other.", nameof(Ema));
        if (Ema > 0 && EarlyStoppingPatience > 0 && RestoreBestWeights)
            throw new ArgumentException($"ema {Ema.ToString(System.Globalization.CultureInfo.InvariantCulture)}: early stopping would restore the best epoch's own weights, not their average; turn off restoring the best weights or the average.", nameof(Ema));
        var taken = OptimizerFactory.SettingsOf(Optimizer);
        foreach (var setting in TrainingSettings.All)
            if (setting.OptimizerSetting is string name && !taken.Contains(name) && setting.Get(this) is not null)
                throw new ArgumentException($"The optimizer {Optimizer} has no setting {name} (it takes {string.Join(", ", taken)}).", nameof(OptimizerSettings));
    }
}
