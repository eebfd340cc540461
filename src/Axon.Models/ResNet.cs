using Axon.Nn;

namespace Axon.Models;

/// <summary>
/// The basic residual block (He et al., 2016): conv3x3-BN-ReLU-conv3x3-BN, added to the shortcut, then ReLU.
/// The shortcut is the identity, or a 1x1 convolution with batch norm (a projection, <c>downsample</c>) when the
/// stride or the width changes. Keys follow torchvision: conv1, bn1, conv2, bn2, downsample.0, downsample.1.
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    /// <summary>Builds the block.</summary>
    public BasicBlock(int inChannels, int outChannels, int stride = 1, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
        if (stride != 1 || inChannels != outChannels)
            Downsample = RegisterModule("downsample", new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(outChannels)));
    }

    /// <summary>First 3x3 convolution (carries the stride).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after the first convolution.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Second 3x3 convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after the second convolution.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        // Batch norm, residual add and ReLU as one fused op each (the same values as relu(bn2(conv2(y)) + shortcut)).
        var y = Bn1.ForwardAct(Conv1.Call(input), null, relu: true);
        var shortcut = Downsample is null ? input : Downsample.Call(input);
        return Bn2.ForwardAct(Conv2.Call(y), shortcut, relu: true);
    }
}

/// <summary>
/// A ResNet of basic blocks sized for 28x28 inputs: a 3x3 stem (no max pooling, the images are small),
/// stages of basic blocks whose first block halves the resolution (except the first stage), global average
/// pooling and a linear classifier. <see cref="ResNet18"/> uses 2-2-2-2 blocks of widths 64-128-256-512.
/// Keys follow torchvision: conv1, bn1, layer1.0.conv1, ..., fc.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    private readonly List<Sequential> stages = [];

    /// <summary>Builds the network: <paramref name="blocks"/>[i] basic blocks of width <paramref name="widths"/>[i] per stage.</summary>
    public ResNet(int[] blocks, int[] widths, int numClasses = 10, int inChannels = 1, Generator? generator = null)
    {
        if (blocks.Length == 0 || blocks.Length != widths.Length) throw new ArgumentException("ResNet: give one width per stage.", nameof(widths));
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, widths[0], 3, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(widths[0]));
        int cin = widths[0];
        for (int s = 0; s < blocks.Length; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < blocks[s]; b++)
            {
                stage.Append(new BasicBlock(cin, widths[s], stride: b == 0 && s > 0 ? 2 : 1, generator: generator));
                cin = widths[s];
            }
            stages.Add(RegisterModule($"layer{s + 1}", stage));
        }
        Pool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(cin, numClasses, generator: generator));
    }

    /// <summary>ResNet-18's layout (2-2-2-2 blocks, widths 64-128-256-512) for 28x28 single-channel images.</summary>
    public static ResNet ResNet18(int numClasses = 10, Generator? generator = null) => new([2, 2, 2, 2], [64, 128, 256, 512], numClasses, generator: generator);

    /// <summary>A narrower ResNet (2-2-2 blocks, widths 32-64-128) that trains in reasonable time on a CPU.</summary>
    public static ResNet Small(int numClasses = 10, Generator? generator = null) => new([2, 2, 2], [32, 64, 128], numClasses, generator: generator);

    /// <summary>
    /// ResNet-8 in the CIFAR family's 6n + 2 naming (n = 1): <see cref="Small"/> with one basic block a stage, about half
    /// its multiply-adds, so it trains about twice as many epochs in the same time.
    /// </summary>
    public static ResNet ResNet8(int numClasses = 10, Generator? generator = null) => new([1, 1, 1], [32, 64, 128], numClasses, generator: generator);

    /// <summary>The stem convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>The stem batch norm.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Global average pooling.</summary>
    public AdaptiveAvgPool2d Pool { get; }

    /// <summary>The classifier.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Bn1.ForwardAct(Conv1.Call(input), null, relu: true);
        foreach (var stage in stages) x = stage.Call(x);
        return Fc.Call(Pool.Call(x).Flatten(1));
    }
}
