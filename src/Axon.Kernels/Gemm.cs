using System.Numerics;

namespace Axon.Kernels;

/// <summary>
/// General matrix multiply on row-major operands: C = alpha * op(A) * op(B) + beta * C,
/// where op(A) is [m, k] and op(B) is [k, n]. A transposed operand is read in place, never copied.
/// </summary>
public static class Gemm
{
    /// <summary>Single-precision GEMM. <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/> are row strides of the stored matrices.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Naive(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Double-precision GEMM, same contract as <see cref="Sgemm"/>.</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
        => Naive(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Generic entry point used by the tensor layer.</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            Sgemm(transA, transB, m, n, k, float.CreateTruncating(alpha), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a), lda, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b), ldb, float.CreateTruncating(beta), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(c), ldc);
        else if (typeof(T) == typeof(double))
            Dgemm(transA, transB, m, n, k, double.CreateTruncating(alpha), System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(a), lda, System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(b), ldb, double.CreateTruncating(beta), System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(c), ldc);
        else
            Naive(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    // Placeholder reference until the packed, blocked kernel lands.
    private static void Naive<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T s = T.Zero;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = alpha * s + (beta == T.Zero ? T.Zero : beta * c[i * ldc + j]);
            }
    }
}
