using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Axon.Data;
using Axon.IO;
using Axon.Models;
using Axon.Models.Training;
using Axon.Nn;
using ScottPlot;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon transfer</c>: the transfer-learning experiment of <see cref="TransferExperiment"/>. Pretrains a model on
/// Fashion-MNIST classes 0-4 (or reuses the weights in <c>--pretrained</c>), then learns classes 5-9 from
/// <c>--labels-per-class</c> images each three ways (frozen features, full fine-tuning, from scratch), and prints their
/// test accuracy and training time side by side. Writes <c>pretrained.safetensors</c>, <c>summary.json</c> and
/// <c>curves.png</c> (training loss and accuracy per epoch of each regime) to <c>--output</c>.
/// </summary>
internal static class TransferCommand
{
    private const string SummaryFile = "summary.json";
    private const string PretrainedFile = "pretrained.safetensors";
    private const string SourceClassesKey = "transfer.source_classes";
    private const string EpochsKey = "transfer.pretrain_epochs";
    private const string AccuracyKey = "transfer.source_test_accuracy";


    public static Command Create()
    {
        var d = new TransferRecipe();
        var model = new Option<string>("--model") { Description = "Model: " + string.Join(", ", ModelZoo.Names.Select(n => n.Name)) + ".", DefaultValueFactory = _ => d.Model }
            .OneOf([.. ModelZoo.Names.Select(n => n.Name)], "name");
        var pretrainEpochs = new Option<int>("--pretrain-epochs") { Description = "Epochs of pretraining on classes 0-4.", DefaultValueFactory = _ => d.PretrainEpochs }.Require(v => v >= 1, "must be at least 1");
        var epochs = new Option<int>("--epochs") { Description = "Epochs of each regime on classes 5-9.", DefaultValueFactory = _ => d.FineTuneEpochs }.Require(v => v >= 1, "must be at least 1");
        var labels = new Option<int>("--labels-per-class") { Description = "Labelled training images per class of 5-9 (chosen with the seed).", DefaultValueFactory = _ => d.LabelsPerClass }.Require(v => v >= 1, "must be at least 1");
        var seed = new Option<long>("--seed") { Description = "Seed of the initialisation, the labelled images and the data order.", DefaultValueFactory = _ => d.Seed };
        var lr = new Option<double>("--lr") { Description = "Rate of the new head, and of every parameter from scratch (SGD, momentum 0.9, cosine schedule).", DefaultValueFactory = _ => d.Lr }
            .Require(v => v > 0 && double.IsFinite(v), "must be finite and greater than 0");
        var bodyLr = new Option<double>("--body-lr") { Description = "Rate of the pretrained body under full fine-tuning.", DefaultValueFactory = _ => d.BodyLr }
            .Require(v => v > 0 && double.IsFinite(v), "must be finite and greater than 0");
        var pretrainLr = new Option<double>("--pretrain-lr") { Description = "Rate of pretraining.", DefaultValueFactory = _ => d.PretrainLr }
            .Require(v => v > 0 && double.IsFinite(v), "must be finite and greater than 0");
        var pretrained = new Option<string?>("--pretrained") { Description = $"Pretrained weights: reused when the file exists, else written there after pretraining (default OUTPUT/{PretrainedFile})." }
            .Require(v => v is null || v.Trim().Length > 0, "must name a file");
        var output = new Option<string>("--output") { Description = "Output directory.", DefaultValueFactory = _ => Path.Combine("runs", "transfer") }
            .Require(v => v.Trim().Length > 0, "must name a directory");
        var threads = TrainingOptionSet.NewThreadsOption();
        var limit = new Option<int>("--limit") { Description = "Use only the first N training and N/6 test images (quick runs).", DefaultValueFactory = _ => 0 }.Require(v => v >= 0, "must be non-negative (0 = all images)");
        var dataDir = new Option<string?>("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files (default {FashionMnist.DefaultDirectory})." }
            .Require(v => v is null || v.Trim().Length > 0, "must name the directory holding the Fashion-MNIST IDX files");
        var tensorboard = TensorBoardLogs.CreateOption();
        var command = new Command("transfer", "Transfer learning: pretrain on Fashion-MNIST classes 0-4, then learn 5-9 from a few labels with frozen features, full fine-tuning and from scratch.")
        {
            model, pretrainEpochs, epochs, labels, seed, lr, bodyLr, pretrainLr, pretrained, output, threads, limit, dataDir, tensorboard,
        };
        command.SetAction(p => Guard(p, () =>
        {
            var recipe = d with
            {
                Model = p.GetValue(model)!,
                PretrainEpochs = p.GetValue(pretrainEpochs),
                FineTuneEpochs = p.GetValue(epochs),
                LabelsPerClass = p.GetValue(labels),
                Seed = p.GetValue(seed),
                Lr = p.GetValue(lr),
                BodyLr = p.GetValue(bodyLr),
                PretrainLr = p.GetValue(pretrainLr),
            };
            string dir = p.GetValue(output)!;
            return Run(recipe, dir, p.GetValue(pretrained) ?? Path.Combine(dir, PretrainedFile), p.GetValue(threads), p.GetValue(dataDir), p.GetValue(limit), p.GetValue(tensorboard));
        }));
        return command;
    }

