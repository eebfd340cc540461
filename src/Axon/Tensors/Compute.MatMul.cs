using Axon.Kernels;

namespace Axon;

// Matrix multiplication on the GEMM kernel: 2-D, batched and broadcast, transposed views passed as flags.
internal static partial class Compute
{
    /// <summary>How a 2-D matrix view is handed to GEMM: its transpose flag and leading dimension, or null if it must be copied first.</summary>
    private static (bool Trans, int Ld)? GemmLayout(int[] strides, int rows, int cols, int rank)
    {
        int sr = strides[rank - 2], sc = strides[rank - 1];
        if ((sc == 1 || cols == 1) && sr >= Math.Max(cols, 1)) return (false, Math.Max(sr, Math.Max(cols, 1)));
        if ((sr == 1 || rows == 1) && sc >= Math.Max(rows, 1)) return (true, Math.Max(sc, Math.Max(rows, 1)));
        if (rows <= 1 && cols <= 1) return (false, 1);
        return null;
    }

    /// <summary>Batched matrix product with PyTorch's matmul rules (1-D operands are promoted and the added dimension removed).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
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
        var result = Tensor.Empty(outShape, a.DType);
        var ae = a2.ExpandView([.. batch, m, k]);
        var be = b2.ExpandView([.. batch, k, n]);
        var la = GemmLayout(ae.StrideArray, m, k, ae.Rank);
        var lb = GemmLayout(be.StrideArray, k, n, be.Rank);
        if (la is null) { ae = ae.CloneData(); la = (false, Math.Max(k, 1)); }
        if (lb is null) { be = be.CloneData(); lb = (false, Math.Max(n, 1)); }
        var it = new RowIterator(batch.Length == 0 ? [1] : batch,
            [BatchStrides(ae), BatchStrides(be)], [ae.Offset, be.Offset]);
        int idx = 0;
        int inner = it.InnerLength;
        int sa = it.InnerStride(0), sb = it.InnerStride(1);
        while (it.Next())
        {
            for (int i = 0; i < inner; i++, idx++)
            {
                int oa = it.Offset(0) + i * sa, ob = it.Offset(1) + i * sb, oc = idx * m * n;
                if (a.DType == DType.Float32)
                    Gemm.Sgemm(la.Value.Trans, lb.Value.Trans, m, n, k, 1f, ae.Data<float>().AsSpan(oa), la.Value.Ld, be.Data<float>().AsSpan(ob), lb.Value.Ld, 0f, result.Data<float>().AsSpan(oc, m * n), Math.Max(n, 1));
                else
                    Gemm.Dgemm(la.Value.Trans, lb.Value.Trans, m, n, k, 1.0, ae.Data<double>().AsSpan(oa), la.Value.Ld, be.Data<double>().AsSpan(ob), lb.Value.Ld, 0.0, result.Data<double>().AsSpan(oc, m * n), Math.Max(n, 1));
            }
        }
        if (!va && !vb) return result;
        // Remove the dimension a promoted 1-D operand added (m for a, n for b).
        var squeezed = outShape.Where((_, i) => !(va && i == outShape.Length - 2) && !(vb && i == outShape.Length - 1)).ToArray();
        var view = result.MakeView(squeezed, ShapeUtil.ContiguousStrides(squeezed), 0);
        result.Dispose();
        return view;
    }

    private static int[] BatchStrides(Tensor t) => t.Rank == 2 ? [0] : t.StrideArray[..^2];
}
