using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// GoogLeNet (Inception v1, Szegedy et al. 2014) as torchvision builds it: a stem of <see cref="BasicConv2d"/> units
/// (7x7 stride 2, ceil-mode 3x3 stride-2 max pooling, 1x1, 3x3, pooling), nine <see cref="Inception"/> blocks 3a-5b with
/// ceil-mode poolings between the stages (3x3 stride 2, then 2x2 stride 2), global average pooling, dropout 0.2 and
/// <c>fc</c>. With <c>auxLogits</c> (torchvision's default, and what its pretrained file holds) two
/// <see cref="InceptionAux"/> heads read 4a and 4d; they run only in training, through <see cref="ForwardWithAux"/>.
/// <c>transformInput</c> (off by default) maps ImageNet-normalised inputs to the (x - 0.5) / 0.5 scaling the
/// original weights were trained with. Initialised as torchvision: convolutions and linear layers truncated
/// N(0, 0.01²), batch norms weight 1 bias 0. [N, 3, 224, 224] -> [N, classes].
/// </summary>
public sealed class GoogLeNet : Module<Tensor, Tensor>
{
    // (in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection) of blocks 3a, 3b, 4a-4e, 5a, 5b.
    private static readonly int[][] Blocks =
    [
        [192, 64, 96, 128, 16, 32, 32], [256, 128, 128, 192, 32, 96, 64],
        [480, 192, 96, 208, 16, 48, 64], [512, 160, 112, 224, 24, 64, 64], [512, 128, 128, 256, 24, 64, 64],
        [512, 112, 144, 288, 32, 64, 64], [528, 256, 160, 320, 32, 128, 128],
        [832, 256, 160, 320, 32, 128, 128], [832, 384, 192, 384, 48, 128, 128],
    ];

