using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>The settings of a character language model's training: the model, the batching, the optimiser, the length of the run.</summary>
public sealed record CharLmOptions
{
    /// <summary>LSTM or GRU.</summary>
    public CharLmCell Cell { get; init; } = CharLmCell.Lstm;

    /// <summary>Size of the recurrent state.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Stacked recurrent layers.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Size of a character's embedding (null: the hidden size, at most 64).</summary>
    public int? Embedding { get; init; }

    /// <summary>Dropout probability in training.</summary>
    public double Dropout { get; init; }

    /// <summary>Steps of truncated back-propagation through time per chunk.</summary>
    public int SeqLen { get; init; } = 100;

    /// <summary>Parallel streams per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The optimiser's name (one of <see cref="OptimizerFactory.Names"/>).</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>The learning rate (null: the optimiser's default).</summary>
    public double? Lr { get; init; }

    /// <summary>The largest total gradient norm (0: no clipping).</summary>
    public double Clip { get; init; } = 5;

    /// <summary>Seed of the initialisation and the dropout masks.</summary>
    public long Seed { get; init; }

    /// <summary>Passes over the training text.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>When positive, stop after this many optimiser steps in all, even within an epoch.</summary>
    public long Steps { get; init; }

    /// <summary>Fraction of the text held out at its end for validation.</summary>
    public double Validation { get; init; } = 0.05;

