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
        var (x4, p) = Conv2dChecked(input, weight, bias, stride, padTop, padBottom, padLeft, padRight, dilation, groups);
        var y = Conv2dOp(x4, weight, bias, p);
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>The 4-D input and the parameters of a convolution whose arguments are checked (Conv2d's errors otherwise).</summary>
    private static (Tensor X4, Conv2dParams P) Conv2dChecked(Tensor input, Tensor weight, Tensor? bias, Size2 stride, int padTop, int padBottom, int padLeft, int padRight, Size2 dilation, int groups)
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

        return (x4, new Conv2dParams(stride.H, stride.W, padTop, padBottom, padLeft, padRight, dilation.H, dilation.W, groups));
    }

    /// <summary>The attributes of a convolution as recorded: stride, the four paddings (top, bottom, left, right), dilation, groups.</summary>
    private static OpAttributes ConvAttributes(in Conv2dParams p, params (string, object?)[] more) =>
        new([("stride", Pair(p.StrideH, p.StrideW)), ("padding", new[] { p.PadTop, p.PadBottom, p.PadLeft, p.PadRight }),
            ("dilation", Pair(p.DilationH, p.DilationW)), ("groups", p.Groups), .. more]);

    private static Size2 Pair(int h, int w) => h == w ? new Size2(h) : new Size2(h, w);

    /// <summary>The convolution parameters recorded by <see cref="ConvAttributes"/>.</summary>
    internal static Conv2dParams ConvParams(OpAttributes a)
    {
        var (s, pad, d) = (a.Get<Size2>("stride"), a.Get<int[]>("padding"), a.Get<Size2>("dilation"));
        return new Conv2dParams(s.H, s.W, pad[0], pad[1], pad[2], pad[3], d.H, d.W, a.Get<int>("groups"));
    }

    /// <summary>
    /// The recorded convolution of a validated 4-D input. Backward: the fused kernels (one pass for all three gradients);
    /// under createGraph, <see cref="Conv2dInputGrad"/> and <see cref="Conv2dWeightGrad"/> as ops, which differentiate again.
    /// </summary>
    internal static Tensor Conv2dOp(Tensor x4, Tensor weight, Tensor? bias, Conv2dParams p)
    {
        var y = Compute.Conv2d(x4, weight, bias, p);
        Tensor[] inputs = bias is null ? [x4, weight] : [x4, weight, bias];
        return y.Record("Conv2d", inputs, ConvAttributes(p), g => Conv2dGradients(x4, weight, bias, p, g));
    }

    /// <summary>The gradients of a convolution's inputs from its output gradient g (ops that differentiate again when recording).</summary>
    private static Tensor?[] Conv2dGradients(Tensor x4, Tensor weight, Tensor? bias, in Conv2dParams p, Tensor g)
    {
        if (Recording(g, weight) || Recording(x4))
        {
            var gx = x4.requiresGrad ? Conv2dInputGrad(g, weight, x4.shape, p) : null;
            var gw = weight.requiresGrad ? Conv2dWeightGrad(x4, g, weight.shape, p) : null;
            var gb = bias is not null && bias.requiresGrad ? g.Sum([0, 2, 3]) : null;
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }
        var (rx, rw, rb) = Compute.Conv2dBackward(x4, weight, g, p, x4.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false);
        return bias is null ? [rx, rw] : [rx, rw, rb];
    }

    /// <summary>
    /// The input gradient of a convolution (a transposed convolution of <paramref name="gy"/> with <paramref name="weight"/>)
    /// for an input of <paramref name="inputShape"/>. Linear in both arguments, so its backward is a convolution of the
    /// incoming gradient (for gy) and a weight gradient (for the weight).
    /// </summary>
    internal static Tensor Conv2dInputGrad(Tensor gy, Tensor weight, int[] inputShape, Conv2dParams p) =>
        Compute.Conv2dInputGrad(gy, weight, inputShape, p).Record("Conv2dInputGrad", [gy, weight], ConvAttributes(p, ("input_shape", inputShape)), gg =>
            [gy.requiresGrad ? Conv2dOp(gg, weight, null, p) : null, weight.requiresGrad ? Conv2dWeightGrad(gg, gy, weight.shape, p) : null]);

    /// <summary>
    /// The weight gradient of a convolution of <paramref name="x"/> whose output gradient is <paramref name="gy"/>, for a
    /// weight of <paramref name="weightShape"/>. Bilinear, so its backward is an input gradient (for x) and a convolution (for gy).
    /// </summary>
    internal static Tensor Conv2dWeightGrad(Tensor x, Tensor gy, int[] weightShape, Conv2dParams p) =>
        Compute.Conv2dWeightGrad(x, gy, weightShape, p).Record("Conv2dWeightGrad", [x, gy], ConvAttributes(p, ("weight_shape", weightShape)), gg =>
            [x.requiresGrad ? Conv2dInputGrad(gy, gg, x.shape, p) : null, gy.requiresGrad ? Conv2dOp(x, gg, null, p) : null]);

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
