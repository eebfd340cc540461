using System.CommandLine;
using Axon.Cli;
using Axon.Data;

namespace Axon.Cli.Tests;

/// <summary>End to end on a tiny synthetic Fashion-MNIST-shaped data set written as IDX files.</summary>
public sealed partial class TrainCommandTests : IDisposable
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

    private static int Invoke(params string[] args) =>
        Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null });

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
    public void WeightsAndFreezeFineTuneOnlyTheUnfrozenLayers()
    {
        string first = Path.Combine(dir.FullName, "first");
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", first, "--threads", "1"));
        string start = Path.Combine(first, "model.safetensors");
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--seed", "3", "--weights", start, "--freeze", "1, 3", "--data-dir", Data, "--output", Run, "--threads", "1"));
        var before = Weights(start);
        var after = Weights(Path.Combine(Run, "model.safetensors"));
        // The mlp is Flatten, Linear (1), ReLU, Linear (3), ReLU, Linear (5): the first two layers kept their values, the head trained.
        foreach (var key in new[] { "1.weight", "1.bias", "3.weight", "3.bias" })
            Assert.Equal(before[key].ToFloatArray(), after[key].ToFloatArray());
        Assert.NotEqual(before["5.weight"].ToFloatArray(), after["5.weight"].ToFloatArray());
        // A resumed run keeps them; changing the patterns or the weights there is an error.
        Assert.Equal(0, Invoke("train", "--epochs", "2", "--resume", "--data-dir", Data, "--output", Run, "--threads", "1"));
        Assert.Equal(before["1.weight"].ToFloatArray(), Weights(Path.Combine(Run, "model.safetensors"))["1.weight"].ToFloatArray());
        var (code, _, text) = Capture("train", "--epochs", "3", "--resume", "--freeze", "1", "--data-dir", Data, "--output", Run, "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("--freeze 1: the run in", text, StringComparison.Ordinal);
        Assert.Contains("froze 1,3, and a resumed run keeps it", text, StringComparison.Ordinal);
        // A pattern that selects nothing, and a generative model, are errors.
        (code, _, text) = Capture("train", "--model", "mlp", "--epochs", "1", "--freeze", "conv9", "--data-dir", Data, "--output", Path.Combine(dir.FullName, "bad"), "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("conv9", text, StringComparison.Ordinal);
        (code, _, text) = Capture("train", "--model", "vae", "--weights", start, "--data-dir", Data, "--output", Path.Combine(dir.FullName, "bad"), "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("--weights and --freeze start a classifier; vae is a generative model", text, StringComparison.Ordinal);
    }

    private static Dictionary<string, Tensor> Weights(string path) => Axon.IO.Safetensors.Load(path).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);

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
        Assert.Equal(1, Invoke("summary", "inception-v9"));  // unknown; alexnet is the torchvision model now
        Assert.Equal(0, Invoke("summary", "alexnet"));
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
        var wrong = Record.Exception(() => ModelCommands.LoadModel(model, "lecture-cnn", 1));
        Assert.Contains("missing keys", wrong!.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the command with Spectre.Console writing to a string of the given width (as in a pipe: not a terminal, no
    /// colours), and returns the exit code, standard output and standard error.
    /// </summary>
    private static (int Code, string Text, string Errors) Capture(int width, params string[] args)
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
        console.Profile.Width = width;
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

    private static (int Code, string Text, string Errors) Capture(params string[] args) => Capture(400, args);

    [Fact]
    public void TrainTakesEveryOptimiserScheduleAndRegulariserByName()
    {
        var (code, text, _) = Capture("train", "--model", "mlp", "--epochs", "3", "--batch-size", "32", "--data-dir", Data, "--output", Run, "--threads", "1",
            "--optimizer", "adam", "--lr", "0.002", "--beta1", "0.85", "--beta2", "0.99", "--eps", "1e-7", "--amsgrad", "--weight-decay", "0",
            "--schedule", "plateau", "--patience", "0", "--factor", "0.5", "--validation", "0.25", "--top-k", "3",
            "--l1", "1e-5", "--l2", "1e-4", "--clip-norm", "5", "--clip-value", "1", "--max-norm", "3", "--early-stopping", "2");
        Assert.True(code == 0, text);
        Assert.Contains("180 training / 60 validation / 60 test images", text, StringComparison.Ordinal);
        Assert.Contains("adam lr 0.002, weight-decay 0, beta1 0.85, beta2 0.99, eps 1E-07, amsgrad, l1 1E-05, l2 0.0001, clip-norm 5, clip-value 1, max-norm 3", text, StringComparison.Ordinal);
        Assert.Matches(@"epoch 1: lr 0\.002 .* val loss \d\.\d{4} acc \d+\.\d\d% top-3 \d+\.\d\d%", text);
        foreach (var f in new[] { "model.safetensors", "checkpoint.safetensors", "best.safetensors", "confusion.png", "curves.png" })
            Assert.True(File.Exists(Path.Combine(Run, f)), f);
        var (options, metadata) = Axon.Models.Training.Trainer.ReadCheckpointSettings(Path.Combine(Run, "checkpoint.safetensors"));
        var h = options.Hyperparameters;
        Assert.Equal(("mlp", 0.002, 0.85, 0.99, 1e-7, true, 0.0), (metadata["model"], h.Lr, h.Beta1, h.Beta2, h.Eps, h.AmsGrad, h.WeightDecay));
        Assert.Equal(("plateau", 0.25, 1e-5, 1e-4, 5.0, 1.0, 3.0, 2),
            (options.Schedule, options.ValidationFraction, options.L1, options.L2, options.GradClipNorm, options.GradClipValue, options.MaxNorm, options.EarlyStoppingPatience));
        Assert.Equal(3, RunSettings.Read(Run)!.TopK);
        Assert.Equal(0, Invoke("eval", Path.Combine(Run, "best.safetensors"), "--data-dir", Data));

        string cycle = Path.Combine(dir.FullName, "cycle");
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "2", "--data-dir", Data, "--output", cycle, "--threads", "1", "--schedule", "onecycle", "--max-lr", "0.1",
            "--optimizer", "rmsprop", "--alpha", "0.9", "--centered", "--momentum", "0.5"));
        Assert.Equal(1, Invoke("train", "--epochs", "3", "--resume", "--data-dir", Data, "--output", cycle));  // a onecycle run cannot be extended
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", cycle, "--threads", "1", "--optimizer", "adadelta", "--rho", "0.8", "--lr", "1"));
        // An untyped hyper-parameter is the chosen optimiser's default, not the sgd recipe's.
        var (adamCode, adamText, _) = Capture("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Path.Combine(dir.FullName, "adam"), "--threads", "1", "--optimizer", "adam");
        Assert.Equal(0, adamCode);
        Assert.Contains(", adam lr 0.001, schedule step,", adamText, StringComparison.Ordinal);

        var (bad, _, message) = Capture("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--beta1", "0.9");
        Assert.Equal(1, bad);
        Assert.Contains("error: --beta1 is not a setting of the sgd optimizer (it takes --lr, --momentum, --dampening, --nesterov, --weight-decay, --maximize)", message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke("train", "--model", "mlp", "--data-dir", Data, "--output", Run, "--validation", "1"));
        Assert.Equal(1, Invoke("train", "--model", "mlp", "--data-dir", Data, "--output", Run, "--schedule", "plateau", "--factor", "2"));
    }

    [Fact]
    public void TheRecurrentClassifiersTrainWithTheirOwnRecipeUnlessToldOtherwise()
    {
        // gru-rows starts from Adam at 0.002 with a cosine schedule; --beta1 is then one of its settings, and another
        // optimiser typed by the user starts from its own defaults, not from the recipe's rate.
        var (code, text, errors) = Capture("train", "--model", "gru-rows", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1", "--beta1", "0.8");
        Assert.True(code == 0, text + errors);
        Assert.Contains(", adam lr 0.002, beta1 0.8, schedule cosine,", text, StringComparison.Ordinal);
        Assert.Equal("adam", Axon.Models.Training.Trainer.ReadCheckpointSettings(Path.Combine(Run, "checkpoint.safetensors")).Options.Optimizer);
        var (sgdCode, sgdText, _) = Capture("train", "--model", "lstm-rows", "--epochs", "1", "--data-dir", Data, "--output", Path.Combine(dir.FullName, "sgd"), "--threads", "1", "--optimizer", "sgd");
        Assert.Equal(0, sgdCode);
        Assert.Contains(", sgd lr 0.05, schedule cosine,", sgdText, StringComparison.Ordinal);
        var sgd = Axon.Models.Training.Trainer.ReadCheckpointSettings(Path.Combine(dir.FullName, "sgd", "checkpoint.safetensors")).Options.Hyperparameters;
        Assert.Equal((0.05, 0.9, 5e-4), (sgd.Lr, sgd.Momentum, sgd.WeightDecay));
    }

    [Fact]
    public void ANanLossStopsTrainingNamingTheStepAndLeavesTheLastGoodCheckpoint()
    {
        // The rate is multiplied by 1e30 after the first epoch: the weights overflow in the second.
        var (code, _, text) = Capture("train", "--model", "mlp", "--epochs", "3", "--batch-size", "32", "--schedule", "exp", "--gamma", "1e30",
            "--data-dir", Data, "--output", Run, "--threads", "1");
        Assert.Equal(1, code);
        string checkpoint = Path.Combine(Run, "checkpoint.safetensors");
        Assert.Matches(@"error: Loss became (NaN|infinite) at epoch 2, step (\d+) \(batch (\d+) of 8\); stopping\. The last good checkpoint is .*checkpoint\.safetensors \(end of epoch 1\)\.", text);
        var m = System.Text.RegularExpressions.Regex.Match(text, @"step (\d+) \(batch (\d+) of 8\)");
        Assert.Equal(8 + int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, Axon.IO.Checkpoint.ReadInfo(checkpoint).Epoch);
        Assert.Empty(Directory.GetFiles(Run, "*.tmp*"));
        Assert.False(File.Exists(Path.Combine(Run, "model.safetensors")));
        // The checkpoint is intact: it loads, its weights are finite, and eval scores it.
        var (model, _) = ModelCommands.LoadModel(checkpoint, null, 1);
        Assert.All(model.Parameters(), p => Assert.True(p.ToFloatArray().All(float.IsFinite)));
        Assert.Equal(0, Invoke("eval", checkpoint, "--data-dir", Data));
    }

    [Fact]
    public void LrFindPrintsASuggestionAndWritesThePlot()
    {
        string png = Path.Combine(dir.FullName, "lr.png");
        var (code, text, _) = Capture("lr-find", "--model", "mlp", "--steps", "40", "--batch-size", "16", "--start-lr", "1e-4", "--end-lr", "1000",
            "--data-dir", Data, "--threads", "1", "--plot", png);
        Assert.True(code == 0, text);
        Assert.Contains("Suggested learning rate", text, StringComparison.Ordinal);
        Assert.Contains("The loss exploded at lr", text, StringComparison.Ordinal);
        Assert.True(new FileInfo(png).Length > 1000);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp*"));
        Assert.Equal(1, Invoke("lr-find", "--model", "mlp", "--start-lr", "0", "--data-dir", Data));
        Assert.Equal(1, Invoke("lr-find", "--model", "mlp", "--start-lr", "1", "--end-lr", "0.1", "--data-dir", Data));
    }

    private static void WritePng(string path, int w, int h)
    {
        using var bitmap = new SkiaSharp.SKBitmap(w, h);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)(x * 8), (byte)(y * 8), 0));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
