using System.Globalization;
using System.Text.Json;
using Axon.IO;
using Axon.Optim;

namespace Axon.Models.Training;

public sealed partial class Trainer
{
    private const string StoppedKey = "stopped", StepsPerEpochKey = "steps_per_epoch", EmaUpdatesKey = "ema_updates", EmaPrefix = "ema.", OptionsKey = "options", HistoryKey = "history", FormatKey = "trainer_format";

    /// <summary>The layout of the options and history in the metadata; a checkpoint of another layout is refused, not misread.</summary>
    private const string Format = "2";

    /// <summary>
    /// Writes a training checkpoint (atomically): weights, optimiser, scheduler, generators, history, options, stop reason,
    /// and the caller's <paramref name="metadata"/> (e.g. the model's name, to rebuild it before resuming). Distributed,
    /// rank 0 writes it and every rank returns once it is written.
    /// </summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var info = new CheckpointInfo { Epoch = Epoch, Step = Steps };
        info.CaptureGenerator("model", ModelGenerator).CaptureGenerator("data", dataGenerator);
        foreach (var (name, g) in Task.Generators) info.CaptureGenerator("task." + name, g);
        if (metadata is not null)
            foreach (var (k, v) in metadata) info.Metadata[k] = v;
        info.Metadata[FormatKey] = Format;
        info.Metadata[OptionsKey] = JsonSerializer.Serialize(Options, TrainerJson.Default.TrainerOptions);
        info.Metadata[HistoryKey] = JsonSerializer.Serialize(history, TrainerJson.Default.ListEpochReport);
        if (StopReason is not null) info.Metadata[StoppedKey] = StopReason;
        if (Scheduler is OneCycleLR cycle) info.Metadata[StepsPerEpochKey] = (cycle.TotalSteps / Options.Epochs).ToString(CultureInfo.InvariantCulture);
        if (Ema is not null)
        {
            foreach (var (name, t) in Ema.StateDict()) info.Tensors[EmaPrefix + name] = t;
            info.Metadata[EmaUpdatesKey] = Ema.Updates.ToString(CultureInfo.InvariantCulture);
        }
        OnPrimary(() => Checkpoint.Save(path, Model, Optimizer, Scheduler, info));
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer (same model and options). The callbacks rebuild their state from the restored history at the next epoch.</summary>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint of this layout, or is inconsistent.</exception>
    public void LoadCheckpoint(string path)
    {
        var saved = Checkpoint.ReadInfo(path);
        CheckFormat(path, saved);
        if (IsOneCycle)
        {
            if (!saved.Metadata.TryGetValue(StepsPerEpochKey, out var spe) || !int.TryParse(spe, NumberStyles.None, CultureInfo.InvariantCulture, out int stepsPerEpoch) || stepsPerEpoch < 1)
                throw new InvalidDataException($"{path}: a onecycle checkpoint must record its steps per epoch.");
            EnsureOneCycle(stepsPerEpoch);
        }
        var info = Checkpoint.Load(path, Model, Optimizer, Scheduler, extraTensors: true);
        try
        {
            if (Ema is not null) LoadAverage(path, info);
        }
        finally
        {
            foreach (var t in info.Tensors.Values) t.Dispose();
        }
        info.RestoreGenerator("model", ModelGenerator);
        info.RestoreGenerator("data", dataGenerator);
        foreach (var (name, g) in Task.Generators) info.RestoreGenerator("task." + name, g);
        SeparateRandomStreams();   // the file holds rank 0's streams
        Steps = info.Step;
        history.Clear();
        try
        {
            if (info.Metadata.TryGetValue(HistoryKey, out var json)) history.AddRange(JsonSerializer.Deserialize(json, TrainerJson.Default.ListEpochReport) ?? []);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable training history ({e.Message}).", e);
        }
        if (history.Count != info.Epoch)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the checkpoint says epoch {info.Epoch} but holds {history.Count} epochs of history."));
        StopReason = info.Metadata.GetValueOrDefault(StoppedKey);
        began = false;
        CheckReplicasAfterLoad(path);
    }

    private void LoadAverage(string path, CheckpointInfo info)
    {
        if (!info.Metadata.TryGetValue(EmaUpdatesKey, out var count) || !long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long updates))
            throw new InvalidDataException($"{path}: the run evaluates a moving average of the weights (ema {Options.Ema.ToString(CultureInfo.InvariantCulture)}), but the checkpoint holds none.");
        var averages = info.Tensors.Where(kv => kv.Key.StartsWith(EmaPrefix, StringComparison.Ordinal)).Select(kv => new KeyValuePair<string, Tensor>(kv.Key[EmaPrefix.Length..], kv.Value));
        try
        {
            Ema!.LoadStateDict(averages, updates);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads the options and the metadata (e.g. the model name given to <see cref="SaveCheckpoint"/>) of a training checkpoint.</summary>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint of this layout, or its options are unreadable.</exception>
    public static (TrainerOptions Options, IReadOnlyDictionary<string, string> Metadata) ReadCheckpointSettings(string path)
    {
        var info = Checkpoint.ReadInfo(path);
        CheckFormat(path, info);
        if (!info.Metadata.TryGetValue(OptionsKey, out var options))
            throw new InvalidDataException($"{path}: not a training checkpoint (no trainer options in its metadata).");
        try
        {
            return (JsonSerializer.Deserialize(options, TrainerJson.Default.TrainerOptions) ?? throw new InvalidDataException($"{path}: unreadable trainer options."), info.Metadata);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable trainer options ({e.Message}).", e);
        }
    }

    private static void CheckFormat(string path, CheckpointInfo info)
    {
        if (info.Metadata.GetValueOrDefault(FormatKey) == Format) return;
        throw new InvalidDataException(info.Metadata.ContainsKey(OptionsKey)
            ? $"{path}: a training checkpoint from an earlier version of Axon, whose options and history this version does not read; its weights still load (Module.Load, axon eval), but the run cannot be resumed."
            : $"{path}: not a training checkpoint (no trainer options in its metadata).");
    }
}
