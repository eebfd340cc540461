using Axon.Models.Training;
using Axon.Models.Vision;
using Axon.Nn;

namespace Axon.Models;

/// <summary>The image classifiers by name, as the command line knows them. All take [N, 1, 28, 28] and return [N, classes] logits.</summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (string Description, Func<int, Generator?, Module<Tensor, Tensor>> Create)> Models = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lecture-cnn"] = ("the lectures' MNIST CNN (2 conv + 2 linear layers)", (c, g) => new LectureCnn(c, generator: g)),
        ["lenet5"] = ("LeNet-5 (tanh, average pooling)", (c, g) => new LeNet5(c, g)),
        ["mlp"] = ("MLP 784-256-256-10 with ReLU", (c, g) => new Sequential(new Flatten(), new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 256, generator: g), new ReLU(), new Linear(256, c, generator: g))),
        ["vgg-small"] = ("small VGG-style CNN with batch norm (widths 32-64-128)", (c, g) => new SmallVgg(c, generator: g)),
        ["resnet-small"] = ("ResNet with basic blocks 2-2-2, widths 32-64-128", (c, g) => ResNet.Small(c, g)),
        ["resnet8"] = ("ResNet-8: resnet-small with one basic block a stage (1-1-1, widths 32-64-128)", (c, g) => ResNet.ResNet8(c, g)),
        ["resnet18"] = ("ResNet-18 layout (2-2-2-2 basic blocks, widths 64-512) for 28x28 inputs", (c, g) => ResNet.ResNet18(c, g)),
        ["gru-rows"] = ("GRU reading the image as 28 steps of 28 pixels (2 layers of 128, dropout 0.2); trains with adam and a cosine schedule unless told otherwise", (c, g) => new RowRnnClassifier(RowRnnKind.Gru, 128, 2, 0.2, c, generator: g)),
        ["lstm-rows"] = ("LSTM reading the image as 28 steps of 28 pixels (2 layers of 128, dropout 0.2); trains with adam and a cosine schedule unless told otherwise", (c, g) => new RowRnnClassifier(RowRnnKind.Lstm, 128, 2, 0.2, c, generator: g)),
        ["alexnet-small"] = (VisionZoo.SmallDescriptions["alexnet-small"], (c, g) => AlexNetOriginal.Small(c, generator: g)),
        ["vgg16-small"] = (VisionZoo.SmallDescriptions["vgg16-small"], (c, g) => Vgg.Vgg16Small(c, generator: g)),
        ["googlenet-small"] = (VisionZoo.SmallDescriptions["googlenet-small"], (c, g) => GoogLeNet.Small(c, generator: g)),
        ["resnet50-small"] = (VisionZoo.SmallDescriptions["resnet50-small"], (c, g) => TorchVisionResNet.ResNet50Small(c, generator: g)),
        ["densenet121-small"] = (VisionZoo.SmallDescriptions["densenet121-small"], (c, g) => DenseNet.DenseNet121Small(c, generator: g)),
    };

    // Models whose training differs from the defaults of TrainerOptions (SGD with the lecture CNN's recipe): the
    // recurrent classifiers and the small AlexNet train far better with Adam (with SGD at 0.05 the LSTM barely moves in the first epochs).
    private static readonly Dictionary<string, TrainerOptions> Recipes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gru-rows"] = new TrainerOptions { Optimizer = "adam", OptimizerSettings = new() { Lr = 0.002 }, Schedule = "cosine", Epochs = 15 },
        ["lstm-rows"] = new TrainerOptions { Optimizer = "adam", OptimizerSettings = new() { Lr = 0.002 }, Schedule = "cosine", Epochs = 15 },
        // AlexNet has no batch norm: SGD at the default rate barely moves it (as in PyTorch); Adam trains it.
        ["alexnet-small"] = new TrainerOptions { Optimizer = "adam", OptimizerSettings = new() { Lr = 0.002 } },
    };

    /// <summary>
    /// The training options <c>axon train</c> starts from for <paramref name="name"/> before applying what the user
    /// typed: the defaults of <see cref="TrainerOptions"/>, or the model's own recipe (Adam, rate 0.002, a cosine schedule
    /// and 15 epochs for the recurrent classifiers). Unknown names get the defaults.
    /// </summary>
    public static TrainerOptions TrainingRecipe(string name) => Recipes.TryGetValue(name, out var recipe) ? recipe : new TrainerOptions();

    /// <summary>The known model names with one-line descriptions.</summary>
    public static IReadOnlyList<(string Name, string Description)> Names => Models.Select(kv => (kv.Key, kv.Value.Description)).ToList();

    /// <summary>Creates a model by name; unknown names get an error listing the known ones.</summary>
    public static Module<Tensor, Tensor> Create(string name, int numClasses = 10, Generator? generator = null)
    {
        if (!Models.TryGetValue(name, out var entry))
            throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Models.Keys)}.", nameof(name));
        return entry.Create(numClasses, generator);
    }
}
