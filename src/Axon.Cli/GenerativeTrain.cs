using System.Globalization;
using System.Text.Json;
using Axon.Data;
using Axon.IO;
using Axon.Models.Generative;
using Axon.Models.Training;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon train --model vae|dcgan|…</c>: trains one of the <see cref="GenerativeZoo"/>'s models on Fashion-MNIST
/// through the common trainer, with the classifiers' progress bars, checkpoints, exact resume and NaN stop; after each
/// epoch it writes a grid of samples (<c>samples-epoch-NN.png</c>, the same codes every epoch); at the end the model,
/// pictures (samples, interpolation, traversals), the loss curves and <c>summary.json</c> (seconds per epoch, test metrics).
/// </summary>
internal static class GenerativeTrain
{
    /// <summary>Seed of the codes behind the per-epoch sample grids, fixed so the grids show one set of codes maturing.</summary>
    private const long GridSeed = 1234;

    /// <summary>Trains <paramref name="modelName"/>; <paramref name="resumed"/> describes the checkpoint to continue from, or null.</summary>
    public static int Run(string modelName, TrainerOptions options, RunSettings run, string output, string? resumed, string? tensorboard = null)
    {
        options.Validate();
        var device = DeviceOptions.Open(run.DeviceName, run.Tf32 ?? false, run.Threads);
        string dataDir = TrainCommand.ResolveDataDir(run.DataDir);
        var (images, testImages) = TrainCommand.LoadData(dataDir, run.Limit, unitRange: true);
        var generator = new Generator(options.Seed);
        var model = GenerativeZoo.Create(modelName, generator);
        model.To(device);
        var setup = GenerativeZoo.Prepare(modelName, model, images, testImages, options.Seed);
        string checkpoint = Path.Combine(output, TrainCommand.CheckpointFile);
        var trainer = new Trainer(setup.Task, generator, options);
        trainer.Callbacks.Add(new NanTermination(checkpoint));
        // The epoch's sample grid (the PNG written beside the checkpoint) as TensorBoard's image; [rows, columns, h, w] becomes a batch of one-channel images.
        static Tensor Batch(Tensor grid) => grid.Reshape(grid.Size(0) * grid.Size(1), 1, grid.Size(2), grid.Size(3));
        Func<Trainer, Tensor>? epochImages = HasPictures(model) ? t => Batch(EpochGrid(model, testImages, t.Epoch, modelName).Images) : null;
        using var logs = TensorBoardLogs.Attach(trainer, tensorboard, TensorBoardLogs.FirstInputs(testImages), epochImages);
        var metadata = new Dictionary<string, string> { [TrainCommand.ModelKey] = modelName };

        bool created = !Directory.Exists(output);
        try
        {
            Directory.CreateDirectory(output);
            if (resumed is not null)
            {
                trainer.LoadCheckpoint(checkpoint);
                AnsiConsole.MarkupLine(Markup.Escape($"Resuming {modelName} from {checkpoint} {resumed}."));
            }
            (run with { DataDir = dataDir }).Write(output);
        }
        catch when (created)
        {
            if (Directory.EnumerateFileSystemEntries(output).All(e => Path.GetFileName(e) == RunSettings.FileName)) Directory.Delete(output, recursive: true);
            throw;
        }

        AnsiConsole.MarkupLine(Markup.Escape($"{modelName} ({model.ParameterCount():N0} parameters) on Fashion-MNIST: {setup.Train.Count} training / {setup.Test.Count} test " +
            $"{(setup.Train is FashionMnist or Subset ? "images" : "samples")}, {options.Epochs} epochs, batch {options.BatchSize}, {TrainingOptionSet.Describe(options)}, " +
            $"schedule {options.Schedule}, {Cli.Threads(run.Threads)}{DeviceOptions.Describe(device)}, seed {options.Seed}."));
        var seconds = SavedSeconds(output, trainer.Epoch);
        while (trainer.Epoch < options.Epochs && trainer.StopReason is null)
        {
            int epoch = trainer.Epoch + 1;
            setup.BeforeEpoch?.Invoke(trainer.Epoch);
            string Progress(BatchReport b) => $"epoch {epoch}/{options.Epochs}  loss {F(b.Loss, "F4")}{Metrics(b.Metrics, 3)}  {F(b.SamplesPerSecond, "F0")} img/s";
            var report = RunEpoch(trainer, setup, epoch, options.Epochs, Progress);
            seconds.Add(report.Seconds);
            AnsiConsole.MarkupLine(Markup.Escape($"epoch {epoch}: train loss {F(report.TrainLoss, "F4")}{Metrics(report.TrainMetrics, 4)}  test loss {F(report.TestLoss, "F4")}{Metrics(report.TestMetrics, 4)}  " +
                $"{F(report.Seconds, "F1")} s, {F(report.SamplesPerSecond, "F0")} img/s"));
            trainer.SaveCheckpoint(checkpoint, metadata);
            WriteSummary(output, modelName, options, run, setup, trainer, seconds, final: null);
            if (HasPictures(model))
                ImageGrids.Save(Path.Combine(output, $"samples-epoch-{epoch:D2}.png"), [EpochGrid(model, testImages, epoch, modelName)]);
        }
        if (trainer.StopReason is not null) AnsiConsole.MarkupLine($"Stopped after epoch {trainer.Epoch}: {Markup.Escape(trainer.StopReason)}");
        trainer.EndTraining();

        model.Save(Path.Combine(output, "model.safetensors"), metadata);
        var final = setup.FinalMetrics?.Invoke();
        if (final is not null) AnsiConsole.MarkupLine(Markup.Escape("Final:" + Metrics(final, 4)));
        WriteSummary(output, modelName, options, run, setup, trainer, seconds, final);
        var written = new List<string> { "model.safetensors", TrainCommand.CheckpointFile, "summary.json" };
        if (HasPictures(model))
        {
            foreach (var (file, grids) in GenerateCommand.Pictures(model, testImages, new Generator(GridSeed), modelName))
            {
                ImageGrids.Save(Path.Combine(output, file), grids);
                written.Add(file);
            }
        }
        if (trainer.History.Count > 0)
        {
            Plots.Curves(Path.Combine(output, "curves.png"), trainer.History, $"{modelName} ({Cli.Threads(run.Threads)})");
            written.Add("curves.png");
        }
        AnsiConsole.MarkupLine(Markup.Escape($"Wrote {output}/{string.Join(", ", written)}."));
        return 0;
    }

