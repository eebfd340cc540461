using System.CommandLine;
using System.Text.Json;
using Axon.Data;
using Axon.IO;

namespace Axon.Cli.Tests;

/// <summary><c>axon judge</c> end to end on a tiny synthetic Fashion-MNIST-shaped data set and a briefly trained MLP.</summary>
public sealed class JudgeCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-judge-");

    private string Data => Path.Combine(dir.FullName, "data");

    private string Model => Path.Combine(dir.FullName, "run", "model.safetensors");

    // Class c lights up rows 2c..2c+3 over faint noise, as in TrainCommandTests, so a classifier learns it in an epoch.
    private static byte[] Images(int n, Generator g, Func<int, int> label)
    {
        var images = new byte[n * 784];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < 784; p++) images[i * 784 + p] = (byte)(g.NextDouble() * 40 + (p / 28 / 2 - label(i) is >= 0 and < 2 ? 200 : 0));
        return images;
    }

    public JudgeCommandTests()
    {
        Directory.CreateDirectory(Data);
        var g = new Generator(1);
        foreach (var (prefix, n) in new[] { ("train", 240), ("t10k", 60) })
        {
            IdxWriter.WriteBytes(Path.Combine(Data, $"{prefix}-images-idx3-ubyte.gz"), Images(n, g, i => i % 10), [n, 28, 28]);
            IdxWriter.WriteBytes(Path.Combine(Data, $"{prefix}-labels-idx1-ubyte.gz"), Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), [n]);
        }
        Assert.Equal(0, Invoke(TextWriter.Null, "train", "--model", "mlp", "--epochs", "2", "--lr", "0.05", "--data-dir", Data, "--output", Path.GetDirectoryName(Model)!, "--threads", "1"));
    }

    public void Dispose() => dir.Delete(true);

    private static int Invoke(TextWriter error, params string[] args) =>
        Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = TextWriter.Null, Error = error });

    private string WriteSamples(string name, Tensor images, Tensor? categories = null)
    {
        string path = Path.Combine(dir.FullName, name);
        var tensors = new List<KeyValuePair<string, Tensor>> { new("images", images) };
        if (categories is not null) tensors.Add(new("categories", categories));
        Safetensors.Save(path, tensors);
        return path;
    }

    [Fact]
    public void ScoresSamplesBetweenTheFloorAndTheCeilingAndMatchesCodesToClasses()
    {
        // 40 "generated" images drawn like the data, whose code k is class (k + 3) % 10: the best matching recovers it.
        const int n = 40;
        var bytes = Images(n, new Generator(9), i => (i % 10 + 3) % 10);
        var images = Tensor.FromArray(bytes.Select(b => b / 255f).ToArray(), n, 1, 28, 28);
        var codes = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(i % 10)).ToArray(), n);
        string samples = WriteSamples("samples.safetensors", images, codes);
        string json = Path.Combine(dir.FullName, "judge.json");
        Assert.Equal(0, Invoke(TextWriter.Null, "judge", "--classifier", Model, "--samples", samples, "--data-dir", Data, "--json", json, "--threads", "1"));

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        foreach (var key in new[] { "count", "fid", "fid_floor", "fid_ceiling", "feature_dim", "classifier_test_accuracy", "matching_accuracy", "assignment", "class_histogram" })
            Assert.True(root.TryGetProperty(key, out _), key);
        Assert.Equal(n, root.GetProperty("count").GetInt32());
        Assert.Equal(256, root.GetProperty("feature_dim").GetInt32());
        double fid = root.GetProperty("fid").GetDouble(), floor = root.GetProperty("fid_floor").GetDouble(), ceiling = root.GetProperty("fid_ceiling").GetDouble();
        Assert.True(fid >= 0 && floor >= 0, $"fid {fid}, floor {floor}");
        Assert.True(floor < ceiling, $"floor {floor} vs ceiling {ceiling}");
        Assert.True(fid < ceiling, $"images like the data ({fid}) score better than noise ({ceiling})");
        Assert.Equal(n, root.GetProperty("fid_floor_count").GetInt32());
        Assert.Equal(n, root.GetProperty("class_histogram").EnumerateObject().Sum(c => c.Value.GetInt64()));
        double accuracy = root.GetProperty("classifier_test_accuracy").GetDouble();
        Assert.True(accuracy > 0.9, $"the toy classes are learnt ({accuracy})");
        // With a classifier this good the codes map to their classes: 0 -> Dress (3), 1 -> Coat (4), ...
        Assert.Equal(1.0, root.GetProperty("matching_accuracy").GetDouble());
        Assert.Equal("Dress", root.GetProperty("assignment").GetProperty("0").GetString());
        Assert.Equal("Trouser", root.GetProperty("assignment").GetProperty("8").GetString());
    }

    [Fact]
    public void ABadSamplesFileIsAnErrorNamingTheFileKeyAndShape()
    {
        var errors = new StringWriter();
        string wrong = WriteSamples("flat.safetensors", Tensor.FromArray(new float[5 * 784], 5, 28, 28));
        Assert.Equal(1, Invoke(errors, "judge", "--classifier", Model, "--samples", wrong, "--data-dir", Data));
        Assert.Contains("flat.safetensors: \"images\" has shape [5, 28, 28]; expected [N, 1, 28, 28]", errors.ToString(), StringComparison.Ordinal);

        var ex = Assert.Throws<InvalidDataException>(() => JudgeCommand.ReadSamples(WriteSamples("f64.safetensors", Tensor.FromArray(new double[2 * 784], 2, 1, 28, 28))));
        Assert.Contains("\"images\" is Float64 [2, 1, 28, 28]", ex.Message, StringComparison.Ordinal);
        var bright = new float[2 * 784];
        bright[790] = 255;
        ex = Assert.Throws<InvalidDataException>(() => JudgeCommand.ReadSamples(WriteSamples("bytes.safetensors", Tensor.FromArray(bright, 2, 1, 28, 28))));
        Assert.Contains("255 at image 1, pixel 6", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<InvalidDataException>(() => JudgeCommand.ReadSamples(WriteSamples("codes.safetensors", Tensor.FromArray(new float[3 * 784], 3, 1, 28, 28), Tensor.FromArray(new long[] { 0, 1 }, 2))));
        Assert.Contains("\"categories\" is Int64 [2]; expected I64 [3]", ex.Message, StringComparison.Ordinal);
        string other = Path.Combine(dir.FullName, "other.safetensors");
        Safetensors.Save(other, [new("x", Tensor.FromArray(new float[3], 3))]);
        ex = Assert.Throws<InvalidDataException>(() => JudgeCommand.ReadSamples(other));
        Assert.Contains("other.safetensors: no \"images\" tensor (found: x)", ex.Message, StringComparison.Ordinal);
    }
}
