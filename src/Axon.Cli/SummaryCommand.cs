using System.CommandLine;
using System.Globalization;
using Axon.Models;
using Axon.Models.Generative;
using Axon.Models.Vision;
using Axon.Nn;

namespace Axon.Cli;

/// <summary>
/// <c>axon summary MODEL</c>: the model's repr, then one forward pass on zeros of <c>--input</c> (one example) with
/// every layer's output shape, parameters, units and connections (multiply-adds) and the totals (see
/// <see cref="ModuleSummary"/>). Any model the zoos know; a model that does not map one tensor to one tensor (a GAN,
/// the Siamese network) gets its repr and parameter counts.
/// </summary>
internal static class SummaryCommand
{
    /// <summary>Fashion-MNIST's image: what the zoo's classifiers take.</summary>
    private const string DefaultInput = "1,28,28";

    public static Command Create()
    {
        var name = new Argument<string>("model") { Description = "Model name: " + string.Join(", ", AllNames) + "." };
        var input = new Option<string>("--input")
        {
            Description = $"Shape of one example, C,H,W (default {DefaultInput}, a Fashion-MNIST image; e.g. 3,224,224 for an ImageNet photo).",
            DefaultValueFactory = _ => DefaultInput,
            HelpName = "C,H,W",
        };
        input.Validators.Add(r =>
        {
            if (ParseShape(r.GetValueOrDefault<string>()) is null)
                r.AddError($"{Cli.TypedName(r)} must be positive whole numbers separated by commas, such as 3,224,224 (got '{r.GetValueOrDefault<string>()}')");
        });
        var classes = new Option<int>("--classes") { Description = "Classes of a classifier's last layer.", DefaultValueFactory = _ => Axon.Data.FashionMnist.ClassNames.Count }
            .Require(v => v >= 1, "must be at least 1");
        var command = new Command("summary", "Print a model's layers: output shapes, parameters, units and connections (multiply-adds), and the totals.") { name, input, classes };
        command.Validators.Add(r =>
        {
            if (r.GetValue(name) is { } n && !AllNames.Contains(n, StringComparer.OrdinalIgnoreCase))
                r.AddError($"Unknown model '{n}'. Known models: {string.Join(", ", AllNames)}.");
        });
        command.SetAction(p => Cli.Guard(p, () =>
        {
            string model = p.GetValue(name)!, shapeText = p.GetValue(input)!;
            var output = p.InvocationConfiguration.Output;
            var module = Create(model, p.GetValue(classes), p.Typed(classes));
            output.WriteLine(module);
            output.WriteLine();
            if (module is not Module<Tensor, Tensor> net)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total params: {module.ParameterCount():N0}"));
                output.WriteLine($"{model} does not map one tensor to one tensor, so there is no layer table for one input; its parts are listed above.");
                return 0;
            }
            if (IsImageNet(model) && !p.Typed(input)) shapeText = $"3,{VisionZoo.InputSize(model)},{VisionZoo.InputSize(model)}";
            int[] shape = [1, .. ParseShape(shapeText)!];
            string table;
            try
            {
                table = net.Summary(shape);
            }
            catch (ArgumentException e)
            {
                string shown = string.Join(", ", shape);
                throw new ArgumentException(p.Typed(input)
                    ? $"--input {shapeText}: {model} cannot take an input of shape [{shown}]: {Cli.Message(e)}"
                    : $"{model} cannot take the default --input {DefaultInput} ([{shown}]): {Cli.Message(e)}; pass --input with the shape of one example.", e);
            }
            output.WriteLine(table);
            return 0;
        }));
        return command;
    }

    /// <summary>The classifiers' and the generative models' names.</summary>
    private static List<string> AllNames => [.. ModelZoo.Names.Select(n => n.Name), .. GenerativeZoo.Names.Select(n => n.Name), .. ImageNetNames];

    /// <summary>The vision zoo's ImageNet models that the Fashion-MNIST zoo does not also name (its resnet18 is the 28x28 one).</summary>
    private static IEnumerable<string> ImageNetNames => VisionZoo.Names.Select(n => n.Name).Where(n => !ModelZoo.Names.Any(m => string.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase)));

    /// <summary>An ImageNet model's default input and classes (3 x 224 x 224, or 227 for the original AlexNet; 1000 classes).</summary>
    private static bool IsImageNet(string name) => ImageNetNames.Contains(name, StringComparer.OrdinalIgnoreCase);

    private static Module Create(string name, int classes, bool classesTyped)
    {
        if (IsImageNet(name)) return VisionZoo.Create(name, classesTyped ? classes : 1000);
        if (!GenerativeZoo.Contains(name)) return ModelZoo.Create(name, classes);
        if (classesTyped) throw new ArgumentException($"--classes: {name} is not a classifier.");
        return GenerativeZoo.Create(name);
    }

    /// <summary>"3,224,224" as [3, 224, 224]; null unless every part is a positive whole number.</summary>
    internal static int[]? ParseShape(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1) return null;
        return shape;
    }
}
