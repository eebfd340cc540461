using System.Globalization;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>Which part of a run a setting belongs to (the command line groups and filters by it).</summary>
public enum SettingKind
{
    /// <summary>The run's length, batch size, data augmentation and seed.</summary>
    Run,

    /// <summary>The optimiser and its hyper-parameters.</summary>
    Optimizer,

    /// <summary>Penalties, clipping and constraints.</summary>
    Regularization,

    /// <summary>The learning-rate schedule (a full run only, not a range test).</summary>
    Schedule,

    /// <summary>Validation, early stopping and how a classifier is evaluated (a full run only).</summary>
    Validation,
}

/// <summary>
/// One setting of a training run: its name as the command line spells it (without the dashes), what it does, its
/// value type, how it is read from and written to <see cref="TrainerOptions"/>, the rule its values obey, and, for an
/// optimiser hyper-parameter, the <see cref="OptimizerSettings"/> property it is.
/// </summary>
public sealed class TrainingSetting
{
    private readonly Func<object?, bool> valid;

    internal TrainingSetting(string name, SettingKind kind, Type type, string description, Func<TrainerOptions, object?> get, Func<TrainerOptions, object?, TrainerOptions> set,
        string rule, Func<object?, bool> valid, string? optimizerSetting = null, IReadOnlyList<string>? choices = null)
    {
        Name = name;
        Kind = kind;
        Type = type;
        Description = description;
        Get = get;
        Set = set;
        Rule = rule;
        this.valid = valid;
        OptimizerSetting = optimizerSetting;
        Choices = choices;
    }

    /// <summary>The name, e.g. "lr", "weight-decay" (the command line's <c>--lr</c>, <c>--weight-decay</c>).</summary>
    public string Name { get; }

    /// <summary>The part of the run it belongs to.</summary>
    public SettingKind Kind { get; }

    /// <summary>The value's type (int, long, double, bool, string, or nullable double/bool for a value that may be left to a default).</summary>
    public Type Type { get; }

    /// <summary>What it does, one sentence.</summary>
    public string Description { get; }

    /// <summary>Reads the value from options.</summary>
    public Func<TrainerOptions, object?> Get { get; }

    /// <summary>Returns options with the value set.</summary>
    public Func<TrainerOptions, object?, TrainerOptions> Set { get; }

    /// <summary>The rule the value obeys, as an error message finishes it: "must be at least 1".</summary>
    public string Rule { get; }

    /// <summary>For an optimiser hyper-parameter, the <see cref="OptimizerSettings"/> property it is (see <see cref="OptimizerFactory.SettingsOf"/>).</summary>
    public string? OptimizerSetting { get; }

    /// <summary>The allowed values of a name setting (the optimiser, the schedule), or null.</summary>
    public IReadOnlyList<string>? Choices { get; }

    /// <summary>Whether <paramref name="value"/> obeys the rule.</summary>
    public bool IsValid(object? value) => valid(value);

    /// <summary>Whether the optimiser <paramref name="optimizer"/> takes this setting (true for settings that are not hyper-parameters).</summary>
    public bool AppliesTo(string optimizer) => OptimizerSetting is null || OptimizerFactory.SettingsOf(optimizer).Contains(OptimizerSetting);

