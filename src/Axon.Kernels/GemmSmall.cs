using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Kernels;

/// <summary>Unpacked GEMM paths: tiny problems, few rows (m small) or few columns (n small), and non-vector types.</summary>
public static partial class Gemm
{
    // C = beta * C, with beta == 0 overwriting (never reading) C.
    private static void ScaleC<T>(int m, int n, T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One) TensorPrimitives.Multiply(row, beta, row);
        }
    }

    // Row by row. B stored [k, n]: row i of C += (alpha * A[i, p]) * B[p, :], streaming B's rows.
    // B stored [n, k]: C[i, j] += alpha * dot(op(A) row i, B row j), with op(A) row i gathered once if A is transposed.
    private static unsafe void Small<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ScaleC(m, n, beta, c, ldc);
        var gathered = transA && transB ? new Span<T>(PackBuffers<T>.A(k), k) : default;
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (!transB)
            {
                for (int p = 0; p < k; p++)
                {
                    T s = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                    TensorPrimitives.FusedMultiplyAdd(b.Slice(p * ldb, n), s, row, row);
                }
            }
            else
            {
                ReadOnlySpan<T> arow;
                if (transA)
                {
                    for (int p = 0; p < k; p++) gathered[p] = a[p * lda + i];
                    arow = gathered;
                }
                else
                {
                    arow = a.Slice(i * lda, k);
                }
                for (int j = 0; j < n; j++) row[j] += alpha * TensorPrimitives.Dot(arow, b.Slice(j * ldb, k));
            }
        }
    }

    // Few columns, A stored [m, k]: C[i, j] += alpha * dot(A row i, op(B) column j), gathering the column once.
    private static unsafe void SkinnyColumns<T>(bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ScaleC(m, n, beta, c, ldc);
        var gathered = new Span<T>(PackBuffers<T>.B(k), k);
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<T> bcol;
            if (transB)
            {
                bcol = b.Slice(j * ldb, k);
            }
            else
            {
                for (int p = 0; p < k; p++) gathered[p] = b[p * ldb + j];
                bcol = gathered;
            }
            for (int i = 0; i < m; i++) c[i * ldc + j] += alpha * TensorPrimitives.Dot(a.Slice(i * lda, k), bcol);
        }
    }
}
