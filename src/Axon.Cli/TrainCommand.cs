using System.CommandLine;
using Axon.Data;
using Axon.IO;
using Axon.Models;
using Axon.Models.Training;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon train</c>: trains a model of the zoo on Fashion-MNIST with a progress bar per epoch, validates after each
/// epoch (on a held-out split with <c>--validation</c>, else on the test set), writes a checkpoint after each epoch and
/// the best epoch's weights, and ends with a confusion matrix and per-class accuracy (also as PNGs with the loss and
/// accuracy curves). With no arguments it trains the lecture CNN.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainerOptions();
        var common = new TrainingOptionSet();
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => defaults.Epochs };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: " + string.Join(", ", ClassifierTrainer.Schedules) + ".", DefaultValueFactory = _ => defaults.Schedule };
        schedule.AcceptOnlyFromAmong([.. ClassifierTrainer.Schedules]);
        var stepSize = new Option<int>("--step-size") { Description = "Epochs between decays (step schedule).", DefaultValueFactory = _ => defaults.StepSize };
        var gamma = new Option<double>("--gamma") { Description = "Decay factor of the step, exp and inverse-time schedules.", DefaultValueFactory = _ => defaults.Gamma };
        var patience = new Option<int>("--patience") { Description = "Plateau schedule: epochs without improvement of the validation loss before reducing the rate.", DefaultValueFactory = _ => defaults.PlateauPatience };
        var factor = new Option<double>("--factor") { Description = "Plateau schedule: factor of each reduction.", DefaultValueFactory = _ => defaults.PlateauFactor };
        var maxLr = new Option<double?>("--max-lr") { Description = "Onecycle schedule: peak rate (default --lr); it starts at a 25th of it." };
        var pctStart = new Option<double>("--pct-start") { Description = "Onecycle schedule: fraction of the steps spent warming up.", DefaultValueFactory = _ => defaults.PctStart };
        var validation = new Option<double>("--validation") { Description = "Fraction of the training set held out for validation (0: validate on the test set).", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "k of the reported top-k accuracy.", DefaultValueFactory = _ => defaults.TopK };
        var earlyStopping = new Option<int>("--early-stopping") { Description = "Stop after this many epochs without improvement of the validation loss, and keep the best epoch's weights (0 = off).", DefaultValueFactory = _ => 0 };
        var minDelta = new Option<double>("--min-delta") { Description = "Early stopping: smallest decrease of the validation loss that counts.", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--output") { Description = "Output directory (default runs/MODEL)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUTPUT/checkpoint.safetensors with its saved settings." };
        var command = new Command("train", "Train a model on Fashion-MNIST; with no arguments, the lecture CNN.")
        {
            epochs, schedule, stepSize, gamma, patience, factor, maxLr, pctStart, validation, topK, earlyStopping, minDelta, output, resume,
        };
        foreach (var option in common.All) command.Options.Add(option);
        command.SetAction(p =>
        {
            string name = p.GetValue(common.Model)!;
            return Guard(() =>
            {
                var options = common.Build(p) with
                {
                    Epochs = p.GetValue(epochs),
                    Schedule = p.GetValue(schedule)!,
                    StepSize = p.GetValue(stepSize),
                    Gamma = p.GetValue(gamma),
                    PlateauPatience = p.GetValue(patience),
                    PlateauFactor = p.GetValue(factor),
                    MaxLr = p.GetValue(maxLr),
                    PctStart = p.GetValue(pctStart),
                    ValidationFraction = p.GetValue(validation),
                    TopK = p.GetValue(topK),
                    EarlyStoppingPatience = p.GetValue(earlyStopping),
                    EarlyStoppingMinDelta = p.GetValue(minDelta),
                };
                return Run(name, options, p.GetValue(common.Threads), p.GetValue(common.DataDir), p.GetValue(output) ?? Path.Combine("runs", name), p.GetValue(resume), p.GetValue(common.Limit));
            });
        });
        return command;
    }

    /// <summary>Loads Fashion-MNIST, the first <paramref name="limit"/> training and limit/6 test images when limit &gt; 0.</summary>
    internal static (IDataset Train, IDataset Test) LoadData(string? dataDir, int limit)
    {
        IDataset train = FashionMnist.Load(dataDir, train: true), test = FashionMnist.Load(dataDir, train: false);
        if (limit > 0)
        {
            train = new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count)).ToArray());
            test = new Subset(test, Enumerable.Range(0, Math.Min(Math.Max(limit / 6, 1), test.Count)).ToArray());
        }
        return (train, test);
    }

    private static int Run(string modelName, TrainerOptions options, int threads, string? dataDir, string output, bool resume, int limit)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "--threads must be at least 1.");
        if (!(options.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(options), options.LearningRate, "--lr must be greater than 0.");
        var device = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
        Directory.CreateDirectory(output);
        string checkpoint = Path.Combine(output, "checkpoint.safetensors"), best = Path.Combine(output, "best.safetensors");
        if (resume)
        {
            if (!File.Exists(checkpoint)) throw new FileNotFoundException($"--resume: no checkpoint at {checkpoint}.", checkpoint);
            var (savedModel, savedOptions) = ClassifierTrainer.ReadCheckpointSettings(checkpoint);
            // The run continues with its saved settings; only the number of epochs may grow (not for onecycle, whose cycle spans them).
            modelName = savedModel;
            if (savedOptions.Schedule == "onecycle" && options.Epochs > savedOptions.Epochs)
                throw new ArgumentException($"--resume: the onecycle schedule spans the {savedOptions.Epochs} epochs it was started with; it cannot be extended.");
            options = savedOptions with { Epochs = Math.Max(options.Epochs, savedOptions.Epochs) };
        }
        options.Validate();

        var (train, test) = LoadData(dataDir, limit);
        var generator = new Generator(options.Seed);
        var net = ModelZoo.Create(modelName, FashionMnist.ClassNames.Count, generator);
        net.To(device);
        var trainer = new ClassifierTrainer(net, generator, options);
        trainer.Callbacks.Add(new NanTermination(checkpoint));
        trainer.Callbacks.Add(new CheckpointBest(best, new Dictionary<string, string> { ["model"] = modelName }));
        if (trainer.EarlyStopping is not null) trainer.EarlyStopping.BestWeightsPath = best;
        if (resume)
        {
            trainer.LoadCheckpoint(checkpoint);
            AnsiConsole.MarkupLine($"Resuming [bold]{modelName}[/] from {Markup.Escape(checkpoint)} after epoch {trainer.Epoch}.");
        }
        var (fit, held) = trainer.SplitTrainingSet(train);
        string data = held is null ? $"{train.Count} training / {test.Count} test images"
            : $"{fit.Count} training / {held.Count} validation / {test.Count} test images";
        string extras = (options.Augment ? ", augmentation" : "") + (options.EarlyStoppingPatience > 0 ? $", early stopping after {options.EarlyStoppingPatience}" : "");
        AnsiConsole.MarkupLine(Markup.Escape($"{modelName} ({net.ParameterCount():N0} parameters) on Fashion-MNIST: {data}, {options.Epochs} epochs, batch {options.BatchSize}, " +
            $"{TrainingOptionSet.Describe(options)}, schedule {options.Schedule}{extras}, {threads} threads, seed {options.Seed}."));

        while (trainer.Epoch < options.Epochs && trainer.StopReason is null)
        {
            int epoch = trainer.Epoch + 1;
            EpochReport report = null!;
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"epoch {epoch}/{options.Epochs}", maxValue: 1);
                    report = trainer.TrainEpoch(train, test, b =>
                    {
                        task.MaxValue = b.Batches;
                        task.Value = b.Batch;
                        task.Description = $"epoch {epoch}/{options.Epochs}  lr {F(b.LearningRate, "G3")}  loss {F(b.Loss, "F4")}  acc {F(100 * b.Accuracy, "F2")}%  {F(b.ImagesPerSecond, "F0")} img/s";
                    });
                });
            string top = $"top-{report.TopK}";
            string validated = report.HeldOut
                ? $"[bold]val loss {F(report.ValidationLoss, "F4")} acc {F(100 * report.ValidationAccuracy, "F2")}% {top} {F(100 * report.ValidationTopKAccuracy, "F2")}%[/]  test acc {F(100 * report.TestAccuracy, "F2")}%"
                : $"[bold]test loss {F(report.TestLoss, "F4")} acc {F(100 * report.TestAccuracy, "F2")}% {top} {F(100 * report.TestTopKAccuracy, "F2")}%[/]";
            AnsiConsole.MarkupLine($"epoch {epoch}: lr {F(report.LearningRate, "G4")}  train loss {F(report.TrainLoss, "F4")} acc {F(100 * report.TrainAccuracy, "F2")}%  " +
                $"{validated}  {F(report.Seconds, "F1")} s, {F(report.ImagesPerSecond, "F0")} img/s");
            trainer.SaveCheckpoint(checkpoint, modelName);
        }
        if (trainer.StopReason is not null) AnsiConsole.MarkupLine($"Stopped after epoch {trainer.Epoch}: {Markup.Escape(trainer.StopReason)}");
        trainer.EndTraining();
        if (trainer.EarlyStopping is { RestoredEpoch: > 0 } stopping && stopping.RestoredEpoch < trainer.Epoch) AnsiConsole.MarkupLine($"Restored the weights of epoch {stopping.RestoredEpoch}, the best validation loss.");

        var eval = trainer.Evaluate(test);
        net.Save(Path.Combine(output, "model.safetensors"), new Dictionary<string, string> { ["model"] = modelName });
        Report.Confusion(eval, FashionMnist.ClassNames);
        string title = $"{modelName}, test accuracy {F(100 * eval.Accuracy, "F2")}%";
        Plots.ConfusionMatrix(Path.Combine(output, "confusion.png"), eval.Confusion, FashionMnist.ClassNames, title);
        Plots.Curves(Path.Combine(output, "curves.png"), trainer.History, modelName);
        AnsiConsole.MarkupLine($"Test accuracy [bold green]{F(100 * eval.Accuracy, "F2")}%[/], top-{eval.TopK} {F(100 * eval.TopKAccuracy, "F2")}%. " +
            $"Wrote {Markup.Escape(output)}/model.safetensors, checkpoint.safetensors, best.safetensors, confusion.png, curves.png.");
        return 0;
    }
}
