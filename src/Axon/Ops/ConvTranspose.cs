namespace Axon;

// 2-D transposed convolution: the input gradient of the convolution with the same parameters, plus a bias per channel.
public sealed partial class Tensor
{
    /// <summary>
    /// 2-D transposed convolution as PyTorch's conv_transpose2d (the adjoint of <see cref="Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/>
    /// with the same stride, padding, dilation and groups). Input [N, Cin, H, W] (or unbatched [Cin, H, W]), weight
    /// [Cin, Cout / groups, kh, kw] (PyTorch's layout), bias [Cout]; output [N, Cout, Ho, Wo] with
    /// Ho = (H - 1) s_h - 2 p_h + d_h (kh - 1) + outputPadding_h + 1 (likewise Wo). <paramref name="outputPadding"/> adds
    /// rows/columns at the bottom/right to pick among the output sizes that a strided convolution maps to the same size;
    /// as PyTorch, it must be smaller than the stride or the dilation.
    /// Computed as the input gradient of the convolution of an [N, Cout, Ho, Wo] input with the weight; its backward is a
    /// convolution (for the input) and a convolution weight gradient (for the weight), so it differentiates again.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null,
        Size2? outputPadding = null, int groups = 1, Size2? dilation = null)
    {
        const string op = "ConvTranspose2d";
        Size2 s = stride ?? 1, pad = padding ?? 0, outPad = outputPadding ?? 0, d = dilation ?? 1;
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"{op}: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D weight [in, out/groups, kh, kw], got {ShapeUtil.Format(weight.shape)}.", nameof(weight));
        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType || (bias is not null && bias.DType != input.DType))
            throw new ArgumentException($"{op}: expected floating-point input, weight and bias of one dtype, got {input.DType.TorchName()}, {weight.DType.TorchName()}{(bias is null ? "" : ", " + bias.DType.TorchName())}.");
        if (s.H <= 0 || s.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride must be positive, got {s.ToPairString()}.");
        if (pad.H < 0 || pad.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding must be non-negative, got {pad.ToPairString()}.");
        if (d.H <= 0 || d.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation must be positive, got {d.ToPairString()}.");
        if (outPad.H < 0 || outPad.W < 0) throw new ArgumentOutOfRangeException(nameof(outputPadding), $"{op}: output padding must be non-negative, got {outPad.ToPairString()}.");
        if ((outPad.H >= s.H && outPad.H >= d.H) || (outPad.W >= s.W && outPad.W >= d.W))
            throw new ArgumentException($"{op}: output padding must be smaller than either stride or dilation, got output padding {outPad.ToPairString()}, stride {s.ToPairString()}, dilation {d.ToPairString()}.", nameof(outputPadding));
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive.");
        int cin = weight.shape[0], cout = weight.shape[1] * groups, kh = weight.shape[2], kw = weight.shape[3];
        if (cin % groups != 0)
            throw new ArgumentException($"{op}: the {cin} input channels of weight {ShapeUtil.Format(weight.shape)} are not divisible by groups={groups}.", nameof(weight));
        var x4 = input.Rank == 3 ? input.Unsqueeze(0) : input;
        int n = x4.shape[0], h = x4.shape[2], wd = x4.shape[3];
        if (x4.shape[1] != cin)
            throw new ArgumentException($"{op}: expected input with {cin} channels (weight {ShapeUtil.Format(weight.shape)}), got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != cout))
            throw new ArgumentException($"{op}: expected a bias of shape [{cout}] (weight {ShapeUtil.Format(weight.shape)}{(groups == 1 ? "" : $", groups={groups}")}), got {ShapeUtil.Format(bias.shape)}.", nameof(bias));
        if (kh == 0 || kw == 0 || weight.shape[1] == 0) throw new ArgumentException($"{op}: the weight {ShapeUtil.Format(weight.shape)} has an empty kernel.", nameof(weight));
        long ho = ConvTransposeOutputSize(h, kh, s.H, pad.H, outPad.H, d.H), wo = ConvTransposeOutputSize(wd, kw, s.W, pad.W, outPad.W, d.W);
        if (ho <= 0 || wo <= 0)
            throw new ArgumentException($"{op}: the output would be {ho} x {wo} per channel (input {ShapeUtil.Format(input.shape)}, weight {ShapeUtil.Format(weight.shape)}, stride {s.ToPairString()}, padding {pad.ToPairString()}, output padding {outPad.ToPairString()}, dilation {d.ToPairString()}); it must be positive.", nameof(input));

        var p = new Conv2dParams(s.H, s.W, pad.H, pad.H, pad.W, pad.W, d.H, d.W, groups);
        // The convolution of the [Ho, Wo] output maps back to H + outputPadding / stride rows: with an output padding
        // of a stride or more (allowed below the dilation) the input gets that many zero rows/columns at the bottom/right.
        int extraH = outPad.H / s.H, extraW = outPad.W / s.W;
        var xc = x4;
        if (extraH > 0) xc = xc.NarrowScatter([n, cin, h + extraH, xc.shape[3]], 2, 0);
        if (extraW > 0) xc = xc.NarrowScatter([n, cin, xc.shape[2], wd + extraW], 3, 0);
        var y = Conv2dInputGrad(xc, weight, [n, cout, (int)ho, (int)wo], p);
        if (bias is not null) y += bias.Reshape(1, cout, 1, 1);
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>The transposed-convolution output size (size - 1) stride - 2 padding + dilation (kernel - 1) + outputPadding + 1.</summary>
    public static long ConvTransposeOutputSize(int size, int kernel, int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1) =>
        ((long)size - 1) * stride - 2L * padding + (long)dilation * (kernel - 1) + outputPadding + 1;
}
