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

    /// <summary>
    /// c = a b + beta c for 2-D a [m, k] and b [k, n] (any strides) into an existing contiguous c [m, n] of the same
    /// floating-point type, as one GEMM: beta = 1 accumulates the product into c in place, beta = 0 overwrites c
    /// without reading it.
    /// </summary>
    public static void MatMulInto(Tensor a, Tensor b, Tensor c, double beta)
    {
        if (a.Rank != 2 || b.Rank != 2 || c.Rank != 2 || b.ShapeArray[0] != a.ShapeArray[1] || c.ShapeArray[0] != a.ShapeArray[0] || c.ShapeArray[1] != b.ShapeArray[1])
            throw new ArgumentException($"MatMulInto: expected [m, k] x [k, n] into [m, n], got {ShapeUtil.Format(a.ShapeArray)} x {ShapeUtil.Format(b.ShapeArray)} into {ShapeUtil.Format(c.ShapeArray)}.");
        if (!a.DType.IsFloatingPoint() || b.DType != a.DType || c.DType != a.DType || !c.IsContiguous)
            throw new ArgumentException($"MatMulInto: expected floating-point operands of one dtype and a contiguous destination, got {a.DType.TorchName()}, {b.DType.TorchName()} into {c.DType.TorchName()}.");
        int m = a.ShapeArray[0], k = a.ShapeArray[1], n = b.ShapeArray[1];
        var la = GemmLayout(a.StrideArray, m, k, 2);
        var lb = GemmLayout(b.StrideArray, k, n, 2);
        if (la is null) { a = a.CloneData(); la = (false, Math.Max(k, 1)); }
        if (lb is null) { b = b.CloneData(); lb = (false, Math.Max(n, 1)); }
        if (a.DType == DType.Float32)
            Gemm.Sgemm(la.Value.Trans, lb.Value.Trans, m, n, k, 1f, a.Data<float>().AsSpan(a.Offset), la.Value.Ld, b.Data<float>().AsSpan(b.Offset), lb.Value.Ld, (float)beta, c.Data<float>().AsSpan(c.Offset, m * n), Math.Max(n, 1));
        else
            Gemm.Dgemm(la.Value.Trans, lb.Value.Trans, m, n, k, 1.0, a.Data<double>().AsSpan(a.Offset), la.Value.Ld, b.Data<double>().AsSpan(b.Offset), lb.Value.Ld, beta, c.Data<double>().AsSpan(c.Offset, m * n), Math.Max(n, 1));
    }

    /// <summary>y = x W^T + b for x [.., in], W [out, in], b [out] of one floating-point type: one GEMM per call.</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b)
    {
        int outF = w.ShapeArray[0], inF = w.ShapeArray[1];
        var xs = x.ContiguousData();
        var ws = w.ContiguousData();
        int rows = 1;
        for (int d = 0; d < x.Rank - 1; d++) rows *= x.ShapeArray[d];
        var outShape = x.ShapeArray[..^1].Append(outF).ToArray();
        var y = Tensor.Empty(outShape, x.DType);
        if (x.DType == DType.Float32) LinearInto<float>(xs.Data<float>(), xs.Offset, ws.Data<float>(), ws.Offset, b?.ContiguousData(), y.Data<float>(), rows, inF, outF);
        else LinearInto<double>(xs.Data<double>(), xs.Offset, ws.Data<double>(), ws.Offset, b?.ContiguousData(), y.Data<double>(), rows, inF, outF);
        return y;
    }

    private static void LinearInto<T>(T[] x, int xo, T[] w, int wo, Tensor? b, T[] y, int rows, int inF, int outF) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var dst = y.AsSpan(0, rows * outF);
        T beta = T.Zero;
        if (b is not null)
        {
            // Every row starts as the bias; the GEMM then adds x W^T onto it (beta = 1), saving a pass over y.
            var bias = b.Data<T>().AsSpan(b.Offset, outF);
            for (int r = 0; r < rows; r++) bias.CopyTo(dst.Slice(r * outF, outF));
            beta = T.One;
        }
        Gemm.Multiply(false, true, rows, outF, inF, T.One, x.AsSpan(xo), Math.Max(inF, 1), w.AsSpan(wo), Math.Max(inF, 1), beta, dst, Math.Max(outF, 1));
    }

    private static int[] BatchStrides(Tensor t) => t.Rank == 2 ? [0] : t.StrideArray[..^2];
}
