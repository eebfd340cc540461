using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Axon.Nn;
using Axon.Optim;

namespace Axon.IO;

/// <summary>
/// What a training checkpoint holds besides the tensors: the epoch and step counters, the states of the random
/// generators to resume, and free-form string metadata (model name, command-line arguments, ...).
/// </summary>
public sealed class CheckpointInfo
{
    /// <summary>The epoch counter (by convention the number of epochs completed).</summary>
    public long Epoch { get; set; }

    /// <summary>The step counter (by convention the number of optimiser steps taken).</summary>
    public long Step { get; set; }

    /// <summary>Generator states by name (each the 7 words of <see cref="Generator.GetState"/>).</summary>
    public Dictionary<string, ulong[]> GeneratorStates { get; } = new(StringComparer.Ordinal);

    /// <summary>Free-form metadata. Keys starting with <c>axon.</c> are reserved; <c>format</c> defaults to <c>pt</c>.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Named tensors saved beside the model and the optimiser (e.g. a weight average's shadows,
    /// <see cref="ExponentialMovingAverage"/>), stored as <c>extra.</c> + name. <see cref="Checkpoint.Load"/> fills this
    /// with tensors the caller owns when asked to (dispose them when done).
    /// </summary>
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Records the current state of <paramref name="generator"/> under <paramref name="name"/>; returns this for chaining.</summary>
    public CheckpointInfo CaptureGenerator(string name, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(generator);
        GeneratorStates[name] = generator.GetState();
        return this;
    }

    /// <summary>Sets <paramref name="generator"/> to the state recorded under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No state was recorded under that name.</exception>
    public void RestoreGenerator(string name, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(generator);
        if (!GeneratorStates.TryGetValue(name, out var state))
            throw new KeyNotFoundException($"The checkpoint has no generator state named '{name}' (it has: {(GeneratorStates.Count == 0 ? "none" : string.Join(", ", GeneratorStates.Keys))}).");
        generator.SetState(state);
    }
}