    /// <summary>A value as messages show it (invariant culture; null as "the default").</summary>
    public static string Show(object? value) => value switch
    {
        null => "the default",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// The one list of training settings: <see cref="TrainerOptions"/>' fields and the optimisers' hyper-parameters, each
/// once, with its name, rule and description. <see cref="TrainerOptions.Validate"/> checks against it, the command line
/// builds its options from it (so an option, its default, its check and its help text cannot drift apart), and a
/// resumed run compares the typed values with the saved ones through it.
/// </summary>
public static class TrainingSettings
{
    private static bool Positive(object? v) => v is double d && d > 0 && double.IsFinite(d);

    private static bool NonNegative(object? v) => v is double d && d >= 0 && double.IsFinite(d);

    private static bool Optional(object? v, Func<double, bool> rule) => v is null || (v is double d && rule(d));

    private static TrainerOptions SetHyper(TrainerOptions o, Func<OptimizerSettings, OptimizerSettings> set) => o with { OptimizerSettings = set(o.Hyperparameters) };

    private static TrainingSetting Hyper(string name, string property, string description, Func<OptimizerSettings, double?> get, Func<OptimizerSettings, double?, OptimizerSettings> set, string rule, Func<double, bool> valid) =>
        new(name, SettingKind.Optimizer, typeof(double?), description, o => get(o.Hyperparameters), (o, v) => SetHyper(o, s => set(s, (double?)v)), rule, v => Optional(v, valid), property);

    private static TrainingSetting Flag(string name, string property, string description, Func<OptimizerSettings, bool?> get, Func<OptimizerSettings, bool?, OptimizerSettings> set) =>
        new(name, SettingKind.Optimizer, typeof(bool?), description, o => get(o.Hyperparameters), (o, v) => SetHyper(o, s => set(s, (bool?)v)), "must be true or false", _ => true, property);

    private static TrainingSetting Number(string name, SettingKind kind, string description, Func<TrainerOptions, double> get, Func<TrainerOptions, double, TrainerOptions> set, string rule, Func<double, bool> valid) =>
        new(name, kind, typeof(double), description, o => get(o), (o, v) => set(o, (double)v!), rule, v => v is double d && valid(d));

    private static TrainingSetting Count(string name, SettingKind kind, string description, Func<TrainerOptions, int> get, Func<TrainerOptions, int, TrainerOptions> set, string rule, Func<int, bool> valid) =>
        new(name, kind, typeof(int), description, o => get(o), (o, v) => set(o, (int)v!), rule, v => v is int i && valid(i));

    private static TrainingSetting Switch(string name, SettingKind kind, string description, Func<TrainerOptions, bool> get, Func<TrainerOptions, bool, TrainerOptions> set) =>
        new(name, kind, typeof(bool), description, o => get(o), (o, v) => set(o, (bool)v!), "must be true or false", v => v is bool);

    /// <summary>Every setting, in the order the help lists them.</summary>
    public static IReadOnlyList<TrainingSetting> All { get; } =
    [
        Count("epochs", SettingKind.Run, "Epochs.", o => o.Epochs, (o, v) => o with { Epochs = v }, "must be at least 1", v => v >= 1),
        Count("batch-size", SettingKind.Run, "Mini-batch size.", o => o.BatchSize, (o, v) => o with { BatchSize = v }, "must be at least 1", v => v >= 1),
        Switch("augment", SettingKind.Run, "Augment the training batches (images: random crop, horizontal flip, random erasing).", o => o.Augment, (o, v) => o with { Augment = v }),
        Number("erasing", SettingKind.Run, "With --augment, a classifier's random-erasing probability (0 = crop and flip only).", o => o.Erasing, (o, v) => o with { Erasing = v }, "must be in [0, 1]", d => d is >= 0 and <= 1),
        new("seed", SettingKind.Run, typeof(long), "Random seed (weights, data order, augmentation, dropout, validation split).", o => o.Seed, (o, v) => o with { Seed = (long)v! }, "must be a whole number", v => v is long),

        new("optimizer", SettingKind.Optimizer, typeof(string), "Optimiser (asgd is the lecture's averaged SGD, torch-asgd PyTorch's).", o => o.Optimizer, (o, v) => o with { Optimizer = (string)v! },
            "must be one of " + string.Join(", ", OptimizerFactory.Names), v => v is string s && OptimizerFactory.Names.Contains(s), choices: OptimizerFactory.Names),
        Hyper("lr", nameof(OptimizerSettings.Lr), "Learning rate.", s => s.Lr, (s, v) => s with { Lr = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("momentum", nameof(OptimizerSettings.Momentum), "Momentum factor.", s => s.Momentum, (s, v) => s with { Momentum = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("dampening", nameof(OptimizerSettings.Dampening), "Dampening of the momentum.", s => s.Dampening, (s, v) => s with { Dampening = v }, "must be finite", double.IsFinite),
        Flag("nesterov", nameof(OptimizerSettings.Nesterov), "Nesterov momentum.", s => s.Nesterov, (s, v) => s with { Nesterov = v }),
        Hyper("weight-decay", nameof(OptimizerSettings.WeightDecay), "Weight decay, decoupled for adamw (whose default is 1e-2).", s => s.WeightDecay, (s, v) => s with { WeightDecay = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("beta1", nameof(OptimizerSettings.Beta1), "β₁, the decay of the gradient's running mean; default 0.9.", s => s.Beta1, (s, v) => s with { Beta1 = v }, "must be in [0, 1)", d => d is >= 0 and < 1),
        Hyper("beta2", nameof(OptimizerSettings.Beta2), "β₂, the decay of its square's running mean; default 0.999.", s => s.Beta2, (s, v) => s with { Beta2 = v }, "must be in [0, 1)", d => d is >= 0 and < 1),
        Hyper("eps", nameof(OptimizerSettings.Eps), "ε of the denominator.", s => s.Eps, (s, v) => s with { Eps = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("alpha", nameof(OptimizerSettings.Alpha), "Smoothing constant of rmsprop (default 0.99) or decay power of torch-asgd (default 0.75).", s => s.Alpha, (s, v) => s with { Alpha = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("rho", nameof(OptimizerSettings.Rho), "Decay of the running averages; default 0.9.", s => s.Rho, (s, v) => s with { Rho = v }, "must be in [0, 1]", d => d is >= 0 and <= 1),
        Flag("centered", nameof(OptimizerSettings.Centered), "Centred RMSprop.", s => s.Centered, (s, v) => s with { Centered = v }),
        Flag("amsgrad", nameof(OptimizerSettings.AmsGrad), "AMSGrad.", s => s.AmsGrad, (s, v) => s with { AmsGrad = v }),
        Hyper("lr-decay", nameof(OptimizerSettings.LrDecay), "Learning-rate decay.", s => s.LrDecay, (s, v) => s with { LrDecay = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("initial-accumulator", nameof(OptimizerSettings.InitialAccumulatorValue), "Initial value of the squared-gradient accumulator.", s => s.InitialAccumulatorValue, (s, v) => s with { InitialAccumulatorValue = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("lambd", nameof(OptimizerSettings.Lambd), "Decay term λ of the rate.", s => s.Lambd, (s, v) => s with { Lambd = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Hyper("t0", nameof(OptimizerSettings.T0), "Step after which the averaging starts.", s => s.T0, (s, v) => s with { T0 = v }, "must be finite and non-negative", d => d >= 0 && double.IsFinite(d)),
        Flag("maximize", nameof(OptimizerSettings.Maximize), "Ascend the objective instead of descending it.", s => s.Maximize, (s, v) => s with { Maximize = v }),

        Number("l1", SettingKind.Regularization, "L1 penalty λ₁ Σ|w| added to the loss (0 = none; with --l2, the elastic net).", o => o.L1, (o, v) => o with { L1 = v }, "must be finite and non-negative (0 = off)", d => NonNegative(d)),
        Number("l2", SettingKind.Regularization, "L2 penalty λ₂ Σw² added to the loss (0 = none).", o => o.L2, (o, v) => o with { L2 = v }, "must be finite and non-negative (0 = off)", d => NonNegative(d)),
        Switch("penalize-biases", SettingKind.Regularization, "Include the biases in the L1/L2 penalties (default: weights only).", o => o.PenalizeBiases, (o, v) => o with { PenalizeBiases = v }),
        Number("clip-norm", SettingKind.Regularization, "Clip the gradients' total L2 norm to this value (0 = off).", o => o.GradClipNorm, (o, v) => o with { GradClipNorm = v }, "must be finite and non-negative (0 = off)", d => NonNegative(d)),
        Number("clip-value", SettingKind.Regularization, "Clamp every gradient element to [-v, v] (0 = off).", o => o.GradClipValue, (o, v) => o with { GradClipValue = v }, "must be finite and non-negative (0 = off)", d => NonNegative(d)),
        Number("max-norm", SettingKind.Regularization, "Max-norm constraint on every unit's incoming weights, applied after each step (0 = off).", o => o.MaxNorm, (o, v) => o with { MaxNorm = v }, "must be finite and non-negative (0 = off)", d => NonNegative(d)),
        Number("label-smoothing", SettingKind.Regularization, "Label smoothing ε of a classifier's training loss: targets (1 − ε)·one-hot + ε/C (0 = off; validation and test losses stay plain cross-entropy).",
            o => o.LabelSmoothing, (o, v) => o with { LabelSmoothing = v }, "must be in [0, 1) (0 = off)", d => d is >= 0 and < 1),

        new("schedule", SettingKind.Schedule, typeof(string), "Learning-rate schedule.", o => o.Schedule, (o, v) => o with { Schedule = (string)v! },
            "must be one of " + string.Join(", ", Trainer.Schedules), v => v is string s && Trainer.Schedules.Contains(s), choices: Trainer.Schedules),
        Count("step-size", SettingKind.Schedule, "Epochs between decays (step schedule).", o => o.StepSize, (o, v) => o with { StepSize = v }, "must be at least 1", v => v >= 1),
        Number("gamma", SettingKind.Schedule, "Decay factor of the step, exp and inverse-time schedules.", o => o.Gamma, (o, v) => o with { Gamma = v }, "must be finite and greater than 0", d => Positive(d)),
        Count("patience", SettingKind.Schedule, "Plateau schedule: epochs without improvement of the validation loss before reducing the rate.", o => o.PlateauPatience, (o, v) => o with { PlateauPatience = v }, "must be non-negative", v => v >= 0),
        Number("factor", SettingKind.Schedule, "Plateau schedule: factor of each reduction.", o => o.PlateauFactor, (o, v) => o with { PlateauFactor = v }, "must be in (0, 1)", d => d is > 0 and < 1),
        new("max-lr", SettingKind.Schedule, typeof(double?), "Onecycle schedule: peak rate (default --lr); it starts at a 25th of it.", o => o.MaxLr, (o, v) => o with { MaxLr = (double?)v }, "must be finite and greater than 0", v => Optional(v, d => d > 0 && double.IsFinite(d))),
        Number("pct-start", SettingKind.Schedule, "Onecycle schedule: fraction of the steps spent warming up.", o => o.PctStart, (o, v) => o with { PctStart = v }, "must be in (0, 1)", d => d is > 0 and < 1),

        Number("validation", SettingKind.Validation, "Fraction of the training set held out for validation (0: validate on the test set).", o => o.ValidationFraction, (o, v) => o with { ValidationFraction = v }, "must be in [0, 1)", d => d is >= 0 and < 1),
        Count("early-stopping", SettingKind.Validation, "Stop after this many epochs without improvement of the validation loss, and keep the best epoch's weights (0 = off).", o => o.EarlyStoppingPatience, (o, v) => o with { EarlyStoppingPatience = v }, "must be non-negative (0 = off)", v => v >= 0),
        Number("min-delta", SettingKind.Validation, "Early stopping: smallest decrease of the validation loss that counts.", o => o.EarlyStoppingMinDelta, (o, v) => o with { EarlyStoppingMinDelta = v }, "must be finite and non-negative", d => NonNegative(d)),
        Switch("flip-tta", SettingKind.Validation, "Evaluate a classifier on the mean of its logits on each image and on its left-right mirror (test-time flip augmentation; training is unchanged).",
            o => o.FlipTta, (o, v) => o with { FlipTta = v }),
        Number("ema", SettingKind.Validation, "Evaluate an exponential moving average of the weights with this decay, e.g. 0.999 (0 = off).", o => o.Ema, (o, v) => o with { Ema = v }, "must be in [0, 1)", d => d is >= 0 and < 1),
        Count("eval-every", SettingKind.Validation, "Evaluate on the test set every this many epochs and after the last (1 = every epoch).", o => o.EvalEvery, (o, v) => o with { EvalEvery = v }, "must be at least 1", v => v >= 1),
    ];

    /// <summary>The setting named <paramref name="name"/>; throws listing the names when there is none.</summary>
    public static TrainingSetting Find(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"No training setting '{name}'; the settings are {string.Join(", ", All.Select(s => s.Name))}.", nameof(name));

    /// <summary>
    /// The settings of <paramref name="options"/> that differ from the defaults and apply to its optimiser, as
    /// "name value" pairs ("lr 0.1", "nesterov"): a one-line description of a run.
    /// </summary>
    public static IEnumerable<string> Describe(TrainerOptions options, Func<TrainingSetting, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = new TrainerOptions { Optimizer = options.Optimizer };
        foreach (var s in All)
        {
            if (include is not null && !include(s)) continue;
            var value = s.Get(options);
            if (Equals(value, s.Get(defaults)) || !s.AppliesTo(options.Optimizer)) continue;
            yield return value is true ? s.Name : value is null or false ? $"{s.Name} off" : $"{s.Name} {TrainingSetting.Show(value)}";
        }
    }
}
