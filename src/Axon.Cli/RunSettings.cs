using System.Text.Json;

namespace Axon.Cli;

/// <summary>
/// The settings of an <c>axon train</c> run that its checkpoint does not record, saved beside it as <c>run.json</c> so
/// that <c>--resume</c> continues on the same data with the same thread count and reports the same top-k accuracy.
/// </summary>
/// <param name="Limit">The --limit (0: all images).</param>
/// <param name="DataDir">The data directory, as a full path (null: the default).</param>
/// <param name="Threads">The kernel thread count, which changes the results slightly.</param>
internal sealed record RunSettings(int Limit, string? DataDir, int Threads)
{
    /// <summary>The default k of the reported top-k accuracy.</summary>
    public const int DefaultTopK = 5;

    /// <summary>The k of the reported top-k accuracy (5 in a file from before it was saved).</summary>
    public int TopK { get; init; } = DefaultTopK;

    /// <summary>The weights file the classifier started from (--weights, a full path), or null for a fresh draw.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Weights { get; init; }

    /// <summary>The --freeze patterns, or null when every parameter trains.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string[]? Freeze { get; init; }

    /// <summary>The --device as "cuda:N", or null on the CPU (so a CPU run's file stays as it was before devices).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Device { get; init; }

    /// <summary>True when the run's CUDA device uses TF32 (--tf32), else null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? Tf32 { get; init; }

    /// <summary>The device's name as --device takes it ("cpu" when none is recorded).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string DeviceName => Device ?? DeviceOptions.Cpu;

    /// <summary>The file name in the output directory.</summary>
    public const string FileName = "run.json";

    /// <summary>Reads the settings saved in <paramref name="directory"/>, or null when there are none (a run from before they were saved).</summary>
    public static RunSettings? Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var settings = JsonSerializer.Deserialize(File.ReadAllText(path), RunSettingsJson.Default.RunSettings);
            if (settings is null || settings.Limit < 0 || settings.Threads < 1 || settings.TopK < 1 || (settings.Device is { } d && DeviceOptions.Canonical(d) is null)) throw new InvalidDataException($"{path}: invalid run settings.");
            return settings;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable run settings ({e.Message}).", e);
        }
    }

    /// <summary>Writes the settings into <paramref name="directory"/>, atomically like the checkpoint beside them.</summary>
    public void Write(string directory)
    {
        string path = Path.Combine(directory, FileName), tmp = path + ".tmp" + Environment.ProcessId;
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, RunSettingsJson.Default.RunSettings));
        File.Move(tmp, path, overwrite: true);
    }
}