    private static readonly string[] BlockNames = ["inception3a", "inception3b", "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "inception5a", "inception5b"];

    private readonly Inception[] blocks = new Inception[9];
    private readonly Module<Tensor, Tensor> maxpool2;
    private readonly MaxPool2d maxpool1, maxpool3 = null!, maxpool4 = null!;
    private readonly AdaptiveAvgPool2d avgpool;

    /// <summary>Builds the network as torchvision's <c>GoogLeNet(num_classes, aux_logits, transform_input, dropout=0.2, dropout_aux=0.7)</c>.</summary>
    public GoogLeNet(int numClasses = 1000, int inChannels = 3, bool auxLogits = true, bool transformInput = false, double dropout = 0.2, double dropoutAux = 0.7, Generator? generator = null)
        : this(numClasses, inChannels, auxLogits, transformInput, dropout, dropoutAux, 1, smallInput: false, generator)
    {
    }

    private GoogLeNet(int numClasses, int inChannels, bool auxLogits, bool transformInput, double dropout, double dropoutAux, int divisor, bool smallInput, Generator? generator)
    {
        var g = generator ?? Generator.Default;
        if (transformInput && inChannels != 3) throw new ArgumentException($"GoogLeNet: transformInput needs 3 (RGB) input channels, got {inChannels}.", nameof(transformInput));
        TransformInput = transformInput;
        int W(int c) => c / divisor;
        Conv1 = RegisterModule("conv1", smallInput ? new BasicConv2d(inChannels, W(64), 3, padding: 1, generator: g) : new BasicConv2d(inChannels, W(64), 7, stride: 2, padding: 3, generator: g));
        maxpool1 = RegisterModule("maxpool1", new MaxPool2d(3, 2, ceilMode: true));
        Conv2 = RegisterModule("conv2", new BasicConv2d(W(64), W(64), 1, generator: g));
        Conv3 = RegisterModule("conv3", new BasicConv2d(W(64), W(192), 3, padding: 1, generator: g));
        // The small variant keeps 14x14 for the 3x blocks: one stem pooling fewer.
        maxpool2 = RegisterModule<Module<Tensor, Tensor>>("maxpool2", smallInput ? new Identity() : new MaxPool2d(3, 2, ceilMode: true));
        for (int i = 0; i < 9; i++)
        {
            var b = Blocks[i];
            blocks[i] = RegisterModule(BlockNames[i], new Inception(W(b[0]), W(b[1]), W(b[2]), W(b[3]), W(b[4]), W(b[5]), W(b[6]), g));
            if (i == 1) maxpool3 = RegisterModule("maxpool3", new MaxPool2d(3, 2, ceilMode: true));
            if (i == 6) maxpool4 = RegisterModule("maxpool4", new MaxPool2d(2, 2, ceilMode: true));
        }
        if (auxLogits)
        {
            Aux1 = RegisterModule("aux1", new InceptionAux(W(512), numClasses, dropoutAux, W(128), W(1024), g));
            Aux2 = RegisterModule("aux2", new InceptionAux(W(528), numClasses, dropoutAux, W(128), W(1024), g));
        }
        avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Dropout = RegisterModule("dropout", new Dropout(dropout, g));
        Fc = RegisterModule("fc", new Linear(W(1024), numClasses, generator: g));
        TorchVisionInit.TruncNormalWeights(this, g);
        TorchVisionInit.BatchNormsUnit(this);
    }

    /// <summary>
    /// GoogLeNet for [N, 1, 28, 28] images: a quarter of the channels, a 3x3 stride-1 first convolution and one stem
    /// pooling (28 -> 14), so the 3x blocks see 14x14, the 4x blocks 7x7 and the 5x blocks 4x4; no auxiliary heads.
    /// Its convolutions are drawn He-normal (fan_out, ReLU) instead of torchvision's N(0, 0.01²): with 9 to 400 inputs
    /// per unit that draw makes each batch norm's input tiny, and its backward multiplies the gradient by the inverse
    /// (about 30x at the 1-channel stem), so that the first step's gradients reach 14 at conv1. Its float32 gradients are
    /// as far from the float64 step on the CPU as on the reference backend (a few 1e-6 of the largest; see
    /// BackendAgreementTests), except where a max-pooling window holds a near-tie that float32 breaks the other way:
    /// then the gradient of that element goes to its neighbour, on either backend.
    /// </summary>
    public static GoogLeNet Small(int numClasses = 10, int inChannels = 1, double dropout = 0.2, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var net = new GoogLeNet(numClasses, inChannels, auxLogits: false, transformInput: false, dropout, 0.7, 4, smallInput: true, g);
        TorchVisionInit.ConvsKaimingFanOut(net, g);
        return net;
    }

    /// <summary>Whether inputs are rescaled from ImageNet normalisation to the (x - 0.5) / 0.5 one (torchvision's transform_input).</summary>
    public bool TransformInput { get; }

    /// <summary>The stem's first unit.</summary>
    public BasicConv2d Conv1 { get; }

    /// <summary>The stem's 1x1 unit.</summary>
    public BasicConv2d Conv2 { get; }

    /// <summary>The stem's 3x3 unit.</summary>
    public BasicConv2d Conv3 { get; }

    /// <summary>The Inception blocks 3a, 3b, 4a-4e, 5a, 5b.</summary>
    public IReadOnlyList<Inception> InceptionBlocks => blocks;

    /// <summary>The auxiliary head after 4a, or null.</summary>
    public InceptionAux? Aux1 { get; }

    /// <summary>The auxiliary head after 4d, or null.</summary>
    public InceptionAux? Aux2 { get; }

    /// <summary>Dropout before the classifier.</summary>
    public Dropout Dropout { get; }

    /// <summary>The classifier.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Run(input, withAux: false).Logits;

    /// <summary>
    /// The logits and, in training with auxiliary heads, the heads' logits (torchvision's GoogLeNetOutputs: logits,
    /// aux_logits2, aux_logits1); the heads are null in evaluation. torchvision's recipe adds 0.3 times each head's loss.
    /// </summary>
    public (Tensor Logits, Tensor? Aux2, Tensor? Aux1) ForwardWithAux(Tensor input) => Run(input, withAux: true);

    private (Tensor Logits, Tensor? Aux2, Tensor? Aux1) Run(Tensor input, bool withAux)
    {
        var x = TransformInput ? Transform(input) : input;
        x = Conv3.Call(Conv2.Call(maxpool1.Call(Conv1.Call(x))));
        x = maxpool2.Call(x);
        x = blocks[1].Call(blocks[0].Call(x));
        x = maxpool3.Call(x);
        x = blocks[2].Call(x);
        bool aux = withAux && Training;
        var aux1 = aux && Aux1 is not null ? Aux1.Call(x) : null;
        x = blocks[5].Call(blocks[4].Call(blocks[3].Call(x)));
        var aux2 = aux && Aux2 is not null ? Aux2.Call(x) : null;
        x = maxpool4.Call(blocks[6].Call(x));
        x = blocks[8].Call(blocks[7].Call(x));
        x = avgpool.Call(x).Flatten(1);
        return (Fc.Call(Dropout.Call(x)), aux2, aux1);
    }

    // torchvision's _transform_input: channel c becomes x_c * (std_c / 0.5) + (mean_c - 0.5) / 0.5.
    private static Tensor Transform(Tensor x)
    {
        double[] mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
        var channels = new Tensor[3];
        for (int c = 0; c < 3; c++) channels[c] = x.Narrow(1, c, 1) * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5;
        return Tensor.Cat(channels, 1);
    }
}
