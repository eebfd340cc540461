using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// 2-D pooling (pool.cu) over [N, C, H, W] operands of any strides. The argmax of max pooling is an int64 tensor of the
// output's shape holding each maximum's flat position ih * W + iw in its plane, which is already PyTorch's
// return_indices, so MaxPool2dIndices is a copy. The backwards give each thread one input element (no atomics).
internal sealed partial class KernelPrimitives
{
    public Tensor? MaxPool2d(Tensor x, in Window2d window, Tensor y, bool withArgmax)
    {
        RequireFloat(y);
        var argmax = withArgmax ? y.EmptyLike(y.GetShape(), DType.Int64) : null;
        var p = KernelPool2d.Create(x.Shape[0], window, x.Strides, y.Strides);
        Run(Call("maxpool2d", y.DType).Pool(p).Ptr(P(x)).Ptr(P(y)).Ptr(P(argmax)), y.NumEl);
        return argmax;
    }

    public void MaxPool2dBackward(Tensor gy, Tensor argmax, in Window2d window, Tensor gx)
    {
        RequireFloat(gx);
        ulong am = Dense(argmax, out var copy);
        using (copy)
        {
            var p = KernelPool2d.Create(gx.Shape[0], window, gx.Strides, gy.Strides);
            Run(Call("maxpool2d_backward", gx.DType).Pool(p).Ptr(P(gy)).Ptr(am).Ptr(P(gx)), gx.NumEl);
        }
    }

    public void MaxPool2dGather(Tensor x, Tensor argmax, in Window2d window, Tensor y)
    {
        RequireFloat(y);
        ulong am = Dense(argmax, out var copy);
        using (copy)
        {
            var p = KernelPool2d.Create(x.Shape[0], window, x.Strides, y.Strides);
            Run(Call("maxpool2d_gather", y.DType).Pool(p).Ptr(P(x)).Ptr(am).Ptr(P(y)), y.NumEl);
        }
    }

    public void MaxPool2dIndices(Tensor argmax, Tensor indices)
    {
        var g = KernelGeometry.ForElementwise(indices, argmax);
        Run(Call("copy", DType.Int64).Geometry(g).Ptr(P(indices)).Ptr(P(argmax)), indices.NumEl);
    }

    public void AvgPool2d(Tensor x, in Window2d window, bool countIncludePad, bool adaptive, Tensor y)
    {
        RequireFloat(y);
        var p = KernelPool2d.Create(x.Shape[0], window, x.Strides, y.Strides);
        Run(Call("avgpool2d", y.DType).Pool(p).Flag(countIncludePad).Flag(adaptive).Ptr(P(x)).Ptr(P(y)), y.NumEl);
    }

    public void AvgPool2dBackward(Tensor gy, in Window2d window, bool countIncludePad, bool adaptive, Tensor gx)
    {
        RequireFloat(gx);
        var p = KernelPool2d.Create(gx.Shape[0], window, gx.Strides, gy.Strides);
        Run(Call("avgpool2d_backward", gx.DType).Pool(p).Flag(countIncludePad).Flag(adaptive).Ptr(P(gy)).Ptr(P(gx)), gx.NumEl);
    }
}
