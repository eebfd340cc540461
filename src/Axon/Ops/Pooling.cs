using Axon.Kernels;

namespace Axon;

// 2-D max, average and adaptive average pooling; backward beside each.
public sealed partial class Tensor
{
    /// <summary>
    /// 2-D max pooling as PyTorch's max_pool2d: input [N, C, H, W] or [C, H, W]; each output is the maximum of its
    /// kernel window (stride defaults to the kernel size; padding, at most half the kernel, is never chosen).
    /// Output size floor((H + 2p - d (k - 1) - 1) / s) + 1, or ceil with <paramref name="ceilMode"/>. Kernel 3 with
    /// stride 2 gives overlapping pooling (Krizhevsky et al. 2012). Backward: each output gradient goes to its argmax.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
        => MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: false).Values;

    /// <summary>Max pooling that also returns the argmax of each window as int64 flat indices ih * W + iw within its plane (PyTorch's return_indices).</summary>
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
    {
        var (v, i) = MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: true);
        return (v, i!);
    }

    private static (Tensor Values, Tensor? Indices) MaxPool2dCore(Tensor input, Size2 kernelSize, Size2? stride, Size2? padding, Size2? dilation, bool ceilMode, bool withIndices)
    {
        var x4 = PoolInput(input, "MaxPool2d");
        var w = PoolWindow(x4, input, "MaxPool2d", kernelSize, stride ?? kernelSize, padding ?? 0, dilation ?? 1, ceilMode);
        var (y, idx) = MaxPoolOp(x4, w, PoolAttributes(kernelSize, stride ?? kernelSize, padding ?? 0, dilation ?? 1, ceilMode), withIndices);
        if (input.Rank == 3) return (y.Squeeze(0), idx?.Squeeze(0));
        return (y, idx);
    }

    private static OpAttributes PoolAttributes(Size2 kernel, Size2 stride, Size2 padding, Size2 dilation, bool ceilMode) =>
        new(("kernel_size", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation), ("ceil_mode", ceilMode));

    /// <summary>
    /// The recorded max pooling of a validated 4-D input (with PyTorch's int64 indices as a second output when asked).
    /// Backward: each gradient to its window's maximum, as an op that differentiates again.
    /// </summary>
    private static (Tensor Values, Tensor? Indices) MaxPoolOp(Tensor x4, Window2d w, OpAttributes attributes, bool withIndices)
    {
        bool record = NeedsGrad(x4);
        var (y, argmax) = Compute.MaxPool2d(x4, w, withIndices || record);
        var shape = x4.shape;
        Func<Tensor?[], Tensor?[]> backward = g => [MaxPool2dBackwardOp(g[0]!, argmax!, shape, w)];
        if (!withIndices)
        {
            RecordMany("MaxPool2d", [x4], attributes, [y], backward);
            return (y, null);
        }
        var idx = Compute.WidenArgmax(argmax!, y.shape);
        if (!record) argmax!.Dispose();
        RecordMany("MaxPool2dWithIndices", [x4], attributes, [y, idx], backward);
        return (y, idx);
    }

    /// <summary>The gradient of max pooling (each output gradient to its window's maximum). Its backward gathers at the maxima.</summary>
    private static Tensor MaxPool2dBackwardOp(Tensor g, Tensor argmax, int[] inputShape, Window2d w) =>
        Compute.MaxPool2dBackward(g, argmax, inputShape, w).Record("MaxPool2dBackward", [g], OpAttributes.Empty, gg => [MaxPool2dGatherOp(gg, argmax, w)]);

    /// <summary>x gathered at the maxima of an earlier max pooling (the adjoint of its gradient). Its backward scatters back.</summary>
    private static Tensor MaxPool2dGatherOp(Tensor x, Tensor argmax, Window2d w)
    {
        var shape = x.shape;
        return Compute.MaxPool2dGather(x, argmax, w).Record("MaxPool2dGather", [x], OpAttributes.Empty, gg => [MaxPool2dBackwardOp(gg, argmax, shape, w)]);
    }

    /// <summary>
    /// relu(max_pool2d(input)) as one op, computed in the cheaper order: the pooling first, then the ReLU on its output
    /// (4 to 9 times smaller for the usual 2x2 and 3x3 windows). For arguments where
    /// <see cref="MaxPoolCommutesWithRelu(Tensor, Size2, Size2, Size2, Size2, bool)"/> holds this equals max_pool2d(relu(input)) to the bit, values and gradients
    /// (see <see cref="Nn.Sequential"/>, which uses it for a ReLU followed by a MaxPool2d). An op of its own, so that a
    /// trace records what runs. Backward: ReLU's gate on the pooled values, then each gradient to its window's maximum.
    /// </summary>
    public static Tensor ReluMaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
    {
        var x4 = PoolInput(input, "MaxPool2d");
        var w = PoolWindow(x4, input, "MaxPool2d", kernelSize, stride ?? kernelSize, padding ?? 0, dilation ?? 1, ceilMode);
        var (pooled, argmax) = Compute.MaxPool2d(x4, w, NeedsGrad(x4));
        var y = Compute.Unary(pooled, UnaryOp.Relu);
        var shape = x4.shape;
        y.Record("ReluMaxPool2d", [x4], PoolAttributes(kernelSize, stride ?? kernelSize, padding ?? 0, dilation ?? 1, ceilMode), g =>
        {
            var gated = Recording(g) ? g * pooled.Gt(0) : Compute.ActivationBackward(ActivationGrad.Relu, pooled, g);
            return [MaxPool2dBackwardOp(gated, argmax!, shape, w)];
        });
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>
    /// Whether max pooling with these arguments is valid for <paramref name="input"/> and every window holds at least
    /// one input element, so that relu(maxpool(x)) = maxpool(relu(x)) holds to the bit (a window of padding alone
    /// would give -inf, which ReLU after the pooling would turn into 0).
    /// </summary>
    internal static bool MaxPoolCommutesWithRelu(Tensor input, Size2 k, Size2 s, Size2 p, Size2 d, bool ceilMode)
    {
        if (input.Rank is not (3 or 4) || !input.DType.IsFloatingPoint()) return false;
        return MaxPoolCommutesWithRelu(input.shape[input.Rank - 2], input.shape[input.Rank - 1], k, s, p, d, ceilMode);
    }

    /// <summary><see cref="MaxPoolCommutesWithRelu(Tensor, Size2, Size2, Size2, Size2, bool)"/> for planes of h x wd.</summary>
    internal static bool MaxPoolCommutesWithRelu(int h, int wd, Size2 k, Size2 s, Size2 p, Size2 d, bool ceilMode)
    {
        if (k.H <= 0 || k.W <= 0 || s.H <= 0 || s.W <= 0 || d.H <= 0 || d.W <= 0 || p.H < 0 || p.W < 0 || p.H > k.H / 2 || p.W > k.W / 2) return false;
        return EveryWindowHasInput(h, k.H, s.H, p.H, d.H, ConvOutputSize(h, k.H, s.H, p.H, d.H, ceilMode))
            && EveryWindowHasInput(wd, k.W, s.W, p.W, d.W, ConvOutputSize(wd, k.W, s.W, p.W, d.W, ceilMode));
    }

    // Along one dimension: each of the `outSize` windows (at least one) has a tap in [0, size).
    private static bool EveryWindowHasInput(int size, int k, int s, int p, int d, int outSize)
    {
        if (outSize <= 0) return false;
        for (int o = 0; o < outSize; o++)
        {
            int start = o * s - p;
            bool any = false;
            for (int t = 0; t < k && !any; t++) any = start + t * d >= 0 && start + t * d < size;
            if (!any) return false;
        }
        return true;
    }

    /// <summary>
    /// 2-D average pooling as PyTorch's avg_pool2d: the mean of each kernel window (stride defaults to the kernel size).
    /// With <paramref name="countIncludePad"/> (the default) padded zeros count in the divisor; otherwise only input elements.
    /// Backward: each output gradient, divided by its divisor, is spread over its window.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        var x4 = PoolInput(input, "AvgPool2d");
        var w = PoolWindow(x4, input, "AvgPool2d", kernelSize, stride ?? kernelSize, padding ?? 0, 1, ceilMode);
        var attributes = new OpAttributes(("kernel_size", kernelSize), ("stride", stride ?? kernelSize), ("padding", padding ?? 0), ("ceil_mode", ceilMode), ("count_include_pad", countIncludePad));
        var y = AvgPoolOp("AvgPool2d", x4, w, attributes, countIncludePad, adaptive: false);
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>
    /// Adaptive average pooling to <paramref name="outputSize"/> (PyTorch's adaptive_avg_pool2d): output cell (i, j) averages
    /// rows floor(i H / Ho) .. ceil((i + 1) H / Ho) - 1 and the matching columns. Output size 1 is global average pooling.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Size2 outputSize)
    {
        var x4 = PoolInput(input, "AdaptiveAvgPool2d");
        if (outputSize.H <= 0 || outputSize.W <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveAvgPool2d: the output size must be positive, got {outputSize.ToPairString()}.");
        int h = x4.shape[2], wd = x4.shape[3];
        if (h == 0 || wd == 0) throw new ArgumentException($"AdaptiveAvgPool2d: expected an input with non-zero height and width, got {ShapeUtil.Format(input.shape)}.", nameof(input));
        var w = new Window2d(x4.shape[1], h, wd, 1, 1, 1, 1, 0, 0, 1, 1, outputSize.H, outputSize.W);
        var y = AvgPoolOp("AdaptiveAvgPool2d", x4, w, new OpAttributes(("output_size", outputSize)), countIncludePad: true, adaptive: true);
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>
    /// Adaptive max pooling to <paramref name="outputSize"/> (PyTorch's adaptive_max_pool2d): output cell (i, j) is the
    /// maximum over rows floor(i H / Ho) .. ceil((i + 1) H / Ho) - 1 and the matching columns. Where the sizes divide,
    /// the windows are a plain max pooling (kernel = stride = H / Ho) and run as one; otherwise each cell is a max
    /// over a narrowed view, stacked, so the gradient (to each window's maximum) is theirs.
    /// </summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, Size2 outputSize)
    {
        var x4 = PoolInput(input, "AdaptiveMaxPool2d");
        if (outputSize.H <= 0 || outputSize.W <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveMaxPool2d: the output size must be positive, got {outputSize.ToPairString()}.");
        int h = x4.shape[2], wd = x4.shape[3], oh = outputSize.H, ow = outputSize.W;
        if (h == 0 || wd == 0) throw new ArgumentException($"AdaptiveMaxPool2d: expected an input with non-zero height and width, got {ShapeUtil.Format(input.shape)}.", nameof(input));
        Tensor y;
        if (h % oh == 0 && wd % ow == 0) y = MaxPool2d(x4, new Size2(h / oh, wd / ow));
        else
        {
            int n = x4.shape[0], c = x4.shape[1];
            var cells = new Tensor[oh * ow];
            for (int i = 0; i < oh; i++)
            {
                int r0 = i * h / oh, r1 = ((i + 1) * h + oh - 1) / oh;
                var rows = x4.Narrow(2, r0, r1 - r0);
                for (int j = 0; j < ow; j++)
                {
                    int c0 = j * wd / ow, c1 = ((j + 1) * wd + ow - 1) / ow;
                    cells[i * ow + j] = rows.Narrow(3, c0, c1 - c0).Reshape([n, c, -1]).Max(2).Values;
                }
            }
            y = Stack(cells, 2).Reshape([n, c, oh, ow]);
        }
        return input.Rank == 3 ? y.Squeeze(0) : y;
    }

    /// <summary>The recorded (adaptive) average pooling of a validated 4-D input. Linear: its backward is an op whose backward is this pooling again.</summary>
    private static Tensor AvgPoolOp(string op, Tensor x4, Window2d w, OpAttributes attributes, bool countIncludePad, bool adaptive)
    {
        var shape = x4.shape;
        return Compute.AvgPool2d(x4, w, countIncludePad, adaptive).Record(op, [x4], attributes, g => [AvgPool2dBackwardOp(g, shape, w, countIncludePad, adaptive)]);
    }

    /// <summary>The gradient of (adaptive) average pooling: each output gradient spread over its window.</summary>
    private static Tensor AvgPool2dBackwardOp(Tensor g, int[] inputShape, Window2d w, bool countIncludePad, bool adaptive) =>
        Compute.AvgPool2dBackward(g, inputShape, w, countIncludePad, adaptive).Record("AvgPool2dBackward", [g], OpAttributes.Empty,
            gg => [AvgPoolOp(adaptive ? "AdaptiveAvgPool2d" : "AvgPool2d", gg, w, OpAttributes.Empty, countIncludePad, adaptive)]);

    private static Tensor PoolInput(Tensor input, string op)
    {
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"{op}: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (!input.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: expected a floating-point input, got {input.DType.TorchName()}.", nameof(input));
        return input.Rank == 3 ? input.Unsqueeze(0) : input;
    }

    private static Window2d PoolWindow(Tensor x4, Tensor input, string op, Size2 k, Size2 s, Size2 p, Size2 d, bool ceilMode)
    {
        if (k.H <= 0 || k.W <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"{op}: kernel size must be positive, got {k.ToPairString()}.");
        if (s.H <= 0 || s.W <= 0) throw new ArgumentOutOfRangeException(nameof(s), $"{op}: stride must be positive, got {s.ToPairString()}.");
        if (d.H <= 0 || d.W <= 0) throw new ArgumentOutOfRangeException(nameof(d), $"{op}: dilation must be positive, got {d.ToPairString()}.");
        if (p.H < 0 || p.W < 0 || p.H > k.H / 2 || p.W > k.W / 2)
            throw new ArgumentException($"{op}: pad should be at most half of kernel size, but got padding {p.ToPairString()} with kernel size {k.ToPairString()}.");
        int h = x4.shape[2], wd = x4.shape[3];
        int oh = ConvOutputSize(h, k.H, s.H, p.H, d.H, ceilMode), ow = ConvOutputSize(wd, k.W, s.W, p.W, d.W, ceilMode);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"{op}: given input size {ShapeUtil.Format(input.shape)}, the calculated output size {oh} x {ow} is too small (kernel {k.ToPairString()}, stride {s.ToPairString()}, padding {p.ToPairString()}, dilation {d.ToPairString()}).", nameof(input));
        return new Window2d(x4.shape[1], h, wd, k.H, k.W, s.H, s.W, p.H, p.W, d.H, d.W, oh, ow);
    }
}
