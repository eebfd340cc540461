using System.Globalization;
using Axon.Data;
using Axon.Imaging;
using Axon.IO;
using Axon.Models.Vision;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// <c>axon predict --model resnet18 --weights FILE photo.jpg ...</c>: an ImageNet classifier of the vision zoo with
/// torchvision-named weights (safetensors or PyTorch's .pth) labels photos of any size. Each photo goes through
/// torchvision's evaluation preprocessing: the shorter side resized to 256 (antialiased bilinear), the centre crop the
/// model takes (224, or 227 for the original AlexNet), ImageNet's mean and standard deviation.
/// </summary>
internal static class PhotoPredict
{
    /// <summary>The size the shorter side is resized to before the centre crop, as torchvision's ImageNet evaluation does.</summary>
    public const int ResizeTo = 256;

    public static int Run(string modelName, string weights, IReadOnlyList<string> photos, int top, int threads, Device? on = null)
    {
        if (!VisionZoo.Contains(modelName))
            throw new ArgumentException($"--model: with --weights the model must be one of the ImageNet models {string.Join(", ", VisionZoo.Names.Select(n => n.Name).Where(n => VisionZoo.InputSize(n) > 28))} (got '{modelName}').");
        if (!File.Exists(weights)) throw new FileNotFoundException($"--weights {weights}: no such file.", weights);
        var device = on ?? Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
        var model = VisionZoo.Create(modelName, ImageNetClasses.Count, 3);
        model.LoadWeights(weights);
        model.To(device);
        model.Eval();

        int crop = VisionZoo.InputSize(modelName);
        var resize = new Resize(ResizeTo);
        var centre = new CenterCrop(crop);
        var normalize = Normalize.ImageNet;
        var table = new Table().AddColumn("image");
        for (int r = 1; r <= top; r++) table.AddColumn($"#{r}");
        using var noGrad = GradMode.NoGrad();
        foreach (var photo in photos)
        {
            // One photo at a time: photos differ in size, and a batch of 224x224 crops buys little at inference on a CPU.
            using var scope = new TensorScope();
            var image = normalize.Apply(centre.Apply(resize.Apply(ImageFile.Load(photo, ImageMode.Rgb))).Contiguous());
            var probs = model.Forward(image.Unsqueeze(0).To(device)).Softmax(1).ToDoubleArray();
            var ranked = Enumerable.Range(0, probs.Length).OrderByDescending(c => probs[c]).Take(top);
            table.AddRow([Markup.Escape(Path.GetFileName(photo)), .. ranked.Select(c => Markup.Escape($"{ImageNetClasses.Names[c]} {probs[c].ToString("P1", CultureInfo.InvariantCulture)}"))]);
        }
        table.Caption(Markup.Escape($"{modelName} with {Path.GetFileName(weights)}: resize {ResizeTo}, centre crop {crop}, ImageNet normalisation; {Cli.Threads(threads)}"));
        AnsiConsole.Write(table);
        return 0;
    }
}
