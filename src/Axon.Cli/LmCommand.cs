using System.CommandLine;
using System.Globalization;
using Axon.Data;
using Axon.IO;
using Axon.Models;
using Axon.Models.Training;
using Axon.Optim;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon lm train</c> and <c>axon lm sample</c>: a character-level language model (<see cref="CharLm"/>) trained with
/// truncated back-propagation through time on a UTF-8 text (by default the King James Bible), and text sampled from it.
/// </summary>
internal static class LmCommand
{
    /// <summary>The file names in the output directory.</summary>
    internal const string CheckpointFile = "checkpoint.safetensors", ModelFile = "model.safetensors";

    private const string CorpusKey = "corpus", LimitKey = "limit", ThreadsKey = "threads", DeviceKey = "device", Tf32Key = "tf32";

    public static Command Create() => new("lm", "A character-level language model: train it on a text (default: the King James Bible), sample text from it.")
    {
        Train(),
        Sample(),
    };

    private static Command Train()
    {
        var defaults = new CharLmOptions();
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm or gru.", DefaultValueFactory = _ => "lstm" }.OneOf(["lstm", "gru"], "cell");
        var hidden = new Option<int>("--hidden") { Description = "Size of the recurrent state.", DefaultValueFactory = _ => defaults.Hidden }.Require(v => v >= 1, "must be at least 1");
        var layers = new Option<int>("--layers") { Description = "Stacked recurrent layers.", DefaultValueFactory = _ => defaults.Layers }.Require(v => v >= 1, "must be at least 1");
        var embedding = new Option<int?>("--embedding") { Description = "Size of a character's embedding (default: the hidden size, at most 64)." }.Require(v => v is null or >= 1, "must be at least 1");
        var dropout = new Option<double>("--dropout") { Description = "Dropout on the embeddings, between the layers and before the output layer.", DefaultValueFactory = _ => defaults.Dropout }
            .Require(v => v is >= 0 and < 1, "must be in [0, 1)");
        var seqLen = new Option<int>("--seq-len") { Description = "Steps of truncated back-propagation through time per chunk.", DefaultValueFactory = _ => defaults.SeqLen }.Require(v => v >= 1, "must be at least 1");
        var batch = new Option<int>("--batch") { Description = "Parallel streams of the text per batch.", DefaultValueFactory = _ => defaults.BatchSize }.Require(v => v >= 1, "must be at least 1");
        var optimizer = new Option<string>("--optimizer") { Description = "Optimiser: " + string.Join(", ", OptimizerFactory.Names) + ".", DefaultValueFactory = _ => defaults.Optimizer }
            .OneOf(OptimizerFactory.Names, "name");
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the optimiser's, 1e-3 for adam)." }.Require(v => v is null or > 0 && double.IsFinite(v ?? 1), "must be greater than 0");
        var clip = new Option<double>("--clip") { Description = "Clip the gradients' total norm to this (0: no clipping).", DefaultValueFactory = _ => defaults.Clip }
            .Require(v => v >= 0 && double.IsFinite(v), "must be non-negative (0 = no clipping)");
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training text.", DefaultValueFactory = _ => defaults.Epochs }.Require(v => v >= 1, "must be at least 1");
        var steps = new Option<long>("--steps") { Description = "Stop after this many optimiser steps in all, even within an epoch (0: no limit).", DefaultValueFactory = _ => 0 }
            .Require(v => v >= 0, "must be non-negative (0 = no limit)");
        var validation = new Option<double>("--validation") { Description = "Fraction of the text held out at its end for validation.", DefaultValueFactory = _ => defaults.Validation }
            .Require(v => v is > 0 and < 0.5, "must be in (0, 0.5)");
        var seed = new Option<long>("--seed") { Description = "Seed of the initialisation and the dropout masks.", DefaultValueFactory = _ => 0 };
        var threads = TrainingOptionSet.NewThreadsOption();
        var output = new Option<string>("--out") { Description = "Output directory.", DefaultValueFactory = _ => Path.Combine("runs", "char-lm") }
            .Require(v => v.Trim().Length > 0, "must name a directory");
        var corpus = new Option<string?>("--corpus") { Description = $"UTF-8 text file to train on (default: the King James Bible, installing the Debian packages bible-kjv-text and bible-kjv when missing; kept in {KjvCorpus.CachedText})." }
            .Require(v => v is null || v.Trim().Length > 0, "must name a file");
        var limit = new Option<long>("--limit") { Description = "Use only the first N characters of the text (quick runs; 0: all).", DefaultValueFactory = _ => 0 }
            .Require(v => v >= 0, "must be non-negative (0 = all)");
        var resume = new Option<bool>("--resume") { Description = "Continue the run in OUT from its checkpoint, exactly; --epochs, --steps and --threads may be raised or changed." };
        var tensorboard = TensorBoardLogs.CreateOption();
        var device = new DeviceOptions();
        var command = new Command("train", "Train a character-level language model with truncated back-propagation through time.")
        {
            cell, hidden, layers, embedding, dropout, seqLen, batch, optimizer, lr, clip, epochs, steps, validation, seed, threads, output, corpus, limit, resume, tensorboard, device.Device, device.Tf32,
        };
        command.Validators.Add(r => device.Check(r, fromRun: r.ValueOr(resume, false)));
        command.SetAction(p => Guard(p, () =>
        {
            var options = new CharLmOptions
            {
                Cell = p.GetValue(cell) == "gru" ? CharLmCell.Gru : CharLmCell.Lstm,
                Hidden = p.GetValue(hidden),
                Layers = p.GetValue(layers),
                Embedding = p.GetValue(embedding),
                Dropout = p.GetValue(dropout),
                SeqLen = p.GetValue(seqLen),
                BatchSize = p.GetValue(batch),
                Optimizer = p.GetValue(optimizer)!,
                Lr = p.GetValue(lr),
                Clip = p.GetValue(clip),
                Epochs = p.GetValue(epochs),
                Steps = p.GetValue(steps),
                Validation = p.GetValue(validation),
                Seed = p.GetValue(seed),
            };
            string dir = p.GetValue(output)!;
            string? corpusPath = p.GetValue(corpus);
            long charLimit = p.GetValue(limit);
            int threadCount = p.GetValue(threads);
            string? logs = p.GetValue(tensorboard);
            string deviceName = DeviceOptions.Canonical(p.GetValue(device.Device))!;
            bool tf32 = p.GetValue(device.Tf32);
            if (!p.GetValue(resume)) return Run(options, dir, corpusPath, charLimit, threadCount, resumed: false, logs, deviceName, tf32);

            // Resume: the saved settings, except those that only lengthen the run or change the thread count.
            string checkpoint = Path.Combine(dir, CheckpointFile);
            if (!File.Exists(checkpoint)) throw new FileNotFoundException($"--resume: no checkpoint at {checkpoint} (--out names the run to resume).", checkpoint);
            var (saved, meta) = CharLmTrainer.ReadCheckpointSettings(checkpoint);
            var conflicts = new List<string>();
            void Compare<T>(Option<T> option, T typed, T was)
            {
                if (p.Typed(option) && !EqualityComparer<T>.Default.Equals(typed, was))
                    conflicts.Add($"{option.Name} {Show(typed)}: the run was started with {Show(was)}");
            }
            Compare(cell, options.Cell == CharLmCell.Gru ? "gru" : "lstm", saved.Cell == CharLmCell.Gru ? "gru" : "lstm");
            Compare(hidden, options.Hidden, saved.Hidden);
            Compare(layers, options.Layers, saved.Layers);
            Compare(embedding, options.Embedding, saved.Embedding);
            Compare(dropout, options.Dropout, saved.Dropout);
            Compare(seqLen, options.SeqLen, saved.SeqLen);
            Compare(batch, options.BatchSize, saved.BatchSize);
            Compare(optimizer, options.Optimizer, saved.Optimizer);
            Compare(lr, options.Lr, saved.Lr);
            Compare(clip, options.Clip, saved.Clip);
            Compare(validation, options.Validation, saved.Validation);
            Compare(seed, options.Seed, saved.Seed);
            Compare(corpus, corpusPath is null ? null : Path.GetFullPath(corpusPath), meta.GetValueOrDefault(CorpusKey) is { Length: > 0 } c ? c : null);
            Compare(limit, charLimit, long.Parse(meta.GetValueOrDefault(LimitKey, "0"), CultureInfo.InvariantCulture));
            if (conflicts.Count > 0)
                throw new ArgumentException($"--resume: {string.Join("; ", conflicts)}, and a resumed run keeps it. Use another --out for a new run with other settings.");
            var resumedOptions = saved with
            {
                Epochs = p.Typed(epochs) ? options.Epochs : saved.Epochs,
                Steps = p.Typed(steps) ? options.Steps : saved.Steps,
            };
            string? savedCorpus = meta.GetValueOrDefault(CorpusKey) is { Length: > 0 } sc ? sc : null;
            long savedLimit = long.Parse(meta.GetValueOrDefault(LimitKey, "0"), CultureInfo.InvariantCulture);
            int savedThreads = int.TryParse(meta.GetValueOrDefault(ThreadsKey), CultureInfo.InvariantCulture, out int t) ? t : threadCount;
            // The device may change on resuming (the checkpoint loads anywhere); TF32 stays as saved unless typed, off on the CPU.
            string savedDevice = meta.GetValueOrDefault(DeviceKey) is { Length: > 0 } sd ? sd : DeviceOptions.Cpu;
            string resumedDevice = p.Typed(device.Device) ? deviceName : savedDevice;
            bool resumedTf32 = p.Typed(device.Tf32) ? tf32 : resumedDevice != DeviceOptions.Cpu && meta.GetValueOrDefault(Tf32Key) == "true";
            return Run(resumedOptions, dir, savedCorpus, savedLimit, p.Typed(threads) ? threadCount : savedThreads, resumed: true, logs, resumedDevice, resumedTf32);
        }));
        return command;
    }

