using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
                int j = 0;
                if (typeof(T) == typeof(float) && Avx512F.IsSupported && k >= 16)
                {
                    fixed (T* pa = arow)
                    fixed (T* pb = b)
                    fixed (T* pc = row)
                        j = DotRows8((float*)pa, (float*)pb, ldb, n, k, float.CreateTruncating(alpha), (float*)pc);
                }
                for (; j < n; j++) row[j] += alpha * TensorPrimitives.Dot(arow, b.Slice(j * ldb, k));
            }
        }
    }

    // c[j] += alpha * dot(x, B row j) for the rows j of B in groups of 8 (one vector of x against 8 independent
    // accumulators, enough to keep both FMA pipes busy; a Linear layer on one sample). Returns the rows done.
    private static unsafe int DotRows8(float* x, float* b, nint ldb, int n, int k, float alpha, float* c)
    {
        int j = 0;
        var tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(k & 15)).AsSingle();
        for (; j + 8 <= n; j += 8)
        {
            float* r = b + j * ldb;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            int p = 0;
            for (; p + 16 <= k; p += 16)
            {
                var v = Vector512.Load(x + p);
                s0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + p), s0);
                s1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + ldb + p), s1);
                s2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + 2 * ldb + p), s2);
                s3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + 3 * ldb + p), s3);
                s4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + 4 * ldb + p), s4);
                s5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + 5 * ldb + p), s5);
                s6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + 6 * ldb + p), s6);
                s7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(r + 7 * ldb + p), s7);
            }
            if (p < k)
            {
                var v = Avx512F.MaskLoad(x + p, tailMask, Vector512<float>.Zero);
                s0 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + p, tailMask, Vector512<float>.Zero), s0);
                s1 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + ldb + p, tailMask, Vector512<float>.Zero), s1);
                s2 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + 2 * ldb + p, tailMask, Vector512<float>.Zero), s2);
                s3 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + 3 * ldb + p, tailMask, Vector512<float>.Zero), s3);
                s4 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + 4 * ldb + p, tailMask, Vector512<float>.Zero), s4);
                s5 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + 5 * ldb + p, tailMask, Vector512<float>.Zero), s5);
                s6 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + 6 * ldb + p, tailMask, Vector512<float>.Zero), s6);
                s7 = Avx512F.FusedMultiplyAdd(v, Avx512F.MaskLoad(r + 7 * ldb + p, tailMask, Vector512<float>.Zero), s7);
            }
            c[j] += alpha * Vector512.Sum(s0);
            c[j + 1] += alpha * Vector512.Sum(s1);
            c[j + 2] += alpha * Vector512.Sum(s2);
            c[j + 3] += alpha * Vector512.Sum(s3);
            c[j + 4] += alpha * Vector512.Sum(s4);
            c[j + 5] += alpha * Vector512.Sum(s5);
            c[j + 6] += alpha * Vector512.Sum(s6);
            c[j + 7] += alpha * Vector512.Sum(s7);
        }
        return j;
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
