using System.CommandLine;
using System.CommandLine.Parsing;
using Axon.Models;
using Axon.Models.Training;
using Axon.Optim;

namespace Axon.Cli;

/// <summary>The command-line options shared by <c>axon train</c> and <c>axon lr-find</c>: model, data, optimiser with its hyper-parameters, regularisers.</summary>
internal sealed class TrainingOptionSet
{
    private static readonly TrainerOptions Defaults = new();

    public Option<string> Model { get; } = new("--model") { Description = "Model: " + string.Join(", ", ModelZoo.Names.Select(n => n.Name)) + ".", DefaultValueFactory = _ => "lecture-cnn" };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => Defaults.BatchSize };

    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "Optimiser: " + string.Join(", ", OptimizerFactory.Names) + " (asgd is the lecture's averaged SGD).", DefaultValueFactory = _ => Defaults.Optimizer };

    public Option<double> Lr { get; } = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => Defaults.LearningRate };

    public Option<double> Momentum { get; } = new("--momentum") { Description = "Momentum (sgd, rmsprop).", DefaultValueFactory = _ => Defaults.Momentum };

    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum (sgd)." };

    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay (decoupled for adamw).", DefaultValueFactory = _ => Defaults.WeightDecay };

    public Option<double?> Beta1 { get; } = new("--beta1") { Description = "β₁ (adam, adamw; default 0.9)." };

    public Option<double?> Beta2 { get; } = new("--beta2") { Description = "β₂ (adam, adamw; default 0.999)." };

    public Option<double?> Eps { get; } = new("--eps") { Description = "ε of the denominator (adagrad, rmsprop, adam, adamw, adadelta)." };

    public Option<double?> Alpha { get; } = new("--alpha") { Description = "Smoothing constant (rmsprop, default 0.99) or decay power (torch-asgd, default 0.75)." };

    public Option<double?> Rho { get; } = new("--rho") { Description = "Decay of the running averages (adadelta, default 0.9)." };

    public Option<bool> Centered { get; } = new("--centered") { Description = "Centred RMSprop (rmsprop)." };

    public Option<bool> AmsGrad { get; } = new("--amsgrad") { Description = "AMSGrad (adam, adamw)." };

    public Option<double> L1 { get; } = new("--l1") { Description = "L1 penalty λ₁ Σ|w| added to the loss (0 = none; with --l2, the elastic net).", DefaultValueFactory = _ => 0 };

    public Option<double> L2 { get; } = new("--l2") { Description = "L2 penalty λ₂ Σw² added to the loss (0 = none).", DefaultValueFactory = _ => 0 };

    public Option<bool> PenalizeBiases { get; } = new("--penalize-biases") { Description = "Include the biases in the L1/L2 penalties (default: weights only)." };

    public Option<double> ClipNorm { get; } = new("--clip-norm") { Description = "Clip the gradients' total L2 norm to this value (0 = off).", DefaultValueFactory = _ => 0 };

    public Option<double> ClipValue { get; } = new("--clip-value") { Description = "Clamp every gradient element to [-v, v] (0 = off).", DefaultValueFactory = _ => 0 };

    public Option<double> MaxNorm { get; } = new("--max-norm") { Description = "Max-norm constraint on every unit's incoming weights, applied after each step (0 = off).", DefaultValueFactory = _ => 0 };

    public Option<bool> Augment { get; } = new("--augment") { Description = "Random crop, horizontal flip and random erasing on training batches." };

    public Option<long> Seed { get; } = new("--seed") { Description = "Random seed.", DefaultValueFactory = _ => Defaults.Seed };

    public Option<int> Threads { get; } = NewThreadsOption();

    public Option<string?> DataDir { get; } = new("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files (default {Axon.Data.FashionMnist.DefaultDirectory})." };

    public Option<int> Limit { get; } = new("--limit") { Description = "Use only the first N training and N/6 test images (quick runs).", DefaultValueFactory = _ => 0 };

    public TrainingOptionSet()
    {
        Model.OneOf([.. ModelZoo.Names.Select(n => n.Name)], "name");
        Optimizer.OneOf([.. OptimizerFactory.Names], "name");
        // Checked here, with the option's name, so that no library message ("(Parameter 'options')") reaches the user.
        BatchSize.Require(v => v >= 1, "must be at least 1");
        Lr.Require(v => v > 0 && double.IsFinite(v), "must be greater than 0");
        Momentum.Require(v => v >= 0 && double.IsFinite(v), "must be finite and non-negative");
        WeightDecay.Require(v => v >= 0 && double.IsFinite(v), "must be finite and non-negative");
        Beta1.Require(v => v is null or (>= 0 and < 1), "must be in [0, 1)");
        Beta2.Require(v => v is null or (>= 0 and < 1), "must be in [0, 1)");
        Eps.Require(v => v is null || (v >= 0 && double.IsFinite(v.Value)), "must be finite and non-negative");
        Alpha.Require(v => v is null || (v >= 0 && double.IsFinite(v.Value)), "must be finite and non-negative");
        Rho.Require(v => v is null or (>= 0 and <= 1), "must be in [0, 1]");
        foreach (var o in new[] { L1, L2, ClipNorm, ClipValue, MaxNorm })
            o.Require(v => v >= 0 && double.IsFinite(v), "must be finite and non-negative (0 = off)");
        Limit.Require(v => v >= 0, "must be non-negative (0 = all images)");
        DataDir.Require(v => v is null || v.Trim().Length > 0, "must name the directory holding the Fashion-MNIST IDX files");
    }

    /// <summary>
    /// A <c>--threads</c> option. Results differ slightly with the thread count (the kernels split their sums), so every
    /// command that reports a figure takes it and prints it beside the figure.
    /// </summary>
    public static Option<int> NewThreadsOption() =>
        new Option<int>("--threads") { Description = "Threads for the kernels (results differ slightly with the count).", DefaultValueFactory = _ => Environment.ProcessorCount }
            .Require(v => v >= 1, "must be at least 1");

    /// <summary>The optimiser settings, by <see cref="OptimizerFactory.SettingsOf"/>'s names, that have an option here.</summary>
    private IEnumerable<(Option Option, string Setting)> SettingOptions =>
    [
        (Lr, nameof(OptimizerSettings.Lr)), (Momentum, nameof(OptimizerSettings.Momentum)), (Nesterov, nameof(OptimizerSettings.Nesterov)),
        (WeightDecay, nameof(OptimizerSettings.WeightDecay)), (Beta1, nameof(OptimizerSettings.Beta1)), (Beta2, nameof(OptimizerSettings.Beta2)),
        (Eps, nameof(OptimizerSettings.Eps)), (Alpha, nameof(OptimizerSettings.Alpha)), (Rho, nameof(OptimizerSettings.Rho)),
        (Centered, nameof(OptimizerSettings.Centered)), (AmsGrad, nameof(OptimizerSettings.AmsGrad)),
    ];

    /// <summary>
    /// Adds an error for each optimiser option the user typed that the chosen optimiser does not take (--beta1 with sgd,
    /// --momentum with adam), which would otherwise be ignored or reported under the library's names.
    /// </summary>
    public void CheckOptimizerSettings(CommandResult r)
    {
        string optimizer = r.ValueOr(Optimizer, Defaults.Optimizer);
        if (!OptimizerFactory.Names.Contains(optimizer)) return;  // already reported
        var taken = OptimizerFactory.SettingsOf(optimizer);
        var takenOptions = SettingOptions.Where(s => taken.Contains(s.Setting)).Select(s => s.Option.Name);
        foreach (var (option, setting) in SettingOptions)
            if (r.GetResult(option) is OptionResult { Implicit: false } typed && !taken.Contains(setting))
                r.AddError($"{Cli.TypedName(typed)} is not a setting of the {optimizer} optimizer (it takes {string.Join(", ", takenOptions)})");
    }

    /// <summary>
    /// The options that set a <see cref="TrainerOptions"/> field, with the field: a resumed run keeps them as saved, so
    /// typing one with another value is an error.
    /// </summary>
    public IEnumerable<(Option Option, Func<TrainerOptions, object?> Value)> SavedSettings =>
    [
        (BatchSize, o => o.BatchSize), (Optimizer, o => o.Optimizer), (Lr, o => o.LearningRate), (Momentum, o => o.Momentum),
        (Nesterov, o => o.Nesterov), (WeightDecay, o => o.WeightDecay), (Beta1, o => o.Beta1), (Beta2, o => o.Beta2), (Eps, o => o.Eps),
        (Alpha, o => o.Alpha), (Rho, o => o.Rho), (Centered, o => o.Centered ?? false), (AmsGrad, o => o.AmsGrad ?? false),
        (L1, o => o.L1), (L2, o => o.L2), (PenalizeBiases, o => o.PenalizeBiases), (ClipNorm, o => o.GradClipNorm),
        (ClipValue, o => o.GradClipValue), (MaxNorm, o => o.MaxNorm), (Augment, o => o.Augment), (Seed, o => o.Seed),
    ];

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All =>
    [
        Model, BatchSize, Optimizer, Lr, Momentum, Nesterov, WeightDecay, Beta1, Beta2, Eps, Alpha, Rho, Centered, AmsGrad,
        L1, L2, PenalizeBiases, ClipNorm, ClipValue, MaxNorm, Augment, Seed, Threads, DataDir, Limit,
    ];

    /// <summary>The trainer options these options set (the others at their defaults).</summary>
    public TrainerOptions Build(ParseResult p) => new TrainerOptions(
        BatchSize: p.GetValue(BatchSize), Optimizer: p.GetValue(Optimizer)!, LearningRate: p.GetValue(Lr), Momentum: p.GetValue(Momentum),
        WeightDecay: p.GetValue(WeightDecay), Nesterov: p.GetValue(Nesterov), Augment: p.GetValue(Augment), Seed: p.GetValue(Seed))
    {
        Beta1 = p.GetValue(Beta1),
        Beta2 = p.GetValue(Beta2),
        Eps = p.GetValue(Eps),
        Alpha = p.GetValue(Alpha),
        Rho = p.GetValue(Rho),
        Centered = p.GetValue(Centered) ? true : null,
        AmsGrad = p.GetValue(AmsGrad) ? true : null,
        L1 = p.GetValue(L1),
        L2 = p.GetValue(L2),
        PenalizeBiases = p.GetValue(PenalizeBiases),
        GradClipNorm = p.GetValue(ClipNorm),
        GradClipValue = p.GetValue(ClipValue),
        MaxNorm = p.GetValue(MaxNorm),
    };

    /// <summary>A one-line description of the optimiser and regularisers that are not at their defaults.</summary>
    public static string Describe(TrainerOptions o, bool withLr = true)
    {
        var parts = new List<string> { withLr ? $"{o.Optimizer} lr {Cli.F(o.LearningRate, "G4")}" : o.Optimizer };
        void Add(string name, double? v, double off = 0)
        {
            if (v is double d && d != off) parts.Add($"{name} {Cli.F(d, "G4")}");
        }
        Add("beta1", o.Beta1, double.NaN);
        Add("beta2", o.Beta2, double.NaN);
        Add("eps", o.Eps, double.NaN);
        Add("alpha", o.Alpha, double.NaN);
        Add("rho", o.Rho, double.NaN);
        if (o.Centered == true) parts.Add("centered");
        if (o.AmsGrad == true) parts.Add("amsgrad");
        Add("l1", o.L1);
        Add("l2", o.L2);
        if (o.PenalizeBiases && (o.L1 > 0 || o.L2 > 0)) parts.Add("biases penalised");
        Add("clip-norm", o.GradClipNorm);
        Add("clip-value", o.GradClipValue);
        Add("max-norm", o.MaxNorm);
        return string.Join(", ", parts);
    }
}
