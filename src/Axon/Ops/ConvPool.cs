using Axon.Backends;
using Axon.Kernels;

namespace Axon;

// A convolution, ReLU and max pooling as one op: what Sequential runs for Conv2d, ReLU, MaxPool2d.
public sealed partial class Tensor
{
    /// <summary>
    /// max_pool2d(relu(conv2d(input, weight, bias))) as one op, for a 4-D input: the values and gradients of
    /// <see cref="Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/> followed by
    /// <see cref="ReluMaxPool2d"/>, to the bit. Null, with nothing computed, where the pair would not fuse: a pooling
    /// that rejects the convolution's output or has a window of padding alone (see <see cref="MaxPoolCommutesWithRelu(Tensor, Size2, Size2, Size2, Size2, bool)"/>).
    /// The convolution's output is not kept (the gradients need only the pooled output and each window's argmax), and
    /// the backend may never store it whole (<see cref="IBackend.Conv2dReluMaxPool2d"/>). Backward: ReLU's gate on the
    /// output, each gradient to its window's maximum, then the convolution's gradients, as the composite's nodes would.
    /// </summary>
    internal static Tensor? Conv2dReluMaxPool2d(Tensor input, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 dilation, int groups,
        Size2 kernelSize, Size2 poolStride, Size2 poolPadding, Size2 poolDilation, bool ceilMode)
    {
        if (input.Rank != 4) return null;
        var (x4, p) = Conv2dChecked(input, weight, bias, stride, padding.H, padding.H, padding.W, padding.W, dilation, groups);
        return Conv2dReluMaxPool2dOp(x4, weight, bias, p, kernelSize, poolStride, poolPadding, poolDilation, ceilMode);
    }

    /// <summary><see cref="Conv2dReluMaxPool2d"/> of a checked convolution (also what a trace's replay runs).</summary>
    internal static Tensor? Conv2dReluMaxPool2dOp(Tensor x4, Tensor weight, Tensor? bias, Conv2dParams p, Size2 kernelSize, Size2 poolStride, Size2 poolPadding,
        Size2 poolDilation, bool ceilMode)
    {
        int[] convShape = [x4.shape[0], weight.shape[0], p.OutH(x4.shape[2], weight.shape[2]), p.OutW(x4.shape[3], weight.shape[3])];
        if (!MaxPoolCommutesWithRelu(convShape[2], convShape[3], kernelSize, poolStride, poolPadding, poolDilation, ceilMode)) return null;
        int oh = ConvOutputSize(convShape[2], kernelSize.H, poolStride.H, poolPadding.H, poolDilation.H, ceilMode);
        int ow = ConvOutputSize(convShape[3], kernelSize.W, poolStride.W, poolPadding.W, poolDilation.W, ceilMode);
        var w = new Window2d(convShape[1], convShape[2], convShape[3], kernelSize.H, kernelSize.W, poolStride.H, poolStride.W, poolPadding.H, poolPadding.W,
            poolDilation.H, poolDilation.W, oh, ow);
        bool record = NeedsGrad(x4) || NeedsGrad(weight) || (bias is not null && NeedsGrad(bias));
        var (y, argmax) = Compute.Conv2dReluMaxPool2d(x4, weight, bias, p, w, record);
        Tensor[] inputs = bias is null ? [x4, weight] : [x4, weight, bias];
        var attributes = ConvAttributes(p, ("pool_kernel_size", kernelSize), ("pool_stride", poolStride), ("pool_padding", poolPadding),
            ("pool_dilation", poolDilation), ("pool_ceil_mode", ceilMode));
        return y.Record("Conv2dReluMaxPool2d", inputs, attributes, g =>
        {
            // y > 0 exactly where the pooled convolution is (ReLU's gate in ReluMaxPool2d).
            var gated = Recording(g) ? g * y.Gt(0) : Compute.ActivationBackward(ActivationGrad.Relu, y, g);
            var gConv = MaxPool2dBackwardOp(gated, argmax!, convShape, w);
            if (!ReferenceEquals(gated, g) && !Recording(g)) gated.Dispose();
            var grads = Conv2dGradients(x4, weight, bias, p, gConv);
            if (!Recording(gConv, weight) && !Recording(x4)) gConv.Dispose();
            return grads;
        });
    }
}
