using Axon.Cli;
using Axon.Data;
using Axon.Models;
using Axon.Models.Training;

namespace Axon.Cli.Tests;

/// <summary>What a new user tripped over: corrupt images, resuming, error messages, failed starts, narrow or piped output.</summary>
public sealed partial class TrainCommandTests
{
    /// <summary>Writes a 28x28 PNG of noise, so that its image data is most of the file and cutting it loses pixels.</summary>
    private static byte[] NoisePng(string path)
    {
        var g = new Generator(7);
        using var bitmap = new SkiaSharp.SKBitmap(28, 28);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)(g.NextDouble() * 255), (byte)(g.NextDouble() * 255), (byte)(g.NextDouble() * 255)));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        var bytes = data.ToArray();
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    [Fact]
    public void PredictRejectsATruncatedOrCorruptPngNamingTheFile()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--limit", "60", "--data-dir", Data, "--output", Run, "--threads", "1"));
        string model = Path.Combine(Run, "model.safetensors");
        string whole = Path.Combine(dir.FullName, "whole.png"), half = Path.Combine(dir.FullName, "half.png"), corrupt = Path.Combine(dir.FullName, "corrupt.png");
        var bytes = NoisePng(whole);
        File.WriteAllBytes(half, bytes[..(bytes.Length / 2)]);
        var damaged = (byte[])bytes.Clone();
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) damaged[i] ^= 0x5A;  // inside the image data
        File.WriteAllBytes(corrupt, damaged);

        Assert.Equal(0, Invoke("predict", model, whole));
        var (code, text, errors) = Capture("predict", model, half);
        Assert.Equal(1, code);
        Assert.Equal("", text);
        Assert.Equal($"error: {half}: the file is truncated; the image was not fully decoded.", errors.Trim());
        var (corruptCode, _, corruptErrors) = Capture("predict", model, corrupt);
        Assert.Equal(1, corruptCode);
        Assert.StartsWith($"error: {corrupt}: the file is ", corruptErrors, StringComparison.Ordinal);
    }

    [Fact]
    public void ResumeWithoutEpochsOrLimitContinuesTheSavedRun()
    {
        // The uninterrupted run, and the same run stopped after its first of 3 epochs (as by Ctrl-C): its checkpoint and
        // run.json as `axon train --model mlp --epochs 3 --limit 120 --threads 1` leaves them.
        string straight = Path.Combine(dir.FullName, "straight");
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "3", "--limit", "120", "--data-dir", Data, "--output", straight, "--threads", "1"));
        var options = new TrainerOptions { Epochs = 3 };
        var generator = new Generator(options.Seed);
        var trainer = new Trainer(new ClassificationTask(ModelZoo.Create("mlp", 10, generator), 10), generator, options);
        var (train, test) = TrainCommand.LoadData(Data, 120);
        trainer.TrainEpoch(train, test);
        Directory.CreateDirectory(Run);
        trainer.SaveCheckpoint(Path.Combine(Run, "checkpoint.safetensors"), new Dictionary<string, string> { ["model"] = "mlp" });
        new RunSettings(120, Path.GetFullPath(Data), 1).Write(Run);

        var (code, text, errors) = Capture("train", "--resume", "--output", Run);
        Assert.True(code == 0, errors);
        Assert.Contains($"Resuming mlp from {Path.Combine(Run, "checkpoint.safetensors")} after epoch 1 of 3 (settings: 3 epochs, --limit 120, data {Path.GetFullPath(Data)}, 1 thread, ", text, StringComparison.Ordinal);
        Assert.Contains("120 training / 20 test images, 3 epochs", text, StringComparison.Ordinal);
        Assert.Equal(3, Axon.IO.Checkpoint.ReadInfo(Path.Combine(Run, "checkpoint.safetensors")).Epoch);
        var a = Axon.IO.Safetensors.Load(Path.Combine(straight, "model.safetensors")).Tensors;
        var b = Axon.IO.Safetensors.Load(Path.Combine(Run, "model.safetensors")).Tensors;
        foreach (var ((key, x), (_, y)) in a.Zip(b)) Assert.True(x.ToFloatArray().SequenceEqual(y.ToFloatArray()), key);

        // Overrides are named; settings that cannot change are errors naming the option.
        var (more, moreText, _) = Capture("train", "--resume", "--output", Run, "--epochs", "4");
        Assert.Equal(0, more);
        Assert.Contains("after epoch 3 of 4 (settings: 4 epochs, --limit 120", moreText, StringComparison.Ordinal);
        Assert.Contains("; --epochs 4 overrides the saved 3).", moreText, StringComparison.Ordinal);
        var (model, _, modelErrors) = Capture("train", "--resume", "--output", Run, "--model", "lenet5");
        Assert.Equal(1, model);
        Assert.StartsWith($"error: --resume: --model lenet5: the run in {Run} trains mlp, and a resumed run keeps its model.", modelErrors, StringComparison.Ordinal);
        var (lr, _, lrErrors) = Capture("train", "--resume", "--output", Run, "--lr", "0.1");
        Assert.Equal(1, lr);
        Assert.Contains("--lr 0.1: the run was started with 0.05, and a resumed run keeps it", lrErrors, StringComparison.Ordinal);
        Assert.Equal(1, Invoke("train", "--resume", "--output", Run, "--epochs", "2"));  // fewer than it has trained
    }

    [Fact]
    public void LabelSmoothingAndFlipTtaAreSavedKeptOnResumeAndFlipTtaEvaluates()
    {
        string checkpoint = Path.Combine(Run, "checkpoint.safetensors");
        var (code, text, errors) = Capture("train", "--model", "mlp", "--epochs", "1", "--batch-size", "32", "--data-dir", Data, "--output", Run, "--threads", "1",
            "--label-smoothing", "0.1", "--flip-tta");
        Assert.True(code == 0, errors);
        Assert.Contains("sgd lr 0.05, label-smoothing 0.1, schedule step, flip test-time augmentation, 1 thread, seed 0.", text, StringComparison.Ordinal);
        var (saved, _) = Trainer.ReadCheckpointSettings(checkpoint);
        Assert.Equal((0.1, true), (saved.LabelSmoothing, saved.FlipTta));

        // A resumed run keeps them without their being typed again, and refuses other values naming the option.
        var (resumed, resumedText, resumedErrors) = Capture("train", "--resume", "--output", Run, "--epochs", "2");
        Assert.True(resumed == 0, resumedErrors);
        Assert.Contains("sgd lr 0.05, label-smoothing 0.1, schedule step, seed 0; --epochs 2 overrides the saved 1)", resumedText, StringComparison.Ordinal);
        Assert.Contains("label-smoothing 0.1, schedule step, flip test-time augmentation, 1 thread", resumedText, StringComparison.Ordinal);
        (saved, _) = Trainer.ReadCheckpointSettings(checkpoint);
        Assert.Equal((2, 0.1, true), (saved.Epochs, saved.LabelSmoothing, saved.FlipTta));
        Assert.Equal(2, Axon.IO.Checkpoint.ReadInfo(checkpoint).Epoch);
        var (other, _, otherErrors) = Capture("train", "--resume", "--output", Run, "--label-smoothing", "0.2");
        Assert.Equal(1, other);
        Assert.Contains("--label-smoothing 0.2: the run was started with 0.1, and a resumed run keeps it", otherErrors, StringComparison.Ordinal);
        var (off, _, offErrors) = Capture("train", "--resume", "--output", Run, "--flip-tta", "false");
        Assert.Equal(1, off);
        Assert.Contains("--flip-tta false: the run was started with true, and a resumed run keeps it", offErrors, StringComparison.Ordinal);

        // The final evaluation of the run and axon eval --flip-tta score the mean logits of each image and its mirror.
        string weights = Path.Combine(Run, "model.safetensors");
        var (model, _) = ModelCommands.LoadModel(weights, null, 1);
        var expected = new ClassificationTask(model, 10).EvaluateClasses(FashionMnist.Load(Data, train: false), flipTta: true);
        Assert.Contains($"Test accuracy {Cli.F(100 * expected.Accuracy, "F2")}%", resumedText, StringComparison.Ordinal);
        var (eval, evalText, evalErrors) = Capture("eval", weights, "--data-dir", Data, "--threads", "1", "--flip-tta");
        Assert.True(eval == 0, evalErrors);
        Assert.Contains("on 60 test images and their mirrors (flip test-time augmentation), 1 thread.", evalText, StringComparison.Ordinal);
        Assert.Contains($"loss {expected.Loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}, accuracy {expected.Accuracy.ToString("P2", System.Globalization.CultureInfo.InvariantCulture)} (1 thread)", evalText, StringComparison.Ordinal);
    }

    [Fact]
    public void EvalEverySkipsTheTestSetBetweenItsEpochsAndTheCurvesKeepTheEvaluatedOnes()
    {
        var (code, text, errors) = Capture("train", "--model", "mlp", "--epochs", "3", "--batch-size", "32", "--data-dir", Data, "--output", Run, "--threads", "1",
            "--eval-every", "2");
        Assert.True(code == 0, errors);
        Assert.Contains("schedule step, test every 2 epochs, 1 thread", text, StringComparison.Ordinal);
        var epochLines = text.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal) && l.Contains(" train loss ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, epochLines.Length);
        Assert.Contains("(test every 2 epochs)", epochLines[0], StringComparison.Ordinal);
        Assert.Contains("test loss", epochLines[1], StringComparison.Ordinal);
        Assert.Contains("test loss", epochLines[2], StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(Run, "curves.png")).Length > 1000);
        var (refused, _, refusedErrors) = Capture("train", "--model", "mlp", "--epochs", "2", "--data-dir", Data, "--output", Run + "-es", "--eval-every", "2", "--early-stopping", "1");
        Assert.Equal(1, refused);
        Assert.Contains("eval-every 2: without a validation split (--validation) the early stopping watches the test loss", refusedErrors, StringComparison.Ordinal);
    }

    [Fact]
    public void EmaEvaluatesAndSavesTheMovingAverageOfTheWeights()
    {
        var (code, text, errors) = Capture("train", "--model", "mlp", "--epochs", "2", "--batch-size", "32", "--data-dir", Data, "--output", Run, "--threads", "1",
            "--ema", "0.9");
        Assert.True(code == 0, errors);
        Assert.Contains("schedule step, weight average (ema 0.9), 1 thread", text, StringComparison.Ordinal);
        // model.safetensors holds the average (the checkpoint keeps it beside the model's own weights), and the final
        // accuracy is the last epoch's test accuracy of it.
        var (checkpointTensors, _) = Axon.IO.Safetensors.Load(Path.Combine(Run, "checkpoint.safetensors"));
        var (modelTensors, _) = Axon.IO.Safetensors.Load(Path.Combine(Run, "model.safetensors"));
        var average = checkpointTensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, t) in modelTensors)
        {
            Assert.Equal(average["extra.ema." + key].ToDoubleArray(), t.ToDoubleArray());
            Assert.NotEqual(average[key].ToDoubleArray(), t.ToDoubleArray());
        }
        var (model, _) = ModelCommands.LoadModel(Path.Combine(Run, "model.safetensors"), null, 1);
        var expected = new ClassificationTask(model, 10).EvaluateClasses(FashionMnist.Load(Data, train: false));
        var lastEpoch = text.Split('\n').Last(l => l.StartsWith("epoch 2: ", StringComparison.Ordinal));
        Assert.Contains($"acc {Cli.F(100 * expected.Accuracy, "F2")}% top-5", lastEpoch, StringComparison.Ordinal);
        Assert.Contains($"Test accuracy {Cli.F(100 * expected.Accuracy, "F2")}%", text, StringComparison.Ordinal);
        var (refused, _, refusedErrors) = Capture("train", "--model", "mlp", "--data-dir", Data, "--output", Run + "-asgd", "--ema", "0.9", "--optimizer", "asgd");
        Assert.Equal(1, refused);
        Assert.Contains("averaged SGD evaluates its own average of the weights", refusedErrors, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionValuesNameTheOptionOnStandardError()
    {
        foreach (var (args, message) in new[]
        {
            (new[] { "train", "--epochs", "0" }, "error: --epochs must be at least 1 (got 0)"),
            (new[] { "train", "--lr", "-1" }, "error: --lr must be finite and non-negative (got -1)"),
            (new[] { "train", "--threads", "0" }, "error: --threads must be at least 1 (got 0)"),
            (new[] { "train", "--label-smoothing", "1.5" }, "error: --label-smoothing must be in [0, 1) (0 = off) (got 1.5)"),
            (new[] { "train", "--epochs", "ten" }, "error: --epochs expects a whole number (got 'ten')"),
            (new[] { "train", "--data-dir", "" }, "error: --data-dir must name the directory holding the Fashion-MNIST IDX files (got '')"),
            (new[] { "lr-find", "--start-lr", "1", "--end-lr", "0.1" }, "error: --end-lr must be greater than --start-lr (got 0.1 and 1)"),
            (new[] { "lr-find", "--model", "vae" }, "error: --model: lr-find runs the range test on a classifier's cross-entropy; vae is a generative model (got 'vae'). " +
                "Use one of lecture-cnn, lenet5, mlp, vgg-small, resnet-small, resnet8, resnet18, gru-rows, lstm-rows, alexnet-small, vgg16-small, googlenet-small, resnet50-small, densenet121-small."),
            (new[] { "predict", "m.safetensors", "x.png", "--top", "11" }, "error: --top must be between 1 and 10, the number of classes (got 11)"),
        })
        {
            var (code, text, errors) = Capture(args);
            Assert.Equal(1, code);
            Assert.Equal("", text);
            Assert.Equal($"{message}{Environment.NewLine}Run 'axon {args[0]} --help' for usage.{Environment.NewLine}", errors);
        }
        var (_, _, missing) = Capture("train", "--data-dir", Path.Combine(dir.FullName, "missing"), "--output", Run);
        Assert.Equal($"error: --data-dir {Path.Combine(dir.FullName, "missing")}: no such directory.", missing.Trim());
        // Library messages that get through lose .NET's suffixes and take the option's name.
        Assert.Equal("--epochs must be at least 1 (got 0)", Cli.Message(new ArgumentOutOfRangeException("Epochs", 0, "Epochs must be at least 1.")));
        Assert.Equal("--lr: Invalid learning rate: -1; it must be finite and non-negative (got -1)",
            Cli.Message(new ArgumentOutOfRangeException("lr", -1.0, "Invalid learning rate: -1; it must be finite and non-negative.")));
    }

    [Fact]
    public void AnUnknownModelGetsTheErrorAndAPointerToTheHelpNotTheHelp()
    {
        var (code, text, errors) = Capture("train", "--model", "alexnet");
        Assert.Equal(1, code);
        Assert.Equal("", text);
        Assert.Equal("error: --model must be one of lecture-cnn, lenet5, mlp, vgg-small, resnet-small, resnet8, resnet18, gru-rows, lstm-rows, alexnet-small, vgg16-small, googlenet-small, resnet50-small, densenet121-small, " +
            "autoencoder, conv-autoencoder, denoising-ae, sparse-ae, contractive-ae, vae, gan, dcgan, infogan, siamese (got 'alexnet')" + Environment.NewLine +
            "Run 'axon train --help' for usage." + Environment.NewLine, errors);

        // No arguments: the commands, under the name the user types.
        var (none, usage, noneErrors) = Capture();
        Assert.Equal(0, none);
        Assert.Equal("", noneErrors);
        Assert.Contains($"Usage:{Environment.NewLine}  axon [command] [options]", usage, StringComparison.Ordinal);
        Assert.DoesNotContain("Axon.Cli", usage, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedStartLeavesNoOutputDirectory()
    {
        Assert.Equal(1, Invoke("train", "--model", "mlp", "--data-dir", Path.Combine(dir.FullName, "missing"), "--output", Run));
        Assert.False(Directory.Exists(Run));
        Assert.Equal(1, Invoke("train", "--model", "mlp", "--epochs", "0", "--data-dir", Data, "--output", Run));
        Assert.False(Directory.Exists(Run));
        // A loss that is NaN in the first epoch: the directory was made, nothing was written into it, and it goes again.
        Assert.Equal(1, Invoke("train", "--model", "mlp", "--epochs", "1", "--lr", "1e30", "--data-dir", Data, "--output", Run, "--threads", "1"));
        Assert.False(Directory.Exists(Run));
    }

    [Fact]
    public void TheConfusionTableFitsEightyColumnsWithoutBreakingAName()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        var (code, text, _) = Capture(80, "eval", Path.Combine(Run, "model.safetensors"), "--data-dir", Data, "--threads", "1");
        Assert.Equal(0, code);
        var lines = text.Split(Environment.NewLine);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        for (int i = 0; i < 10; i++)
            Assert.Single(lines, l => l.StartsWith($" {i} {FashionMnist.ClassNames[i]} ", StringComparison.Ordinal));
        Assert.Matches(@"^ true +0 +1 +2 +3 +4 +5 +6 +7 +8 +9 +accuracy $", lines.Single(l => l.StartsWith(" true ", StringComparison.Ordinal)));
        Assert.Matches(@"^loss \d\.\d{4}, accuracy \d+\.\d\d % \(1 thread\)$", lines.Single(l => l.StartsWith("loss ", StringComparison.Ordinal)));
        Assert.Equal("mlp on 60 test images, 1 thread.", lines[0]);

        // Counts of the full test set still fit 80 columns with the names.
        var eval = new Evaluation(0.5, 0.9, new long[10, 10]);
        for (int i = 0; i < 10; i++) eval.Confusion[i, i] = 1000;
        var full = Render(80, () => Report.Confusion(eval, FashionMnist.ClassNames, 2)).Split(Environment.NewLine);
        Assert.Equal(75, full.Max(l => l.Length));  // 13 for the longest name, 5 per class, 10 for the accuracy, 2 edges
        Assert.Single(full, l => l.StartsWith(" 9 Ankle boot", StringComparison.Ordinal));

        // Narrower than the named rows: the rows by index, and the names below, each unbroken.
        var narrow = Render(66, () => Report.Confusion(eval, FashionMnist.ClassNames, 2)).Split(Environment.NewLine);
        Assert.All(narrow, l => Assert.True(l.Length <= 66, $"{l.Length} columns: {l}"));
        Assert.Single(narrow, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^ 9 +0( +0){8} +1000 +100\.0 % $"));
        Assert.Contains("9\u00a0Ankle\u00a0boot.", string.Join(" ", narrow), StringComparison.Ordinal);
    }

    [Fact]
    public void OutsideATerminalProgressIsOneLinePerEpochWithTheThreadCount()
    {
        var (code, text, _) = Capture("train", "--model", "mlp", "--epochs", "2", "--data-dir", Data, "--output", Run, "--threads", "1");
        Assert.Equal(0, code);
        var epochLines = text.Split(Environment.NewLine).Where(l => l.StartsWith("epoch", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, epochLines.Count);
        Assert.All(epochLines, l => Assert.Matches(@"^epoch \d: lr .* img/s, 1 thread$", l));
        Assert.Matches(@"Test accuracy \d+\.\d\d%, top-5 \d+\.\d\d% \(1 thread\)\.", text);
        Assert.Equal("{\n  \"limit\": 0,\n  \"dataDir\": " + System.Text.Json.JsonSerializer.Serialize(Path.GetFullPath(Data)) + ",\n  \"threads\": 1,\n  \"topK\": 5\n}",
            File.ReadAllText(Path.Combine(Run, "run.json")).ReplaceLineEndings("\n"));
    }

    /// <summary>What <paramref name="write"/> prints to a Spectre console of the given width.</summary>
    private static string Render(int width, Action write)
    {
        var writer = new StringWriter();
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
            write();
            return writer.ToString();
        }
        finally
        {
            Spectre.Console.AnsiConsole.Console = saved;
        }
    }
}