/// <summary>
/// Training checkpoints: the model's state dict, the optimiser's and scheduler's state, counters, generator states and
/// metadata, in one safetensors file written atomically, so that training resumes bit for bit.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> The model's tensors are stored under their state-dict names (<c>layers.0.weight</c>), so the file
/// loads into PyTorch with <c>model.load_state_dict({k: v for k, v in safetensors.torch.load_file(p).items() if not k.startswith(("optimizer.", "extra."))})</c>.
/// The optimiser's state tensors are stored as <c>optimizer.</c> + their <see cref="OptimizerState"/> key
/// (<c>optimizer.state.0.momentum_buffer</c>), the extra tensors (<see cref="CheckpointInfo.Tensors"/>) as <c>extra.</c> +
/// their name, counted in <c>axon.extra</c>. Everything else goes to <c>__metadata__</c> as strings:
/// <c>format</c> = <c>pt</c>, <c>axon.version</c> = <c>1</c>, <c>axon.model</c> (the model's class name),
/// <c>axon.epoch</c>, <c>axon.step</c>, <c>axon.optimizer</c> (JSON: <c>{"type": "Sgd", "scalars": {"param_groups.0.lr": 0.1, ...}}</c>),
/// <c>axon.scheduler</c> (JSON: <c>{"type": "StepLR", "state": {"last_epoch": 3, ...}}</c>), <c>axon.generators</c>
/// (JSON: <c>{"name": ["word0", ..., "word6"]}</c>, words as decimal strings), plus the user's metadata under its own keys.
/// Doubles are written in the shortest form that round-trips, so the restored values are exact.</para>
/// <para><b>Loading</b> checks, before changing anything, that the model's keys and shapes match (missing, unexpected
/// and size-mismatched keys are all listed in one <see cref="ArgumentException"/> naming the file) and that the
/// optimiser and scheduler are of the saved types. It then restores the scheduler, the optimiser and the model. Malformed
/// files throw <see cref="InvalidDataException"/> naming the file.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The prefix of the optimiser's tensors in the file.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>The prefix of the extra tensors (<see cref="CheckpointInfo.Tensors"/>) in the file.</summary>
    public const string ExtraPrefix = "extra.";

    private const string Version = "1";
    private const string KeyVersion = "axon.version", KeyModel = "axon.model", KeyEpoch = "axon.epoch", KeyStep = "axon.step",
        KeyOptimizer = "axon.optimizer", KeyScheduler = "axon.scheduler", KeyGenerators = "axon.generators", KeyExtra = "axon.extra", ReservedPrefix = "axon.";

    /// <summary>Saves a checkpoint to <paramref name="path"/> (atomically: an existing file is replaced only once the new one is complete).</summary>
    /// <param name="path">The file to create or replace (by convention <c>*.safetensors</c>).</param>
    /// <param name="model">The model whose state dict is saved.</param>
    /// <param name="optimizer">The optimiser whose state is saved, or null.</param>
    /// <param name="scheduler">The learning-rate scheduler whose state is saved, or null.</param>
    /// <param name="info">Counters, generator states and metadata, or null for none.</param>
    public static void Save(string path, Module model, Optimizer? optimizer = null, LrScheduler? scheduler = null, CheckpointInfo? info = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        info ??= new CheckpointInfo();
        var tensors = new List<KeyValuePair<string, Tensor>>(model.StateDict());
        foreach (var (key, _) in tensors)
            if (optimizer is not null && key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Checkpoint: the model's state-dict key '{key}' starts with '{OptimizerPrefix}', the prefix reserved for the optimiser's state; rename the module.", nameof(model));
        foreach (var (key, _) in tensors)
            if (info.Tensors.Count > 0 && key.StartsWith(ExtraPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Checkpoint: the model's state-dict key '{key}' starts with '{ExtraPrefix}', the prefix reserved for the extra tensors; rename the module.", nameof(model));
        foreach (var (k, t) in info.Tensors)
        {
            if (string.IsNullOrEmpty(k) || t is null) throw new ArgumentException("Checkpoint: an extra tensor has an empty name or is null.", nameof(info));
            tensors.Add(new(ExtraPrefix + k, t));
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in info.Metadata)
        {
            if (k.StartsWith(ReservedPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Checkpoint: metadata key '{k}' uses the reserved prefix '{ReservedPrefix}'.", nameof(info));
            metadata[k] = v ?? throw new ArgumentException($"Checkpoint: metadata '{k}' is null.", nameof(info));
        }
        metadata.TryAdd("format", "pt");
        metadata[KeyVersion] = Version;
        metadata[KeyModel] = model.GetType().Name;
        metadata[KeyEpoch] = info.Epoch.ToString(CultureInfo.InvariantCulture);
        metadata[KeyStep] = info.Step.ToString(CultureInfo.InvariantCulture);
        if (info.Tensors.Count > 0) metadata[KeyExtra] = info.Tensors.Count.ToString(CultureInfo.InvariantCulture);
        metadata[KeyGenerators] = Json(w =>
        {
            w.WriteStartObject();
            foreach (var (name, state) in info.GeneratorStates)
            {
                if (state is null || state.Length != 7) throw new ArgumentException($"Checkpoint: generator state '{name}' must have 7 words (Generator.GetState()).", nameof(info));
                w.WriteStartArray(name);
                foreach (ulong word in state) w.WriteStringValue(word.ToString(CultureInfo.InvariantCulture));
                w.WriteEndArray();
            }
            w.WriteEndObject();
        });

        OptimizerState? optState = null;
        try
        {
            if (optimizer is not null)
            {
                optState = optimizer.StateDict();
                foreach (var (k, t) in optState.Tensors) tensors.Add(new(OptimizerPrefix + k, t));
                metadata[KeyOptimizer] = Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("type", optimizer.GetType().Name);
                    w.WritePropertyName("scalars");
                    WriteDoubles(w, optState.Scalars);
                    w.WriteEndObject();
                });
            }
            if (scheduler is not null)
            {
                metadata[KeyScheduler] = Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("type", scheduler.GetType().Name);
                    w.WritePropertyName("state");
                    WriteDoubles(w, scheduler.StateDict());
                    w.WriteEndObject();
                });
            }
            Safetensors.Save(path, tensors, metadata);
        }
        finally
        {
            if (optState is not null)
                foreach (var t in optState.Tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Restores a checkpoint saved by <see cref="Save"/> into <paramref name="model"/> and, when given, <paramref name="optimizer"/>
    /// and <paramref name="scheduler"/> (built like the saved ones: same architecture, same parameter groups), and returns the
    /// counters, generator states and metadata. Restore generators with <see cref="CheckpointInfo.RestoreGenerator"/>.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">The model to load the weights into.</param>
    /// <param name="optimizer">The optimiser to restore, or null to ignore the saved optimiser state.</param>
    /// <param name="scheduler">The scheduler to restore, or null to ignore the saved scheduler state.</param>
    /// <param name="strict">When true (the default), the model's keys must match the file's exactly; otherwise only common keys load.</param>
    /// <param name="extraTensors">Whether to return the file's extra tensors in <see cref="CheckpointInfo.Tensors"/> (the caller then owns them); by default they are not read into it.</param>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="ArgumentException">The checkpoint does not fit the model, optimiser or scheduler (the message names the file).</exception>
    public static CheckpointInfo Load(string path, Module model, Optimizer? optimizer = null, LrScheduler? scheduler = null, bool strict = true, bool extraTensors = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        var (tensors, metadata) = Safetensors.Load(path);
        bool handed = false;
        try
        {
            bool hasOptimizer = metadata.ContainsKey(KeyOptimizer), hasExtra = metadata.ContainsKey(KeyExtra);
            var modelState = tensors.Where(kv => (!hasOptimizer || !kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                && (!hasExtra || !kv.Key.StartsWith(ExtraPrefix, StringComparison.Ordinal))).ToList();
            model.CheckStateDict(modelState, strict, path);
            var info = ReadInfo(path, metadata);

            OptimizerState? optState = null;
            if (optimizer is not null)
            {
                if (!metadata.TryGetValue(KeyOptimizer, out var optJson)) throw new ArgumentException($"{path}: the checkpoint holds no optimizer state.", nameof(optimizer));
                optState = ParseOptimizer(path, optJson, optimizer);
                foreach (var (k, t) in tensors)
                    if (k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optState.Tensors[k[OptimizerPrefix.Length..]] = t;
            }
            Dictionary<string, double>? schedState = null;
            if (scheduler is not null)
            {
                if (!metadata.TryGetValue(KeyScheduler, out var schedJson)) throw new ArgumentException($"{path}: the checkpoint holds no scheduler state.", nameof(scheduler));
                schedState = ParseScheduler(path, schedJson, scheduler);
            }

            // Everything parsed and the model checked: restore, undoing the scheduler if the optimiser refuses its state.
            var schedBefore = scheduler?.StateDict();
            try
            {
                if (schedState is not null) scheduler!.LoadStateDict(schedState);
                if (optState is not null) optimizer!.LoadStateDict(optState);
            }
            catch (ArgumentException ex)
            {
                if (schedBefore is not null) scheduler!.LoadStateDict(schedBefore);
                throw new ArgumentException($"{path}: {ex.Message}", ex);
            }
            model.LoadStateDict(modelState, strict);
            if (hasExtra && extraTensors)
                foreach (var (k, t) in tensors)
                    if (k.StartsWith(ExtraPrefix, StringComparison.Ordinal)) info.Tensors[k[ExtraPrefix.Length..]] = t;
            handed = hasExtra && extraTensors;
            return info;
        }
        finally
        {
            // The extra tensors handed to the caller stay alive.
            foreach (var (k, t) in tensors)
                if (!(handed && k.StartsWith(ExtraPrefix, StringComparison.Ordinal))) t.Dispose();
        }
    }

    /// <summary>Reads the counters, generator states and metadata of a checkpoint without loading its tensors.</summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static CheckpointInfo ReadInfo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReadInfo(path, Safetensors.ReadMetadata(path));
    }

    private static CheckpointInfo ReadInfo(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var info = new CheckpointInfo();
        foreach (var (k, v) in metadata)
            if (!k.StartsWith(ReservedPrefix, StringComparison.Ordinal)) info.Metadata[k] = v;
        info.Epoch = ReadLong(path, metadata, KeyEpoch);
        info.Step = ReadLong(path, metadata, KeyStep);
        if (metadata.TryGetValue(KeyGenerators, out var json))
        {
            using var doc = ParseJson(path, KeyGenerators, json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, KeyGenerators, "must be a JSON object");
            foreach (var g in doc.RootElement.EnumerateObject())
            {
                var words = new ulong[7];
                if (g.Value.ValueKind != JsonValueKind.Array || g.Value.GetArrayLength() != 7) throw Bad(path, KeyGenerators, $"generator '{g.Name}' must be an array of 7 words");
                int i = 0;
                foreach (var w in g.Value.EnumerateArray())
                    if (w.ValueKind != JsonValueKind.String || !ulong.TryParse(w.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out words[i++]))
                        throw Bad(path, KeyGenerators, $"generator '{g.Name}' has a word that is not an unsigned 64-bit integer in a string: {w.GetRawText()}");
                if (!info.GeneratorStates.TryAdd(g.Name, words)) throw Bad(path, KeyGenerators, $"generator '{g.Name}' appears twice");
            }
        }
        return info;
    }

    private static long ReadLong(string path, IReadOnlyDictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var s)) return 0;
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) throw Bad(path, key, $"'{s}' is not an integer");
        return v;
    }

    private static OptimizerState ParseOptimizer(string path, string json, Optimizer optimizer)
    {
        using var doc = ParseJson(path, KeyOptimizer, json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !root.TryGetProperty("scalars", out var scalars))
            throw Bad(path, KeyOptimizer, "must be a JSON object with 'type' and 'scalars'");
        if (type.GetString() != optimizer.GetType().Name)
            throw new ArgumentException($"{path}: the checkpoint's optimizer is {type.GetString()}, the given one is {optimizer.GetType().Name}.", nameof(optimizer));
        var state = new OptimizerState();
        foreach (var (k, v) in ReadDoubles(path, KeyOptimizer, scalars)) state.Scalars[k] = v;
        return state;
    }

    private static Dictionary<string, double> ParseScheduler(string path, string json, LrScheduler scheduler)
    {
        using var doc = ParseJson(path, KeyScheduler, json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !root.TryGetProperty("state", out var state))
            throw Bad(path, KeyScheduler, "must be a JSON object with 'type' and 'state'");
        if (type.GetString() != scheduler.GetType().Name)
            throw new ArgumentException($"{path}: the checkpoint's scheduler is {type.GetString()}, the given one is {scheduler.GetType().Name}.", nameof(scheduler));
        return ReadDoubles(path, KeyScheduler, state);
    }

    private static JsonDocument ParseJson(string path, string key, string json)
    {
        try { return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException ex) { throw new InvalidDataException($"{path}: metadata '{key}' is not valid JSON: {ex.Message}", ex); }
    }

    private static InvalidDataException Bad(string path, string key, string problem) => new($"{path}: metadata '{key}' {problem}.");

    // Doubles: finite values as JSON numbers in their shortest round-trip form, NaN and infinities as strings.
    private static void WriteDoubles(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, double>> values)
    {
        w.WriteStartObject();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(k);
            if (double.IsFinite(v)) w.WriteRawValue(v.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: false);
            else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
        }
        w.WriteEndObject();
    }

    private static Dictionary<string, double> ReadDoubles(string path, string key, JsonElement obj)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw Bad(path, key, "must hold an object of numbers");
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            double v;
            if (p.Value.ValueKind == JsonValueKind.Number) v = p.Value.GetDouble();
            else if (p.Value.ValueKind != JsonValueKind.String || !double.TryParse(p.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                throw Bad(path, key, $"entry '{p.Name}' is not a number: {p.Value.GetRawText()}");
            if (!result.TryAdd(p.Name, v)) throw Bad(path, key, $"has the entry '{p.Name}' twice");
        }
        return result;
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
