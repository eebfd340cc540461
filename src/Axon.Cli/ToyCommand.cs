using System.CommandLine;
using System.Globalization;
using Axon.Data;
using Axon.Models;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// <c>axon toy</c>: the first lecture's lab on a 2-D toy data set. Trains (a) logistic regression,
/// (b) logistic regression on a fixed random ReLU layer, (c) a trained ReLU hidden layer, and prints
/// their train and test accuracies side by side; <c>--plot</c> draws the three decision regions.
/// </summary>
internal static class ToyCommand
{
    private static readonly string[] DataSets = ["spirals", "moons", "circles", "xor", "blobs"];

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Data set: spirals, moons, circles, xor or blobs.", DefaultValueFactory = _ => "spirals" }
            .OneOf(DataSets, "name");
        var samples = new Option<int>("--samples") { Description = "Training samples per class (the test set has as many, drawn independently).", DefaultValueFactory = _ => 100 }
            .Require(v => v >= 1, "must be at least 1");
        var classes = new Option<int>("--classes") { Description = "Classes (spiral arms or blobs).", DefaultValueFactory = _ => 3 }
            .Require(v => v >= 2, "must be at least 2");
        var noise = new Option<double>("--noise") { Description = "Noise level of the generator (data-set specific; default per data set).", DefaultValueFactory = _ => double.NaN }
            .Require(v => double.IsNaN(v) || (v >= 0 && double.IsFinite(v)), "must be finite and non-negative");
        var hidden = new Option<int>("--hidden") { Description = "Hidden ReLU units of models (b) and (c).", DefaultValueFactory = _ => 100 }
            .Require(v => v >= 1, "must be at least 1");
        var steps = new Option<int>("--steps") { Description = "Full-batch gradient steps per model.", DefaultValueFactory = _ => 2000 }
            .Require(v => v >= 1, "must be at least 1");
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 0.1 }
            .Require(v => v > 0 && double.IsFinite(v), "must be greater than 0");
        var seed = new Option<long>("--seed") { Description = "Random seed (data and weights).", DefaultValueFactory = _ => 0 };
        var plot = new Option<FileInfo?>("--plot") { Description = "Write the three decision regions with the data points to this PNG file." };
        var tensorboard = TensorBoardLogs.CreateOption();
        var command = new Command("toy", "The first lecture's lab: logistic regression vs random and trained ReLU hidden layers on 2-D toy data.")
        {
            dataset, samples, classes, noise, hidden, steps, lr, seed, plot, tensorboard,
        };
        command.SetAction(parse => Cli.Guard(parse, () => Run(
            parse.GetValue(dataset)!, parse.GetValue(samples), parse.GetValue(classes), parse.GetValue(noise),
            new ToyLabOptions(Hidden: parse.GetValue(hidden), Steps: parse.GetValue(steps), LearningRate: parse.GetValue(lr), Seed: parse.GetValue(seed)),
            parse.GetValue(seed), parse.GetValue(plot), parse.GetValue(tensorboard))));
        return command;
    }

    /// <summary>Generates a data set by name; the train and test sets come from independent streams of one seed.</summary>
    public static (Tensor X, Tensor Y) Generate(string name, int perClass, int classes, double noise, Generator g) => name switch
    {
        "spirals" => ToyDatasets.Spirals(perClass, classes, double.IsNaN(noise) ? 0.2 : noise, g),
        "moons" => ToyDatasets.TwoMoons(perClass * 2, double.IsNaN(noise) ? 0.1 : noise, g),
        "circles" => ToyDatasets.Circles(perClass * 2, double.IsNaN(noise) ? 0.05 : noise, 0.5, g),
        "xor" => ToyDatasets.Xor(Math.Max(1, perClass / 2), double.IsNaN(noise) ? 0.15 : noise, g),
        "blobs" => ToyDatasets.Blobs(perClass * classes, classes, double.IsNaN(noise) ? 1.0 : noise, g),
        _ => throw new ArgumentException($"Unknown data set '{name}'; expected one of {string.Join(", ", DataSets)}."),
    };

    private static int Run(string name, int perClass, int classes, double noise, ToyLabOptions options, long seed, FileInfo? plot, string? tensorboard)
    {
        // TensorBoard: one run folder per model, its loss every 50 steps and its accuracies at the end.
        string[] runs = ["a-logistic-regression", "b-random-relu-features", "c-trained-relu-layer"];
        var logs = tensorboard is null ? null : runs.Select(r => new Axon.TensorBoard.SummaryWriter(Path.Combine(tensorboard, r))).ToArray();
        try
        {
            return Run(name, perClass, classes, noise, options, seed, plot, logs);
        }
        finally
        {
            foreach (var log in logs ?? []) log.Dispose();
        }
    }

    private static int Run(string name, int perClass, int classes, double noise, ToyLabOptions options, long seed, FileInfo? plot, Axon.TensorBoard.SummaryWriter[]? logs)
    {
        var (trainX, trainY) = Generate(name, perClass, classes, noise, new Generator(seed));
        var (testX, testY) = Generate(name, perClass, classes, noise, new Generator(seed + 1_000_003));
        AnsiConsole.MarkupLine($"[bold]{name}[/]: {trainX.Size(0)} training and {testX.Size(0)} test points, {(int)trainY.Max().Item() + 1} classes; {options.Steps} full-batch SGD steps (lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, momentum {options.Momentum.ToString(CultureInfo.InvariantCulture)}).");

        IReadOnlyList<ToyLabResult> results = [];
        string[] labels = ["(a) logistic regression", "(b) random ReLU features", "(c) trained ReLU layer"];
        if (Cli.LiveProgress)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var tasks = labels.Select(l => ctx.AddTask(l, maxValue: options.Steps)).ToArray();
                    results = ToyLab.Run(trainX, trainY, testX, testY, options, (m, step, loss) =>
                    {
                        logs?[m].AddScalar("train/loss", loss, step);
                        tasks[m].Value = step;
                        tasks[m].Description = string.Create(CultureInfo.InvariantCulture, $"{labels[m]}  loss {loss:F4}");
                    });
                });
        }
        else results = ToyLab.Run(trainX, trainY, testX, testY, options, (m, step, loss) => logs?[m].AddScalar("train/loss", loss, step));  // seconds; the table follows
        for (int m = 0; m < results.Count && logs is not null; m++)
        {
            logs[m].AddScalar("accuracy/train", results[m].TrainAccuracy, options.Steps);
            logs[m].AddScalar("accuracy/test", results[m].TestAccuracy, options.Steps);
            logs[m].AddParameterHistograms(results[m].Model, options.Steps);
        }

        var table = new Table().AddColumn("model").AddColumn(new TableColumn("train accuracy").RightAligned()).AddColumn(new TableColumn("test accuracy").RightAligned());
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Name), r.TrainAccuracy.ToString("P1", CultureInfo.InvariantCulture), r.TestAccuracy.ToString("P1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);

        if (plot is not null)
        {
            var xs = trainX.ToFloatArray();
            float[] px = [.. xs.Where((_, i) => i % 2 == 0)], py = [.. xs.Where((_, i) => i % 2 == 1)];
            double pad = 0.5;
            double x0 = px.Min() - pad, x1 = px.Max() + pad, y0 = py.Min() - pad, y1 = py.Max() + pad;
            var classOf = trainY.ToLongArray();
            var panels = results.Select(r => new Plots.RegionPanel(
                string.Create(CultureInfo.InvariantCulture, $"{r.Name}\ntrain {r.TrainAccuracy:P1}, test {r.TestAccuracy:P1}"),
                ToyLab.DecisionGrid(r.Model, x0, x1, y0, y1, 150), x0, x1, y0, y1, px, py, classOf)).ToList();
            Plots.DecisionRegions(plot.FullName, panels);
            AnsiConsole.MarkupLine($"Decision regions written to [green]{Markup.Escape(plot.FullName)}[/].");
        }
        return 0;
    }
}
