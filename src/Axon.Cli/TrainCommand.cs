using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Axon.Data;
using Axon.IO;
using Axon.Models;
using Axon.Models.Training;
using Axon.Nn;
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
        var common = new TrainingOptionSet();
        var topK = new Option<int>("--top-k") { Description = "k of the reported top-k accuracy.", DefaultValueFactory = _ => RunSettings.DefaultTopK }
            .Require(v => v is >= 1 and <= 10, "must be between 1 and 10, the number of classes");
        var output = new Option<string?>("--output") { Description = "Output directory (default runs/MODEL)." }
            .Require(v => v is null || v.Trim().Length > 0, "must name a directory");
        var weights = new Option<string?>("--weights") { Description = "Start a classifier from these weights (safetensors, e.g. an earlier run's model.safetensors, or a PyTorch .pth state dict with the zoo's keys) instead of a fresh draw." }
            .Require(v => v is null || v.Trim().Length > 0, "must name a weights file");
        var freeze = new Option<string?>("--freeze") { Description = "Freeze a classifier's parameters selected by these comma-separated glob patterns over their names or their modules' (e.g. conv1,conv2 or 'features.*'): they keep their values, and batch norms whose parameters are all frozen keep their statistics." }
            .Require(v => v is null || v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Length > 0, "must hold at least one pattern");
        var tensorboard = TensorBoardLogs.CreateOption();
        var resume = new Option<bool>("--resume") { Description = "Continue the run in OUTPUT from its checkpoint, with its saved settings; --epochs, --limit, --data-dir, --threads and --top-k may override them." };
        var distributed = new Option<bool>("--distributed")
        {
            Description = "Be one rank of a data-parallel run started by Open MPI (mpirun -np N ./axon train --distributed ...): each rank trains a classifier on its share of every epoch, " +
                "--batch-size samples per rank and step, with the gradients averaged over the ranks; rank 0 prints and writes the files. --threads defaults to the cores per rank.",
        };
        var device = new DeviceOptions();
        var syncBn = new Option<bool>("--sync-bn") { Description = "With --distributed: batch norm normalises with the statistics of every rank's samples (SyncBatchNorm) instead of each rank's own." };
        var command = new Command("train", "Train a model on Fashion-MNIST: a classifier (with no arguments, the lecture CNN), an autoencoder, a VAE, a GAN or a Siamese network.");
        foreach (var option in common.All.Append(topK).Append(output).Append(weights).Append(freeze).Append(resume).Append(tensorboard).Append(distributed).Append(syncBn).Concat(device.All)) command.Options.Add(option);
        // A resumed run takes its optimiser from the checkpoint, so the options are compared with the saved ones there instead.
        command.Validators.Add(r =>
        {
            if (!r.ValueOr(resume, false)) common.CheckOptimizerSettings(r);
            device.Check(r, fromRun: r.ValueOr(resume, false));
            if (r.ValueOr(syncBn, false) && !r.ValueOr(distributed, false)) r.AddError("--sync-bn synchronises batch norm across the ranks of a --distributed run; add --distributed (under mpirun).");
        });
        command.SetAction(p => Guard(p, () =>
        {
            if (!p.GetValue(distributed)) return Start(p, group: null);
            return DistributedRun.Run(p, group => Start(p, group));
        }));
        return command;

        int Start(ParseResult p, Axon.Distributed.ProcessGroup? group)
        {
            string name = p.GetValue(common.Model)!;
            var options = common.Build(p);
            string dir = p.GetValue(output) ?? Path.Combine("runs", name);
            int threads = group is not null && !p.Typed(common.Threads) ? DistributedRun.DefaultThreads() : p.GetValue(common.Threads);
            var run = new RunSettings(p.GetValue(common.Limit), p.GetValue(common.DataDir), threads)
            {
                TopK = p.GetValue(topK),
                Weights = p.GetValue(weights) is { } file ? Path.GetFullPath(file) : null,
                Freeze = SplitPatterns(p.GetValue(freeze)),
                Device = DeviceOptions.Canonical(p.GetValue(device.Device)) is { } d and not DeviceOptions.Cpu ? d : null,
                Tf32 = p.GetValue(device.Tf32) ? true : null,
            };
            if (group is not null && run.Device is not null) throw new ArgumentException($"--device {run.Device}: --distributed runs train on the CPU of each rank.");
            if ((run.Weights is not null || run.Freeze is not null) && Axon.Models.Generative.GenerativeZoo.Contains(name))
                throw new ArgumentException($"--weights and --freeze start a classifier; {name} is a generative model.");
            string? resumed = null;
            if (p.GetValue(resume))
            {
                // The checkpoint holds the weights and the run's settings its frozen patterns: neither may change.
                if (p.Typed(weights)) throw new ArgumentException("--weights: a resumed run continues from its checkpoint's weights.");
                var typedFreeze = run.Freeze;
                (name, options, run, resumed) = Resume(p, dir, p.Typed(output), name, options, run, common, topK, device);
                if (p.Typed(freeze) && !(typedFreeze ?? []).SequenceEqual(run.Freeze ?? []))
                    throw new ArgumentException($"--freeze {string.Join(",", typedFreeze ?? [])}: the run in {dir} froze {(run.Freeze is null ? "nothing" : string.Join(",", run.Freeze))}, and a resumed run keeps it.");
            }
            var parallel = group is null ? null : new DataParallel(group, p.GetValue(syncBn));
            return Run(name, options, run, dir, resumed, p.GetValue(tensorboard), parallel);
        }
    }

    /// <summary>
    /// The model, options and run settings to continue the run in <paramref name="output"/> with: the saved ones, except
    /// --epochs, --limit, --data-dir, --threads and --top-k when the user typed them. Typing any other setting with a
    /// value other than the saved one is an error: the optimiser state, schedule and generators continue from the
    /// checkpoint. Returns the resume line's description of the settings.
    /// </summary>
    private static (string Model, TrainerOptions Options, RunSettings Run, string Description) Resume(
        ParseResult p, string output, bool outputTyped, string name, TrainerOptions options, RunSettings run, TrainingOptionSet common, Option<int> topK, DeviceOptions device)
    {
        string checkpoint = Path.Combine(output, CheckpointFile);
        if (!File.Exists(checkpoint))
            throw new FileNotFoundException($"--resume: no checkpoint at {checkpoint}{(outputTyped ? "" : " (--output names the run to resume)")}.", checkpoint);
        var (saved, metadata) = Trainer.ReadCheckpointSettings(checkpoint);
        if (!metadata.TryGetValue(ModelKey, out var savedModel)) throw new InvalidDataException($"{checkpoint}: the checkpoint does not name its model; it was not written by axon train.");
        int done = (int)Checkpoint.ReadInfo(checkpoint).Epoch;
        var savedRun = RunSettings.Read(output);

        var conflicts = new List<string>();
        if (p.Typed(common.Model) && name != savedModel)
            conflicts.Add($"{Cli.TypedName(p.GetResult(common.Model)!)} {name}: the run in {output} trains {savedModel}, and a resumed run keeps its model");
        conflicts.AddRange(common.Conflicts(p, options, saved, s => s.Name != "epochs").Select(c => c + ", and a resumed run keeps it"));
        if (conflicts.Count > 0)
            throw new ArgumentException($"--resume: {string.Join("; ", conflicts)}. Use another --output for a new run with other settings.");

        var notes = new List<string>();
        int epochs = saved.Epochs;
        var epochsOption = common["epochs"];
        if (p.Typed(epochsOption) && options.Epochs != saved.Epochs)
        {
            int wanted = options.Epochs;
            if (saved.Schedule == "onecycle")
                throw new ArgumentException($"--epochs {wanted}: the onecycle schedule of the run in {output} spans the {saved.Epochs} epochs it was started with; it cannot be changed.");
            if (wanted < done) throw new ArgumentException($"--epochs {wanted}: the run in {output} has already trained {done} epochs.");
            notes.Add($"--epochs {wanted} overrides the saved {saved.Epochs}");
            epochs = wanted;
        }
        int limit = savedRun?.Limit ?? run.Limit;
        string? dataDir = savedRun?.DataDir ?? run.DataDir;
        int threads = savedRun?.Threads ?? run.Threads;
        int k = savedRun?.TopK ?? run.TopK;
        // The device may change (a checkpoint loads anywhere); TF32 stays as saved unless typed, and is off on the CPU.
        string? deviceName = savedRun?.Device;
        bool tf32 = savedRun?.Tf32 ?? false;
        if (p.Typed(device.Device) && run.DeviceName != (savedRun?.DeviceName ?? DeviceOptions.Cpu))
        {
            notes.Add($"--device {run.DeviceName} overrides the saved {savedRun?.DeviceName ?? DeviceOptions.Cpu}");
            deviceName = run.Device;
        }
        if (p.Typed(device.Tf32)) tf32 = run.Tf32 ?? false;
        else if (deviceName is null) tf32 = false;
        if (savedRun is not null)
        {
            if (p.Typed(common.Limit) && run.Limit != savedRun.Limit)
            {
                // The onecycle schedule was laid out for the saved number of batches per epoch.
                if (saved.Schedule == "onecycle")
                    throw new ArgumentException($"--limit {run.Limit}: the onecycle schedule of the run in {output} spans the batches of --limit {savedRun.Limit}; it cannot be changed.");
                notes.Add($"--limit {run.Limit} overrides the saved {savedRun.Limit}");
                limit = run.Limit;
            }
            if (p.Typed(common.DataDir) && Path.GetFullPath(run.DataDir!) != savedRun.DataDir)
            {
                notes.Add($"--data-dir {run.DataDir} overrides the saved {savedRun.DataDir}");
                dataDir = run.DataDir;
            }
            if (p.Typed(common.Threads) && run.Threads != savedRun.Threads)
            {
                notes.Add($"--threads {run.Threads} overrides the saved {savedRun.Threads}");
                threads = run.Threads;
            }
            if (p.Typed(topK) && run.TopK != savedRun.TopK)
            {
                notes.Add($"--top-k {run.TopK} overrides the saved {savedRun.TopK}");
                k = run.TopK;
            }
        }
        else notes.Add($"the run has no {RunSettings.FileName}, so --limit, --data-dir, --threads and --top-k are as given now");

        string description = $"{Epochs(epochs)}, {(limit > 0 ? $"--limit {limit}" : "all images")}, data {dataDir ?? FashionMnist.DefaultDirectory}, {Cli.Threads(threads)}, " +
            (deviceName is null ? "" : $"device {deviceName}{(tf32 ? " with TF32" : "")}, ") +
            $"{TrainingOptionSet.Describe(saved)}, schedule {saved.Schedule}, seed {saved.Seed}" + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
        var resumedRun = new RunSettings(limit, dataDir, threads) { TopK = k, Weights = savedRun?.Weights, Freeze = savedRun?.Freeze, Device = deviceName, Tf32 = tf32 ? true : null };
        return (savedModel, saved with { Epochs = epochs }, resumedRun, $"after epoch {done} of {epochs} (settings: {description})");
    }

    /// <summary>The comma-separated patterns of --freeze, or null for none.</summary>
    private static string[]? SplitPatterns(string? text) => text?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The checkpoint metadata key of the model's zoo name.</summary>
    internal const string ModelKey = "model";

    private static string Epochs(int n) => n == 1 ? "1 epoch" : $"{n} epochs";

    /// <summary>The file name of the training checkpoint in the output directory.</summary>
    internal const string CheckpointFile = "checkpoint.safetensors";

    /// <summary>
    /// The Fashion-MNIST directory to read, checked here so that a missing or incomplete one is reported as a problem
    /// with --data-dir (the library's message speaks to a caller of FashionMnist.Load). Returns its full path.
    /// </summary>
    internal static string ResolveDataDir(string? dataDir, bool withTrainingSet = true)
    {
        string install = "install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data-dir DIR";
        string where = dataDir is null ? $"{FashionMnist.DefaultDirectory} (the default --data-dir)" : $"--data-dir {dataDir}";
        if (dataDir is not null && dataDir.Trim().Length == 0) throw new ArgumentException("--data-dir is empty; it must name the directory holding the Fashion-MNIST IDX files.");
        string dir = dataDir ?? FashionMnist.DefaultDirectory;
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException(dataDir is null ? $"Fashion-MNIST is not installed: {FashionMnist.DefaultDirectory} does not exist; {install}." : $"{where}: no such directory.");
        foreach (var stem in (string[])["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
            if ((withTrainingSet || stem.StartsWith("t10k", StringComparison.Ordinal)) && !File.Exists(Path.Combine(dir, stem + ".gz")) && !File.Exists(Path.Combine(dir, stem)))
                throw new FileNotFoundException($"{where} has neither {stem}.gz nor {stem}; it must hold the four Fashion-MNIST IDX files (train and t10k images and labels, with or without .gz).");
        return Path.GetFullPath(dir);
    }

    /// <summary>
    /// Loads Fashion-MNIST, the first <paramref name="limit"/> training and limit/6 test images when limit &gt; 0;
    /// normalised with the training set's mean and deviation, or with <paramref name="unitRange"/> as pixels in [0, 1]
    /// (what the generative models take).
    /// </summary>
    internal static (IDataset Train, IDataset Test) LoadData(string? dataDir, int limit, bool unitRange = false)
    {
        string dir = ResolveDataDir(dataDir);
        float mean = unitRange ? 0 : FashionMnist.TrainMean, std = unitRange ? 1 : FashionMnist.TrainStd;
        IDataset train = FashionMnist.Load(dir, train: true, mean, std), test = FashionMnist.Load(dir, train: false, mean, std);
        if (limit > 0)
        {
            train = new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count)).ToArray());
            test = new Subset(test, Enumerable.Range(0, Math.Min(Math.Max(limit / 6, 1), test.Count)).ToArray());
        }
        return (train, test);
    }

    private static int Run(string modelName, TrainerOptions options, RunSettings run, string output, string? resumed, string? tensorboard, DataParallel? parallel)
    {
        if (Axon.Models.Generative.GenerativeZoo.Contains(modelName))
        {
            if (parallel is not null) throw new ArgumentException($"--distributed trains the classifiers of the zoo; {modelName}'s training is not data-parallel yet.");
            return GenerativeTrain.Run(modelName, options, run, output, resumed, tensorboard);
        }
        options.Validate();
        // Opened first, so that a missing GPU or driver fails before the data is read or any file is written.
        var device = DeviceOptions.Open(run.DeviceName, run.Tf32 ?? false, run.Threads);
        string dataDir = ResolveDataDir(run.DataDir);
        var (train, test) = LoadData(dataDir, run.Limit);
        var generator = new Generator(options.Seed);
        var net = ModelZoo.Create(modelName, FashionMnist.ClassNames.Count, generator);
        if (run.Weights is not null && resumed is null) net.LoadWeights(run.Weights);
        if (run.Freeze is not null) net.Freeze(run.Freeze);
        net.To(device);
        string checkpoint = Path.Combine(output, CheckpointFile), best = Path.Combine(output, "best.safetensors");
        var task = new ClassificationTask(net, FashionMnist.ClassNames.Count, run.TopK);
        var trainer = new Trainer(task, generator, options, dataParallel: parallel);
        trainer.Callbacks.Add(new NanTermination(checkpoint));
        trainer.Callbacks.Add(new CheckpointBest(best, new Dictionary<string, string> { [ModelKey] = modelName }));
        if (trainer.EarlyStopping is not null) trainer.EarlyStopping.BestWeightsPath = best;
        using var logs = TensorBoardLogs.Attach(trainer, tensorboard, TensorBoardLogs.FirstInputs(test));

        // The directory is made only now that the run really starts, so a failed start leaves none behind. Distributed,
        // rank 0 writes every file.
        bool created = trainer.IsPrimary && !Directory.Exists(output);
        try
        {
            if (trainer.IsPrimary) Directory.CreateDirectory(output);
            if (resumed is not null)
            {
                trainer.LoadCheckpoint(checkpoint);
                AnsiConsole.MarkupLine(Markup.Escape($"Resuming {modelName} from {checkpoint} {resumed}."));
            }
            if (trainer.IsPrimary) (run with { DataDir = dataDir }).Write(output);
            if (run.Weights is not null && resumed is null) AnsiConsole.MarkupLine(Markup.Escape($"Starting from the weights in {run.Weights}."));
            if (run.Freeze is not null)
            {
                long trainable = net.Parameters().Where(q => q.RequiresGrad).Sum(q => (long)q.NumEl), all = net.Parameters().Sum(q => (long)q.NumEl);
                AnsiConsole.MarkupLine(Markup.Escape($"Frozen: {string.Join(", ", run.Freeze)}; {trainable:N0} of {all:N0} parameters train."));
            }
            return Train(modelName, options, run.Threads, output, trainer, task, train, test);
        }
        catch when (created)
        {
            // Nothing of the run but its settings file was written: leave nothing behind.
            if (Directory.EnumerateFileSystemEntries(output).All(e => Path.GetFileName(e) == RunSettings.FileName)) Directory.Delete(output, recursive: true);
            throw;
        }
    }

    private static int Train(string modelName, TrainerOptions options, int threads, string output, Trainer trainer, ClassificationTask task, IDataset train, IDataset test)
    {
        string checkpoint = Path.Combine(output, CheckpointFile);
        var (fit, held) = trainer.SplitTrainingSet(train);
        string data = held is null ? $"{train.Count} training / {test.Count} test images"
            : $"{fit.Count} training / {held.Count} validation / {test.Count} test images";
        string extras = (options.Augment ? ", augmentation" + (options.Erasing == new TrainerOptions().Erasing ? "" : $" (erasing {options.Erasing.ToString(CultureInfo.InvariantCulture)})") : "") + (options.EarlyStoppingPatience > 0 ? $", early stopping after {options.EarlyStoppingPatience}" : "") +
            (options.FlipTta ? ", flip test-time augmentation" : "") + (options.Ema > 0 ? $", weight average (ema {options.Ema.ToString(CultureInfo.InvariantCulture)})" : "") + (options.EvalEvery > 1 ? $", test every {options.EvalEvery} epochs" : "") +
            (trainer.Group is { } group ? ", " + DistributedRun.Describe(group, options.BatchSize, trainer.Model.NamedModules().Any(m => m.Module is BatchNormBase { CrossReplica: not null })) : "");
        AnsiConsole.MarkupLine(Markup.Escape($"{modelName} ({task.Model.ParameterCount():N0} parameters) on Fashion-MNIST: {data}, {Epochs(options.Epochs)}, batch {options.BatchSize}, " +
            $"{TrainingOptionSet.Describe(options)}, schedule {options.Schedule}{extras}, {Cli.Threads(threads)}{DeviceOptions.Describe(task.Device)}, seed {options.Seed}."));

        while (trainer.Epoch < options.Epochs && trainer.StopReason is null)
        {
            int epoch = trainer.Epoch + 1;
            // On a terminal under 100 columns the bar line drops the rate (the epoch's line has it) and the elapsed time,
            // so that it fits 80 columns instead of wrapping.
            bool wide = AnsiConsole.Profile.Width >= 100;
            string Progress(BatchReport b) => $"epoch {epoch}/{options.Epochs}  " + (wide ? $"lr {F(b.LearningRate, "G3")}  " : "") +
                $"loss {F(b.Loss, "F4")}  acc {F(100 * b.Accuracy, "F2")}%  {F(b.SamplesPerSecond, "F0")} img/s";
            EpochReport report = null!;
            if (LiveProgress)
            {
                ProgressColumn[] columns = wide
                    ? [new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn()]
                    : [new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 }, new PercentageColumn(), new RemainingTimeColumn()];
                AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(columns)
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask($"epoch {epoch}/{options.Epochs}", maxValue: 1);
                        report = trainer.TrainEpoch(train, test, b =>
                        {
                            task.MaxValue = b.Batches;
                            task.Value = b.Batch;
                            task.Description = Progress(b);
                        });
                    });
            }
            else
            {
                // In a pipe or a log, a plain line now and then instead of a redrawn bar.
                var due = PlainProgressDue();
                report = trainer.TrainEpoch(train, test, b =>
                {
                    if (b.Batch < b.Batches && due()) AnsiConsole.WriteLine($"{Progress(b)}  batch {b.Batch}/{b.Batches}");
                });
            }
            string top = $"top-{task.TopK}";
            string validated = report.HeldOut
                ? $"[bold]val loss {F(report.ValidationLoss, "F4")} acc {F(100 * report.ValidationAccuracy, "F2")}% {top} {F(100 * report.ValidationTopKAccuracy, "F2")}%[/]" + (double.IsNaN(report.TestLoss) ? "" : $"  test acc {F(100 * report.TestAccuracy, "F2")}%")
                : double.IsNaN(report.TestLoss) ? $"(test every {options.EvalEvery} epochs)"
                : $"[bold]test loss {F(report.TestLoss, "F4")} acc {F(100 * report.TestAccuracy, "F2")}% {top} {F(100 * report.TestTopKAccuracy, "F2")}%[/]";
            AnsiConsole.MarkupLine($"epoch {epoch}: lr {F(report.LearningRate, "G4")}  train loss {F(report.TrainLoss, "F4")} acc {F(100 * report.TrainAccuracy, "F2")}%  " +
                $"{validated}  {F(report.Seconds, "F1")} s, {F(report.SamplesPerSecond, "F0")} img/s, {Cli.Threads(threads)}");
            trainer.SaveCheckpoint(checkpoint, new Dictionary<string, string> { [ModelKey] = modelName });
        }
        if (trainer.StopReason is not null) AnsiConsole.MarkupLine($"Stopped after epoch {trainer.Epoch}: {Markup.Escape(trainer.StopReason)}");
        trainer.EndTraining();
        if (trainer.EarlyStopping is { RestoredEpoch: > 0 } stopping && stopping.RestoredEpoch < trainer.Epoch) AnsiConsole.MarkupLine($"Restored the weights of epoch {stopping.RestoredEpoch}, the best validation loss.");
        if (trainer.DataParallel is not null)
        {
            AnsiConsole.MarkupLine(Markup.Escape(DistributedRun.Summary(trainer)));
            if (!trainer.IsPrimary) return 0;   // the final evaluation, the files and the plots are rank 0's
        }

        // The last epoch's test evaluation is the final one when nothing has changed the weights since (no best epoch
        // restored) and no validation pass came after it: its confusion matrix is kept, and a second pass saved.
        bool restored = trainer.EarlyStopping is { RestoredEpoch: > 0 } stopped && stopped.RestoredEpoch < trainer.Epoch;
        bool reuse = !restored && trainer.History.Count > 0 && !double.IsNaN(trainer.History[^1].TestLoss)
            && task.LastEvaluation is { } last && ReferenceEquals(last.Data, test);
        Evaluation eval;
        // The model file holds the weights that were evaluated: the moving average with --ema.
        using (trainer.UseEvaluationWeights())
        {
            eval = reuse ? task.LastEvaluation!.Value.Result : task.EvaluateClasses(test, Math.Max(options.BatchSize, 256), options.FlipTta);
            task.Model.Save(Path.Combine(output, "model.safetensors"), new Dictionary<string, string> { [ModelKey] = modelName });
        }
        Report.Confusion(eval, FashionMnist.ClassNames, threads);
        string title = $"{modelName}, test accuracy {F(100 * eval.Accuracy, "F2")}% ({Cli.Threads(threads)})";
        Plots.ConfusionMatrix(Path.Combine(output, "confusion.png"), eval.Confusion, FashionMnist.ClassNames, title);
        Plots.Curves(Path.Combine(output, "curves.png"), trainer.History, $"{modelName} ({Cli.Threads(threads)})");
        AnsiConsole.MarkupLine($"Test accuracy [bold green]{F(100 * eval.Accuracy, "F2")}%[/], top-{eval.TopK} {F(100 * eval.TopKAccuracy, "F2")}% ({Cli.Threads(threads)}). " +
            $"Wrote {Markup.Escape(output)}/model.safetensors, checkpoint.safetensors, best.safetensors, confusion.png, curves.png, {RunSettings.FileName}.");
        return 0;
    }
}
