using System.CommandLine;
using Axon.Cli;
using Axon.Data;

namespace Axon.Cli.Tests;

/// <summary>End to end on a tiny synthetic Fashion-MNIST-shaped data set written as IDX files.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-cli-");

    private string Data => Path.Combine(dir.FullName, "data");

    private string Run => Path.Combine(dir.FullName, "run");

    public TrainCommandTests()
    {
        Directory.CreateDirectory(Data);
        var g = new Generator(1);
        foreach (var (prefix, n) in new[] { ("train", 240), ("t10k", 60) })
        {
            var labels = new byte[n];
            var images = new byte[n * 784];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 10);
                // Class c lights up rows 2c..2c+3 so the classes are learnable.
                for (int p = 0; p < 784; p++) images[i * 784 + p] = (byte)(g.NextDouble() * 40 + (p / 28 / 2 - labels[i] is >= 0 and < 2 ? 200 : 0));
            }
            IdxWriter.WriteBytes(Path.Combine(Data, $"{prefix}-images-idx3-ubyte.gz"), images, [n, 28, 28]);
            IdxWriter.WriteBytes(Path.Combine(Data, $"{prefix}-labels-idx1-ubyte.gz"), labels, [n]);
        }
    }

    public void Dispose() => dir.Delete(true);

    private static int Invoke(params string[] args)
    {
        var root = new RootCommand { TrainCommand.Create(), ModelCommands.Eval(), ModelCommands.Predict(), ModelCommands.Summary() };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null });
    }

    [Fact]
    public void TrainWritesModelCheckpointAndPlotsThenEvalAndPredictUseThem()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "2", "--batch-size", "32", "--lr", "0.05", "--data-dir", Data, "--output", Run, "--threads", "1"));
        foreach (var f in new[] { "model.safetensors", "checkpoint.safetensors", "confusion.png", "curves.png" })
            Assert.True(File.Exists(Path.Combine(Run, f)), f);
        Assert.Empty(Directory.GetFiles(Run, "*.tmp*"));
        Assert.Equal(0, Invoke("eval", Path.Combine(Run, "model.safetensors"), "--data-dir", Data));
        Assert.Equal(0, Invoke("eval", Path.Combine(Run, "checkpoint.safetensors"), "--data-dir", Data));
        Assert.Equal(0, Invoke("predict", Path.Combine(Run, "model.safetensors"), Path.Combine(Data, "t10k-images-idx3-ubyte.gz")));
    }

    [Fact]
    public void ResumeContinuesExactlyAsAnUninterruptedRun()
    {
        string straight = Path.Combine(dir.FullName, "straight");
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "3", "--data-dir", Data, "--output", straight, "--threads", "1"));
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        Assert.Equal(0, Invoke("train", "--epochs", "3", "--resume", "--data-dir", Data, "--output", Run, "--threads", "1"));
        var a = Axon.IO.Safetensors.Load(Path.Combine(straight, "model.safetensors")).Tensors;
        var b = Axon.IO.Safetensors.Load(Path.Combine(Run, "model.safetensors")).Tensors;
        Assert.Equal(a.Select(kv => kv.Key), b.Select(kv => kv.Key));
        foreach (var ((key, x), (_, y)) in a.Zip(b)) Assert.True(x.ToFloatArray().SequenceEqual(y.ToFloatArray()), key);
    }

    [Fact]
    public void BadInputGetsOneClearErrorAndExitCodeOne()
    {
        Assert.Equal(1, Invoke("train", "--data-dir", Path.Combine(dir.FullName, "missing"), "--output", Run));
        Assert.Equal(1, Invoke("train", "--resume", "--data-dir", Data, "--output", Path.Combine(dir.FullName, "none")));
        Assert.Equal(1, Invoke("eval", Path.Combine(dir.FullName, "nope.safetensors"), "--data-dir", Data));
        var corrupt = Path.Combine(dir.FullName, "corrupt.safetensors");
        File.WriteAllBytes(corrupt, [1, 2, 3]);
        Assert.Equal(1, Invoke("eval", corrupt, "--data-dir", Data));
        Assert.Equal(1, Invoke("summary", "alexnet"));
        Assert.Equal(0, Invoke("summary", "resnet-small"));
    }

    [Fact]
    public void PredictReadsPngsAndRejectsTheWrongSize()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        string model = Path.Combine(Run, "model.safetensors");
        string good = Path.Combine(dir.FullName, "shoe.png"), bad = Path.Combine(dir.FullName, "big.png");
        WritePng(good, 28, 28);
        WritePng(bad, 32, 32);
        Assert.Equal(0, Invoke("predict", model, good));
        Assert.Equal(1, Invoke("predict", model, bad));
        var images = ModelCommands.ReadImages([good]);
        Assert.Equal(784, images[0].Pixels.Length);
        var ex = Assert.Throws<InvalidDataException>(() => ModelCommands.ReadImages([bad]));
        Assert.Contains("big.png: the image is 32x32", ex.Message, StringComparison.Ordinal);
        // A checkpoint for another architecture is refused with a clear message.
        var wrong = Record.Exception(() => ModelCommands.LoadModel(model, "lecture-cnn"));
        Assert.Contains("missing keys", wrong!.Message, StringComparison.Ordinal);
    }

    private static void WritePng(string path, int w, int h)
    {
        using var bitmap = new SkiaSharp.SKBitmap(w, h);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)(x * 8), (byte)(y * 8), 0));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
