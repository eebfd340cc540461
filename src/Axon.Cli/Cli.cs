using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// The command line's plumbing: the root command, parse errors and expected failures (bad input, missing files, invalid
/// settings) turned into one clear line on standard error naming the option as the user typed it, and exit code 1.
/// </summary>
internal static partial class Cli
{
    /// <summary>Formats a number with the invariant culture.</summary>
    public static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Formats a thread count: "1 thread", "2 threads".</summary>
    public static string Threads(int n) => n == 1 ? "1 thread" : $"{n} threads";

    /// <summary>The <c>axon</c> root command with every subcommand.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("axon: neural networks in pure C#. Train, evaluate and use Fashion-MNIST classifiers; run the lectures' labs.")
        {
            TrainCommand.Create(),
            LrFindCommand.Create(),
            ShallowCommand.Create(),
            GenerateCommand.Create(),
            ModelCommands.Eval(),
            ModelCommands.Predict(),
            SummaryCommand.Create(),
            ExportCommand.Create(),
            TransferCommand.Create(),
            JudgeCommand.Create(),
            ToyCommand.Create(),
            RnnMemoryCommand.Create(),
            Word2VecCommand.Create(),
            LmCommand.Create(),
        };
        // The usage line would otherwise name the assembly (Axon.Cli), which the ./axon script hides.
        root.HelpName = "axon";
        // With no command, list the commands instead of "Required command was not provided.".
        root.SetAction(p => new HelpAction().Invoke(p));
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. Parse errors print the errors and a pointer to the help on standard error
    /// instead of the full help, which would scroll the error away.
    /// </summary>
    public static int Run(RootCommand root, string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        var result = root.Parse(args);
        if (result.Action is not ParseErrorAction) return result.Invoke(configuration);
        foreach (var error in result.Errors) WriteError(configuration.Error, ParseErrorMessage(error));
        configuration.Error.WriteLine($"Run '{CommandPath(result.CommandResult)} --help' for usage.");
        return 1;
    }

