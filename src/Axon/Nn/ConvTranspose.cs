using System.Globalization;
using System.Text;

namespace Axon.Nn;

/// <summary>
/// 2-D transposed convolution layer (torch.nn.ConvTranspose2d), the upsampling layer of decoders and generators.
/// Shape: input [N, inChannels, H, W] (or unbatched [inChannels, H, W]) -> [N, outChannels, Ho, Wo] with
/// Ho = (H - 1) stride - 2 padding + dilation (kernel - 1) + outputPadding + 1.
/// Weight [inChannels, outChannels / groups, kh, kw] and bias [outChannels] as PyTorch stores them.
/// Default initialisation as PyTorch: weight Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
/// PyTorch's fan_in of this layout, outChannels / groups * kh * kw; bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
/// </summary>
public sealed class ConvTranspose2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; <paramref name="outputPadding"/> must be smaller than the stride or the dilation.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null,
        int groups = 1, bool bias = true, Size2? dilation = null, DType dtype = DType.Float32, Generator? generator = null)
    {
        const string op = "ConvTranspose2d";
        Size2 s = stride ?? 1, pad = padding ?? 0, outPad = outputPadding ?? 0, d = dilation ?? 1;
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"{op}: inChannels must be positive.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"{op}: outChannels must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive.");
        if (inChannels % groups != 0) throw new ArgumentException($"{op}: in_channels ({inChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (outChannels % groups != 0) throw new ArgumentException($"{op}: out_channels ({outChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (kernelSize.H <= 0 || kernelSize.W <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), $"{op}: kernel size must be positive, got {kernelSize.ToPairString()}.");
        if (s.H <= 0 || s.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride must be positive, got {s.ToPairString()}.");
        if (pad.H < 0 || pad.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding must be non-negative, got {pad.ToPairString()}.");
        if (d.H <= 0 || d.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation must be positive, got {d.ToPairString()}.");
        if (outPad.H < 0 || outPad.W < 0) throw new ArgumentOutOfRangeException(nameof(outputPadding), $"{op}: output padding must be non-negative, got {outPad.ToPairString()}.");
        if ((outPad.H >= s.H && outPad.H >= d.H) || (outPad.W >= s.W && outPad.W >= d.W))
            throw new ArgumentException($"{op}: output padding must be smaller than either stride or dilation, got output padding {outPad.ToPairString()}, stride {s.ToPairString()}, dilation {d.ToPairString()}.", nameof(outputPadding));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = new Size2(kernelSize.H, kernelSize.W);
        Stride = new Size2(s.H, s.W);
        Padding = new Size2(pad.H, pad.W);
        OutputPadding = new Size2(outPad.H, outPad.W);
        Dilation = new Size2(d.H, d.W);
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Zeros([inChannels, outChannels / groups, kernelSize.H, kernelSize.W], dtype))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Zeros([outChannels], dtype) : null);
        ResetOwnParameters(generator ?? Generator.Default);
    }

    /// <summary>Number of input channels.</summary>
    public int InChannels { get; }

    /// <summary>Number of output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size (kh, kw).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Stride (sh, sw).</summary>
    public Size2 Stride { get; }

    /// <summary>The padding (ph, pw) of the convolution this layer transposes: the output loses padding rows/columns on each side.</summary>
    public Size2 Padding { get; }

    /// <summary>Rows/columns added at the bottom/right of the output (oh, ow).</summary>
    public Size2 OutputPadding { get; }

    /// <summary>Dilation (dh, dw).</summary>
    public Size2 Dilation { get; }

    /// <summary>Number of blocked connections from input to output channels.</summary>
    public int Groups { get; }

    /// <summary>Weight [inChannels, outChannels / groups, kh, kw].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [outChannels], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        Init.KaimingUniform(Weight, a: Math.Sqrt(5), generator: generator);
        if (Bias is not null)
        {
            var (fanIn, _) = Init.CalculateFans(Weight);
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Init.Uniform(Bias, -bound, bound, generator);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Tensor.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <summary>
    /// The forward pass with the output's spatial size chosen among those that a strided convolution maps back to the
    /// input's size (PyTorch's output_size argument): <paramref name="outputSize"/> is (Ho, Wo), or the full output shape
    /// whose last two entries are used. It replaces the layer's output padding for this call.
    /// </summary>
    public Tensor Forward(Tensor input, int[] outputSize)
    {
        ArgumentNullException.ThrowIfNull(outputSize);
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"ConvTranspose2d: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got {ShapeUtil.Format(input.GetShape())}.", nameof(input));
        if (outputSize.Length != 2 && outputSize.Length != input.Rank)
            throw new ArgumentException($"ConvTranspose2d: output size must have 2 or {input.Rank} elements (got {outputSize.Length}: {ShapeUtil.Format(outputSize)}).", nameof(outputSize));
        int[] size = outputSize[^2..];
        int[] outPad = new int[2];
        int[] stride = [Stride.H, Stride.W], pad = [Padding.H, Padding.W], dil = [Dilation.H, Dilation.W], kernel = [KernelSize.H, KernelSize.W];
        for (int i = 0; i < 2; i++)
        {
            long min = Tensor.ConvTransposeOutputSize(input.Size(input.Rank - 2 + i), kernel[i], stride[i], pad[i], 0, dil[i]), max = min + stride[i] - 1;
            if (size[i] < min || size[i] > max)
                throw new ArgumentException($"ConvTranspose2d: requested an output size of {ShapeUtil.Format(size)}, but valid sizes range from [{min}] to [{max}] in dimension {i} (for an input of {ShapeUtil.Format(input.GetShape())}).", nameof(outputSize));
            outPad[i] = (int)(size[i] - min);
        }
        return Tensor.ConvTranspose2d(input, Weight, Bias, Stride, Padding, (outPad[0], outPad[1]), Groups, Dilation);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{InChannels}, {OutChannels}, kernel_size={KernelSize.ToPairString()}, stride={Stride.ToPairString()}");
        if (Padding != new Size2(0, 0)) sb.Append(", padding=").Append(Padding.ToPairString());
        if (Dilation != new Size2(1, 1)) sb.Append(", dilation=").Append(Dilation.ToPairString());
        if (OutputPadding != new Size2(0, 0)) sb.Append(", output_padding=").Append(OutputPadding.ToPairString());
        if (Groups != 1) sb.Append(CultureInfo.InvariantCulture, $", groups={Groups}");
        if (Bias is null) sb.Append(", bias=False");
        return sb.ToString();
    }
}