    /// <summary>Checks every setting; the message names the setting as the command line spells it.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
        }
        Check(Hidden >= 1, nameof(Hidden), Hidden, "must be at least 1");
        Check(Layers >= 1, nameof(Layers), Layers, "must be at least 1");
        Check(Embedding is null or >= 1, nameof(Embedding), Embedding ?? 0, "must be at least 1");
        Check(Dropout is >= 0 and < 1, nameof(Dropout), Dropout, "must be in [0, 1)");
        Check(SeqLen >= 1, nameof(SeqLen), SeqLen, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Check(Lr is null or > 0 && double.IsFinite(Lr ?? 1), nameof(Lr), Lr ?? 0, "must be positive");
        Check(Clip >= 0 && double.IsFinite(Clip), nameof(Clip), Clip, "must be non-negative (0 = no clipping)");
        Check(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Check(Steps >= 0, nameof(Steps), Steps, "must be non-negative (0 = no limit)");
        Check(Validation is > 0 and < 0.5, nameof(Validation), Validation, "must be in (0, 0.5)");
        if (!OptimizerFactory.Names.Contains(Optimizer, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"Optimizer must be one of {string.Join(", ", OptimizerFactory.Names)} (got '{Optimizer}').", nameof(Optimizer));
    }
}

/// <summary>Progress after one chunk: the running loss of the epoch so far.</summary>
/// <param name="Epoch">The epoch being trained (1-based).</param>
/// <param name="Chunk">Chunks of the epoch done.</param>
/// <param name="Chunks">Chunks in an epoch.</param>
/// <param name="Loss">Mean cross-entropy per character over the epoch so far, in nats.</param>
/// <param name="CharsPerSecond">Characters trained per second in this session of the epoch.</param>
public sealed record CharLmBatchReport(int Epoch, int Chunk, int Chunks, double Loss, double CharsPerSecond)
{
    /// <summary>Bits per character: the loss / ln 2.</summary>
    public double Bpc => Loss / Math.Log(2);
}

/// <summary>One epoch (or the part of one that a step limit allowed) of a character model's training.</summary>
/// <param name="Epoch">The epoch (1-based).</param>
/// <param name="Complete">Whether the epoch ran to its end (else the step limit stopped it).</param>
/// <param name="TrainLoss">Mean training cross-entropy per character over the epoch, in nats.</param>
/// <param name="ValidationLoss">Mean validation cross-entropy per character, in nats.</param>
/// <param name="Seconds">Wall time of the training part (this session's).</param>
/// <param name="CharsPerSecond">Training characters per second.</param>
/// <param name="Steps">Optimiser steps taken in all after this epoch.</param>
public sealed record CharLmEpochReport(int Epoch, bool Complete, double TrainLoss, double ValidationLoss, double Seconds, double CharsPerSecond, long Steps)
{
    /// <summary>Training bits per character.</summary>
    public double TrainBpc => TrainLoss / Math.Log(2);

    /// <summary>Validation bits per character.</summary>
    public double ValidationBpc => ValidationLoss / Math.Log(2);
}

/// <summary>
/// Trains a <see cref="CharLm"/> with truncated back-propagation through time: the training text as
/// <see cref="BpttBatches"/> (B contiguous streams, chunks of seqLen steps), the recurrent state carried from chunk to
/// chunk without its graph (zeros at the start of each epoch), cross-entropy on the next character, gradient-norm
/// clipping, any optimiser of <see cref="OptimizerFactory"/>. Validation runs the held-out tail the same way, in
/// evaluation mode (no dropout), without recording.
/// <para>A checkpoint (<see cref="SaveCheckpoint"/>) holds everything the run depends on: weights, optimiser state, the
/// generator of the dropout masks, the epoch, the chunk the epoch continues at, the carried state and the epoch's running
/// loss, so that a resumed run computes exactly what the uninterrupted one would have.</para>
/// </summary>
public sealed class CharLmTrainer
{
    private const string FormatKey = "charlm_trainer_format", Format = "1", OptionsKey = "charlm_options", ChunkKey = "charlm_chunk",
        LossSumKey = "charlm_epoch_loss_sum", CharsKey = "charlm_epoch_chars", HistoryKey = "charlm_history", TextKey = "charlm_train_text", GeneratorName = "model";

    private readonly long[] validation;
    private readonly Tensor carryH;
    private readonly Tensor? carryC;
    private readonly List<CharLmEpochReport> history = [];
    private double epochLossSum;
    private long epochChars;

    /// <summary>
    /// A trainer of <paramref name="model"/> (whose generator is <paramref name="generator"/>: it draws the dropout
    /// masks) on <paramref name="train"/>, validated on <paramref name="validation"/>, on the model's device.
    /// </summary>
    public CharLmTrainer(CharLm model, CharVocabulary vocabulary, long[] train, long[] validation, CharLmOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        if (vocabulary.Count != model.VocabSize) throw new ArgumentException($"The vocabulary has {vocabulary.Count} characters, the model {model.VocabSize}.", nameof(vocabulary));
        Model = model;
        Vocabulary = vocabulary;
        Options = options;
        Generator = generator;
        this.validation = validation;
        Batches = new BpttBatches(train, options.BatchSize, options.SeqLen);
        TrainTextHash = Hash(train);
        Optimizer = OptimizerFactory.Create(options.Optimizer, model.Parameters(), new OptimizerSettings { Lr = options.Lr });
        var state = model.ZeroState(Batches.Streams);   // outlives any scope: build the trainer outside one
        carryH = state.H;
        carryC = state.C;
    }

    /// <summary>The model.</summary>
    public CharLm Model { get; }

    /// <summary>The characters and their ids.</summary>
    public CharVocabulary Vocabulary { get; }

    /// <summary>The settings.</summary>
    public CharLmOptions Options { get; private set; }

    /// <summary>The generator of the initialisation and the dropout masks.</summary>
    public Generator Generator { get; }

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The training text as chunks.</summary>
    public BpttBatches Batches { get; }

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; private set; }

    /// <summary>The chunk the current epoch continues at (0 at an epoch's start).</summary>
    public int Chunk { get; private set; }

    /// <summary>Optimiser steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>The completed epochs' reports.</summary>
    public IReadOnlyList<CharLmEpochReport> History => history;

    /// <summary>A fingerprint of the training text (FNV-1a of its ids), to check that a resumed run reads the same text.</summary>
    public ulong TrainTextHash { get; }

    /// <summary>Whether the run is over: all epochs done, or the step limit reached.</summary>
    public bool Done => Epoch >= Options.Epochs || (Options.Steps > 0 && Steps >= Options.Steps);

    /// <summary>Lets a resumed run go on longer (more epochs or steps); nothing else may change.</summary>
    public void Extend(int epochs, long steps)
    {
        if (epochs < Epoch) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"The run has already trained {Epoch} epochs.");
        if (steps > 0 && steps < Steps) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"The run has already taken {Steps} steps.");
        Options = Options with { Epochs = epochs, Steps = steps };
    }

    /// <summary>
    /// Trains the rest of the current epoch, or until the step limit; reports after each chunk. Returns the epoch's
    /// report, with its validation loss when the epoch completed or the step limit ended the run (else NaN).
    /// </summary>
    public CharLmEpochReport TrainEpoch(Action<CharLmBatchReport>? progress = null)
    {
        if (Done) throw new InvalidOperationException("The run is over: every epoch (or the step limit) is done.");
        var device = Model.Device;
        int epoch = Epoch + 1, chunks = Batches.Count;
        Model.Train();
        if (Chunk == 0)
        {
            // Each epoch starts its streams from a zero state.
            using (GradMode.NoGrad())
            {
                carryH.Zero();
                carryC?.Zero();
            }
            epochLossSum = 0;
            epochChars = 0;
        }
        var clock = Stopwatch.StartNew();
        long sessionChars = 0;
        var parameters = Model.Parameters().ToList();
        while (Chunk < chunks && !(Options.Steps > 0 && Steps >= Options.Steps))
        {
            using (new TensorScope())
            {
                var (x, y) = Batches.ChunkTensors(Chunk);
                x = x.To(device);
                y = y.To(device);
                Optimizer.ZeroGrad();
                var (logits, state) = Model.Forward(x, new CharLmState(carryH, carryC));
                var loss = Functional.CrossEntropy(logits.Reshape(-1, Model.VocabSize), y.Reshape(-1));
                loss.Backward();
                if (Options.Clip > 0) Utils.ClipGradNorm(parameters, Options.Clip);
                Optimizer.Step();
                double value = loss.Item();
                if (!double.IsFinite(value))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The loss became {value} at epoch {epoch}, chunk {Chunk + 1} of {chunks} (step {Steps + 1}); stopping."));
                using (GradMode.NoGrad())
                {
                    carryH.CopyFrom(state.H);
                    carryC?.CopyFrom(state.C!);
                }
                long n = (long)x.Shape[0] * x.Shape[1];
                epochLossSum += value * n;
                epochChars += n;
                sessionChars += n;
            }
            Chunk++;
            Steps++;
            progress?.Invoke(new CharLmBatchReport(epoch, Chunk, chunks, epochLossSum / epochChars, sessionChars / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        bool complete = Chunk == chunks;
        double trainLoss = epochChars > 0 ? epochLossSum / epochChars : double.NaN;
        double valLoss = complete || Done ? Evaluate(validation) : double.NaN;
        var report = new CharLmEpochReport(epoch, complete, trainLoss, valLoss, seconds, sessionChars / Math.Max(seconds, 1e-9), Steps);
        if (complete)
        {
            Epoch++;
            Chunk = 0;
            epochLossSum = 0;
            epochChars = 0;
            history.Add(report);
        }
        return report;
    }

    /// <summary>
    /// The mean cross-entropy per character (nats) of the model on <paramref name="ids"/>, run as streams in chunks like
    /// the training text with the state carried, in evaluation mode, without recording. The model's mode is restored.
    /// </summary>
    public double Evaluate(long[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var batches = new BpttBatches(ids, Options.BatchSize, Options.SeqLen);
        var device = Model.Device;
        bool wasTraining = Model.Training;
        Model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            var carry = Model.ZeroState(batches.Streams);
            double sum = 0;
            long count = 0;
            for (int k = 0; k < batches.Count; k++)
            {
                using var scope = new TensorScope();
                var (x, y) = batches.ChunkTensors(k);
                var (logits, state) = Model.Forward(x.To(device), carry);
                var loss = Functional.CrossEntropy(logits.Reshape(-1, Model.VocabSize), y.To(device).Reshape(-1), reduction: Reduction.Sum);
                sum += loss.Item();
                count += (long)x.Shape[0] * x.Shape[1];
                carry.H.CopyFrom(state.H);
                carry.C?.CopyFrom(state.C!);
            }
            return sum / count;
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>
    /// Writes a checkpoint (atomically): the model's weights under its own keys, the carried state as <c>bptt_h</c>
    /// (and <c>bptt_c</c>), the optimiser's state, the dropout generator, the counters, the options, the vocabulary, the
    /// training text's fingerprint, the history, and <paramref name="metadata"/>.
    /// </summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var info = new CheckpointInfo { Epoch = Epoch, Step = Steps }.CaptureGenerator(GeneratorName, Generator);
        if (metadata is not null)
            foreach (var (k, v) in metadata) info.Metadata[k] = v;
        foreach (var (k, v) in Model.Metadata(Vocabulary)) info.Metadata[k] = v;
        info.Metadata[FormatKey] = Format;
        info.Metadata[OptionsKey] = JsonSerializer.Serialize(Options, CharLmJson.Default.CharLmOptions);
        info.Metadata[ChunkKey] = Chunk.ToString(CultureInfo.InvariantCulture);
        info.Metadata[LossSumKey] = epochLossSum.ToString("R", CultureInfo.InvariantCulture);
        info.Metadata[CharsKey] = epochChars.ToString(CultureInfo.InvariantCulture);
        info.Metadata[TextKey] = TrainTextHash.ToString(CultureInfo.InvariantCulture);
        info.Metadata[HistoryKey] = JsonSerializer.Serialize(history, CharLmJson.Default.ListCharLmEpochReport);
        Checkpoint.Save(path, new CheckpointView(Model, carryH, carryC), Optimizer, info: info);
    }

    /// <summary>Reads the options and metadata of a checkpoint written by <see cref="SaveCheckpoint"/>, to rebuild the trainer before <see cref="LoadCheckpoint"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not such a checkpoint.</exception>
    public static (CharLmOptions Options, IReadOnlyDictionary<string, string> Metadata) ReadCheckpointSettings(string path)
    {
        var info = Checkpoint.ReadInfo(path);
        if (info.Metadata.GetValueOrDefault(FormatKey) != Format || !info.Metadata.TryGetValue(OptionsKey, out var json))
            throw new InvalidDataException($"{path}: not a checkpoint of a character language model's training (axon lm train).");
        try
        {
            return (JsonSerializer.Deserialize(json, CharLmJson.Default.CharLmOptions) ?? throw new InvalidDataException($"{path}: unreadable options."), info.Metadata);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable options ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer, built with the same options,
    /// vocabulary and training text (checked), so that training continues exactly where it stopped.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint is of another run (text, vocabulary) or inconsistent.</exception>
    public void LoadCheckpoint(string path)
    {
        var (_, meta) = ReadCheckpointSettings(path);
        if (meta.GetValueOrDefault("vocab") != Vocabulary.Text)
            throw new InvalidDataException($"{path}: the checkpoint's vocabulary differs from the corpus's; it was trained on another text.");
        if (meta.GetValueOrDefault(TextKey) != TrainTextHash.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: the training text differs from the one the checkpoint was trained on (another corpus or --limit).");
        int chunk = ParseInt(path, meta, ChunkKey);
        long chars = ParseLong(path, meta, CharsKey);
        double lossSum = double.TryParse(meta.GetValueOrDefault(LossSumKey), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s
            : throw new InvalidDataException($"{path}: the checkpoint lacks '{LossSumKey}'.");
        List<CharLmEpochReport> saved;
        try
        {
            saved = JsonSerializer.Deserialize(meta.GetValueOrDefault(HistoryKey) ?? "[]", CharLmJson.Default.ListCharLmEpochReport) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable training history ({e.Message}).", e);
        }
        if (chunk < 0 || chunk >= Batches.Count) throw new InvalidDataException($"{path}: chunk {chunk} is outside the epoch's {Batches.Count} chunks.");
        var info = Checkpoint.Load(path, new CheckpointView(Model, carryH, carryC), Optimizer);
        info.RestoreGenerator(GeneratorName, Generator);
        if (saved.Count != info.Epoch) throw new InvalidDataException($"{path}: the checkpoint says epoch {info.Epoch} but holds {saved.Count} epochs of history.");
        Epoch = (int)info.Epoch;
        Steps = info.Step;
        Chunk = chunk;
        epochChars = chars;
        epochLossSum = lossSum;
        history.Clear();
        history.AddRange(saved);
    }

    private static int ParseInt(string path, IReadOnlyDictionary<string, string> meta, string key) =>
        int.TryParse(meta.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new InvalidDataException($"{path}: the checkpoint lacks '{key}'.");

    private static long ParseLong(string path, IReadOnlyDictionary<string, string> meta, string key) =>
        long.TryParse(meta.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw new InvalidDataException($"{path}: the checkpoint lacks '{key}'.");

    private static ulong Hash(long[] ids)
    {
        ulong h = 14695981039346656037UL;
        foreach (long id in ids)
        {
            h ^= (ulong)id;
            h *= 1099511628211UL;
        }
        return h;
    }

    /// <summary>The model's children under their own names plus the carried state as buffers: what a checkpoint stores.</summary>
    private sealed class CheckpointView : Module
    {
        public CheckpointView(CharLm model, Tensor h, Tensor? c)
        {
            foreach (var (name, child) in model.NamedChildren()) RegisterModule(name, child);
            RegisterBuffer("bptt_h", h);
            if (c is not null) RegisterBuffer("bptt_c", c);
        }
    }
}
