using Axon.Kernels;

namespace Axon.Backends;

// Matrix multiplication on the GEMM kernel: 2-D, batched and broadcast, transposed views passed as flags.
public sealed partial class CpuBackend
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

    /// <inheritdoc/>
    public void MatMul(Tensor a, Tensor b, Tensor result, double beta)
    {
        int rank = result.Rank;
        int m = result.ShapeArray[rank - 2], n = result.ShapeArray[rank - 1], k = a.ShapeArray[rank - 1];
        var batch = result.ShapeArray[..^2];
        if (k == 0 || m == 0 || n == 0)
        {
            // An empty product: c = beta c (the operands may have no storage to point into).
            if (beta == 0) Fill(result, 0);
            else ScaleInPlace(result, beta);
            return;
        }
        var ae = a;
        var be = b;
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
                int oa = it.Offset(0) + i * sa, ob = it.Offset(1) + i * sb, oc = result.Offset + idx * m * n;
                if (a.DType == DType.Float32)
                    Gemm.Sgemm(la.Value.Trans, lb.Value.Trans, m, n, k, 1f, ae.Data<float>().AsSpan(oa), la.Value.Ld, be.Data<float>().AsSpan(ob), lb.Value.Ld, (float)beta, result.Data<float>().AsSpan(oc, m * n), Math.Max(n, 1), Threads);
                else
                    Gemm.Dgemm(la.Value.Trans, lb.Value.Trans, m, n, k, 1.0, ae.Data<double>().AsSpan(oa), la.Value.Ld, be.Data<double>().AsSpan(ob), lb.Value.Ld, beta, result.Data<double>().AsSpan(oc, m * n), Math.Max(n, 1), Threads);
            }
        }
        if (!ReferenceEquals(ae, a)) ae.Dispose();
        if (!ReferenceEquals(be, b)) be.Dispose();
    }

    /// <inheritdoc/>
    public void Linear(Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        int outF = w.ShapeArray[0], inF = w.ShapeArray[1];
        var xs = x.ContiguousData();
        var ws = w.ContiguousData();
        var bs = b?.ContiguousData();
        int rows = 1;
        for (int d = 0; d < x.Rank - 1; d++) rows *= x.ShapeArray[d];
        if (x.DType == DType.Float32) LinearInto<float>(xs.Data<float>(), xs.Offset, ws.Data<float>(), ws.Offset, bs, y.Data<float>(), y.Offset, rows, inF, outF);
        else LinearInto<double>(xs.Data<double>(), xs.Offset, ws.Data<double>(), ws.Offset, bs, y.Data<double>(), y.Offset, rows, inF, outF);
        if (!ReferenceEquals(xs, x)) xs.Dispose();
        if (!ReferenceEquals(ws, w)) ws.Dispose();
        if (bs is not null && !ReferenceEquals(bs, b)) bs.Dispose();
    }

    private void LinearInto<T>(T[] x, int xo, T[] w, int wo, Tensor? b, T[] y, int yo, int rows, int inF, int outF) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var dst = y.AsSpan(yo, rows * outF);
        T beta = T.Zero;
        if (b is not null)
        {
            // Every row starts as the bias; the GEMM then adds x W^T onto it (beta = 1), saving a pass over y.
            var bias = b.Data<T>().AsSpan(b.Offset, outF);
            for (int r = 0; r < rows; r++) bias.CopyTo(dst.Slice(r * outF, outF));
            beta = T.One;
        }
        Gemm.Multiply(false, true, rows, outF, inF, T.One, x.AsSpan(xo), Math.Max(inF, 1), w.AsSpan(wo), Math.Max(inF, 1), beta, dst, Math.Max(outF, 1), Threads);
    }

    private static int[] BatchStrides(Tensor t) => t.Rank == 2 ? [0] : t.StrideArray[..^2];
}
