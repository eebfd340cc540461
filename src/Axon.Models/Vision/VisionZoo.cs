using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// The landmark CNNs by torchvision's names, with torchvision's topology, state-dict keys and shapes and initialisation:
/// <c>alexnet</c>, <c>alexnet-original</c> (Krizhevsky et al. 2012, 227x227 inputs), <c>vgg11</c>, <c>vgg11_bn</c>,
/// <c>vgg13</c>, <c>vgg13_bn</c>, <c>vgg16</c>, <c>vgg16_bn</c>, <c>vgg19</c>, <c>vgg19_bn</c>, <c>googlenet</c> (with
/// its auxiliary heads, as torchvision's builder and pretrained file), <c>resnet18</c>, <c>resnet34</c>, <c>resnet50</c>,
/// <c>densenet121</c>; and their variants for [N, 1, 28, 28] images (<c>alexnet-small</c>, <c>vgg16-small</c>,
/// <c>googlenet-small</c>, <c>resnet50-small</c>, <c>densenet121-small</c>), which <see cref="ModelZoo"/> also lists.
/// </summary>
public static class VisionZoo
{
    /// <summary>One-line descriptions of the Fashion-MNIST variants (shared with <see cref="ModelZoo"/>; first, as the table below reads them).</summary>
    internal static IReadOnlyDictionary<string, string> SmallDescriptions { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["alexnet-small"] = "the original AlexNet's topology (LRN, overlapping pooling, dropout 0.2) for 28x28: 24-64-96-96-64 channels, 256 hidden; trains with adam unless told otherwise",
        ["vgg16-small"] = "VGG-16's 13 convolutions with batch norm for 28x28: widths 16-32-64-128-128, three poolings, global average pooling",
        ["googlenet-small"] = "GoogLeNet's nine Inception blocks at a quarter of the channels for 28x28 (3x3 stem, no auxiliary heads)",
        ["resnet50-small"] = "ResNet-50's bottlenecks 3-4-6-3 for 28x28: planes 16-32-64-128, 3x3 stem without pooling",
        ["densenet121-small"] = "DenseNet-121's blocks 6-12-24-16 for 28x28: growth 12, 24 initial features, 3x3 stem without pooling",
    };

    private static readonly Dictionary<string, (string Description, Func<int, int, Generator, Module<Tensor, Tensor>> Create)> Models = new(StringComparer.OrdinalIgnoreCase)
    {
        ["alexnet"] = ("AlexNet as torchvision (64-192-384-256-256 channels), 224x224 inputs", (c, i, g) => new AlexNet(c, i, generator: g)),
        ["alexnet-original"] = ("the original AlexNet (96-256-384-384-256 channels, local response norm, overlapping pooling), 227x227 inputs", (c, i, g) => new AlexNetOriginal(c, i, generator: g)),
        ["vgg11"] = ("VGG-11 (configuration A)", (c, i, g) => new Vgg(Vgg.A, false, c, i, generator: g)),
        ["vgg11_bn"] = ("VGG-11 with batch norm", (c, i, g) => new Vgg(Vgg.A, true, c, i, generator: g)),
        ["vgg13"] = ("VGG-13 (configuration B)", (c, i, g) => new Vgg(Vgg.B, false, c, i, generator: g)),
        ["vgg13_bn"] = ("VGG-13 with batch norm", (c, i, g) => new Vgg(Vgg.B, true, c, i, generator: g)),
        ["vgg16"] = ("VGG-16 (configuration D)", (c, i, g) => new Vgg(Vgg.D, false, c, i, generator: g)),
        ["vgg16_bn"] = ("VGG-16 with batch norm", (c, i, g) => new Vgg(Vgg.D, true, c, i, generator: g)),
        ["vgg19"] = ("VGG-19 (configuration E)", (c, i, g) => new Vgg(Vgg.E, false, c, i, generator: g)),
        ["vgg19_bn"] = ("VGG-19 with batch norm", (c, i, g) => new Vgg(Vgg.E, true, c, i, generator: g)),
        ["googlenet"] = ("GoogLeNet (Inception v1) with auxiliary heads (used in training only)", (c, i, g) => new GoogLeNet(c, i, generator: g)),
        ["resnet18"] = ("ResNet-18 (basic blocks 2-2-2-2)", (c, i, g) => TorchVisionResNet.ResNet18(c, i, g)),
        ["resnet34"] = ("ResNet-34 (basic blocks 3-4-6-3)", (c, i, g) => TorchVisionResNet.ResNet34(c, i, g)),
        ["resnet50"] = ("ResNet-50 (bottlenecks 3-4-6-3)", (c, i, g) => TorchVisionResNet.ResNet50(c, i, g)),
        ["densenet121"] = ("DenseNet-121 (growth 32, blocks 6-12-24-16)", (c, i, g) => DenseNet.DenseNet121(c, i, g)),
        ["alexnet-small"] = (SmallDescriptions["alexnet-small"], (c, i, g) => AlexNetOriginal.Small(c, i, generator: g)),
        ["vgg16-small"] = (SmallDescriptions["vgg16-small"], (c, i, g) => Vgg.Vgg16Small(c, i, generator: g)),
        ["googlenet-small"] = (SmallDescriptions["googlenet-small"], (c, i, g) => GoogLeNet.Small(c, i, generator: g)),
        ["resnet50-small"] = (SmallDescriptions["resnet50-small"], (c, i, g) => TorchVisionResNet.ResNet50Small(c, i, g)),
        ["densenet121-small"] = (SmallDescriptions["densenet121-small"], (c, i, g) => DenseNet.DenseNet121Small(c, i, g)),
    };

    /// <summary>The known names with one-line descriptions, in the order above.</summary>
    public static IReadOnlyList<(string Name, string Description)> Names => Models.Select(kv => (kv.Key, kv.Value.Description)).ToList();

    /// <summary>Whether <paramref name="name"/> is one of <see cref="Names"/> (case-insensitive).</summary>
    public static bool Contains(string name) => Models.ContainsKey(name);

    /// <summary>
    /// Creates a model by torchvision's name with <paramref name="numClasses"/> outputs and <paramref name="inChannels"/>
    /// input channels, drawing every weight (and the dropout masks) from <paramref name="generator"/> (a fresh
    /// <c>Generator(0)</c> when null, so two calls give the same model). Unknown names get an error listing the known ones.
    /// </summary>
    public static Module<Tensor, Tensor> Create(string name, int numClasses = 1000, int inChannels = 3, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Models.TryGetValue(name, out var entry))
            throw new ArgumentException($"Unknown vision model '{name}'. Known models: {string.Join(", ", Models.Keys)}.", nameof(name));
        if (numClasses <= 0) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"VisionZoo.Create({name}): numClasses must be positive.");
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"VisionZoo.Create({name}): inChannels must be positive.");
        return entry.Create(numClasses, inChannels, generator ?? new Generator(0));
    }

    /// <summary>The input size (height = width) the model was designed for: 227 for <c>alexnet-original</c>, 28 for the small variants, 224 otherwise.</summary>
    public static int InputSize(string name) =>
        name.EndsWith("-small", StringComparison.OrdinalIgnoreCase) ? 28 : name.Equals("alexnet-original", StringComparison.OrdinalIgnoreCase) ? 227 : 224;
}
