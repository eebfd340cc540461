namespace Axon;

// Matrix products on the GEMM kernel.
public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch's matmul rules: [.., m, k] x [.., k, n] -> [.., m, n] with broadcast
    /// batch dimensions; a 1-D operand is treated as a row (left) or column (right) vector.
    /// Backward: dA = dC B^T, dB = A^T dC, summed over broadcast batch dimensions.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        var (a, b) = (this, other);
        return Compute.MatMul(a, b).Record("MatMul", [a, b], g =>
        {
            var a2 = a.Rank == 1 ? a.UnsqueezeView(0) : a;
            var b2 = b.Rank == 1 ? b.UnsqueezeView(1) : b;
            // Restore the dimensions a 1-D operand removed from the output.
            var g2 = g;
            if (a.Rank == 1) g2 = g2.UnsqueezeView(g2.Rank - (b.Rank == 1 ? 0 : 1));
            if (b.Rank == 1) g2 = g2.UnsqueezeView(g2.Rank);
            Tensor? ga = null, gb = null;
            if (a.requiresGrad) ga = Compute.SumTo(Compute.MatMul(g2, b2.TransposeView(-1, -2)), a2.ShapeArray).ReshapeData(a.ShapeArray);
            if (b.requiresGrad) gb = Compute.SumTo(Compute.MatMul(a2.TransposeView(-1, -2), g2), b2.ShapeArray).ReshapeData(b.ShapeArray);
            return [ga, gb];
        });
    }

    /// <summary>Transpose of a 2-D tensor (a view).</summary>
    public Tensor T()
    {
        if (Rank != 2) throw new InvalidOperationException($"T: expected a 2-D tensor, got shape {ShapeUtil.Format(shape)}; use Transpose(dim0, dim1).");
        return Transpose(0, 1);
    }

    /// <summary>y = x W^T + b, PyTorch's linear: x [.., in], weight [out, in], bias [out] -> [.., out].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Linear: weight must be 2-D [out, in], got {ShapeUtil.Format(weight.shape)}.");
        if (input.Rank == 0 || input.shape[^1] != weight.shape[1])
            throw new ArgumentException($"Linear: mat1 and mat2 shapes cannot be multiplied ({string.Join("x", input.shape)} and {weight.shape[1]}x{weight.shape[0]}).");
        if (!input.DType.IsFloatingPoint() || weight.DType != input.DType || (bias is not null && (bias.DType != input.DType || bias.Rank != 1 || bias.shape[0] != weight.shape[0])))
        {
            // Mixed or integer types and odd bias shapes: the composite form gives PyTorch's promotion and errors.
            var y = input.MatMul(weight.T());
            return bias is null ? y : y + bias;
        }
        // One GEMM with W read transposed in place and the bias preloaded, and a backward that produces each
        // gradient in its own layout (the composite x W^T + b accumulated W's gradient through a transposed view).
        return Compute.Linear(input, weight, bias).Record("Linear", bias is null ? [input, weight] : [input, weight, bias], g =>
        {
            int outF = weight.shape[0], inF = weight.shape[1];
            var gx = input.requiresGrad ? Compute.MatMul(g, weight) : null;
            Tensor? gw = null;
            if (weight.requiresGrad)
            {
                // gW [out, in] = g^T x over all leading positions.
                int rows = 1;
                for (int d = 0; d < input.Rank - 1; d++) rows *= input.shape[d];
                var g2 = g.ReshapeData([rows, outF]);
                var x2 = input.ReshapeData([rows, inF]);
                // A leaf weight's gradient is accumulated by the GEMM itself (beta = 1 into its Grad, or beta = 0 into a
                // fresh one): no temporary gW and no pass adding it to Grad. The Engine then has nothing to add.
                var dest = Engine.DirectLeafGrad(weight, out double beta, g2, x2);
                if (dest is not null) Compute.MatMulInto(g2.TransposeView(0, 1), x2, dest, beta);
                else gw = Compute.MatMul(g2.TransposeView(0, 1), x2);
            }
            var gb = bias is not null && bias.requiresGrad ? Compute.SumTo(g, [outF]) : null;
            return bias is null ? [gx, gw] : [gx, gw, gb];
        });
    }
}