    private static EpochReport RunEpoch(Trainer trainer, GenerativeSetup setup, int epoch, int epochs, Func<BatchReport, string> progress)
    {
        EpochReport report = null!;
        if (LiveProgress)
        {
            AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var bar = ctx.AddTask($"epoch {epoch}/{epochs}", maxValue: 1);
                    report = trainer.TrainEpoch(setup.Train, setup.Test, b =>
                    {
                        bar.MaxValue = b.Batches;
                        bar.Value = b.Batch;
                        bar.Description = Markup.Escape(progress(b));
                    });
                });
        }
        else
        {
            var due = PlainProgressDue();
            report = trainer.TrainEpoch(setup.Train, setup.Test, b =>
            {
                if (b.Batch < b.Batches && due()) AnsiConsole.WriteLine($"{progress(b)}  batch {b.Batch}/{b.Batches}");
            });
        }
        return report;
    }

    /// <summary>The grid written after each epoch: 8 × 8 samples from fixed codes (an autoencoder: fixed test images).</summary>
    internal static ImageGrid EpochGrid(Axon.Nn.Module model, IDataset test, int epoch, string modelName)
    {
        var grid = GenerativePictures.Samples(model, 8, 8, new Generator(GridSeed), test, GenerativeZoo.Corruption(modelName));
        return grid with { Title = $"epoch {epoch}: {grid.Title}" };
    }

    internal static bool HasPictures(Axon.Nn.Module model) => model is not Axon.Models.Siamese.SiameseNetwork;

    private static string Metrics(IReadOnlyDictionary<string, double> metrics, int digits) =>
        string.Concat(metrics.Where(kv => !kv.Key.EndsWith("_se", StringComparison.Ordinal)).Select(kv => $"  {kv.Key} {F(kv.Value, "F" + digits)}"));

    private const string SummaryFile = "summary.json";

    /// <summary>Seconds per epoch of the epochs already trained (from the summary of the run being resumed).</summary>
    private static List<double> SavedSeconds(string output, int epochs)
    {
        string path = Path.Combine(output, SummaryFile);
        if (epochs == 0 || !File.Exists(path)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var saved = doc.RootElement.GetProperty("seconds_per_epoch").EnumerateArray().Select(e => e.GetDouble()).Take(epochs).ToList();
            return saved;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return [];
        }
    }

    private static void WriteSummary(string output, string modelName, TrainerOptions options, RunSettings run, GenerativeSetup setup, Trainer trainer,
        IReadOnlyList<double> seconds, IReadOnlyDictionary<string, double>? final)
    {
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (trainer.History.Count > 0)
        {
            var last = trainer.History[^1];
            metrics["test_loss"] = last.TestLoss;
            foreach (var (k, v) in last.TestMetrics) metrics[k] = v;
        }
        if (final is not null)
            foreach (var (k, v) in final) metrics[k] = v;
        var summary = new Dictionary<string, object?>
        {
            ["tool"] = "axon",
            ["model"] = modelName,
            ["epochs"] = trainer.Epoch,
            ["images_per_epoch"] = setup.Train.Count,
            ["batch_size"] = options.BatchSize,
            ["threads"] = run.Threads,
            ["seed"] = options.Seed,
            ["seconds_per_epoch"] = seconds,
            ["train_loss"] = trainer.History.Select(h => h.TrainLoss).ToList(),
            ["metrics"] = metrics.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        Plots.SaveAtomically(Path.Combine(output, SummaryFile), tmp => File.WriteAllText(tmp, CliJson.Serialize(summary)));
    }
}
