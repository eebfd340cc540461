using System.Globalization;
using Axon.Data;
using Axon.Imaging;
using Axon.IO;
using Axon.Models.Vision;
using SkiaSharp;

namespace Axon.Cli.Tests;

public sealed partial class TrainCommandTests
{
    [Fact]
    public void PredictLabelsPhotosWithAnImageNetModelAndItsWeights()
    {
        // A torchvision-layout ResNet-18 with seeded weights, saved under torchvision's keys; a 300x200 photo.
        var model = VisionZoo.Create("resnet18", 1000, 3, new Generator(7));
        string weights = Path.Combine(dir.FullName, "resnet18.safetensors");
        model.Save(weights);
        string photo = Path.Combine(dir.FullName, "photo.png");
        using (var bitmap = new SKBitmap(300, 200))
        {
            for (int y = 0; y < 200; y++)
                for (int x = 0; x < 300; x++) bitmap.SetPixel(x, y, new SKColor((byte)x, (byte)(y + 40), (byte)((x * y) % 256)));
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(photo, png.ToArray());
        }

        // What the command must print: torchvision's evaluation preprocessing, then softmax over the 1000 classes.
        model.Eval();
        double[] probs;
        using (GradMode.NoGrad())
        {
            var x = Normalize.ImageNet.Apply(new CenterCrop(224).Apply(new Resize(256).Apply(ImageFile.Load(photo))).Contiguous());
            probs = model.Forward(x.Unsqueeze(0)).Softmax(1).ToDoubleArray();
        }
        var best = Enumerable.Range(0, 1000).OrderByDescending(c => probs[c]).Take(5).ToArray();

        var (code, text, errors) = Capture(1000, "predict", "--model", "resnet18", "--weights", weights, photo, "--threads", "1");
        Assert.True(code == 0, errors);
        foreach (int c in best)
            Assert.Contains($"{ImageNetClasses.Names[c]} {probs[c].ToString("P1", CultureInfo.InvariantCulture)}", text, StringComparison.Ordinal);
        Assert.Contains("resize 256, centre crop 224", text, StringComparison.Ordinal);

        var (noModel, _, noModelErrors) = Capture("predict", "--weights", weights, photo);
        Assert.Equal(1, noModel);
        Assert.Contains("--weights needs --model", noModelErrors, StringComparison.Ordinal);
        var (small, _, smallErrors) = Capture("predict", "--model", "mlp", "--weights", weights, photo);
        Assert.Equal(1, small);
        Assert.Contains("with --weights the model must be one of the ImageNet models alexnet, alexnet-original", smallErrors, StringComparison.Ordinal);
        var (broken, _, brokenErrors) = Capture("predict", "--model", "resnet18", "--weights", weights, Path.Combine(dir.FullName, "missing.jpg"));
        Assert.Equal(1, broken);
        Assert.Contains("missing.jpg", brokenErrors, StringComparison.Ordinal);
    }

    [Fact]
    public void SummaryReproducesTheLecturesCountsForTheOriginalAlexNetAndVgg16()
    {
        // The lecture: AlexNet's conv5 has 13x13x256 = 43,264 units, 3x3x384x256 + 256 = 884,992 weights and
        // 43,264 x 3,456 = 149,520,384 connections; VGG16 has 138 million parameters. ImageNet models default to
        // 1000 classes and their own input size (227 for the original AlexNet).
        var (code, text, errors) = Capture(1000, "summary", "alexnet-original");
        Assert.True(code == 0, errors);
        var conv5 = text.Split('\n').Single(l => l.StartsWith("features.12 (Conv2d)", StringComparison.Ordinal));
        Assert.Equal(["features.12", "(Conv2d)", "[1,", "256,", "13,", "13]", "884,992", "43,264", "149,520,384"], conv5.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var (vggCode, vgg, vggErrors) = Capture(1000, "summary", "vgg16");
        Assert.True(vggCode == 0, vggErrors);
        Assert.Contains("Total params: 138,357,544", vgg, StringComparison.Ordinal);
        Assert.Contains("Total connections (multiply-adds): 15,470,264,320", vgg, StringComparison.Ordinal);
    }
}