    private sealed record Outcome(TransferRegime Regime, long Trainable, double Accuracy, double Loss, double Seconds, IReadOnlyList<EpochReport> History);

    private static int Run(TransferRecipe recipe, string output, string pretrainedPath, int threads, string? dataDir, int limit, string? tensorboard)
    {
        recipe.Validate();
        var device = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
        string dir = TrainCommand.ResolveDataDir(dataDir);
        FashionMnist train = FashionMnist.Load(dir, train: true), test = FashionMnist.Load(dir, train: false);
        if (limit > 0) (train, test) = (First(train, limit), First(test, Math.Max(limit / 6, 1)));
        var experiment = new TransferExperiment(recipe, train, test);
        string Names(IEnumerable<int> classes) => string.Join(", ", classes.Select(c => FashionMnist.ClassNames[c]));
        AnsiConsole.MarkupLine(Markup.Escape($"Transfer with {recipe.Model}: pretrain on classes {Names(recipe.SourceClasses)} ({experiment.SourceTrain.Count} images), " +
            $"then learn {Names(recipe.TargetClasses)} from {recipe.LabelsPerClass} labels each ({experiment.TargetTrain.Count} images; {experiment.TargetTest.Count} test images), " +
            $"{Cli.Threads(threads)}, seed {recipe.Seed}."));
        Directory.CreateDirectory(output);

        var (source, pretrainSeconds, sourceAccuracy, reused) = Pretrained(experiment, pretrainedPath, device, threads, LogDir(tensorboard, "pretraining"));
        var state = source.StateDict();
        var outcomes = new List<Outcome>();
        foreach (var regime in Enum.GetValues<TransferRegime>())
        {
            var generator = new Generator(recipe.Seed + 100 + (int)regime);
            var (net, groups) = experiment.Prepare(regime, state, generator);
            net.To(device);
            var task = new ClassificationTask(net, recipe.TargetClasses.Count, topK: 2);
            var trainer = new Trainer(task, generator, experiment.FineTuneOptions, groups);
            string rates = string.Join(", ", groups.Select(g => F(g.Lr, "G3")));
            AnsiConsole.MarkupLine(Markup.Escape($"{Label(regime)}: {net.ParameterCount(trainableOnly: true):N0} of {net.ParameterCount():N0} parameters train (rates {rates})."));
            var history = Epochs(trainer, experiment.TargetTrain, experiment.TargetTest, Label(regime), threads, LogDir(tensorboard, Label(regime)));
            var last = history[^1];
            outcomes.Add(new Outcome(regime, net.ParameterCount(trainableOnly: true), last.TestAccuracy, last.TestLoss, history.Sum(h => h.Seconds), history));
        }

        var table = new Table().AddColumns("regime", "trainable parameters", $"test accuracy (classes {string.Join(",", recipe.TargetClasses)})", "test loss", "training s");
        foreach (var o in outcomes)
            table.AddRow(Label(o.Regime), o.Trainable.ToString("N0", CultureInfo.InvariantCulture), F(100 * o.Accuracy, "F2") + " %", F(o.Loss, "F4"), F(o.Seconds, "F1"));
        table.Caption($"{recipe.LabelsPerClass} labels per class, {recipe.FineTuneEpochs} epoch{(recipe.FineTuneEpochs == 1 ? "" : "s")} each, {Cli.Threads(threads)}");
        AnsiConsole.Write(table);
        WriteSummary(output, recipe, experiment, pretrainedPath, reused, pretrainSeconds, sourceAccuracy, threads, limit, outcomes);
        Curves(Path.Combine(output, "curves.png"), outcomes, $"{recipe.Model}, {recipe.LabelsPerClass} labels per class");
        AnsiConsole.MarkupLine(Markup.Escape($"Wrote {output}/{SummaryFile}, curves.png{(reused ? "" : $"; pretrained weights in {pretrainedPath}")}."));
        return 0;
    }