    /// <summary>Runs a command's body, reporting the expected failures as one line on standard error with exit code 1.</summary>
    public static int Guard(ParseResult p, Func<int> action)
    {
        try
        {
            return action();
        }
        // NotSupportedException: an op the chosen device has no kernel for yet ("Softmax has no CUDA kernel yet (cuda:0)").
        // A CUDA error is tested only once a CUDA device was asked for, so a CPU run never loads Axon.Cuda.
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException
            || (CudaDevices.Used && CudaDevices.IsCudaError(e)))
        {
            WriteError(p.InvocationConfiguration.Error, Message(e));
            return 1;
        }
    }

    /// <summary>Writes "error: message" (in red on a terminal).</summary>
    public static void WriteError(TextWriter error, string message)
    {
        bool colour = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        error.WriteLine((colour ? "\e[31merror:\e[0m " : "error: ") + message);
    }

    /// <summary>Whether the user typed <paramref name="option"/> (rather than it taking its default).</summary>
    public static bool Typed(this ParseResult p, Option option) => p.GetResult(option) is { Implicit: false };

    /// <summary>Whether the user typed <paramref name="option"/> (rather than it taking its default).</summary>
    public static bool Typed(this CommandResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The option's value in a command validator, which runs before the defaults of untyped options are filled in:
    /// <paramref name="fallback"/> when it was not typed.
    /// </summary>
    public static T ValueOr<T>(this CommandResult r, Option<T> option, T fallback) =>
        r.GetResult(option) is OptionResult result ? result.GetValueOrDefault<T>() : fallback;

    /// <summary>The option's name as the user typed it (its first alias when it was not typed).</summary>
    public static string TypedName(OptionResult r) => r.IdentifierToken?.Value ?? r.Option.Name;

    /// <summary>Adds a parse-time check of the option's value: "--epochs must be at least 1 (got 0)".</summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> ok, string rule)
    {
        option.Validators.Add(r =>
        {
            if (TryGetValue(r, out T value) && !ok(value)) r.AddError($"{TypedName(r)} {rule} (got {Show(value)})");
        });
        return option;
    }

    /// <summary>
    /// Restricts a string option to <paramref name="choices"/>. Unlike AcceptOnlyFromAmong, the help shows
    /// <c>&lt;helpName&gt;</c> rather than every choice in the label, which broke words in narrow consoles; the
    /// description lists the choices and the shell completion still offers them.
    /// </summary>
    public static Option<string> OneOf(this Option<string> option, IReadOnlyList<string> choices, string helpName)
    {
        option.HelpName = helpName;
        option.CompletionSources.Add([.. choices]);
        option.Validators.Add(r =>
        {
            if (TryGetValue(r, out string value) && !choices.Contains(value, StringComparer.Ordinal))
                r.AddError($"{TypedName(r)} must be one of {string.Join(", ", choices)} (got '{value}')");
        });
        return option;
    }

    /// <summary>The option's value; false when it did not convert, an error System.CommandLine reports itself.</summary>
    private static bool TryGetValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    private static string Show<T>(T value) => value switch
    {
        null => "nothing",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>"axon train" for the train command's result.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? s = result; s is not null; s = s.Parent)
            if (s is CommandResult c) names.Add(c.Command is RootCommand ? "axon" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>System.CommandLine's conversion errors name .NET types ("System.Int32"); say what the option expects instead.</summary>
    private static string ParseErrorMessage(ParseError error)
    {
        var m = ConversionError().Match(error.Message);
        if (!m.Success) return error.Message;
        string type = m.Groups["type"].Value;
        string expected = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false" : "another kind of value";
        string name = error.SymbolResult is ArgumentResult { Parent: OptionResult option } ? TypedName(option) : m.Groups["symbol"].Value;
        return $"{name} expects {expected} (got '{m.Groups["value"].Value}')";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<symbol>[^']*)' as expected type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex ConversionError();

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)|\s*Actual value was [^\r\n]*")]
    private static partial Regex ExceptionSuffixes();

    /// <summary>
    /// The library's parameter and property names as the command line spells them, so that an error the CLI did not
    /// catch first still names the option the user typed.
    /// </summary>
    private static readonly Dictionary<string, string> OptionNames = new(StringComparer.Ordinal)
    {
        ["Epochs"] = "--epochs",
        ["BatchSize"] = "--batch-size",
        ["ValidationFraction"] = "--validation",
        ["TopK"] = "--top-k",
        ["L1"] = "--l1",
        ["L2"] = "--l2",
        ["GradClipNorm"] = "--clip-norm",
        ["GradClipValue"] = "--clip-value",
        ["MaxNorm"] = "--max-norm",
        ["EarlyStoppingPatience"] = "--early-stopping",
        ["EarlyStoppingMinDelta"] = "--min-delta",
        ["PlateauPatience"] = "--patience",
        ["PlateauFactor"] = "--factor",
        ["MaxLr"] = "--max-lr",
        ["maxLr"] = "--max-lr",
        ["PctStart"] = "--pct-start",
        ["pctStart"] = "--pct-start",
        ["StepSize"] = "--step-size",
        ["stepSize"] = "--step-size",
        ["Gamma"] = "--gamma",
        ["gamma"] = "--gamma",
        ["lr"] = "--lr",
        ["LearningRate"] = "--lr",
        ["eps"] = "--eps",
        ["weightDecay"] = "--weight-decay",
        ["momentum"] = "--momentum",
        ["beta1"] = "--beta1",
        ["beta2"] = "--beta2",
        ["alpha"] = "--alpha",
        ["rho"] = "--rho",
        ["StartLr"] = "--start-lr",
        ["EndLr"] = "--end-lr",
        ["Steps"] = "--steps",
    };

    /// <summary>
    /// An exception's message for the user: without .NET's "(Parameter 'x')" and "Actual value was v." suffixes, and with
    /// a library name ("Epochs must be at least 1") replaced by the option ("--epochs must be at least 1 (got 0)").
    /// </summary>
    public static string Message(Exception e)
    {
        string m = ExceptionSuffixes().Replace(e.Message, "").Trim();
        if (e is ArgumentException { ParamName: { } param } && OptionNames.TryGetValue(param, out var option))
        {
            m = m.StartsWith(param + " ", StringComparison.Ordinal) ? option + m[param.Length..] : $"{option}: {m}";
            if (e is ArgumentOutOfRangeException { ActualValue: { } v } && !m.Contains(" got ", StringComparison.Ordinal))
                m = $"{m.TrimEnd('.')} (got {Show(v)})";
        }
        return m;
    }

    /// <summary>
    /// For progress outside a terminal: a function that says true at most every 30 seconds, so that a long epoch shows
    /// it is alive in a log without a line per batch.
    /// </summary>
    public static Func<bool> PlainProgressDue()
    {
        var since = System.Diagnostics.Stopwatch.StartNew();
        return () =>
        {
            if (since.Elapsed < TimeSpan.FromSeconds(30)) return false;
            since.Restart();
            return true;
        };
    }

    /// <summary>Whether to draw Spectre's live progress bars: only on an interactive terminal, where they are redrawn in place; in a pipe or a log they leave stale fragments.</summary>
    public static bool LiveProgress => AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Out.IsTerminal;
}
