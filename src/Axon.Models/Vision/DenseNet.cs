using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// One layer of a dense block (DenseNet-BC): the concatenation of everything before it through BN-ReLU-conv1x1 (to
/// bnSize · growth channels) and BN-ReLU-conv3x3 (to growth channels). Keys norm1, conv1, norm2, conv2 as torchvision.
/// </summary>
public sealed class DenseLayer : Module<Tensor, Tensor>
{
    /// <summary>Builds the layer.</summary>
    public DenseLayer(int inChannels, int growthRate, int bnSize, Generator? generator = null)
    {
        Norm1 = RegisterModule("norm1", new BatchNorm2d(inChannels));
        RegisterModule("relu1", new ReLU());
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, bnSize * growthRate, 1, bias: false, generator: generator));
        Norm2 = RegisterModule("norm2", new BatchNorm2d(bnSize * growthRate));
        RegisterModule("relu2", new ReLU());
        Conv2 = RegisterModule("conv2", new Conv2d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false, generator: generator));
    }

    /// <summary>Batch norm of the concatenated input.</summary>
    public BatchNorm2d Norm1 { get; }

    /// <summary>The 1x1 bottleneck.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm of the bottleneck.</summary>
    public BatchNorm2d Norm2 { get; }

    /// <summary>The 3x3 convolution producing the new features.</summary>
    public Conv2d Conv2 { get; }

    /// <inheritdoc/>
    /// <remarks>Each batch norm and its ReLU run as one fused op (the same values and gradients) unless a hook watches the norm.</remarks>
    public override Tensor Forward(Tensor input) => Conv2.Call(NormRelu(Norm2, Conv1.Call(NormRelu(Norm1, input))));

    internal static Tensor NormRelu(BatchNorm2d norm, Tensor x) => norm.HasForwardHooks ? norm.Call(x).Relu() : norm.ForwardAct(x, null, relu: true);
}

/// <summary>
/// The transition between two dense blocks: BN, ReLU, a 1x1 convolution (the compression) and 2x2 average pooling.
/// Keys norm and conv, as torchvision's <c>_Transition</c>.
/// </summary>
public sealed class Transition : Module<Tensor, Tensor>
{
    /// <summary>Builds the transition from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public Transition(int inChannels, int outChannels, Generator? generator = null)
    {
        Norm = RegisterModule("norm", new BatchNorm2d(inChannels));
        RegisterModule("relu", new ReLU());
        Conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, 1, bias: false, generator: generator));
        Pool = RegisterModule("pool", new AvgPool2d(2, 2));
    }

    /// <summary>Batch norm of the block's output.</summary>
    public BatchNorm2d Norm { get; }

    /// <summary>The 1x1 compression.</summary>
    public Conv2d Conv { get; }

    /// <summary>The 2x2 average pooling.</summary>
    public AvgPool2d Pool { get; }

    /// <inheritdoc/>
    /// <remarks>The batch norm and its ReLU run as one fused op (the same values and gradients) unless a hook watches the norm.</remarks>
    public override Tensor Forward(Tensor input) => Pool.Call(Conv.Call(DenseLayer.NormRelu(Norm, input)));
}

/// <summary>A dense block: each <see cref="DenseLayer"/> reads the concatenation of the block's input and all earlier layers' outputs; the block returns the concatenation of all. Keys denselayer1 ... denselayerN.</summary>
public sealed class DenseBlock : Module<Tensor, Tensor>
{
    private readonly DenseLayer[] layers;

    /// <summary>Builds <paramref name="numLayers"/> layers; the output has inChannels + numLayers · growthRate channels.</summary>
    public DenseBlock(int numLayers, int inChannels, int growthRate, int bnSize, Generator? generator = null)
    {
        layers = new DenseLayer[numLayers];
        for (int i = 0; i < numLayers; i++)
            layers[i] = RegisterModule($"denselayer{i + 1}", new DenseLayer(inChannels + i * growthRate, growthRate, bnSize, generator));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var features = new List<Tensor>(layers.Length + 1) { input };
        foreach (var layer in layers) features.Add(layer.Call(features.Count == 1 ? input : Tensor.Cat(features, 1)));
        return Tensor.Cat(features, 1);
    }
}

