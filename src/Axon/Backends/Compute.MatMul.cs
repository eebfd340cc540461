namespace Axon.Backends;

// Matrix products: PyTorch's matmul shape rules (1-D operands promoted, batch dimensions broadcast) and Linear.
internal static partial class Compute
{
    /// <summary>Batched matrix product with PyTorch's matmul rules (1-D operands are promoted and the added dimension removed).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        var device = SameDevice("MatMul", a, b);
        if (a.Rank == 0 || b.Rank == 0) throw new ArgumentException($"MatMul: both arguments need at least 1 dimension, got shapes {ShapeUtil.Format(a.ShapeArray)} and {ShapeUtil.Format(b.ShapeArray)}.");
        if (!a.DType.IsFloatingPoint() || a.DType != b.DType)
            throw new ArgumentException($"MatMul: expected floating-point operands of one dtype, got {a.DType.TorchName()} and {b.DType.TorchName()}.");
        bool va = a.Rank == 1, vb = b.Rank == 1;
        var a2 = va ? a.UnsqueezeView(0) : a;
        var b2 = vb ? b.UnsqueezeView(1) : b;
        int m = a2.ShapeArray[^2], k = a2.ShapeArray[^1], k2 = b2.ShapeArray[^2], n = b2.ShapeArray[^1];
        if (k != k2)
            throw new ArgumentException($"MatMul: mat1 and mat2 shapes cannot be multiplied ({string.Join("x", a.ShapeArray)} and {string.Join("x", b.ShapeArray)}).");
        var batch = ShapeUtil.Broadcast(a2.ShapeArray.AsSpan(0, a2.Rank - 2), b2.ShapeArray.AsSpan(0, b2.Rank - 2), "MatMul (batch dimensions)");
        var outShape = batch.Append(m).Append(n).ToArray();
        var result = Tensor.Empty(outShape, a.DType, device);
        using (var ae = a2.ExpandView([.. batch, m, k]))
        using (var be = b2.ExpandView([.. batch, k, n]))
            device.Backend.MatMul(ae, be, result, 0);
        if (!va && !vb) return result;
        // Remove the dimension a promoted 1-D operand added (m for a, n for b).
        var squeezed = outShape.Where((_, i) => !(va && i == outShape.Length - 2) && !(vb && i == outShape.Length - 1)).ToArray();
        var view = result.MakeView(squeezed, ShapeUtil.ContiguousStrides(squeezed), 0);
        result.Dispose();
        return view;
    }

    /// <summary>
    /// c = a b + beta c for 2-D a [m, k] and b [k, n] (any strides) into an existing contiguous c [m, n] of the same
    /// floating-point type, as one GEMM: beta = 1 accumulates the product into c in place, beta = 0 overwrites c
    /// without reading it.
    /// </summary>
    public static void MatMulInto(Tensor a, Tensor b, Tensor c, double beta)
    {
        SameDevice("MatMulInto", c, a, b);
        if (a.Rank != 2 || b.Rank != 2 || c.Rank != 2 || b.ShapeArray[0] != a.ShapeArray[1] || c.ShapeArray[0] != a.ShapeArray[0] || c.ShapeArray[1] != b.ShapeArray[1])
            throw new ArgumentException($"MatMulInto: expected [m, k] x [k, n] into [m, n], got {ShapeUtil.Format(a.ShapeArray)} x {ShapeUtil.Format(b.ShapeArray)} into {ShapeUtil.Format(c.ShapeArray)}.");
        if (!a.DType.IsFloatingPoint() || b.DType != a.DType || c.DType != a.DType || !c.IsContiguous)
            throw new ArgumentException($"MatMulInto: expected floating-point operands of one dtype and a contiguous destination, got {a.DType.TorchName()}, {b.DType.TorchName()} into {c.DType.TorchName()}.");
        c.Backend.MatMul(a, b, c, beta);
    }

    /// <summary>y = x W^T + b for x [.., in], W [out, in], b [out] of one floating-point type: one GEMM per call.</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b)
    {
        var device = SameDevice("Linear", x, w, b);
        int outF = w.ShapeArray[0];
        var outShape = x.ShapeArray[..^1].Append(outF).ToArray();
        var y = Tensor.Empty(outShape, x.DType, device);
        device.Backend.Linear(x, w, b, y);
        return y;
    }
}
