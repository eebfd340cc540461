using System.CommandLine;
using System.Globalization;
using Axon.Data;
using Axon.IO;
using Axon.Kernels;
using Axon.Models;
using Axon.Models.Training;
using Axon.Optim;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// <c>axon train</c>: trains a model of the zoo on Fashion-MNIST with a progress bar per epoch, evaluates on
/// the test set after each epoch, and ends with a confusion matrix and per-class accuracy (also as PNGs with
/// the loss and accuracy curves). With no arguments it trains the lecture CNN.
/// </summary>
internal static class TrainCommand
{
    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    public static Command Create()
    {
        var defaults = new TrainerOptions();
        var model = new Option<string>("--model") { Description = "Model: " + string.Join(", ", ModelZoo.Names.Select(n => n.Name)) + ".", DefaultValueFactory = _ => "lecture-cnn" };
        model.AcceptOnlyFromAmong([.. ModelZoo.Names.Select(n => n.Name)]);
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => defaults.BatchSize };
        var optimizer = new Option<string>("--optimizer") { Description = "Optimiser: " + string.Join(", ", OptimizerFactory.Names) + " (asgd is the lecture's averaged SGD).", DefaultValueFactory = _ => defaults.Optimizer };
        optimizer.AcceptOnlyFromAmong([.. OptimizerFactory.Names]);
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => defaults.Momentum };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum." };
        var weightDecay = new Option<double>("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => defaults.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: " + string.Join(", ", ClassifierTrainer.Schedules) + ".", DefaultValueFactory = _ => defaults.Schedule };
        schedule.AcceptOnlyFromAmong([.. ClassifierTrainer.Schedules]);
        var stepSize = new Option<int>("--step-size") { Description = "Epochs between decays (step schedule).", DefaultValueFactory = _ => defaults.StepSize };
        var gamma = new Option<double>("--gamma") { Description = "Decay factor of the schedule.", DefaultValueFactory = _ => defaults.Gamma };
        var augment = new Option<bool>("--augment") { Description = "Random crop, horizontal flip and random erasing on training batches." };
        var seed = new Option<long>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => defaults.Seed };
        var threads = new Option<int>("--threads") { Description = "Threads for the kernels.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files (default {FashionMnist.DefaultDirectory})." };
        var output = new Option<string?>("--output") { Description = "Output directory (default runs/MODEL)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUTPUT/checkpoint.safetensors with its saved settings." };
        var limit = new Option<int>("--limit") { Description = "Use only the first N training and N/6 test images (quick runs).", DefaultValueFactory = _ => 0 };
        var command = new Command("train", "Train a model on Fashion-MNIST; with no arguments, the lecture CNN.")
        {
            model, epochs, batch, optimizer, lr, momentum, nesterov, weightDecay, schedule, stepSize, gamma, augment, seed, threads, dataDir, output, resume, limit,
        };
        command.SetAction(p =>
        {
            var options = new TrainerOptions(p.GetValue(epochs), p.GetValue(batch), p.GetValue(optimizer)!, p.GetValue(lr), p.GetValue(momentum),
                p.GetValue(weightDecay), p.GetValue(nesterov), p.GetValue(schedule)!, p.GetValue(stepSize), p.GetValue(gamma), p.GetValue(augment), p.GetValue(seed));
            string name = p.GetValue(model)!;
            return Cli.Guard(() => Run(name, options, p.GetValue(threads), p.GetValue(dataDir), p.GetValue(output) ?? Path.Combine("runs", name), p.GetValue(resume), p.GetValue(limit)));
        });
        return command;
    }

    private static int Run(string modelName, TrainerOptions options, int threads, string? dataDir, string output, bool resume, int limit)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "--threads must be at least 1.");
        if (!(options.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(options), options.LearningRate, "--lr must be greater than 0.");
        KernelThreads.Count = threads;
        Directory.CreateDirectory(output);
        string checkpoint = Path.Combine(output, "checkpoint.safetensors");
        if (resume)
        {
            if (!File.Exists(checkpoint)) throw new FileNotFoundException($"--resume: no checkpoint at {checkpoint}.", checkpoint);
            var (savedModel, savedOptions) = ClassifierTrainer.ReadCheckpointSettings(checkpoint);
            // The run continues with its saved settings; only the number of epochs may grow.
            modelName = savedModel;
            options = savedOptions with { Epochs = Math.Max(options.Epochs, savedOptions.Epochs) };
        }

        IDataset train = FashionMnist.Load(dataDir, train: true), test = FashionMnist.Load(dataDir, train: false);
        if (limit > 0)
        {
            train = new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count)).ToArray());
            test = new Subset(test, Enumerable.Range(0, Math.Min(Math.Max(limit / 6, 1), test.Count)).ToArray());
        }
        var generator = new Generator(options.Seed);
        var net = ModelZoo.Create(modelName, FashionMnist.ClassNames.Count, generator);
        var trainer = new ClassifierTrainer(net, generator, options);
        if (resume)
        {
            trainer.LoadCheckpoint(checkpoint);
            AnsiConsole.MarkupLine($"Resuming [bold]{modelName}[/] from {Markup.Escape(checkpoint)} after epoch {trainer.Epoch}.");
        }
        AnsiConsole.MarkupLine($"[bold]{modelName}[/] ({net.ParameterCount():N0} parameters) on Fashion-MNIST: {train.Count} training / {test.Count} test images, " +
            $"{options.Epochs} epochs, batch {options.BatchSize}, {options.Optimizer} lr {F(options.LearningRate, "G4")}, schedule {options.Schedule}{(options.Augment ? ", augmentation" : "")}, {threads} threads, seed {options.Seed}.");

        while (trainer.Epoch < options.Epochs)
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
                        task.Description = $"epoch {epoch}/{options.Epochs}  loss {F(b.Loss, "F4")}  acc {F(100 * b.Accuracy, "F2")}%  {F(b.ImagesPerSecond, "F0")} img/s";
                    });
                });
            AnsiConsole.MarkupLine($"epoch {epoch}: lr {F(report.LearningRate, "G4")}  train loss {F(report.TrainLoss, "F4")} acc {F(100 * report.TrainAccuracy, "F2")}%  " +
                $"[bold]test loss {F(report.TestLoss, "F4")} acc {F(100 * report.TestAccuracy, "F2")}%[/]  {F(report.Seconds, "F1")} s, {F(report.ImagesPerSecond, "F0")} img/s");
            trainer.SaveCheckpoint(checkpoint, modelName);
        }

        var eval = trainer.Evaluate(test);
        net.Save(Path.Combine(output, "model.safetensors"), new Dictionary<string, string> { ["model"] = modelName });
        Report.Confusion(eval, FashionMnist.ClassNames);
        string title = $"{modelName}, test accuracy {F(100 * eval.Accuracy, "F2")}%";
        Plots.ConfusionMatrix(Path.Combine(output, "confusion.png"), eval.Confusion, FashionMnist.ClassNames, title);
        Plots.Curves(Path.Combine(output, "curves.png"), trainer.History.Select(h => (h.Epoch, h.TrainLoss, h.TestLoss, h.TrainAccuracy, h.TestAccuracy)).ToList(), modelName);
        AnsiConsole.MarkupLine($"Test accuracy [bold green]{F(100 * eval.Accuracy, "F2")}%[/]. Wrote {Markup.Escape(output)}/model.safetensors, checkpoint.safetensors, confusion.png, curves.png.");
        return 0;
    }
}
