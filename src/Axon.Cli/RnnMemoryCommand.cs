using System.CommandLine;
using System.Globalization;
using System.Text;
using Axon.Models;
using ScottPlot;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// <c>axon rnn-memory</c>: the recurrent-networks lecture's vanishing gradient, measured. Elman, Jordan, LSTM and GRU
/// networks learn the delayed-recall task (tell the first of T symbols after the last) for each length T with the same
/// small budget; the command prints the held-out accuracy and the gradient ratio ‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ (before and after
/// training) per model and length, and writes them to <c>rnn-memory.csv</c> and <c>rnn-memory.png</c> in <c>--out</c>.
/// </summary>
internal static class RnnMemoryCommand
{
    private static readonly Dictionary<string, MemoryModelKind> ModelNames = new(StringComparer.Ordinal)
    {
        ["elman"] = MemoryModelKind.Elman,
        ["jordan"] = MemoryModelKind.Jordan,
        ["lstm"] = MemoryModelKind.Lstm,
        ["gru"] = MemoryModelKind.Gru,
    };

    public static Command Create()
    {
        var lengths = new Option<string>("--lengths") { Description = "Sequence lengths T, comma-separated (each at least 2).", DefaultValueFactory = _ => "5,10,20,40,80" }
            .Require(v => ParseLengths(v) is not null, "must be a comma-separated list of whole numbers, each at least 2");
        var models = new Option<string>("--models") { Description = "Networks, comma-separated: elman, jordan, lstm, gru.", DefaultValueFactory = _ => "elman,jordan,lstm,gru" }
            .Require(v => ParseModels(v) is not null, "must be a comma-separated list of elman, jordan, lstm, gru");
        var defaults = new RnnMemoryOptions();
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of every network.", DefaultValueFactory = _ => defaults.Hidden }.Require(v => v >= 1, "must be at least 1");
        var steps = new Option<int>("--steps") { Description = "Adam steps per model and length, each on a fresh batch.", DefaultValueFactory = _ => defaults.Steps }.Require(v => v >= 1, "must be at least 1");
        var batch = new Option<int>("--batch-size") { Description = "Sequences per step.", DefaultValueFactory = _ => defaults.Batch }.Require(v => v >= 1, "must be at least 1");
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => defaults.LearningRate }.Require(v => v > 0 && double.IsFinite(v), "must be greater than 0");
        var symbols = new Option<int>("--symbols") { Description = "Alphabet size (chance accuracy is 1/symbols).", DefaultValueFactory = _ => defaults.Symbols }.Require(v => v >= 2, "must be at least 2");
        var clip = new Option<double>("--clip-norm") { Description = "Gradient-norm clipping (0 = none).", DefaultValueFactory = _ => defaults.ClipNorm }.Require(v => v >= 0 && double.IsFinite(v), "must be non-negative");
        var evalSize = new Option<int>("--eval-size") { Description = "Held-out sequences for the accuracy and the gradient ratio.", DefaultValueFactory = _ => defaults.EvalSize }.Require(v => v >= 1, "must be at least 1");
        var forget = new Option<string>("--lstm-forget-bias") { Description = "The LSTM's initial forget-gate bias, or 'pytorch' for PyTorch's uniform initialisation.", DefaultValueFactory = _ => "1" }
            .Require(v => v == "pytorch" || (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double b) && double.IsFinite(b)), "must be a number or 'pytorch'");
        var seed = new Option<long>("--seed") { Description = "Random seed (weights and data).", DefaultValueFactory = _ => defaults.Seed };
        var threads = TrainingOptionSet.NewThreadsOption();
        var output = new Option<string>("--out") { Description = "Directory for rnn-memory.csv and rnn-memory.png.", DefaultValueFactory = _ => Path.Combine("runs", "rnn-memory") }
            .Require(v => v.Trim().Length > 0, "must name a directory");
        var command = new Command("rnn-memory", "The vanishing gradient: Elman, Jordan, LSTM and GRU networks on delayed recall for growing sequence lengths.")
        {
            lengths, models, hidden, steps, batch, lr, symbols, clip, evalSize, forget, seed, threads, output,
        };
        command.SetAction(p => Cli.Guard(p, () => Run(
            ParseLengths(p.GetValue(lengths)!)!, ParseModels(p.GetValue(models)!)!,
            new RnnMemoryOptions(p.GetValue(hidden), p.GetValue(steps), p.GetValue(batch), p.GetValue(lr), p.GetValue(symbols), p.GetValue(clip), p.GetValue(evalSize), p.GetValue(seed),
                p.GetValue(forget) == "pytorch" ? null : double.Parse(p.GetValue(forget)!, CultureInfo.InvariantCulture)),
            p.GetValue(threads), p.GetValue(output)!)));
        return command;
    }

    private static int[]? ParseLengths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 2) return null;
            values.Add(v);
        }
        return values.Count == 0 ? null : [.. values];
    }

    private static MemoryModelKind[]? ParseModels(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => !ModelNames.ContainsKey(p))) return null;
        return [.. parts.Distinct().Select(p => ModelNames[p])];
    }

    private static string Name(MemoryModelKind kind) => ModelNames.First(kv => kv.Value == kind).Key;

    private static string F(double v, string format) => Cli.F(v, format);

    private static int Run(int[] lengths, MemoryModelKind[] models, RnnMemoryOptions options, int threads, string output)
    {
        var device = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Delayed recall of 1 of {options.Symbols} symbols (chance {1.0 / options.Symbols:P0}) after T steps, T = {string.Join(", ", lengths)}; " +
            $"{string.Join(", ", models.Select(Name))} with {options.Hidden} hidden units; {options.Steps} Adam steps (lr {options.LearningRate}) of batch {options.Batch}, " +
            $"clip-norm {options.ClipNorm}; LSTM forget bias {(options.LstmForgetBias is { } b ? b.ToString(CultureInfo.InvariantCulture) : "pytorch")}; {options.EvalSize} held-out sequences; seed {options.Seed}, {Cli.Threads(threads)}.")));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = RnnMemoryExperiment.Run(lengths, models, options, device, r => AnsiConsole.MarkupLine(Markup.Escape(
            $"T = {r.Length,3}  {Name(r.Model),-6}  accuracy {F(100 * r.Accuracy, "F1"),5} %  loss {F(r.FinalLoss, "F3")}  " +
            $"gradient ratio {F(r.GradRatioInit, "E1")} -> {F(r.GradRatioTrained, "E1")}  {F(r.Seconds, "F1")} s")));
        double total = clock.Elapsed.TotalSeconds;

        AnsiConsole.Write(Pivot("held-out accuracy", results, lengths, models, r => F(100 * r.Accuracy, "F1") + " %"));
        AnsiConsole.Write(Pivot("‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ before training", results, lengths, models, r => F(r.GradRatioInit, "E1")));
        AnsiConsole.Write(Pivot("‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ after training", results, lengths, models, r => F(r.GradRatioTrained, "E1")));

        Directory.CreateDirectory(output);
        string csv = Path.Combine(output, "rnn-memory.csv"), png = Path.Combine(output, "rnn-memory.png");
        var sb = new StringBuilder("model,length,accuracy,final_loss,grad_ratio_init,grad_ratio_trained,seconds\n");
        foreach (var r in results)
            sb.Append(CultureInfo.InvariantCulture, $"{Name(r.Model)},{r.Length},{r.Accuracy:R},{r.FinalLoss:R},{r.GradRatioInit:R},{r.GradRatioTrained:R},{r.Seconds:F2}\n");
        Plots.SaveAtomically(csv, tmp => File.WriteAllText(tmp, sb.ToString()));
        Plot(png, results, models, options);
        AnsiConsole.MarkupLine(Markup.Escape($"{F(total, "F0")} s in all ({Cli.Threads(threads)}). Wrote {csv} and {png}."));
        return 0;
    }

    private static Table Pivot(string title, IReadOnlyList<RnnMemoryResult> results, int[] lengths, MemoryModelKind[] models, Func<RnnMemoryResult, string> cell)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) }.AddColumn("T");
        foreach (var m in models) table.AddColumn(new TableColumn(Name(m)).RightAligned());
        foreach (int t in lengths)
            table.AddRow([t.ToString(CultureInfo.InvariantCulture), .. models.Select(m => cell(results.First(r => r.Length == t && r.Model == m)))]);
        return table;
    }

    /// <summary>Two panels against T: the held-out accuracy (chance dashed), and the gradient ratio on a log axis (after training solid, before dashed).</summary>
    private static void Plot(string path, IReadOnlyList<RnnMemoryResult> results, MemoryModelKind[] models, RnnMemoryOptions options)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var accuracy = new ScottPlot.Plot();
        var ratio = new ScottPlot.Plot();
        double lowest = 0, highest = 0;
        for (int i = 0; i < models.Length; i++)
        {
            var rs = results.Where(r => r.Model == models[i]).OrderBy(r => r.Length).ToList();
            double[] ts = rs.Select(r => Math.Log2(r.Length)).ToArray();  // the lengths double: a log axis spaces them evenly
            var color = palette.GetColor(i);
            var acc = accuracy.Add.Scatter(ts, rs.Select(r => 100 * r.Accuracy).ToArray(), color);
            acc.LegendText = Name(models[i]);
            acc.LineWidth = 2;
            // log10 of the ratio; a ratio of 0 (nothing reaches x_1 in float32) is drawn at the floor of the axis.
            double[] Log(Func<RnnMemoryResult, double> f) => rs.Select(r => Math.Log10(Math.Max(f(r), 1e-30))).ToArray();
            var trained = ratio.Add.Scatter(ts, Log(r => r.GradRatioTrained), color);
            trained.LegendText = Name(models[i]) + " trained";
            trained.LineWidth = 2;
            var init = ratio.Add.Scatter(ts, Log(r => r.GradRatioInit), color);
            init.LegendText = Name(models[i]) + " at init";
            init.LinePattern = LinePattern.Dashed;
            init.MarkerShape = MarkerShape.OpenCircle;
            var all = Log(r => r.GradRatioTrained).Concat(Log(r => r.GradRatioInit)).Where(double.IsFinite).ToList();
            if (all.Count > 0)
            {
                lowest = Math.Min(lowest, all.Min());
                highest = Math.Max(highest, all.Max());
            }
        }
        var chance = accuracy.Add.HorizontalLine(100.0 / options.Symbols);
        chance.LinePattern = LinePattern.Dashed;
        chance.Color = Colors.Gray;
        chance.LegendText = "chance";
        accuracy.Title($"Delayed recall: held-out accuracy ({options.Steps} steps, hidden {options.Hidden})");
        accuracy.Axes.Left.Label.Text = "accuracy (%)";
        accuracy.Axes.SetLimitsY(0, 105);
        accuracy.ShowLegend(Edge.Bottom);

        ratio.Title("Gradient reaching the first step: ‖∂L/∂x_1‖ / ‖∂L/∂x_T‖");
        ratio.Axes.Left.Label.Text = "ratio (log scale)";
        ratio.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => "1e" + Math.Round(v).ToString(CultureInfo.InvariantCulture),
        };
        ratio.Axes.SetLimitsY(Math.Floor(lowest) - 0.5, Math.Ceiling(highest) + 0.5);
        ratio.ShowLegend(Edge.Bottom);

        // Both x axes: log2 T, ticked at the lengths run.
        var lengths = results.Select(r => r.Length).Distinct().Order().ToArray();
        foreach (var plot in new[] { accuracy, ratio })
        {
            plot.Axes.Bottom.SetTicks(lengths.Select(t => Math.Log2(t)).ToArray(), lengths.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
            plot.Axes.SetLimitsX(Math.Log2(lengths[0]) - 0.3, Math.Log2(lengths[^1]) + 0.3);
        }
        accuracy.Axes.Bottom.Label.Text = ratio.Axes.Bottom.Label.Text = "sequence length T (log scale)";

        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        multiplot.AddPlot(accuracy);
        multiplot.AddPlot(ratio);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Plots.SaveAtomically(path, tmp => multiplot.SavePng(tmp, 1300, 560));
    }
}
