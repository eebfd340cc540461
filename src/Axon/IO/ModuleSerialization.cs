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
            model.CheckStateDict(tensors, strict, path);
            model.LoadStateDict(tensors, strict);
            return metadata;
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }
}
