using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The register tiles of the implicit GEMM (8 rows x one or two Vector512 of positions).
public static unsafe partial class ConvGemm
{
    /// <summary>
    /// The register tile: acc[r] = sum over p &lt; kc of a[p * 8 + r] * b[p * ldb .. + 2 Vector512]; rows r &lt;
    /// <paramref name="rows"/> of c (row stride ldc) get acc[r] + bias[r] (bias may be null). c must hold two full vectors per row.
    /// </summary>
    internal static void Tile<T>(int kc, T* a, T* b, nint ldb, T* c, nint ldc, int rows, T* bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        int w = Vector512<T>.Count;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            Vector512<T> x;
            x = Vector512.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            a += Mr;
            b += ldb;
        }
        StoreRow(c, w, c00, c01, bias, 0);
        if (rows <= 1) return;
        StoreRow(c + ldc, w, c10, c11, bias, 1);
        if (rows <= 2) return;
        StoreRow(c + 2 * ldc, w, c20, c21, bias, 2);
        if (rows <= 3) return;
        StoreRow(c + 3 * ldc, w, c30, c31, bias, 3);
        if (rows <= 4) return;
        StoreRow(c + 4 * ldc, w, c40, c41, bias, 4);
        if (rows <= 5) return;
        StoreRow(c + 5 * ldc, w, c50, c51, bias, 5);
        if (rows <= 6) return;
        StoreRow(c + 6 * ldc, w, c60, c61, bias, 6);
        if (rows <= 7) return;
        StoreRow(c + 7 * ldc, w, c70, c71, bias, 7);
    }

    /// <summary>
    /// The tile on one vector of positions with the weights read in place: acc[r] = sum over p &lt; kc of a[r * lda + p]
    /// * b[p * ldb .. + Vector512]; rows r &lt; <paramref name="rows"/> of c (row stride ldc) get acc[r] + bias[r].
    /// Rows past <paramref name="rows"/> read row 0 (in bounds) and are dropped.
    /// </summary>
    internal static void TileRows<T>(int kc, T* a, nint lda, int rows, T* b, nint ldb, T* c, nint ldc, T* bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* a0 = a, a1 = rows > 1 ? a + lda : a, a2 = rows > 2 ? a + 2 * lda : a, a3 = rows > 3 ? a + 3 * lda : a;
        T* a4 = rows > 4 ? a + 4 * lda : a, a5 = rows > 5 ? a + 5 * lda : a, a6 = rows > 6 ? a + 6 * lda : a, a7 = rows > 7 ? a + 7 * lda : a;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++, b += ldb)
        {
            var v = Vector512.Load(b);
            c0 = Fma(Vector512.Create(a0[p]), v, c0);
            c1 = Fma(Vector512.Create(a1[p]), v, c1);
            c2 = Fma(Vector512.Create(a2[p]), v, c2);
            c3 = Fma(Vector512.Create(a3[p]), v, c3);
            c4 = Fma(Vector512.Create(a4[p]), v, c4);
            c5 = Fma(Vector512.Create(a5[p]), v, c5);
            c6 = Fma(Vector512.Create(a6[p]), v, c6);
            c7 = Fma(Vector512.Create(a7[p]), v, c7);
        }
        ReadOnlySpan<Vector512<T>> acc = [c0, c1, c2, c3, c4, c5, c6, c7];
        for (int r = 0; r < rows; r++) (bias == null ? acc[r] : acc[r] + Vector512.Create(bias[r])).Store(c + r * ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* dst, int w, Vector512<T> r0, Vector512<T> r1, T* bias, int r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (bias != null)
        {
            var vb = Vector512.Create(bias[r]);
            r0 += vb;
            r1 += vb;
        }
        r0.Store(dst);
        r1.Store(dst + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}
