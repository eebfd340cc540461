using System.CommandLine;
using System.CommandLine.Parsing;
using Axon.Models;
using Axon.Models.Generative;
using Axon.Models.Training;
using Axon.Optim;

namespace Axon.Cli;

/// <summary>
/// The command-line options of a training run, made from <see cref="TrainingSettings.All"/> (so each option's name,
/// default, check and help come from the one table the library validates against), plus the options that are the
/// command line's own: model, threads, data directory and limit.
/// </summary>
internal sealed class TrainingOptionSet
{
    private static readonly TrainerOptions Defaults = new();
    private readonly List<(TrainingSetting Setting, Option Option)> settings = [];

    /// <summary>Options for the settings <paramref name="include"/> accepts (all by default).</summary>
    public TrainingOptionSet(Func<TrainingSetting, bool>? include = null)
    {
        foreach (var s in TrainingSettings.All)
            if (include is null || include(s)) settings.Add((s, Create(s)));
        Model.OneOf([.. ModelNames], "name");
        Limit.Require(v => v >= 0, "must be non-negative (0 = all images)");
        DataDir.Require(v => v is null || v.Trim().Length > 0, "must name the directory holding the Fashion-MNIST IDX files");
    }

    public Option<string> Model { get; } = new("--model") { Description = "Model: the classifiers " + string.Join(", ", ModelZoo.Names.Select(n => n.Name)) + "; the unsupervised and generative models " + string.Join(", ", GenerativeZoo.Names.Select(n => n.Name)) + ".", DefaultValueFactory = _ => "lecture-cnn" };

    /// <summary>The classifiers' and the generative models' names.</summary>
    private static IEnumerable<string> ModelNames => ModelZoo.Names.Select(n => n.Name).Concat(GenerativeZoo.Names.Select(n => n.Name));

    /// <summary>The options a model's training starts from: a generative model's recipe, or the classifier's.</summary>
    public static TrainerOptions Recipe(string name) => GenerativeZoo.Contains(name) ? GenerativeZoo.TrainingRecipe(name) : ModelZoo.TrainingRecipe(name);

    public Option<int> Threads { get; } = NewThreadsOption();

    public Option<string?> DataDir { get; } = new("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files (default {Axon.Data.FashionMnist.DefaultDirectory})." };

    public Option<int> Limit { get; } = new("--limit") { Description = "Use only the first N training and N/6 test images (quick runs).", DefaultValueFactory = _ => 0 };

    /// <summary>The options of the settings, in the table's order.</summary>
    public IEnumerable<(TrainingSetting Setting, Option Option)> Settings => settings;

    /// <summary>The option of the setting <paramref name="name"/>.</summary>
    public Option this[string name] => settings.First(s => s.Setting.Name == name).Option;

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All => new Option[] { Model }.Concat(settings.Select(s => s.Option)).Concat([Threads, DataDir, Limit]);

    /// <summary>
    /// A <c>--threads</c> option. Results differ slightly with the thread count (the kernels split their sums), so every
    /// command that reports a figure takes it and prints it beside the figure.
    /// </summary>
    public static Option<int> NewThreadsOption() =>
        new Option<int>("--threads") { Description = "Threads for the kernels (results differ slightly with the count).", DefaultValueFactory = _ => Environment.ProcessorCount }
            .Require(v => v >= 1, "must be at least 1");

    /// <summary>The option of one setting: its type, default, check and help from the table.</summary>
    private static Option Create(TrainingSetting s)
    {
        string name = "--" + s.Name, description = Describe(s);
        object? fallback = s.Get(Defaults);
        bool Ok(object? v) => s.IsValid(v);
        if (s.Type == typeof(int)) return new Option<int>(name) { Description = description, DefaultValueFactory = _ => (int)fallback! }.Require(v => Ok(v), s.Rule);
        if (s.Type == typeof(long)) return new Option<long>(name) { Description = description, DefaultValueFactory = _ => (long)fallback! }.Require(v => Ok(v), s.Rule);
        if (s.Type == typeof(double)) return new Option<double>(name) { Description = description, DefaultValueFactory = _ => (double)fallback! }.Require(v => Ok(v), s.Rule);
        if (s.Type == typeof(double?)) return new Option<double?>(name) { Description = description }.Require(v => Ok(v), s.Rule);
        if (s.Type == typeof(bool) || s.Type == typeof(bool?)) return new Option<bool>(name) { Description = description };
        if (s.Type == typeof(string))
            return new Option<string>(name) { Description = description, DefaultValueFactory = _ => (string)fallback! }.OneOf(s.Choices ?? [], "name");
        throw new InvalidOperationException($"No command-line option type for the setting {s.Name} ({s.Type}).");
    }