    /// <summary>One TensorBoard run per training (pretraining, each regime): a folder under --tensorboard named after it.</summary>
    private static string? LogDir(string? tensorboard, string label) =>
        tensorboard is null ? null : Path.Combine(tensorboard, string.Concat(label.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')));

    private static string Label(TransferRegime regime) => regime switch
    {
        TransferRegime.FrozenFeatures => "frozen features",
        TransferRegime.FineTune => "full fine-tuning",
        _ => "from scratch",
    };

    private static FashionMnist First(FashionMnist data, int n)
    {
        n = Math.Min(n, data.Count);
        return new FashionMnist(data.ImageBytes[..(n * FashionMnist.Pixels)].ToArray(), data.Labels[..n].ToArray(), data.Mean, data.Std);
    }

    /// <summary>The pretrained model: read from <paramref name="path"/> when it exists, else pretrained and saved there.</summary>
    private static (Module<Tensor, Tensor> Model, double Seconds, double Accuracy, bool Reused) Pretrained(TransferExperiment experiment, string path, Device device, int threads, string? logDir)
    {
        var recipe = experiment.Recipe;
        var generator = new Generator(recipe.Seed);
        var model = experiment.CreateModel(recipe.SourceClasses.Count, generator);
        string classes = string.Join(",", recipe.SourceClasses);
        if (File.Exists(path))
        {
            var metadata = Safetensors.Load(path).Metadata;
            if (!metadata.TryGetValue(TrainCommand.ModelKey, out var saved) || !metadata.TryGetValue(SourceClassesKey, out var savedClasses))
                throw new InvalidDataException($"{path}: not pretrained weights written by axon transfer (no {TrainCommand.ModelKey} and {SourceClassesKey} in its metadata).");
            if (!saved.Equals(recipe.Model, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--pretrained {path} holds a pretrained {saved}, not a {recipe.Model}; pass --model {saved} or another --pretrained file.");
            if (savedClasses != classes) throw new ArgumentException($"--pretrained {path} was pretrained on classes {savedClasses}, not {classes}.");
            model.Load(path);
            model.To(device);
            double accuracy = metadata.TryGetValue(AccuracyKey, out var a) && double.TryParse(a, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            string epochs = metadata.GetValueOrDefault(EpochsKey, "?");
            AnsiConsole.MarkupLine(Markup.Escape($"Reusing the pretrained weights in {path} ({epochs} epochs; test accuracy on classes {classes}: {F(100 * accuracy, "F2")} %)."));
            return (model, 0, accuracy, true);
        }
        model.To(device);
        var task = new ClassificationTask(model, recipe.SourceClasses.Count, topK: 2);
        var trainer = new Trainer(task, generator, experiment.PretrainOptions);
        var history = Epochs(trainer, experiment.SourceTrain, experiment.SourceTest, "pretraining", threads, logDir);
        double acc = history[^1].TestAccuracy, seconds = history.Sum(h => h.Seconds);
        model.Save(path, new Dictionary<string, string>
        {
            [TrainCommand.ModelKey] = recipe.Model,
            [SourceClassesKey] = classes,
            [EpochsKey] = recipe.PretrainEpochs.ToString(CultureInfo.InvariantCulture),
            [AccuracyKey] = acc.ToString("R", CultureInfo.InvariantCulture),
        });
        AnsiConsole.MarkupLine(Markup.Escape($"Pretrained in {F(seconds, "F0")} s: test accuracy on classes {classes} {F(100 * acc, "F2")} %. Saved {path}."));
        return (model, seconds, acc, false);
    }

    /// <summary>Trains every epoch of <paramref name="trainer"/> with a progress bar (plain lines outside a terminal); scores <paramref name="test"/> after the last.</summary>
    private static List<EpochReport> Epochs(Trainer trainer, IDataset train, IDataset test, string label, int threads, string? logDir)
    {
        using var logs = TensorBoardLogs.Attach(trainer, logDir, TensorBoardLogs.FirstInputs(test));
        int total = trainer.Options.Epochs;
        var history = new List<EpochReport>();
        while (trainer.Epoch < total)
        {
            int epoch = trainer.Epoch + 1;
            var scored = epoch == total ? test : null;
            string Progress(BatchReport b) => $"{label} {epoch}/{total}  loss {F(b.Loss, "F4")}  acc {F(100 * b.Accuracy, "F2")}%  {F(b.SamplesPerSecond, "F0")} img/s";
            EpochReport report = null!;
            if (LiveProgress)
            {
                AnsiConsole.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var bar = ctx.AddTask($"{label} {epoch}/{total}", maxValue: 1);
                        report = trainer.TrainEpoch(train, scored, b =>
                        {
                            bar.MaxValue = b.Batches;
                            bar.Value = b.Batch;
                            bar.Description = Progress(b);
                        });
                    });
            }
            else
            {
                var due = PlainProgressDue();
                report = trainer.TrainEpoch(train, scored, b =>
                {
                    if (b.Batch < b.Batches && due()) AnsiConsole.WriteLine($"{Progress(b)}  batch {b.Batch}/{b.Batches}");
                });
            }
            string tested = scored is null ? "" : $"  [bold]test loss {F(report.TestLoss, "F4")} acc {F(100 * report.TestAccuracy, "F2")}%[/]";
            AnsiConsole.MarkupLine($"{Markup.Escape(label)} epoch {epoch}: lr {F(report.LearningRate, "G3")}  train loss {F(report.TrainLoss, "F4")} acc {F(100 * report.TrainAccuracy, "F2")}%{tested}  " +
                $"{F(report.Seconds, "F1")} s, {F(report.SamplesPerSecond, "F0")} img/s, {Cli.Threads(threads)}");
            history.Add(report);
        }
        trainer.EndTraining();
        return history;
    }

    private static void WriteSummary(string output, TransferRecipe recipe, TransferExperiment experiment, string pretrainedPath, bool reused, double pretrainSeconds,
        double sourceAccuracy, int threads, int limit, IReadOnlyList<Outcome> outcomes)
    {
        static double? Finite(double v) => double.IsFinite(v) ? v : null;
        var summary = new Dictionary<string, object?>
        {
            ["tool"] = "axon transfer",
            ["model"] = recipe.Model,
            ["source_classes"] = recipe.SourceClasses,
            ["target_classes"] = recipe.TargetClasses,
            ["labels_per_class"] = recipe.LabelsPerClass,
            ["target_training_images"] = experiment.TargetTrain.Count,
            ["target_test_images"] = experiment.TargetTest.Count,
            ["pretraining"] = new Dictionary<string, object?>
            {
                ["weights"] = Path.GetFullPath(pretrainedPath),
                ["reused"] = reused,
                ["epochs"] = recipe.PretrainEpochs,
                ["images"] = experiment.SourceTrain.Count,
                ["seconds"] = reused ? null : pretrainSeconds,
                ["source_test_accuracy"] = Finite(sourceAccuracy),
                ["lr"] = recipe.PretrainLr,
            },
            ["fine_tune_epochs"] = recipe.FineTuneEpochs,
            ["lr"] = recipe.Lr,
            ["body_lr"] = recipe.BodyLr,
            ["regimes"] = outcomes.Select(o => new Dictionary<string, object?>
            {
                ["regime"] = Label(o.Regime),
                ["trainable_parameters"] = o.Trainable,
                ["test_accuracy"] = Finite(o.Accuracy),
                ["test_loss"] = Finite(o.Loss),
                ["training_seconds"] = o.Seconds,
                ["train_loss"] = o.History.Select(h => h.TrainLoss).ToList(),
                ["train_accuracy"] = o.History.Select(h => h.TrainAccuracy).ToList(),
            }).ToList(),
            ["seed"] = recipe.Seed,
            ["threads"] = threads,
            ["limit"] = limit,
            ["machine"] = Machine(),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        Plots.SaveAtomically(Path.Combine(output, SummaryFile), tmp => File.WriteAllText(tmp, CliJson.Serialize(summary)));
    }

    /// <summary>"AMD EPYC ... (2 cores)": the processor's name where Linux tells it, and the core count.</summary>
    private static string Machine()
    {
        string? name = null;
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                name = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
        }
        return $"{name ?? "unknown processor"} ({Environment.ProcessorCount} cores)";
    }

    /// <summary>Training loss and accuracy per epoch of each regime, side by side.</summary>
    private static void Curves(string path, IReadOnlyList<Outcome> outcomes, string title)
    {
        Plot Panel(string what, Func<EpochReport, double> value)
        {
            var plot = new Plot();
            foreach (var o in outcomes)
                plot.Add.Scatter(o.History.Select(h => (double)h.Epoch).ToArray(), o.History.Select(value).ToArray()).LegendText = Label(o.Regime);
            plot.Title($"{title}: {what}");
            plot.Axes.Bottom.Label.Text = "epoch";
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            plot.ShowLegend(Edge.Bottom);
            return plot;
        }
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        multiplot.AddPlot(Panel("training loss", h => h.TrainLoss));
        multiplot.AddPlot(Panel("training accuracy (%)", h => 100 * h.TrainAccuracy));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Plots.SaveAtomically(path, tmp => multiplot.SavePng(tmp, 1100, 450));
    }
}