/// <summary>
/// DenseNet-BC (Huang et al. 2017) as torchvision builds it: <c>features</c> = conv0 (7x7 stride 2), norm0, relu0, pool0
/// (3x3 stride 2 pad 1), then dense blocks with transitions between them (BN, ReLU, 1x1 convolution halving the channels
/// — compression 0.5 — and 2x2 average pooling), norm5; then ReLU, global average pooling and <c>classifier</c>. Keys
/// <c>features.denseblock1.denselayer1.norm1.weight</c>, <c>features.transition1.conv.weight</c>, <c>features.norm5</c>,
/// <c>classifier</c> as torchvision 0.14 names them. Initialised as torchvision: convolutions He-normal (fan_in),
/// batch norms weight 1 bias 0, classifier bias 0.
/// </summary>
public sealed class DenseNet : Module<Tensor, Tensor>
{
    /// <summary>
    /// Builds the network (DenseNet-121: growth 32, blocks 6-12-24-16, 64 initial features, bnSize 4).
    /// <paramref name="smallInput"/> swaps the stem for a 3x3 stride-1 convolution without pooling (28x28 images).
    /// </summary>
    public DenseNet(int growthRate = 32, int[]? blockConfig = null, int numInitFeatures = 64, int bnSize = 4, int numClasses = 1000, int inChannels = 3,
        bool smallInput = false, Generator? generator = null)
    {
        blockConfig ??= [6, 12, 24, 16];
        if (blockConfig.Length == 0 || blockConfig.Any(n => n <= 0)) throw new ArgumentException($"DenseNet: expected positive layer counts per block, got [{string.Join(", ", blockConfig)}].", nameof(blockConfig));
        var g = generator ?? Generator.Default;
        var features = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", smallInput
                ? new Conv2d(inChannels, numInitFeatures, 3, padding: 1, bias: false, generator: g)
                : new Conv2d(inChannels, numInitFeatures, 7, stride: 2, padding: 3, bias: false, generator: g)),
            ("norm0", new BatchNorm2d(numInitFeatures)),
            ("relu0", new ReLU()),
        };
        if (!smallInput) features.Add(("pool0", new MaxPool2d(3, 2, 1)));
        int channels = numInitFeatures;
        for (int i = 0; i < blockConfig.Length; i++)
        {
            features.Add(($"denseblock{i + 1}", new DenseBlock(blockConfig[i], channels, growthRate, bnSize, g)));
            channels += blockConfig[i] * growthRate;
            if (i == blockConfig.Length - 1) continue;
            features.Add(($"transition{i + 1}", new Transition(channels, channels / 2, g)));
            channels /= 2;
        }
        features.Add(("norm5", new BatchNorm2d(channels)));
        Features = RegisterModule("features", new Sequential(features));
        Classifier = RegisterModule("classifier", new Linear(channels, numClasses, generator: g));
        TorchVisionInit.ConvsKaimingFanIn(this, g);
        TorchVisionInit.BatchNormsUnit(this);
        TorchVisionInit.LinearBiasesZero(this);
    }

    /// <summary>DenseNet-121: growth 32, blocks 6-12-24-16, 64 initial features.</summary>
    public static DenseNet DenseNet121(int numClasses = 1000, int inChannels = 3, Generator? generator = null) => new(numClasses: numClasses, inChannels: inChannels, generator: generator);

    /// <summary>DenseNet-121's blocks 6-12-24-16 for [N, 1, 28, 28] images: growth 12, 24 initial features, a 3x3 stride-1 stem without pooling (28 -> 14 -> 7 -> 3 through the transitions).</summary>
    public static DenseNet DenseNet121Small(int numClasses = 10, int inChannels = 1, Generator? generator = null) =>
        new(12, [6, 12, 24, 16], 24, 4, numClasses, inChannels, smallInput: true, generator);

    /// <summary>The convolutional part (stem, dense blocks, transitions, norm5).</summary>
    public Sequential Features { get; }

    /// <summary>The classifier.</summary>
    public Linear Classifier { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Call(Tensor.AdaptiveAvgPool2d(Features.Call(input).Relu(), 1).Flatten(1));
}