    /// <summary>The help text: the setting's description, the choices, and for a hyper-parameter the optimisers that take it and the recipe's value.</summary>
    private static string Describe(TrainingSetting s)
    {
        string text = s.Description;
        if (s.Choices is not null) text = text.TrimEnd('.') + ": " + string.Join(", ", s.Choices) + ".";
        if (s.OptimizerSetting is not null)
        {
            var takers = OptimizerFactory.Names.Where(s.AppliesTo).ToList();
            string recipe = s.Get(Defaults) is { } v ? $"; default {TrainingSetting.Show(v)} with {Defaults.Optimizer}, the optimiser's own otherwise" : "";
            text = text.TrimEnd('.') + $" ({(takers.Count == OptimizerFactory.Names.Count ? "every optimiser" : string.Join(", ", takers))}{recipe}).";
        }
        return text;
    }

    /// <summary>The value of a typed option, as the setting takes it.</summary>
    private static object? Value(ParseResult p, TrainingSetting s, Option option) => option switch
    {
        Option<int> o => p.GetValue(o),
        Option<long> o => p.GetValue(o),
        Option<double> o => p.GetValue(o),
        Option<double?> o => p.GetValue(o),
        Option<bool> o when s.Type == typeof(bool?) => (bool?)p.GetValue(o),
        Option<bool> o => p.GetValue(o),
        Option<string> o => p.GetValue(o),
        _ => throw new InvalidOperationException($"Unexpected option type for {s.Name}."),
    };

    /// <summary>
    /// <paramref name="start"/> (default: the defaults) with the settings the user typed. They are applied in the
    /// table's order, the optimiser before its hyper-parameters, so that an untyped hyper-parameter takes the chosen
    /// optimiser's default (the recipe's for sgd).
    /// </summary>
    public TrainerOptions Build(ParseResult p, TrainerOptions? start = null)
    {
        var options = start ?? Recipe(p.GetValue(Model) ?? "");
        // Another optimiser than the recipe's starts from its own hyper-parameters, not from the recipe's.
        if (p.GetResult(this["optimizer"]) is { Implicit: false } && p.GetValue((Option<string>)this["optimizer"]) is { } typed && typed != options.Optimizer)
            options = options with { OptimizerSettings = null };
        foreach (var (s, option) in settings)
            if (p.GetResult(option) is { Implicit: false })
                options = s.Set(options, Value(p, s, option));
        return options;
    }

    /// <summary>
    /// Adds an error for each optimiser option the user typed that the chosen optimiser does not take (--beta1 with sgd,
    /// --momentum with adam), which would otherwise be ignored or reported under the library's names.
    /// </summary>
    public void CheckOptimizerSettings(CommandResult r)
    {
        var optimizerOption = (Option<string>)this["optimizer"];
        string optimizer = r.GetResult(optimizerOption) is OptionResult { Implicit: false } typed0
            ? typed0.GetValueOrDefault<string>()! : Recipe(r.ValueOr(Model, "lecture-cnn")).Optimizer;
        if (!OptimizerFactory.Names.Contains(optimizer)) return;  // already reported
        var takenOptions = settings.Where(s => s.Setting.OptimizerSetting is not null && s.Setting.AppliesTo(optimizer)).Select(s => s.Option.Name);
        foreach (var (s, option) in settings)
            if (!s.AppliesTo(optimizer) && r.GetResult(option) is OptionResult { Implicit: false } typed)
                r.AddError($"{Cli.TypedName(typed)} is not a setting of the {optimizer} optimizer (it takes {string.Join(", ", takenOptions)})");
    }

    /// <summary>
    /// The settings the user typed whose value differs from <paramref name="saved"/>'s (those <paramref name="include"/>
    /// accepts): "--lr 0.1: the run was started with 0.05".
    /// </summary>
    public IEnumerable<string> Conflicts(ParseResult p, TrainerOptions typed, TrainerOptions saved, Func<TrainingSetting, bool> include)
    {
        foreach (var (s, option) in settings)
            if (include(s) && p.GetResult(option) is OptionResult { Implicit: false } result && !Equals(s.Get(typed), s.Get(saved)))
                yield return $"{Cli.TypedName(result)} {TrainingSetting.Show(s.Get(typed))}: the run was started with {TrainingSetting.Show(s.Get(saved))}";
    }

    /// <summary>A one-line description of the optimiser and regularisers: "sgd lr 0.05, nesterov, l2 0.0001".</summary>
    public static string Describe(TrainerOptions o, bool withLr = true)
    {
        var parts = new List<string> { withLr ? $"{o.Optimizer} lr {Cli.F(o.LearningRate, "G4")}" : o.Optimizer };
        parts.AddRange(TrainingSettings.Describe(o, s => s.Kind is SettingKind.Optimizer or SettingKind.Regularization && s.Name is not ("optimizer" or "lr")));
        return string.Join(", ", parts);
    }
}
