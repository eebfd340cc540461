using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// AlexNet as torchvision builds it (the "one weird trick" variant, Krizhevsky 2014): convolutions of 64-192-384-256-256
/// channels (11x11 stride 4 pad 2, 5x5 pad 2, three 3x3 pad 1) with ReLU and three overlapping 3x3 stride-2 max
/// poolings, AdaptiveAvgPool2d(6), then dropout, Linear(9216, 4096), ReLU, dropout, Linear(4096, 4096), ReLU,
/// Linear(4096, classes). Keys <c>features.0 .. features.10</c>, <c>classifier.1, .4, .6</c> as torchvision;
/// [N, 3, 224, 224] -> [N, classes] (any input of at least 63x63). Initialised as torchvision does (PyTorch's defaults).
/// </summary>
public sealed class AlexNet : Module<Tensor, Tensor>
{
    /// <summary>
    /// Builds the network; <paramref name="generator"/> draws the weights and the dropout masks. <paramref name="hidden"/>
    /// is the width of the two hidden linear layers (4096 in torchvision).
    /// </summary>
    public AlexNet(int numClasses = 1000, int inChannels = 3, double dropout = 0.5, Generator? generator = null, int hidden = 4096)
    {
        Features = RegisterModule("features", new Sequential(
            new Conv2d(inChannels, 64, 11, stride: 4, padding: 2, generator: generator), new ReLU(), new MaxPool2d(3, 2),
            new Conv2d(64, 192, 5, padding: 2, generator: generator), new ReLU(), new MaxPool2d(3, 2),
            new Conv2d(192, 384, 3, padding: 1, generator: generator), new ReLU(),
            new Conv2d(384, 256, 3, padding: 1, generator: generator), new ReLU(),
            new Conv2d(256, 256, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(3, 2)));
        AvgPool = RegisterModule("avgpool", new AdaptiveAvgPool2d(6));
        Classifier = RegisterModule("classifier", new Sequential(
            new Dropout(dropout, generator), new Linear(256 * 6 * 6, hidden, generator: generator), new ReLU(),
            new Dropout(dropout, generator), new Linear(hidden, hidden, generator: generator), new ReLU(),
            new Linear(hidden, numClasses, generator: generator)));
    }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>Pooling to 6x6 whatever the input size.</summary>
    public AdaptiveAvgPool2d AvgPool { get; }

    /// <summary>The fully connected part.</summary>
    public Sequential Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(AvgPool.Call(Features.Call(input)).Flatten(1));
}

/// <summary>
/// The original AlexNet of Krizhevsky, Sutskever and Hinton (2012), on one device: convolutions of 96-256-384-384-256
/// channels (11x11 stride 4, 5x5 pad 2, three 3x3 pad 1), local response normalisation (size 5, alpha 1e-4, beta 0.75,
/// k 2) after the first two, overlapping 3x3 stride-2 max pooling after the first, second and fifth, then dropout,
/// Linear(9216, 4096), ReLU, dropout, Linear(4096, 4096), ReLU, Linear(4096, classes). A 227x227 input gives 55x55 after
/// conv1 and 13x13x256 after conv5 (43,264 units), 6x6x256 after the last pooling. Keys as torchvision's AlexNet
/// (<c>features.N</c>, <c>classifier.N</c>). <see cref="Small"/> builds the same topology for 28x28 grey images.
/// </summary>
public sealed class AlexNetOriginal : Module<Tensor, Tensor>
{
    /// <summary>
    /// Builds the network for 227x227 inputs; <paramref name="generator"/> draws the weights and the dropout masks.
    /// <paramref name="hidden"/> is the width of the two hidden linear layers (4096 in the paper).
    /// </summary>
    public AlexNetOriginal(int numClasses = 1000, int inChannels = 3, double dropout = 0.5, Generator? generator = null, int hidden = 4096)
        : this(inChannels, [96, 256, 384, 384, 256], (11, 4, 0), 5, 6, hidden, numClasses, dropout, generator)
    {
    }

    private AlexNetOriginal(int inChannels, int[] widths, (int Kernel, int Stride, int Padding) stem, int kernel2, int pooled, int hidden,
        int numClasses, double dropout, Generator? generator)
    {
        Features = RegisterModule("features", new Sequential(
            new Conv2d(inChannels, widths[0], stem.Kernel, stride: stem.Stride, padding: stem.Padding, generator: generator), new ReLU(),
            new LocalResponseNorm(5, 1e-4, 0.75, 2), new MaxPool2d(3, 2),
            new Conv2d(widths[0], widths[1], kernel2, padding: kernel2 / 2, generator: generator), new ReLU(),
            new LocalResponseNorm(5, 1e-4, 0.75, 2), new MaxPool2d(3, 2),
            new Conv2d(widths[1], widths[2], 3, padding: 1, generator: generator), new ReLU(),
            new Conv2d(widths[2], widths[3], 3, padding: 1, generator: generator), new ReLU(),
            new Conv2d(widths[3], widths[4], 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(3, 2)));
        AvgPool = RegisterModule("avgpool", new AdaptiveAvgPool2d(pooled));
        Classifier = RegisterModule("classifier", new Sequential(
            new Dropout(dropout, generator), new Linear(widths[4] * pooled * pooled, hidden, generator: generator), new ReLU(),
            new Dropout(dropout, generator), new Linear(hidden, hidden, generator: generator), new ReLU(),
            new Linear(hidden, numClasses, generator: generator)));
    }

    /// <summary>
    /// The same topology for [N, 1, 28, 28] images: 24-64-96-96-64 channels, a 5x5 pad-2 first convolution (28 -> 28,
    /// pooled to 13), a 3x3 second (pooled to 6, then 2 after conv5), 256 hidden units. The convolutions are drawn
    /// He-normal (fan_out, ReLU) rather than with PyTorch's default, whose variance shrinks the signal about 2.4x per
    /// layer: through eight layers the logits start near zero and the network barely moves in its first hundred steps.
    /// Without batch norm it trains with Adam (the zoo's recipe, rate 0.002; SGD at 0.05 with momentum barely moves it
    /// in 60 steps, as in PyTorch), and dropout 0.2 (0.5 keeps Adam from fitting a batch in 60 steps).
    /// </summary>
    public static AlexNetOriginal Small(int numClasses = 10, int inChannels = 1, double dropout = 0.2, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var net = new AlexNetOriginal(inChannels, [24, 64, 96, 96, 64], (5, 1, 2), 3, 2, 256, numClasses, dropout, g);
        TorchVisionInit.ConvsKaimingFanOut(net, g);
        return net;
    }

    /// <summary>The convolutional part (conv, ReLU, LRN, pool, ...).</summary>
    public Sequential Features { get; }

    /// <summary>Pooling to the classifier's grid (6x6; the identity on a 227x227 input).</summary>
    public AdaptiveAvgPool2d AvgPool { get; }

    /// <summary>The fully connected part.</summary>
    public Sequential Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(AvgPool.Call(Features.Call(input)).Flatten(1));
}
