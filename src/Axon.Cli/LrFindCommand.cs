using System.CommandLine;
using Axon.Data;
using Axon.Models;
using Axon.Models.Training;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon lr-find</c>: the learning-rate range test (Smith; fastai's <c>lr_find</c>) on Fashion-MNIST. It trains a fresh
/// model for up to <c>--steps</c> mini-batches with the rate growing exponentially from <c>--start-lr</c> to <c>--end-lr</c>,
/// prints the smoothed loss against the rate and a suggested rate, and with <c>--plot</c> draws the curve. No model is saved.
/// </summary>
internal static class LrFindCommand
{
    public static Command Create()
    {
        var defaults = new LrFinderOptions();
        var common = new TrainingOptionSet(s => s.Kind is SettingKind.Run or SettingKind.Optimizer or SettingKind.Regularization && s.Name != "epochs");
        var startLr = new Option<double>("--start-lr") { Description = "Rate of the first step.", DefaultValueFactory = _ => defaults.StartLr }
            .Require(v => v > 0 && double.IsFinite(v), "must be finite and greater than 0");
        var endLr = new Option<double>("--end-lr") { Description = "Rate of the last step.", DefaultValueFactory = _ => defaults.EndLr }
            .Require(v => v > 0 && double.IsFinite(v), "must be finite and greater than 0");
        var steps = new Option<int>("--steps") { Description = "Mini-batches (the rate grows exponentially over them).", DefaultValueFactory = _ => defaults.Steps }
            .Require(v => v >= 2, "must be at least 2");
        var plot = new Option<string?>("--plot") { Description = "Write the loss against the rate (log scale) to this PNG." };
        var command = new Command("lr-find", "Learning-rate range test: loss against an exponentially growing rate, and a suggested rate.") { startLr, endLr, steps, plot };
        foreach (var option in common.All) command.Options.Add(option);
        command.Validators.Add(r =>
        {
            common.CheckOptimizerSettings(r);
            // The shared --model option takes the generative models too (train runs them); the range test needs a classifier.
            if (r.GetValue(common.Model) is { } model && Axon.Models.Generative.GenerativeZoo.Contains(model))
                r.AddError($"--model: lr-find runs the range test on a classifier's cross-entropy; {model} is a generative model (got '{model}'). Use one of {string.Join(", ", ModelZoo.Names.Select(n => n.Name))}.");
            double start = r.ValueOr(startLr, defaults.StartLr), end = r.ValueOr(endLr, defaults.EndLr);
            if (start > 0 && !(end > start)) r.AddError($"--end-lr must be greater than --start-lr (got {F(end, "G4")} and {F(start, "G4")})");
        });
        command.SetAction(p => Guard(p, () =>
        {
            var options = common.Build(p);
            var finder = defaults with { StartLr = p.GetValue(startLr), EndLr = p.GetValue(endLr), Steps = p.GetValue(steps) };
            return Run(p.GetValue(common.Model)!, options, finder, p.GetValue(common.Threads), p.GetValue(common.DataDir), p.GetValue(common.Limit), p.GetValue(plot));
        }));
        return command;
    }

    private static int Run(string modelName, TrainerOptions options, LrFinderOptions finder, int threads, string? dataDir, int limit, string? plot)
    {
        finder.Validate();
        options.Validate();
        var device = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
        var (train, _) = TrainCommand.LoadData(dataDir, limit);
        var generator = new Generator(options.Seed);
        var net = ModelZoo.Create(modelName, FashionMnist.ClassNames.Count, generator);
        net.To(device);
        var classifier = new ClassificationTask(net, FashionMnist.ClassNames.Count);
        AnsiConsole.MarkupLine(Markup.Escape($"Range test of {modelName} on {train.Count} training images: lr {F(finder.StartLr, "G3")} to {F(finder.EndLr, "G3")} over up to {finder.Steps} batches of {options.BatchSize}, {TrainingOptionSet.Describe(options, withLr: false)}, {Threads(threads)}."));

        LrFinderResult result = null!;
        if (LiveProgress)
        {
            AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("range test", maxValue: finder.Steps);
                    result = LrFinder.Run(classifier, generator, train, options, finder, point =>
                    {
                        task.Value = point.Step + 1;
                        task.Description = $"lr {F(point.LearningRate, "G3")}  loss {F(point.SmoothedLoss, "F4")}";
                    });
                });
        }
        else
        {
            var due = PlainProgressDue();
            result = LrFinder.Run(classifier, generator, train, options, finder, point =>
            {
                if (due()) AnsiConsole.WriteLine($"step {point.Step + 1}/{finder.Steps}  lr {F(point.LearningRate, "G3")}  loss {F(point.SmoothedLoss, "F4")}");
            });
        }

        var table = new Table().AddColumns("step", "learning rate", "loss", "smoothed loss");
        var points = result.Points;
        int every = Math.Max(1, (points.Count + 24) / 25);
        for (int i = 0; i < points.Count; i++)
            if (i % every == 0 || i == points.Count - 1)
                table.AddRow((points[i].Step + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), F(points[i].LearningRate, "G3"), F(points[i].Loss, "F4"), F(points[i].SmoothedLoss, "F4"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(result.Diverged
            ? $"The loss exploded at lr {F(points[^1].LearningRate, "G3")} (step {points[^1].Step + 1}); stopped."
            : $"The loss did not explode up to lr {F(points[^1].LearningRate, "G3")}.");
        string steepest = double.IsFinite(result.SteepestLr) ? F(result.SteepestLr, "G2") : "none";
        AnsiConsole.MarkupLine($"Suggested learning rate [bold green]{F(result.SuggestedLr, "G2")}[/] (steepest descent of the smoothed loss: {steepest}; minimum at {F(result.MinLossLr, "G2")}, a tenth of it: {F(result.MinLossLr / 10, "G2")}; {Threads(threads)}).");
        if (plot is not null)
        {
            Plots.LrFind(plot, result, $"{modelName}: learning-rate range test ({options.Optimizer})");
            AnsiConsole.MarkupLine($"Wrote {Markup.Escape(plot)}.");
        }
        return 0;
    }
}
