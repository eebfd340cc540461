using System.CommandLine;
using System.Text.Json;
using Axon.Data;

namespace Axon.Cli.Tests;

/// <summary><c>axon transfer</c> and <c>axon summary</c> end to end, on a tiny synthetic Fashion-MNIST-shaped data set.</summary>
public sealed class TransferCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-transfer-");

    private string Data => Path.Combine(dir.FullName, "data");

    private string Run => Path.Combine(dir.FullName, "run");

    public TransferCommandTests()
    {
        Directory.CreateDirectory(Data);
        var g = new Generator(1);
        foreach (var (prefix, n) in new[] { ("train", 200), ("t10k", 50) })
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

    private static (int Code, string Text, string Errors) Capture(params string[] args)
    {
        var writer = new StringWriter();
        var errors = new StringWriter();
        var saved = Spectre.Console.AnsiConsole.Console;
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(writer),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No,
        });
        console.Profile.Width = 200;
        Spectre.Console.AnsiConsole.Console = console;
        try
        {
            int code = Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = writer, Error = errors });
            return (code, writer.ToString(), errors.ToString());
        }
        finally
        {
            Spectre.Console.AnsiConsole.Console = saved;
        }
    }

    [Fact]
    public void TransferComparesTheThreeRegimesAndReusesThePretrainedWeights()
    {
        string[] common = ["transfer", "--data-dir", Data, "--output", Run, "--threads", "1", "--pretrain-epochs", "1", "--epochs", "2", "--labels-per-class", "5"];
        string logs = Path.Combine(Run, "tb");
        var (code, text, errors) = Capture([.. common, "--model", "lecture-cnn", "--tensorboard", logs]);
        Assert.True(code == 0, text + errors);
        // One TensorBoard run per training: the pretraining and each regime.
        Assert.Equal(4, Directory.GetDirectories(logs).Length);
        Assert.Contains(Path.Combine(logs, "pretraining"), Directory.GetDirectories(logs));
        Assert.All(Directory.GetDirectories(logs), d => Assert.Single(Directory.GetFiles(d, "events.out.tfevents.*")));
        Assert.Matches(@"pretrain on classes T-shirt/top, Trouser, Pullover, Dress, Coat \(100 images\),\s+then learn Sandal, Shirt, Sneaker, Bag, Ankle boot\s+from\s+5\s+labels\s+each\s+\(25\s+images;\s+25\s+test\s+images\)", text);
        Assert.Contains("frozen features: 1,285 of ", text, StringComparison.Ordinal);   // the new head: 256 x 5 + 5
        foreach (var f in new[] { "pretrained.safetensors", "summary.json", "curves.png" }) Assert.True(File.Exists(Path.Combine(Run, f)), f);

        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Run, "summary.json"))))
        {
            var root = summary.RootElement;
            Assert.Equal("lecture-cnn", root.GetProperty("model").GetString());
            Assert.Equal(25, root.GetProperty("target_training_images").GetInt32());
            Assert.False(root.GetProperty("pretraining").GetProperty("reused").GetBoolean());
            var regimes = root.GetProperty("regimes").EnumerateArray().ToList();
            Assert.Equal(["frozen features", "full fine-tuning", "from scratch"], regimes.Select(r => r.GetProperty("regime").GetString()));
            Assert.Equal(1285, regimes[0].GetProperty("trainable_parameters").GetInt64());
            Assert.All(regimes, r => Assert.InRange(r.GetProperty("test_accuracy").GetDouble(), 0, 1));
            Assert.All(regimes, r => Assert.Equal(2, r.GetProperty("train_loss").GetArrayLength()));
        }

        // The second run reuses the weights instead of pretraining again.
        (code, text, errors) = Capture([.. common, "--model", "lecture-cnn"]);
        Assert.True(code == 0, text + errors);
        Assert.Contains("Reusing the pretrained weights in", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pretraining epoch", text, StringComparison.Ordinal);

        (code, _, errors) = Capture([.. common, "--model", "resnet-small"]);
        Assert.Equal(1, code);
        Assert.Contains("holds a pretrained lecture-cnn, not a resnet-small; pass --model lecture-cnn or another --pretrained file", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void TransferRejectsBadSettingsWithOneClearLine()
    {
        var (code, _, errors) = Capture("transfer", "--data-dir", Data, "--output", Run, "--labels-per-class", "21");
        Assert.Equal(1, code);
        Assert.Contains("21 labelled images per class were asked for, but class 5 (Sandal) has only 20 training images", errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Run));   // checked before anything is written
        (code, _, errors) = Capture("transfer", "--epochs", "0", "--data-dir", Data);
        Assert.Equal(1, code);
        Assert.Contains("--epochs must be at least 1 (got 0)", errors, StringComparison.Ordinal);
        (code, _, errors) = Capture("transfer", "--model", "vae", "--data-dir", Data);
        Assert.Equal(1, code);
        Assert.Contains("--model must be one of", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void SummaryTakesAnyZooModelAndAnInputShape()
    {
        var (code, text, errors) = Capture("summary", "lecture-cnn");
        Assert.True(code == 0, errors);
        Assert.Contains("features.0 (Conv2d)", text, StringComparison.Ordinal);
        // 32 5x5 kernels over a 28x28 grey image: 32·24·24 units, 25 connections each.
        Assert.Contains("Total units: ", text, StringComparison.Ordinal);
        Assert.Matches(@"features\.0 \(Conv2d\)\s+\[1, 32, 24, 24\]\s+832\s+18,432\s+460,800", text);
        Assert.Contains("Input shape: [1, 1, 28, 28]", text, StringComparison.Ordinal);

        (code, text, errors) = Capture("summary", "mlp", "--input", "1,28,28", "--classes", "5");
        Assert.True(code == 0, errors);
        Assert.Matches(@"5 \(Linear\)\s+\[1, 5\]\s+1,285\s+5\s+1,280", text);

        (code, text, errors) = Capture("summary", "autoencoder");
        Assert.True(code == 0, errors);
        Assert.Contains("Total connections (multiply-adds): 434,176", text, StringComparison.Ordinal);   // 784·256 + 256·64 encoding, 64·256 + 256·784 decoding

        (code, text, errors) = Capture("summary", "gan", "--input", "64");   // the generator's codes
        Assert.True(code == 0, errors);
        Assert.Contains("Input shape: [1, 64]", text, StringComparison.Ordinal);

        (code, _, errors) = Capture("summary", "gan");
        Assert.Equal(1, code);
        Assert.Contains("gan cannot take the default --input 1,28,28 ([1, 1, 28, 28]): Gan: codes must be [N, 64]", errors, StringComparison.Ordinal);

        (code, text, errors) = Capture("summary", "vae");
        Assert.True(code == 0, errors);
        Assert.Contains("vae does not map one tensor to one tensor", text, StringComparison.Ordinal);

        (code, _, errors) = Capture("summary", "lecture-cnn", "--input", "3,28,28");
        Assert.Equal(1, code);
        Assert.Contains("--input 3,28,28: lecture-cnn cannot take an input of shape [1, 3, 28, 28]", errors, StringComparison.Ordinal);
        (code, _, errors) = Capture("summary", "lecture-cnn", "--input", "1,x,28");
        Assert.Equal(1, code);
        Assert.Contains("--input must be positive whole numbers separated by commas", errors, StringComparison.Ordinal);
        (code, _, errors) = Capture("summary", "nonesuch");
        Assert.Equal(1, code);
        Assert.Contains("Unknown model 'nonesuch'", errors, StringComparison.Ordinal);
    }
}
