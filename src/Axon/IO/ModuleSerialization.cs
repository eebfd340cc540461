using Axon.Nn;

namespace Axon.IO;

/// <summary>Weights-only saving and loading of a <see cref="Module"/> as a safetensors file with PyTorch's state-dict keys.</summary>
public static class ModuleSerialization
{
    /// <summary>
    /// Saves the model's state dict to <paramref name="path"/> (atomically), with <c>format</c> = <c>pt</c> and
    /// <paramref name="metadata"/> in <c>__metadata__</c>. PyTorch loads it with <c>safetensors.torch.load_file</c>.
    /// </summary>
    public static void Save(this Module model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata is not null)
            foreach (var (k, v) in metadata) meta[k] = v;
        Safetensors.Save(path, model.StateDict(), meta);
    }

    /// <summary>
    /// Loads weights saved by <see cref="Save"/> (or by PyTorch's safetensors) into the model and returns the file's metadata.
    /// With <paramref name="strict"/>, missing or unexpected keys are an error; a shape mismatch always is. The model is
    /// unchanged when the file does not fit. Dtypes are converted to the model's.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="ArgumentException">The weights do not fit the model (the message names the file and the keys).</exception>
    public static IReadOnlyDictionary<string, string> Load(this Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (tensors, metadata) = Safetensors.Load(path);
        try
        {
            CheckFits(path, model, tensors, strict);
            model.LoadStateDict(tensors, strict);
            return metadata;
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>
    /// Checks, before <see cref="Module.LoadStateDict"/> starts copying (so a mismatch leaves the model untouched), that
    /// <paramref name="state"/> fits <paramref name="model"/>; throws one <see cref="ArgumentException"/> naming the file and
    /// listing the missing and unexpected keys (with <paramref name="strict"/>) and every size mismatch.
    /// </summary>
    internal static void CheckFits(string path, Module model, IReadOnlyList<KeyValuePair<string, Tensor>> state, bool strict)
    {
        var ownList = model.StateDict();
        var own = ownList.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var given = state.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var keys = given.Keys;
        var problems = new List<string>();
        if (strict)
        {
            var missing = ownList.Select(kv => kv.Key).Where(k => !keys.Contains(k)).ToList();
            var unexpected = state.Select(kv => kv.Key).Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0) problems.Add($"missing keys: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
        }
        foreach (var (key, target) in ownList)   // in the model's order
            if (given.TryGetValue(key, out var value) && !target.Shape.SequenceEqual(value.Shape))
                problems.Add($"size mismatch for {key}: the file has shape {Fmt(value.Shape)}, the model has {Fmt(target.Shape)}");
        if (problems.Count > 0)
            throw new ArgumentException($"{path}: the weights do not fit {model.GetType().Name}: {string.Join("; ", problems)}.", nameof(model));
    }

    private static string Fmt(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
