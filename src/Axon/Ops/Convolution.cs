namespace Axon;

// 2-D convolution: cross-correlation lowered to GEMM with im2col (Compute.Conv2d); backward beside it.
public sealed partial class Tensor
{
    /// <summary>
    /// 2-D convolution as PyTorch's conv2d, i.e. cross-correlation:
    /// y[n, o, i, j] = b[o] + sum over c in o's group, u, v of w[o, c, u, v] x[n, c, i s_h + u d_h - p_h, j s_w + v d_w - p_w]
    /// with zero padding. Input [N, C, H, W] (or unbatched [C, H, W]), weight [O, C / groups, kh, kw], bias [O];
    /// output [N, O, Ho, Wo] with Ho = floor((H + 2 p_h - d_h (kh - 1) - 1) / s_h) + 1 (likewise Wo).
    /// Computed per group as one GEMM W_g [O/g, C/g kh kw] x cols [C/g kh kw, N Ho Wo] over the im2col matrix.
    /// Backward: gx = col2im(W^T gY), gw = gY cols^T summed over the batch, gb = gY summed over batch and positions.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null, Size2? dilation = null, int groups = 1)
    {
        var (ph, pw) = padding ?? 0;
        if (ph < 0 || pw < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"Conv2d: padding must be non-negative, got {(padding ?? 0).ToPairString()}.");
        return Conv2dCore(input, weight, bias, stride ?? 1, ph, ph, pw, pw, dilation ?? 1, groups);
    }

    /// <summary>
    /// 2-D convolution with padding "valid" (none) or "same" (output the size of the input; stride 1 only, as PyTorch;
    /// an odd total padding puts the extra row/column at the bottom/right).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, string padding, Size2? stride = null, Size2? dilation = null, int groups = 1)
    {
        var s = stride ?? 1;
        var d = dilation ?? 1;
        switch (padding)
        {
            case "valid":
                return Conv2dCore(input, weight, bias, s, 0, 0, 0, 0, d, groups);
            case "same":
                if (s.H != 1 || s.W != 1) throw new ArgumentException($"Conv2d: padding='same' is not supported for strided convolutions (stride {s.ToPairString()}).", nameof(padding));
                if (weight.Rank != 4) throw new ArgumentException($"Conv2d: expected a 4-D weight [out, in/groups, kh, kw], got {ShapeUtil.Format(weight.shape)}.", nameof(weight));
                int th = d.H * (weight.shape[2] - 1), tw = d.W * (weight.shape[3] - 1);
                return Conv2dCore(input, weight, bias, s, th / 2, th - th / 2, tw / 2, tw - tw / 2, d, groups);
            default:
                throw new ArgumentException($"Conv2d: invalid padding string '{padding}', should be one of 'valid', 'same'.", nameof(padding));
        }
    }

    private static Tensor Conv2dCore(Tensor input, Tensor weight, Tensor? bias, Size2 stride, int padTop, int padBottom, int padLeft, int padRight, Size2 dilation, int groups)
    {
        const string op = "Conv2d";
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"{op}: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D weight [out, in/groups, kh, kw], got {ShapeUtil.Format(weight.shape)}.", nameof(weight));
        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType || (bias is not null && bias.DType != input.DType))
            throw new ArgumentException($"{op}: expected floating-point input, weight and bias of one dtype, got {input.DType.TorchName()}, {weight.DType.TorchName()}{(bias is null ? "" : ", " + bias.DType.TorchName())}.");
        if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride must be positive, got {stride.ToPairString()}.");
        if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation must be positive, got {dilation.ToPairString()}.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive.");
        int o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        if (o % groups != 0)
            throw new ArgumentException($"{op}: the {o} output channels of weight {ShapeUtil.Format(weight.shape)} are not divisible by groups={groups}.", nameof(weight));
        var x4 = input.Rank == 3 ? input.Unsqueeze(0) : input;
        int c = x4.shape[1], h = x4.shape[2], wd = x4.shape[3];
        if (c != weight.shape[1] * groups)
            throw new ArgumentException($"{op}: expected input with {weight.shape[1] * groups} channels (weight {ShapeUtil.Format(weight.shape)}{(groups == 1 ? "" : $", groups={groups}")}), got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != o))
            throw new ArgumentException($"{op}: expected a bias of shape [{o}] (weight {ShapeUtil.Format(weight.shape)}), got {ShapeUtil.Format(bias.shape)}.", nameof(bias));
        if (kh == 0 || kw == 0 || weight.shape[1] == 0) throw new ArgumentException($"{op}: the weight {ShapeUtil.Format(weight.shape)} has an empty kernel.", nameof(weight));
        int eh = dilation.H * (kh - 1) + 1, ew = dilation.W * (kw - 1) + 1;
        int paddedH = h + padTop + padBottom, paddedW = wd + padLeft + padRight;
        if (paddedH < eh || paddedW < ew)
            throw new ArgumentException($"{op}: the padded input is {paddedH} x {paddedW} per channel but the (dilated) kernel is {eh} x {ew}; the kernel can't be larger than the padded input (input {ShapeUtil.Format(input.shape)}, weight {ShapeUtil.Format(weight.shape)}).", nameof(input));

        var p = new Conv2dParams(stride.H, stride.W, padTop, padBottom, padLeft, padRight, dilation.H, dilation.W, groups);
        var xc = x4.ContiguousData();
        var wc = weight.ContiguousData();
        var y = Compute.Conv2d(xc, wc, bias, p);
        Tensor[] inputs = bias is null ? [x4, weight] : [x4, weight, bias];
        y.Record(op, inputs, g =>
        {
            var (gx, gw, gb) = Compute.Conv2dBackward(xc, wc, g, p, x4.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false);
            return bias is null ? [gx, gw] : [gx, gw, gb];
        });
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>The convolution/pooling output size floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1 (ceil with <paramref name="ceilMode"/>, never starting a window in the right padding).</summary>
    public static int ConvOutputSize(int size, int kernel, int stride = 1, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        long span = (long)size + 2L * padding - (long)dilation * (kernel - 1) - 1;
        if (span < 0) return 0;
        long o = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // With ceil mode the last window must start inside the input or the left padding.
        if (ceilMode && (o - 1) * stride >= size + padding) o--;
        return (int)o;
    }
}
