using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Element-wise primitives (elementwise.cu): one geometry over the destination's shape with every source broadcast to it.
internal sealed partial class KernelPrimitives
{
    public void Unary(UnaryOp op, Tensor x, Tensor dst)
    {
        if (dst.DType == DType.Int64 && op is not (UnaryOp.Neg or UnaryOp.Abs or UnaryOp.Square or UnaryOp.Sign))
            throw new NotSupportedException($"CudaBackend.Unary: {op} is not defined for int64 tensors.");
        Run(Call("unary", dst.DType).Geometry(KernelGeometry.ForElementwise(dst, x)).Int((int)op).Ptr(P(dst)).Ptr(P(x)), dst.NumEl);
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst)
    {
        // The kernel gives 0 for an int64 division by zero; the CPU backend throws, so the divisor is checked first.
        if (dst.DType == DType.Int64 && op == BinaryOp.Div && dst.NumEl > 0 && HasZero(b))
            throw new DivideByZeroException("Integer tensor division by zero.");
        Run(Call("binary", dst.DType).Geometry(KernelGeometry.ForElementwise(dst, a, b)).Int((int)op).Ptr(P(dst)).Ptr(P(a)).Ptr(P(b)), dst.NumEl);
    }

    /// <summary>Whether the int64 tensor <paramref name="b"/> holds a zero: the smallest |b| (|long.MinValue| wraps to itself, not 0).</summary>
    private bool HasZero(Tensor b)
    {
        if (b.NumEl == 0) return false;
        using var abs = device.Scratch(8L * b.NumEl);
        var g = KernelGeometry.Create(b.Shape, DenseStrides(b.Shape), b.Strides.ToArray());
        Run(new KernelCall("axon_unary_i64", "Binary").Geometry(g).Int((int)UnaryOp.Abs).Ptr(abs.Address).Ptr(P(b)), b.NumEl);
        return RangeOf(abs.Address, Flat(b.NumEl), b.NumEl, "Binary").Min == 0;
    }

    public void Where(Tensor cond, Tensor a, Tensor b, Tensor dst)
    {
        var call = new KernelCall($"axon_where_{KernelCatalog.Suffix(cond.DType)}_{KernelCatalog.Suffix(dst.DType)}", "Where");
        Run(call.Geometry(KernelGeometry.ForElementwise(dst, cond, a, b)).Ptr(P(dst)).Ptr(P(cond)).Ptr(P(a)).Ptr(P(b)), dst.NumEl);
    }

    public void Clamp(Tensor x, double lo, double hi, Tensor dst) =>
        Run(Call("clamp", dst.DType).Geometry(KernelGeometry.ForElementwise(dst, x)).Ptr(P(dst)).Ptr(P(x)).Double(lo).Double(hi), dst.NumEl);

    public void LeakyRelu(Tensor x, double slope, Tensor dst)
    {
        RequireFloat(dst);
        Run(Call("leaky_relu", dst.DType).Geometry(KernelGeometry.ForElementwise(dst, x)).Ptr(P(dst)).Ptr(P(x)).Double(slope), dst.NumEl);
    }

    public void Softplus(Tensor x, double beta, double threshold, Tensor dst)
    {
        RequireFloat(dst);
        Run(Call("softplus", dst.DType).Geometry(KernelGeometry.ForElementwise(dst, x)).Ptr(P(dst)).Ptr(P(x)).Double(beta).Double(threshold), dst.NumEl);
    }

    public void ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g, Tensor dst)
    {
        RequireFloat(dst);
        var geometry = KernelGeometry.ForElementwise(dst, saved, g);
        Run(Call("activation_backward", dst.DType).Geometry(geometry).Int((int)kind).Ptr(P(dst)).Ptr(P(saved)).Ptr(P(g)), dst.NumEl);
    }

    public void LeakyReluBackward(Tensor x, Tensor g, double slope, Tensor dst)
    {
        RequireFloat(dst);
        var geometry = KernelGeometry.ForElementwise(dst, x, g);
        Run(Call("leaky_relu_backward", dst.DType).Geometry(geometry).Ptr(P(dst)).Ptr(P(x)).Ptr(P(g)).Double(slope), dst.NumEl);
    }

    public void Axpy(double alpha, Tensor x, Tensor dst)
    {
        RequireFloat(dst);
        Run(Call("axpy", dst.DType).Geometry(KernelGeometry.ForElementwise(dst, x)).Ptr(P(dst)).Ptr(P(x)).Double(alpha), dst.NumEl);
    }

    public void ScaleInPlace(Tensor x, double factor) =>
        Run(Call("scale", x.DType).Geometry(KernelGeometry.ForElementwise(x)).Ptr(P(x)).Double(factor), x.NumEl);
}
