using System.CommandLine;
using System.Globalization;
using Axon.Data;
using Axon.IO;
using Axon.Kernels;
using Axon.Models;
using Axon.Models.Training;
using Axon.Nn;
using SkiaSharp;
using Spectre.Console;

namespace Axon.Cli;

/// <summary><c>axon eval</c> and <c>axon predict</c>: using a saved model (<c>axon summary</c> is <see cref="SummaryCommand"/>).</summary>
internal static class ModelCommands
{
    private static readonly Option<string?> ModelOption = new("--model") { Description = "Model architecture (default: the one recorded in the file)." };

    /// <summary>Creates the architecture a weights file or training checkpoint was saved from, and loads it.</summary>
    public static (Module<Tensor, Tensor> Model, string Name) LoadModel(string path, string? modelName, int threads) =>
        LoadModel(path, modelName, Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads }));

    /// <summary>Creates the architecture a weights file or checkpoint was saved from, loads it, and moves it to <paramref name="device"/>.</summary>
    public static (Module<Tensor, Tensor> Model, string Name) LoadModel(string path, string? modelName, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        var metadata = Safetensors.Load(path).Metadata;
        bool isCheckpoint = metadata.ContainsKey("axon.epoch");
        modelName ??= metadata.TryGetValue("model", out var recorded) ? recorded
            : throw new ArgumentException($"{path}: the file does not say which model it holds; pass --model ({string.Join(", ", ModelZoo.Names.Select(n => n.Name))}).");
        var model = ModelZoo.Create(modelName, FashionMnist.ClassNames.Count);
        if (isCheckpoint) Checkpoint.Load(path, model);
        else model.Load(path);
        model.Eval();
        model.To(device);
        return (model, modelName);
    }

    public static Command Eval()
    {
        var file = new Argument<string>("file") { Description = "A model.safetensors or checkpoint.safetensors written by axon train." };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files (default {FashionMnist.DefaultDirectory})." }
            .Require(v => v is null || v.Trim().Length > 0, "must name the directory holding the Fashion-MNIST IDX files");
        var threads = TrainingOptionSet.NewThreadsOption();
        var flipTta = new Option<bool>("--flip-tta") { Description = "Classify each image by the mean of the model's logits on it and on its left-right mirror (test-time flip augmentation)." };
        var device = new DeviceOptions();
        var command = new Command("eval", "Score a saved model on the Fashion-MNIST test set.") { file, ModelOption, dataDir, threads, flipTta, device.Device, device.Tf32 };
        command.Validators.Add(r => device.Check(r));
        command.SetAction(p => Cli.Guard(p, () =>
        {
            int n = p.GetValue(threads);
            var on = device.Open(p, n);
            var (model, name) = LoadModel(p.GetValue(file)!, p.GetValue(ModelOption), on);
            var test = FashionMnist.Load(TrainCommand.ResolveDataDir(p.GetValue(dataDir), withTrainingSet: false), train: false);
            bool flip = p.GetValue(flipTta);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(name)}[/] on {test.Count} test images{(flip ? " and their mirrors (flip test-time augmentation)" : "")}, {Cli.Threads(n)}{Markup.Escape(DeviceOptions.Describe(on))}.");
            Report.Confusion(new ClassificationTask(model, FashionMnist.ClassNames.Count).EvaluateClasses(test, flipTta: flip), FashionMnist.ClassNames, n);
            return 0;
        }));
        return command;
    }

    /// <summary>Reads images to classify: PNG files (28x28, converted to grey) or IDX image files ([N, 28, 28] uint8).</summary>
    public static List<(string Name, byte[] Pixels)> ReadImages(IEnumerable<string> paths)
    {
        var images = new List<(string, byte[])>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
            if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            {
                images.Add((path, DecodePng(path)));
                continue;
            }
            var idx = Idx.Read(path);
            var shape = idx.GetShape();
            if (idx.ElementType != IdxElementType.UInt8 || !(shape is [_, 28, 28] or [28, 28]))
                throw new InvalidDataException($"{path}: expected uint8 images of shape [N, 28, 28], got {idx.ElementType} [{string.Join(", ", shape)}].");
            int n = shape.Length == 3 ? shape[0] : 1;
            for (int i = 0; i < n; i++) images.Add(($"{path}[{i}]", idx.Data.AsSpan(i * 784, 784).ToArray()));
        }
        return images;
    }

    /// <summary>
    /// Decodes a 28x28 PNG to grey bytes. SKBitmap.Decode returns whatever part of a truncated or corrupt file it could
    /// read, padded with blank rows, and a model then classifies it with confidence; the codec's result says whether the
    /// whole image was decoded, and anything less is an error naming the file.
    /// </summary>
    private static byte[] DecodePng(string path)
    {
        using var codec = SKCodec.Create(path, out var opened) ?? throw new InvalidDataException($"{path}: not a readable PNG image ({Describe(opened)}).");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w != FashionMnist.ImageSize || h != FashionMnist.ImageSize)
            throw new InvalidDataException($"{path}: the image is {w}x{h}; Fashion-MNIST models take 28x28 grey images.");
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success) throw new InvalidDataException($"{path}: {Describe(result)}; the image was not fully decoded.");
        var pixels = new byte[FashionMnist.Pixels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                pixels[y * w + x] = (byte)Math.Round(0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue);
            }
        return pixels;
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated",
        SKCodecResult.ErrorInInput => "the file is corrupt",
        SKCodecResult.InvalidInput => "the file is not an image Skia can decode",
        _ => $"the decoder reported {result}",
    };

    public static Command Predict()
    {
        var file = new Argument<string>("file") { Description = "A model.safetensors or checkpoint.safetensors written by axon train; with --weights, the first photo." };
        var inputs = new Argument<string[]>("images") { Description = "PNG files (28x28) or IDX image files; with --weights, photos (PNG, JPEG) of any size.", Arity = ArgumentArity.ZeroOrMore };
        var weights = new Option<string?>("--weights") { Description = "torchvision-named weights (.safetensors or PyTorch .pth) for the ImageNet model named by --model; the arguments are then photos." };
        var top = new Option<int?>("--top") { Description = "How many classes to show per image (default 3; 5 with --weights)." };
        var threads = TrainingOptionSet.NewThreadsOption();
        var device = new DeviceOptions();
        var command = new Command("predict", "Classify images with a saved model, or photos with an ImageNet model and its weights, printing the top classes with probabilities.") { file, inputs, ModelOption, weights, top, threads, device.Device, device.Tf32 };
        command.Validators.Add(r =>
        {
            device.Check(r);
            bool photos = r.GetValue(weights) is not null;
            int limit = photos ? 1000 : 10;
            if (r.GetValue(top) is { } t && (t < 1 || t > limit))
                r.AddError($"--top must be between 1 and {limit}, the number of classes (got {t})");
            if (photos && r.GetValue(ModelOption) is null) r.AddError("--weights needs --model, the architecture the weights belong to (e.g. --model resnet18)");
            if (!photos && r.GetValue(inputs) is not { Length: > 0 }) r.AddError("predict needs a model file and at least one image (or --model NAME --weights FILE and photos)");
        });
        command.SetAction(p => Cli.Guard(p, () =>
        {
            int n = p.GetValue(threads);
            var on = device.Open(p, n);
            if (p.GetValue(weights) is { } w)
                return PhotoPredict.Run(p.GetValue(ModelOption)!, w, [p.GetValue(file)!, .. p.GetValue(inputs) ?? []], p.GetValue(top) ?? 5, n, on);
            int k = p.GetValue(top) ?? 3;
            var (model, _) = LoadModel(p.GetValue(file)!, p.GetValue(ModelOption), on);
            var images = ReadImages(p.GetValue(inputs)!);
            var dataset = new FashionMnist([.. images.SelectMany(i => i.Pixels)], new byte[images.Count]);
            var table = new Table().AddColumn("image");
            for (int r = 1; r <= k; r++) table.AddColumn($"#{r}");
            using var noGrad = GradMode.NoGrad();
            var (x, _) = dataset.GetBatch(Enumerable.Range(0, images.Count).ToArray());
            var probs = model.Forward(x.To(model.Device)).Softmax(1).ToDoubleArray();
            for (int i = 0; i < images.Count; i++)
            {
                var ranked = Enumerable.Range(0, 10).OrderByDescending(c => probs[i * 10 + c]).Take(k);
                table.AddRow([Markup.Escape(images[i].Name), .. ranked.Select(c => Markup.Escape($"{FashionMnist.ClassNames[c]} {probs[i * 10 + c].ToString("P1", CultureInfo.InvariantCulture)}"))]);
            }
            table.Caption(Markup.Escape($"probabilities computed with {Cli.Threads(n)}{DeviceOptions.Describe(on)}"));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
