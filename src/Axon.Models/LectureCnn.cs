using Axon.Nn;

namespace Axon.Models;

/// <summary>
/// The lectures' MNIST network: Conv2d(1, 32, 5), ReLU, MaxPool2d(3), Conv2d(32, 64, 5), ReLU, MaxPool2d(2),
/// flatten, Linear(256, 256), ReLU, Linear(256, 10). Shape: [N, 1, 28, 28] -> 24x24 -> 8x8 -> 4x4 -> 2x2 -> [N, 10].
/// State-dict keys: <c>features.0.weight</c> ... <c>classifier.2.weight</c>.
/// </summary>
public sealed class LectureCnn : Module<Tensor, Tensor>
{
    /// <summary>Builds the network (the default generator when <paramref name="generator"/> is null).</summary>
    public LectureCnn(int numClasses = 10, double dropout = 0, Generator? generator = null)
    {
        Features = RegisterModule("features", new Sequential(
            new Conv2d(1, 32, 5, generator: generator), new ReLU(), new MaxPool2d(3),
            new Conv2d(32, 64, 5, generator: generator), new ReLU(), new MaxPool2d(2)));
        Classifier = RegisterModule("classifier", dropout > 0
            ? new Sequential(new Linear(256, 256, generator: generator), new ReLU(), new Dropout(dropout, generator), new Linear(256, numClasses, generator: generator))
            : new Sequential(new Linear(256, 256, generator: generator), new ReLU(), new Linear(256, numClasses, generator: generator)));
    }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>The fully connected part.</summary>
    public Sequential Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(Features.Call(input).Flatten(1));

    /// <summary>
    /// The activations that feed the last linear layer, [N, 256]: the network up to the logits. Used as a feature space
    /// (e.g. for a Fréchet distance between image sets, <see cref="Generative.ClassifierFeatures"/>).
    /// </summary>
    public Tensor Penultimate(Tensor input)
    {
        var x = Features.Call(input).Flatten(1);
        for (int i = 0; i < Classifier.Count - 1; i++) x = Classifier[i].Call(x);
        return x;
    }
}

/// <summary>
/// LeNet-5 (LeCun et al., 1998) for 28x28 inputs: the first convolution pads by 2 to see the original 32x32 field.
/// Conv2d(1, 6, 5, padding 2), tanh, AvgPool2d(2), Conv2d(6, 16, 5), tanh, AvgPool2d(2), flatten (400),
/// Linear(400, 120), tanh, Linear(120, 84), tanh, Linear(84, 10). Shape: [N, 1, 28, 28] -> [N, 10].
/// </summary>
public sealed class LeNet5 : Module<Tensor, Tensor>
{
    /// <summary>Builds the network.</summary>
    public LeNet5(int numClasses = 10, Generator? generator = null)
    {
        Features = RegisterModule("features", new Sequential(
            new Conv2d(1, 6, 5, padding: 2, generator: generator), new Tanh(), new AvgPool2d(2),
            new Conv2d(6, 16, 5, generator: generator), new Tanh(), new AvgPool2d(2)));
        Classifier = RegisterModule("classifier", new Sequential(
            new Linear(400, 120, generator: generator), new Tanh(),
            new Linear(120, 84, generator: generator), new Tanh(),
            new Linear(84, numClasses, generator: generator)));
    }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>The fully connected part.</summary>
    public Sequential Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(Features.Call(input).Flatten(1));

    /// <summary>
    /// The activations that feed the last linear layer, [N, 84]: the network up to the logits. Used as a feature space
    /// (e.g. for a Fréchet distance between image sets, <see cref="Generative.ClassifierFeatures"/>).
    /// </summary>
    public Tensor Penultimate(Tensor input)
    {
        var x = Features.Call(input).Flatten(1);
        for (int i = 0; i < Classifier.Count - 1; i++) x = Classifier[i].Call(x);
        return x;
    }
}

/// <summary>
/// A small VGG-style network for 28x28 inputs: three blocks of two 3x3 convolutions (padding 1) with batch
/// norm and ReLU, each followed by 2x2 max pooling (28 -> 14 -> 7 -> 3), then global average pooling and a
/// linear classifier. Widths 32, 64, 128 by default.
/// </summary>
public sealed class SmallVgg : Module<Tensor, Tensor>
{
    /// <summary>Builds the network with the given block widths.</summary>
    public SmallVgg(int numClasses = 10, int[]? widths = null, double dropout = 0.3, Generator? generator = null)
    {
        widths ??= [32, 64, 128];
        var layers = new List<Module<Tensor, Tensor>>();
        int cin = 1;
        foreach (int w in widths)
        {
            layers.Add(new Conv2d(cin, w, 3, padding: 1, bias: false, generator: generator));
            layers.Add(new BatchNorm2d(w));
            layers.Add(new ReLU());
            layers.Add(new Conv2d(w, w, 3, padding: 1, bias: false, generator: generator));
            layers.Add(new BatchNorm2d(w));
            layers.Add(new ReLU());
            layers.Add(new MaxPool2d(2));
            cin = w;
        }
        Features = RegisterModule("features", new Sequential([.. layers]));
        Pool = RegisterModule("pool", new AdaptiveAvgPool2d(1));
        Classifier = RegisterModule("classifier", new Sequential(new Flatten(), new Dropout(dropout, generator), new Linear(cin, numClasses, generator: generator)));
    }

    /// <summary>The convolutional blocks.</summary>
    public Sequential Features { get; }

    /// <summary>Global average pooling.</summary>
    public AdaptiveAvgPool2d Pool { get; }

    /// <summary>Dropout and the linear classifier.</summary>
    public Sequential Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(Pool.Call(Features.Call(input)));
}
