using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// torchvision's bottleneck block (ResNet v1.5): conv1x1-BN-ReLU, conv3x3 (carrying the stride)-BN-ReLU, conv1x1 to
/// 4 x planes-BN, added to the shortcut, then ReLU. The inner width is planes · widthPerGroup / 64. The shortcut is a
/// 1x1 strided convolution with batch norm (<c>downsample.0/1</c>) when the stride or the width changes.
/// Keys conv1, bn1, conv2, bn2, conv3, bn3, downsample.0, downsample.1.
/// </summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    /// <summary>Output channels per unit of <c>planes</c>.</summary>
    public const int Expansion = 4;

    /// <summary>Builds the block: <paramref name="inChannels"/> -> <paramref name="planes"/> · 4 channels.</summary>
    public Bottleneck(int inChannels, int planes, int stride = 1, int widthPerGroup = 64, Generator? generator = null)
    {
        int width = planes * widthPerGroup / 64, outChannels = planes * Expansion;
        if (width <= 0) throw new ArgumentException($"Bottleneck: planes {planes} with width per group {widthPerGroup} leaves no inner channels.", nameof(widthPerGroup));
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, width, 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(width));
        Conv2 = RegisterModule("conv2", new Conv2d(width, width, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(width));
        Conv3 = RegisterModule("conv3", new Conv2d(width, outChannels, 1, bias: false, generator: generator));
        Bn3 = RegisterModule("bn3", new BatchNorm2d(outChannels));
        if (stride != 1 || inChannels != outChannels)
            Downsample = RegisterModule("downsample", new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(outChannels)));
    }

    /// <summary>The 1x1 reduction.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after the reduction.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>The 3x3 convolution (carries the stride).</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after the 3x3 convolution.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The 1x1 expansion.</summary>
    public Conv2d Conv3 { get; }

    /// <summary>Batch norm after the expansion.</summary>
    public BatchNorm2d Bn3 { get; }

    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Bn1.Call(Conv1.Call(input)).Relu();
        y = Bn2.Call(Conv2.Call(y)).Relu();
        y = Bn3.Call(Conv3.Call(y));
        return (y + (Downsample is null ? input : Downsample.Call(input))).Relu();
    }
}

/// <summary>
/// ResNet as torchvision builds it (He et al. 2016; bottlenecks v1.5): a 7x7 stride-2 convolution, batch norm, ReLU and
/// a 3x3 stride-2 pad-1 max pooling; four stages of <see cref="BasicBlock"/>s or <see cref="Bottleneck"/>s (planes 64,
/// 128, 256, 512; the first block of stages 2-4 halves the resolution); global average pooling and <c>fc</c>. Keys as
/// torchvision: conv1, bn1, layer1.0.conv1 ... layerN.M.downsample.0/1, fc. Initialised as torchvision: convolutions
/// He-normal (fan_out, ReLU), batch norms weight 1 bias 0, <c>fc</c> PyTorch's default. (The Fashion-MNIST ResNets
/// of <see cref="Axon.Models.ResNet"/> keep their own 3x3 stem.)
/// </summary>
public sealed class TorchVisionResNet : Module<Tensor, Tensor>
{
    private readonly Sequential[] stages;
    private readonly MaxPool2d? maxpool;

