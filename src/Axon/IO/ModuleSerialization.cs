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
    /// unchanged when the file does not fit. Dtypes are converted to the model's. <paramref name="rename"/>, when given,
    /// maps each of the file's keys to the model's key it loads into, or to null to skip it (for weights saved under another
    /// naming scheme).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="ArgumentException">The weights do not fit the model (the message names the file and the keys).</exception>
    public static IReadOnlyDictionary<string, string> Load(this Module model, string path, bool strict = true, Func<string, string?>? rename = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (tensors, metadata) = Safetensors.Load(path);
        LoadInto(model, tensors, path, strict, rename);
        return metadata;
    }

    /// <summary>
    /// Loads a state dict saved by PyTorch's <c>torch.save(model.state_dict(), path)</c> (a <c>.pth</c> / <c>.pt</c> zip,
    /// read by <see cref="PyTorchPth"/>, which never runs code from the file) into the model. <paramref name="strict"/> and
    /// <paramref name="rename"/> work as in <see cref="Load"/>; the model is unchanged when the file does not fit.
    /// </summary>
    /// <example>torchvision's old DenseNet keys (<c>norm.1.weight</c>) into today's names (<c>norm1.weight</c>):
    /// <code>model.LoadPth("densenet.pth", rename: k => Regex.Replace(k, @"\.(norm|relu|conv)\.([12])\.", ".$1$2."));</code></example>
    /// <exception cref="InvalidDataException">The file is malformed or asks for anything a state dict does not need.</exception>
    /// <exception cref="ArgumentException">The weights do not fit the model (the message names the file and the keys).</exception>
    public static void LoadPth(this Module model, string path, bool strict = true, Func<string, string?>? rename = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        LoadInto(model, PyTorchPth.Load(path), path, strict, rename);
    }

    /// <summary>
    /// Loads weights from either format, told apart by the file's first bytes (a <c>torch.save</c> zip, else safetensors),
    /// as <see cref="LoadPth"/> or <see cref="Load"/> does; returns the safetensors metadata (empty for a <c>.pth</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="ArgumentException">The weights do not fit the model (the message names the file and the keys).</exception>
    public static IReadOnlyDictionary<string, string> LoadWeights(this Module model, string path, bool strict = true, Func<string, string?>? rename = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!PyTorchPth.LooksLikePth(path)) return model.Load(path, strict, rename);
        model.LoadPth(path, strict, rename);
        return new Dictionary<string, string>();
    }

    private static void LoadInto(Module model, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, string path, bool strict, Func<string, string?>? rename)
    {
        try
        {
            var state = rename is null ? tensors : Rename(model, tensors, rename, path, strict);
            model.CheckStateDict(state, strict, path);
            model.LoadStateDict(state, strict);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    // The file's keys under the model's names. Two keys renamed to one is an error; with strict, a renamed key the model
    // does not have is reported with the file's name for it too, so that a wrong rule is easy to see.
    private static List<KeyValuePair<string, Tensor>> Rename(Module model, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, Func<string, string?> rename, string path, bool strict)
    {
        var result = new List<KeyValuePair<string, Tensor>>(tensors.Count);
        var from = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, t) in tensors)
        {
            var renamed = rename(key);
            if (renamed is null) continue;
            if (!from.TryAdd(renamed, key))
                throw new ArgumentException($"{path}: the file's keys '{from[renamed]}' and '{key}' are both renamed to '{renamed}'.", nameof(rename));
            result.Add(new(renamed, t));
        }
        if (strict)
        {
            var own = model.StateDict().Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            var unknown = result.Where(kv => !own.Contains(kv.Key) && from[kv.Key] != kv.Key).Select(kv => $"'{from[kv.Key]}' (renamed to '{kv.Key}')").ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"{path}: the weights do not fit {model.GetType().Name}: after renaming, the file's keys {string.Join(", ", unknown)} are not in the model.", nameof(rename));
        }
        return result;
    }
}
