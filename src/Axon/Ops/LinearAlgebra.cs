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
            var a2 = a.Rank == 1 ? a.Unsqueeze(0) : a;
            var b2 = b.Rank == 1 ? b.Unsqueeze(1) : b;
            // Restore the dimensions a 1-D operand removed from the output.
            var g2 = g;
            if (a.Rank == 1) g2 = g2.Unsqueeze(g2.Rank - (b.Rank == 1 ? 0 : 1));
            if (b.Rank == 1) g2 = g2.Unsqueeze(g2.Rank);
            Tensor? ga = null, gb = null;
            if (a.requiresGrad) ga = g2.MatMul(b2.Transpose(-1, -2)).SumTo(a2.shape).Reshape(a.shape);
            if (b.requiresGrad) gb = a2.Transpose(-1, -2).MatMul(g2).SumTo(b2.shape).Reshape(b.shape);
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
            // Leading positions flattened: gW [out, in] = g^T x over all of them.
            int rows = 1;
            for (int d = 0; d < input.Rank - 1; d++) rows *= input.shape[d];
            Tensor? gx, gw = null, gb;
            if (Recording(g, weight) || Recording(input))
            {
                // Recorded (createGraph): the same products as ops, so the gradients differentiate again.
                gx = input.requiresGrad ? g.MatMul(weight) : null;
                if (weight.requiresGrad) gw = g.Reshape(rows, outF).T().MatMul(input.Reshape(rows, inF));
                gb = bias is not null && bias.requiresGrad ? g.SumTo(outF) : null;
                return bias is null ? [gx, gw] : [gx, gw, gb];
            }
            gx = input.requiresGrad ? Compute.MatMul(g, weight) : null;
            if (weight.requiresGrad)
            {
                var g2 = g.ReshapeData([rows, outF]);
                var x2 = input.ReshapeData([rows, inF]);
                // A leaf weight's gradient is accumulated by the GEMM itself, into the buffer the engine hands out (beta = 1
                // into its Grad, or beta = 0 into a fresh one): no temporary gW and no pass adding it to Grad.
                var dest = Engine.AccumulationBuffer(weight, out double beta, g2, x2);
                if (dest is not null) Compute.MatMulInto(g2.TransposeView(0, 1), x2, dest, beta);
                else gw = Compute.MatMul(g2.TransposeView(0, 1), x2);
            }
            gb = bias is not null && bias.requiresGrad ? Compute.SumTo(g, [outF]) : null;
            return bias is null ? [gx, gw] : [gx, gw, gb];
        });
    }
}
