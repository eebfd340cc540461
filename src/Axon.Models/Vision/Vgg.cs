using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// VGG (Simonyan and Zisserman, 2014) as torchvision builds it: <c>features</c>, a <see cref="Sequential"/> made from a
/// configuration of 3x3 pad-1 convolutions (each followed by ReLU, or by BatchNorm2d and ReLU) and 2x2 max poolings
/// ("M"); AdaptiveAvgPool2d(7); <c>classifier</c> Linear(512·7·7, 4096), ReLU, dropout, Linear(4096, 4096), ReLU,
/// dropout, Linear(4096, classes). Keys <c>features.N.weight</c> (and <c>.running_mean</c> ... with batch norm),
/// <c>classifier.0, .3, .6</c>. Initialised as torchvision: convolutions He-normal (fan_out, ReLU), linear layers
/// N(0, 0.01²), biases zero, batch norms weight 1 bias 0. VGG16 (configuration D) has 138,357,544 parameters.
/// </summary>
public sealed class Vgg : Module<Tensor, Tensor>
{
    /// <summary>Configuration A: VGG11.</summary>
    public static readonly IReadOnlyList<int> A = [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];

    /// <summary>Configuration B: VGG13.</summary>
    public static readonly IReadOnlyList<int> B = [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];

    /// <summary>Configuration D: VGG16.</summary>
    public static readonly IReadOnlyList<int> D = [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M];

    /// <summary>Configuration E: VGG19.</summary>
    public static readonly IReadOnlyList<int> E = [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M];

    /// <summary>The marker of a 2x2 max pooling in a configuration (torchvision's "M").</summary>
    public const int M = -1;

    /// <summary>
    /// Builds a VGG of <paramref name="config"/> (channel counts and <see cref="M"/> poolings). <paramref name="pooled"/>
    /// is the adaptive pooling's grid (7 in torchvision), <paramref name="hidden"/> the classifier's width (4096).
    /// </summary>
    public Vgg(IReadOnlyList<int> config, bool batchNorm = false, int numClasses = 1000, int inChannels = 3, double dropout = 0.5,
        int pooled = 7, int hidden = 4096, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var g = generator ?? Generator.Default;
        Features = RegisterModule("features", MakeLayers(config, batchNorm, inChannels, g));
        int last = config.Where(v => v != M).DefaultIfEmpty(0).Last();
        if (last <= 0) throw new ArgumentException("Vgg: the configuration needs at least one convolution (positive channel counts).", nameof(config));
        AvgPool = RegisterModule("avgpool", new AdaptiveAvgPool2d(pooled));
        Classifier = RegisterModule("classifier", new Sequential(
            new Linear(last * pooled * pooled, hidden, generator: g), new ReLU(), new Dropout(dropout, g),
            new Linear(hidden, hidden, generator: g), new ReLU(), new Dropout(dropout, g),
            new Linear(hidden, numClasses, generator: g)));
        TorchVisionInit.ConvsKaimingFanOut(this, g);
        TorchVisionInit.BatchNormsUnit(this);
        TorchVisionInit.LinearsNormal(this, 0.01, g);
    }

    /// <summary>torchvision's <c>make_layers</c>: conv 3x3 pad 1 (+ BatchNorm2d) + ReLU per channel count, MaxPool2d(2, 2) per <see cref="M"/>.</summary>
    public static Sequential MakeLayers(IReadOnlyList<int> config, bool batchNorm, int inChannels, Generator? generator = null)
    {
        var layers = new Sequential();
        int cin = inChannels;
        foreach (int v in config)
        {
            if (v == M)
            {
                layers.Append(new MaxPool2d(2, 2));
                continue;
            }
            if (v <= 0) throw new ArgumentException($"Vgg: channel counts must be positive (or Vgg.M for a pooling), got {v}.", nameof(config));
            layers.Append(new Conv2d(cin, v, 3, padding: 1, generator: generator));
            if (batchNorm) layers.Append(new BatchNorm2d(v));
            layers.Append(new ReLU());
            cin = v;
        }
        return layers;
    }

    /// <summary>
    /// VGG16's 13 convolutions for [N, 1, 28, 28] images, with batch norm: widths 16-32-64-128-128, poolings after the
    /// first three stages only (28 -> 14 -> 7 -> 3), global average pooling, a 256-wide classifier. Its linear layers
    /// keep PyTorch's default initialisation: torchvision's N(0, 0.01²) suits 4096 inputs per unit, and at 128 or 256 it
    /// would shrink the signal about 8x per layer. Dropout 0.2 (with 0.5 before two 256-wide layers SGD does not fit a
    /// batch of 8 in 60 steps).
    /// </summary>
    public static Vgg Vgg16Small(int numClasses = 10, int inChannels = 1, double dropout = 0.2, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var net = new Vgg([16, 16, M, 32, 32, M, 64, 64, 64, M, 128, 128, 128, 128, 128, 128], batchNorm: true, numClasses, inChannels, dropout, pooled: 1, hidden: 256, g);
        foreach (var (_, m) in net.Classifier.NamedModules())
            if (m is Linear linear) linear.ResetParameters(g);
        return net;
    }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>Pooling to the classifier's grid.</summary>
    public AdaptiveAvgPool2d AvgPool { get; }

    /// <summary>The fully connected part.</summary>
    public Sequential Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(AvgPool.Call(Features.Call(input)).Flatten(1));
}
