using System.Globalization;
using System.Text;

namespace Axon.Nn;

/// <summary>
/// 2-D convolution layer (cross-correlation, as torch.nn.Conv2d). Shape: input [N, inChannels, H, W] (or unbatched
/// [inChannels, H, W]) -> [N, outChannels, Ho, Wo] with Ho = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1.
/// Weight [outChannels, inChannels / groups, kh, kw] and bias [outChannels] as PyTorch stores them.
/// Default initialisation as PyTorch: weight Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
/// fan_in = inChannels / groups * kh * kw; bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
/// </summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    private readonly string? paddingMode;

    /// <summary>
    /// Creates the layer with numeric padding (an int or (h, w) pair on each side), filled as PyTorch's padding_mode
    /// <paramref name="paddingMode"/>: "zeros" (the default), "reflect" (the image mirrored at its border, without
    /// repeating the edge), "replicate" (the edge repeated) or "circular" (wrapped around).
    /// </summary>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, int groups = 1,
        bool bias = true, DType dtype = DType.Float32, Generator? generator = null, string paddingMode = "zeros")
        : this(inChannels, outChannels, kernelSize, stride ?? 1, padding ?? 0, null, dilation ?? 1, groups, bias, dtype, generator)
    {
        if (paddingMode is not ("zeros" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got '{paddingMode}'.", nameof(paddingMode));
        Border = paddingMode;
    }

    /// <summary>Creates the layer with padding "valid" (none) or "same" (output as large as the input; stride 1 only, as PyTorch).</summary>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, string padding, Size2? stride = null, Size2? dilation = null, int groups = 1,
        bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, kernelSize, stride ?? 1, 0, CheckPaddingString(padding, stride ?? 1), dilation ?? 1, groups, bias, dtype, generator)
    {
    }

    private Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2 stride, Size2 padding, string? paddingMode, Size2 dilation, int groups,
        bool bias, DType dtype, Generator? generator)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "Conv2d: inChannels must be positive.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "Conv2d: outChannels must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, "Conv2d: groups must be positive.");
        if (inChannels % groups != 0) throw new ArgumentException($"Conv2d: in_channels ({inChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (outChannels % groups != 0) throw new ArgumentException($"Conv2d: out_channels ({outChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (kernelSize.H <= 0 || kernelSize.W <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Conv2d: kernel size must be positive, got {kernelSize.ToPairString()}.");
        if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), $"Conv2d: stride must be positive, got {stride.ToPairString()}.");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"Conv2d: padding must be non-negative, got {padding.ToPairString()}.");
        if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), $"Conv2d: dilation must be positive, got {dilation.ToPairString()}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = new Size2(kernelSize.H, kernelSize.W);
        Stride = new Size2(stride.H, stride.W);
        Padding = new Size2(padding.H, padding.W);
        Dilation = new Size2(dilation.H, dilation.W);
        Groups = groups;
        this.paddingMode = paddingMode;
        Weight = RegisterParameter("weight", Tensor.Zeros([outChannels, inChannels / groups, kernelSize.H, kernelSize.W], dtype))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Zeros([outChannels], dtype) : null);
        ResetOwnParameters(generator ?? Generator.Default);
    }

    private static string CheckPaddingString(string padding, Size2 stride)
    {
        if (padding is not ("same" or "valid")) throw new ArgumentException($"Conv2d: invalid padding string '{padding}', should be one of 'valid', 'same'.", nameof(padding));
        if (padding == "same" && (stride.H != 1 || stride.W != 1)) throw new ArgumentException("Conv2d: padding='same' is not supported for strided convolutions.", nameof(padding));
        return padding;
    }

    /// <summary>Number of input channels.</summary>
    public int InChannels { get; }

    /// <summary>Number of output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size (kh, kw).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Stride (sh, sw).</summary>
    public Size2 Stride { get; }

    /// <summary>Zero padding on each side (ph, pw); (0, 0) with a padding string.</summary>
    public Size2 Padding { get; }

    /// <summary>"same" or "valid" when the layer was created with a padding string, else null.</summary>
    public string? PaddingMode => paddingMode;

    /// <summary>How the numeric padding is filled (PyTorch's padding_mode): "zeros", "reflect", "replicate" or "circular".</summary>
    public string Border { get; } = "zeros";

    /// <summary>Dilation (dh, dw).</summary>
    public Size2 Dilation { get; }

    /// <summary>Number of blocked connections from input to output channels.</summary>
    public int Groups { get; }

    /// <summary>Weight [outChannels, inChannels / groups, kh, kw].</summary>
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
    public override Tensor Forward(Tensor input)
    {
        if (paddingMode is not null) return Tensor.Conv2d(input, Weight, Bias, paddingMode, Stride, Dilation, Groups);
        if (Border == "zeros") return Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
        // PyTorch pads first (F.pad with the mode) and then convolves without padding.
        var padded = Tensor.Pad2d(input, Padding.W, Padding.W, Padding.H, Padding.H, Border);
        return Tensor.Conv2d(padded, Weight, Bias, Stride, 0, Dilation, Groups);
    }

    /// <summary>
    /// pool(relu(this(input))) as the one fused op <see cref="Tensor.Conv2dReluMaxPool2d"/>, the same values and
    /// gradients; null where it does not apply (a padding mode other than zeros, an unbatched input, or a pooling
    /// that ReLU does not commute with), and then nothing has run.
    /// </summary>
    internal Tensor? ForwardReluMaxPool(Tensor input, MaxPool2d pool) =>
        paddingMode is not null || Border != "zeros" ? null
        : Tensor.Conv2dReluMaxPool2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, pool.KernelSize, pool.Stride, pool.Padding, pool.Dilation, pool.CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{InChannels}, {OutChannels}, kernel_size={KernelSize.ToPairString()}, stride={Stride.ToPairString()}");
        if (paddingMode is not null) sb.Append(", padding=").Append(paddingMode);
        else if (Padding != new Size2(0, 0)) sb.Append(", padding=").Append(Padding.ToPairString());
        if (Dilation != new Size2(1, 1)) sb.Append(", dilation=").Append(Dilation.ToPairString());
        if (Groups != 1) sb.Append(CultureInfo.InvariantCulture, $", groups={Groups}");
        if (Bias is null) sb.Append(", bias=False");
        if (Border != "zeros") sb.Append(", padding_mode=").Append(Border);
        return sb.ToString();
    }
}