    private static string Show(object? v) => v switch
    {
        null => "(none)",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    private static int Run(CharLmOptions options, string dir, string? corpusPath, long limit, int threads, bool resumed, string? tensorboard, string deviceName, bool tf32)
    {
        // Opened first, so that a missing GPU or driver fails before the corpus is read.
        var device = DeviceOptions.Open(deviceName, tf32, threads);
        options.Validate();
        string path = corpusPath is null ? KjvCorpus.Ensure() : Path.GetFullPath(corpusPath);
        if (corpusPath is not null && !File.Exists(path)) throw new FileNotFoundException($"--corpus {corpusPath}: no such file.", path);
        var corpus = TextCorpus.Load(path, limit);
        var (train, validation) = corpus.Split(options.Validation);
        var generator = new Generator(options.Seed);
        var model = new CharLm(corpus.Vocabulary.Count, options.Cell, options.Hidden, options.Layers, options.Embedding, options.Dropout, generator);
        model.To(device);
        var trainer = new CharLmTrainer(model, corpus.Vocabulary, train, validation, options, generator);
        string checkpoint = Path.Combine(dir, CheckpointFile), modelFile = Path.Combine(dir, ModelFile);
        var runMeta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CorpusKey] = corpusPath is null ? "" : path,
            [LimitKey] = limit.ToString(CultureInfo.InvariantCulture),
            [ThreadsKey] = threads.ToString(CultureInfo.InvariantCulture),
        };
        // Recorded only off the CPU, so a CPU run's files are as before devices.
        if (!device.IsHost) runMeta[DeviceKey] = DeviceOptions.Canonical(deviceName)!;
        if (tf32) runMeta[Tf32Key] = "true";
        if (resumed)
        {
            trainer.LoadCheckpoint(checkpoint);
            if (options.Epochs < trainer.Epoch) throw new ArgumentException($"--epochs {options.Epochs}: the run in {dir} has already trained {trainer.Epoch} epochs.");
            if (options.Steps > 0 && options.Steps < trainer.Steps) throw new ArgumentException($"--steps {options.Steps}: the run in {dir} has already taken {trainer.Steps} steps.");
            AnsiConsole.MarkupLine(Markup.Escape($"Resuming from {checkpoint} at epoch {trainer.Epoch + 1}, chunk {trainer.Chunk + 1} of {trainer.Batches.Count} (step {trainer.Steps})."));
            if (trainer.Done)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"The run is already complete ({trainer.Epoch} epochs, {trainer.Steps} steps); raise --epochs or --steps to train on."));
                return 0;
            }
        }
        string lrText = F(options.Lr ?? OptimizerFactory.DefaultLr(options.Optimizer), "G4");
        AnsiConsole.MarkupLine(Markup.Escape(
            $"char-lm {(options.Cell == CharLmCell.Lstm ? "LSTM" : "GRU")} {options.Layers}x{options.Hidden}, embedding {model.EmbeddingDim}, dropout {F(options.Dropout, "G3")} " +
            $"({model.ParameterCount():N0} parameters) on {corpus.Source}: {corpus.Length:N0} characters{(limit > 0 ? $" (--limit {limit})" : "")}, vocabulary {corpus.Vocabulary.Count}, " +
            $"{train.Length:N0} training / {validation.Length:N0} validation; {trainer.Batches.Streams} streams x {trainer.Batches.StreamLength:N0}, " +
            $"{trainer.Batches.Count} chunks of {options.SeqLen} per epoch, {options.Epochs} epochs{(options.Steps > 0 ? $" or {options.Steps} steps" : "")}, " +
            $"{options.Optimizer} lr {lrText}, clip {F(options.Clip, "G3")}, {Cli.Threads(threads)}{DeviceOptions.Describe(device)}, seed {options.Seed}."));

        bool created = !Directory.Exists(dir);
        Directory.CreateDirectory(dir);
        using var logs = tensorboard is null ? null : new Axon.TensorBoard.SummaryWriter(tensorboard);
        try
        {
            while (!trainer.Done)
            {
                int epoch = trainer.Epoch + 1;
                string Progress(CharLmBatchReport b) => $"epoch {epoch}/{options.Epochs}  loss {F(b.Loss, "F4")}  bpc {F(b.Bpc, "F3")}  {F(b.CharsPerSecond, "F0")} char/s";
                CharLmEpochReport report = null!;
                if (LiveProgress)
                {
                    AnsiConsole.Progress()
                        .AutoClear(false)
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new RemainingTimeColumn())
                        .Start(ctx =>
                        {
                            var task = ctx.AddTask($"epoch {epoch}/{options.Epochs}", maxValue: trainer.Batches.Count);
                            task.Value = trainer.Chunk;
                            report = trainer.TrainEpoch(b =>
                            {
                                task.Value = b.Chunk;
                                task.Description = Progress(b);
                            });
                        });
                }
                else
                {
                    var due = PlainProgressDue();
                    report = trainer.TrainEpoch(b =>
                    {
                        if (b.Chunk < b.Chunks && due()) AnsiConsole.WriteLine($"{Progress(b)}  chunk {b.Chunk}/{b.Chunks}");
                    });
                }
                string val = double.IsNaN(report.ValidationLoss) ? "" : $"  [bold]val loss {F(report.ValidationLoss, "F4")} bpc {F(report.ValidationBpc, "F3")}[/]";
                AnsiConsole.MarkupLine($"epoch {report.Epoch}{(report.Complete ? "" : $" (stopped at step {report.Steps}, chunk {trainer.Chunk} of {trainer.Batches.Count})")}: " +
                    $"train loss {F(report.TrainLoss, "F4")} bpc {F(report.TrainBpc, "F3")}{val}  {F(report.Seconds, "F1")} s, {F(report.CharsPerSecond, "F0")} char/s, {Cli.Threads(threads)}");
                TensorBoardLogs.LogEpoch(logs, report.Epoch, model, ("epoch/train_loss", report.TrainLoss), ("epoch/train_bpc", report.TrainBpc),
                    ("epoch/validation_loss", report.ValidationLoss), ("epoch/validation_bpc", report.ValidationBpc), ("epoch/chars_per_second", report.CharsPerSecond));
                trainer.SaveCheckpoint(checkpoint, runMeta);
                model.Save(modelFile, model.Metadata(corpus.Vocabulary));
            }
        }
        catch when (created)
        {
            if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            throw;
        }
        AnsiConsole.MarkupLine(Markup.Escape($"Wrote {modelFile} and {checkpoint}. Sample with: axon lm sample --model {dir}"));
        return 0;
    }

    private static Command Sample()
    {
        var model = new Option<string>("--model") { Description = $"The run's directory (its {ModelFile}) or a model file.", DefaultValueFactory = _ => Path.Combine("runs", "char-lm") }
            .Require(v => v.Trim().Length > 0, "must name a directory or file");
        var seedText = new Option<string>("--seed-text") { Description = "Text that primes the model; the sample continues it.", DefaultValueFactory = _ => "In the beginning" }
            .Require(v => v.Length > 0, "must have at least one character");
        var length = new Option<int>("--length") { Description = "Characters to generate.", DefaultValueFactory = _ => 300 }.Require(v => v >= 0, "must be non-negative");
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature: lower is more conservative; 0 picks the most likely character.", DefaultValueFactory = _ => 0.8 }
            .Require(v => v >= 0 && double.IsFinite(v), "must be a finite number >= 0");
        var seed = new Option<long>("--seed") { Description = "Random seed of the sampling.", DefaultValueFactory = _ => 1 };
        var threads = TrainingOptionSet.NewThreadsOption();
        var device = new DeviceOptions();
        var command = new Command("sample", "Generate text with a trained character-level language model.") { model, seedText, length, temperature, seed, threads, device.Device, device.Tf32 };
        command.Validators.Add(r => device.Check(r));
        command.SetAction(p => Guard(p, () =>
        {
            var on = device.Open(p, p.GetValue(threads));
            string path = p.GetValue(model)!;
            if (Directory.Exists(path)) path = Path.Combine(path, ModelFile);
            if (!File.Exists(path)) throw new FileNotFoundException($"--model {p.GetValue(model)}: no such file or run directory (a run directory holds {ModelFile}).", path);
            var (lm, vocabulary) = CharLm.FromMetadata(Safetensors.ReadMetadata(path), path);
            lm.Load(path);
            lm.To(on);
            string seedValue = p.GetValue(seedText)!;
            string text = lm.Sample(vocabulary, seedValue, p.GetValue(length), p.GetValue(temperature), new Generator(p.GetValue(seed)));
            p.InvocationConfiguration.Output.WriteLine(seedValue + text);
            return 0;
        }));
        return command;
    }
}