    /// <summary>
    /// Builds a ResNet of <paramref name="layers"/> blocks per stage; <paramref name="bottleneck"/> picks the block.
    /// <paramref name="baseWidth"/> scales the stem and the planes (64 in torchvision); <paramref name="widthPerGroup"/>
    /// is torchvision's width_per_group (the bottlenecks' inner width per 64 planes); <paramref name="smallInput"/> swaps
    /// the stem for a 3x3 stride-1 convolution without max pooling (28x28 images).
    /// </summary>
    public TorchVisionResNet(int[] layers, bool bottleneck, int numClasses = 1000, int inChannels = 3, int baseWidth = 64, int widthPerGroup = 64,
        bool smallInput = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length != 4 || layers.Any(n => n <= 0)) throw new ArgumentException($"TorchVisionResNet: expected 4 positive block counts, got [{string.Join(", ", layers)}].", nameof(layers));
        var g = generator ?? Generator.Default;
        Conv1 = RegisterModule("conv1", smallInput
            ? new Conv2d(inChannels, baseWidth, 3, padding: 1, bias: false, generator: g)
            : new Conv2d(inChannels, baseWidth, 7, stride: 2, padding: 3, bias: false, generator: g));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(baseWidth));
        if (!smallInput) maxpool = RegisterModule("maxpool", new MaxPool2d(3, 2, 1));
        int cin = baseWidth, expansion = bottleneck ? Bottleneck.Expansion : 1;
        stages = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            int planes = baseWidth << s;
            var stage = new Sequential();
            for (int b = 0; b < layers[s]; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stage.Append(bottleneck ? new Bottleneck(cin, planes, stride, widthPerGroup, g) : new BasicBlock(cin, planes, stride, g));
                cin = planes * expansion;
            }
            stages[s] = RegisterModule($"layer{s + 1}", stage);
        }
        AvgPool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(cin, numClasses, generator: g));
        TorchVisionInit.ConvsKaimingFanOut(this, g);
        TorchVisionInit.BatchNormsUnit(this);
    }

    /// <summary>ResNet-18: basic blocks 2-2-2-2.</summary>
    public static TorchVisionResNet ResNet18(int numClasses = 1000, int inChannels = 3, Generator? generator = null) => new([2, 2, 2, 2], false, numClasses, inChannels, generator: generator);

    /// <summary>ResNet-34: basic blocks 3-4-6-3.</summary>
    public static TorchVisionResNet ResNet34(int numClasses = 1000, int inChannels = 3, Generator? generator = null) => new([3, 4, 6, 3], false, numClasses, inChannels, generator: generator);

    /// <summary>ResNet-50: bottlenecks 3-4-6-3.</summary>
    public static TorchVisionResNet ResNet50(int numClasses = 1000, int inChannels = 3, Generator? generator = null) => new([3, 4, 6, 3], true, numClasses, inChannels, generator: generator);

    /// <summary>
    /// ResNet-50's bottlenecks 3-4-6-3 for [N, 1, 28, 28] images: planes 16-32-64-128 (outputs 64-512), a 3x3 stride-1
    /// stem, no max pooling; with torchvision's <c>zero_init_residual</c> (each block's last batch-norm weight 0, so
    /// every block starts as its shortcut): without it the 16 blocks' sums make the first step's gradients reach 29 at
    /// conv1, and two exact float32 summation orders then differ by 1%.
    /// </summary>
    public static TorchVisionResNet ResNet50Small(int numClasses = 10, int inChannels = 1, Generator? generator = null)
    {
        var net = new TorchVisionResNet([3, 4, 6, 3], true, numClasses, inChannels, baseWidth: 16, smallInput: true, generator: generator);
        net.ZeroInitResidual();
        return net;
    }

    /// <summary>Sets the last batch-norm weight of every residual branch to zero (torchvision's zero_init_residual, Goyal et al. 2017): each block starts as its shortcut.</summary>
    public void ZeroInitResidual()
    {
        foreach (var (_, m) in NamedModules())
        {
            if (m is Bottleneck b && b.Bn3.Weight is not null) Init.Zeros(b.Bn3.Weight);
            else if (m is BasicBlock basic && basic.Bn2.Weight is not null) Init.Zeros(basic.Bn2.Weight);
        }
    }

    /// <summary>The stem convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>The stem batch norm.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>The four stages layer1 .. layer4.</summary>
    public IReadOnlyList<Sequential> Stages => stages;

    /// <summary>Global average pooling.</summary>
    public AdaptiveAvgPool2d AvgPool { get; }

    /// <summary>The classifier.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Bn1.Call(Conv1.Call(input)).Relu();
        if (maxpool is not null) x = maxpool.Call(x);
        foreach (var stage in stages) x = stage.Call(x);
        return Fc.Call(AvgPool.Call(x).Flatten(1));
    }
}
