using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>torchvision's BasicConv2d: a convolution without bias, BatchNorm2d with eps 0.001, ReLU. Keys <c>conv</c>, <c>bn</c>.</summary>
public sealed class BasicConv2d : Module<Tensor, Tensor>
{
    /// <summary>Builds the unit.</summary>
    public BasicConv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, Generator? generator = null)
    {
        Conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: false, generator: generator));
        Bn = RegisterModule("bn", new BatchNorm2d(outChannels, eps: 0.001));
    }

    /// <summary>The convolution.</summary>
    public Conv2d Conv { get; }

    /// <summary>The batch norm.</summary>
    public BatchNorm2d Bn { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Bn.Call(Conv.Call(input)).Relu();
}

/// <summary>
/// GoogLeNet's Inception block (Szegedy et al., 2014) as torchvision builds it: four branches concatenated over channels —
/// a 1x1 convolution; 1x1 then 3x3; 1x1 then another 3x3 (torchvision's kernel; the paper's is 5x5); a 3x3 stride-1
/// max pooling then 1x1. Every convolution is a <see cref="BasicConv2d"/>. Keys <c>branch1</c>, <c>branch2.0/1</c>,
/// <c>branch3.0/1</c>, <c>branch4.1</c>.
/// </summary>
public sealed class Inception : Module<Tensor, Tensor>
{
    /// <summary>Builds the block; its output has <c>ch1x1 + ch3x3 + ch5x5 + poolProj</c> channels.</summary>
    public Inception(int inChannels, int ch1x1, int ch3x3Reduce, int ch3x3, int ch5x5Reduce, int ch5x5, int poolProj, Generator? generator = null)
    {
        Branch1 = RegisterModule("branch1", new BasicConv2d(inChannels, ch1x1, 1, generator: generator));
        Branch2 = RegisterModule("branch2", new Sequential(new BasicConv2d(inChannels, ch3x3Reduce, 1, generator: generator), new BasicConv2d(ch3x3Reduce, ch3x3, 3, padding: 1, generator: generator)));
        Branch3 = RegisterModule("branch3", new Sequential(new BasicConv2d(inChannels, ch5x5Reduce, 1, generator: generator), new BasicConv2d(ch5x5Reduce, ch5x5, 3, padding: 1, generator: generator)));
        Branch4 = RegisterModule("branch4", new Sequential(new MaxPool2d(3, 1, 1, ceilMode: true), new BasicConv2d(inChannels, poolProj, 1, generator: generator)));
        OutChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
    }

    /// <summary>The 1x1 branch.</summary>
    public BasicConv2d Branch1 { get; }

    /// <summary>The 1x1 then 3x3 branch.</summary>
    public Sequential Branch2 { get; }

    /// <summary>The 1x1 then 3x3 (the paper's 5x5) branch.</summary>
    public Sequential Branch3 { get; }

    /// <summary>The pooling then 1x1 branch.</summary>
    public Sequential Branch4 { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Cat([Branch1.Call(input), Branch2.Call(input), Branch3.Call(input), Branch4.Call(input)], 1);
}

/// <summary>
/// GoogLeNet's auxiliary classifier: adaptive average pooling to 4x4, a 1x1 <see cref="BasicConv2d"/> to 128 channels,
/// Linear(2048, 1024), ReLU, dropout 0.7, Linear(1024, classes). Keys <c>conv</c>, <c>fc1</c>, <c>fc2</c>.
/// </summary>
public sealed class InceptionAux : Module<Tensor, Tensor>
{
    /// <summary>Builds the head (<paramref name="width"/> 128 and <paramref name="hidden"/> 1024 in torchvision).</summary>
    public InceptionAux(int inChannels, int numClasses, double dropout = 0.7, int width = 128, int hidden = 1024, Generator? generator = null)
    {
        Conv = RegisterModule("conv", new BasicConv2d(inChannels, width, 1, generator: generator));
        Fc1 = RegisterModule("fc1", new Linear(width * 16, hidden, generator: generator));
        Fc2 = RegisterModule("fc2", new Linear(hidden, numClasses, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(dropout, generator));
    }

    /// <summary>The 1x1 reduction.</summary>
    public BasicConv2d Conv { get; }

    /// <summary>The hidden layer.</summary>
    public Linear Fc1 { get; }

    /// <summary>The output layer.</summary>
    public Linear Fc2 { get; }

    /// <summary>Dropout before the output layer.</summary>
    public Dropout Dropout { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Conv.Call(Tensor.AdaptiveAvgPool2d(input, 4)).Flatten(1);
        return Fc2.Call(Dropout.Call(Fc1.Call(x).Relu()));
    }
}
