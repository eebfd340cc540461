using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// Register-tiled GEMM micro-kernels. Each computes one MR x NR tile of C from a packed A micro-panel
/// (kc steps of MR values, see <see cref="GemmPacking"/>) and a packed B micro-panel (kc steps of NR values):
/// acc = sum over p of a[p] (outer) b[p], then C = alpha * acc + beta * C (C is not read when beta == 0).
/// Edge tiles (fewer than MR rows or NR columns of C) are computed in full from the zero-padded panels
/// into a stack tile and only the valid part is written.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    /// <summary>Rows of the AVX-512 tile.</summary>
    public const int Mr512 = 14;

    /// <summary>Rows of the AVX2 tile.</summary>
    public const int Mr256 = 6;

    /// <summary>Rows of the portable tile.</summary>
    public const int MrPortable = 4;

    // ---- AVX-512: 14 x (2 x Vector512) tile = 14x32 floats or 14x16 doubles ----
    // 28 zmm accumulators + 2 zmm for the B row + 1 for the broadcast A value = 31 of the 32 zmm registers
    // (checked in the JIT disassembly: no spills). Per k step: 2 vector loads + 14 broadcasts for 28 FMAs;
    // the k loop is unrolled by 2.

    // bStride: elements from one k step of the B panel to the next, NR for a packed panel or ldb when the panel is
    // read in place from a row-major B (Gemm.DirectBMaxRows).
    public static void Avx512<T>(int kc, T* a, T* b, nint bStride, T* c, nint ldc, T alpha, T beta, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        Vector512<T> cc0 = default, cc1 = default, cd0 = default, cd1 = default;
        int w = Vector512<T>.Count;
        if (Sse.IsSupported)
        {
            // Pull the C tile toward L1 while the k loop runs (its lines are touched only after the loop).
            T* pf = c;
            for (int i = 0; i < rows; i++, pf += ldc)
            {
                Sse.Prefetch0(pf);
                Sse.Prefetch0((byte*)pf + 64);
                Sse.Prefetch0((byte*)pf + 127);
            }
        }
        int p = 0;
        for (; p + 2 <= kc; p += 2)
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
            x = Vector512.Create(a[8]); c80 = Fma(x, b0, c80); c81 = Fma(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = Fma(x, b0, c90); c91 = Fma(x, b1, c91);
            x = Vector512.Create(a[10]); ca0 = Fma(x, b0, ca0); ca1 = Fma(x, b1, ca1);
            x = Vector512.Create(a[11]); cb0 = Fma(x, b0, cb0); cb1 = Fma(x, b1, cb1);
            x = Vector512.Create(a[12]); cc0 = Fma(x, b0, cc0); cc1 = Fma(x, b1, cc1);
            x = Vector512.Create(a[13]); cd0 = Fma(x, b0, cd0); cd1 = Fma(x, b1, cd1);
            b0 = Vector512.Load(b + bStride);
            b1 = Vector512.Load(b + bStride + w);

            x = Vector512.Create(a[Mr512 + 0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[Mr512 + 1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[Mr512 + 2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[Mr512 + 3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[Mr512 + 4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[Mr512 + 5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[Mr512 + 6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[Mr512 + 7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            x = Vector512.Create(a[Mr512 + 8]); c80 = Fma(x, b0, c80); c81 = Fma(x, b1, c81);
            x = Vector512.Create(a[Mr512 + 9]); c90 = Fma(x, b0, c90); c91 = Fma(x, b1, c91);
            x = Vector512.Create(a[Mr512 + 10]); ca0 = Fma(x, b0, ca0); ca1 = Fma(x, b1, ca1);
            x = Vector512.Create(a[Mr512 + 11]); cb0 = Fma(x, b0, cb0); cb1 = Fma(x, b1, cb1);
            x = Vector512.Create(a[Mr512 + 12]); cc0 = Fma(x, b0, cc0); cc1 = Fma(x, b1, cc1);
            x = Vector512.Create(a[Mr512 + 13]); cd0 = Fma(x, b0, cd0); cd1 = Fma(x, b1, cd1);
            a += 2 * Mr512;
            b += 2 * bStride;
        }
        if (p < kc)
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
            x = Vector512.Create(a[8]); c80 = Fma(x, b0, c80); c81 = Fma(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = Fma(x, b0, c90); c91 = Fma(x, b1, c91);
            x = Vector512.Create(a[10]); ca0 = Fma(x, b0, ca0); ca1 = Fma(x, b1, ca1);
            x = Vector512.Create(a[11]); cb0 = Fma(x, b0, cb0); cb1 = Fma(x, b1, cb1);
            x = Vector512.Create(a[12]); cc0 = Fma(x, b0, cc0); cc1 = Fma(x, b1, cc1);
            x = Vector512.Create(a[13]); cd0 = Fma(x, b0, cd0); cd1 = Fma(x, b1, cd1);
        }

        int nr = 2 * w;
        bool full = rows == Mr512 && cols == nr;
        T* tile = stackalloc T[full ? 1 : Mr512 * nr];
        T* dst = full ? c : tile;
        nint ld = full ? ldc : nr;
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = full && beta != T.Zero;
        Store(dst, w, c00, c01, va, vb, readC); dst += ld;
        Store(dst, w, c10, c11, va, vb, readC); dst += ld;
        Store(dst, w, c20, c21, va, vb, readC); dst += ld;
        Store(dst, w, c30, c31, va, vb, readC); dst += ld;
        Store(dst, w, c40, c41, va, vb, readC); dst += ld;
        Store(dst, w, c50, c51, va, vb, readC); dst += ld;
        Store(dst, w, c60, c61, va, vb, readC); dst += ld;
        Store(dst, w, c70, c71, va, vb, readC); dst += ld;
        Store(dst, w, c80, c81, va, vb, readC); dst += ld;
        Store(dst, w, c90, c91, va, vb, readC); dst += ld;
        Store(dst, w, ca0, ca1, va, vb, readC); dst += ld;
        Store(dst, w, cb0, cb1, va, vb, readC); dst += ld;
        Store(dst, w, cc0, cc1, va, vb, readC); dst += ld;
        Store(dst, w, cd0, cd1, va, vb, readC);
        if (!full) StoreEdge(tile, nr, c, ldc, beta, rows, cols);
    }

    /// <summary>
    /// The AVX-512 kernel for an edge panel of at most 8 rows (64 rows of C are four 14-row tiles and 8 left over):
    /// 8 x 32 floats (8 x 16 doubles) from the same 14-row packed A panel, so the padding rows are not computed. Each accumulator sums
    /// over k in the same order as <see cref="Avx512"/>, so the results are identical.
    /// </summary>
    public static void Avx512Rows8<T>(int kc, T* a, T* b, nint bStride, T* c, nint ldc, T alpha, T beta, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default;
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
            a += Mr512;
            b += bStride;
        }

        const int mr = 8;
        int nr = 2 * w;
        bool full = rows == mr && cols == nr;
        T* tile = stackalloc T[full ? 1 : mr * nr];
        T* dst = full ? c : tile;
        nint ld = full ? ldc : nr;
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = full && beta != T.Zero;
        Store(dst, w, c00, c01, va, vb, readC); dst += ld;
        Store(dst, w, c10, c11, va, vb, readC); dst += ld;
        Store(dst, w, c20, c21, va, vb, readC); dst += ld;
        Store(dst, w, c30, c31, va, vb, readC); dst += ld;
        Store(dst, w, c40, c41, va, vb, readC); dst += ld;
        Store(dst, w, c50, c51, va, vb, readC); dst += ld;
        Store(dst, w, c60, c61, va, vb, readC); dst += ld;
        Store(dst, w, c70, c71, va, vb, readC);
        if (!full) StoreEdge(tile, nr, c, ldc, beta, rows, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    // Full tile: C = fma(C, beta, alpha * acc), the same rounding as StoreEdge. Edge tile (readC false, dst = stack tile): tile = alpha * acc.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* dst, int w, Vector512<T> r0, Vector512<T> r1, Vector512<T> va, Vector512<T> vb, bool readC)
        where T : unmanaged
    {
        if (readC)
        {
            Fma(Vector512.Load(dst), vb, r0 * va).Store(dst);
            Fma(Vector512.Load(dst + w), vb, r1 * va).Store(dst + w);
        }
        else
        {
            (r0 * va).Store(dst);
            (r1 * va).Store(dst + w);
        }
    }

    // ---- AVX2 + FMA: 6 x (2 x Vector256) tile = 6x16 floats or 6x8 doubles ----
    // 12 ymm accumulators + 2 for the B row + 1 broadcast = 15 of the 16 ymm registers.

    public static void Avx2<T>(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int w = Vector256<T>.Count;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            Vector256<T> x;
            x = Vector256.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            a += Mr256;
            b += 2 * w;
        }

        int nr = 2 * w;
        bool full = rows == Mr256 && cols == nr;
        T* tile = stackalloc T[full ? 1 : Mr256 * nr];
        T* dst = full ? c : tile;
        nint ld = full ? ldc : nr;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = full && beta != T.Zero;
        Store(dst, w, c00, c01, va, vb, readC); dst += ld;
        Store(dst, w, c10, c11, va, vb, readC); dst += ld;
        Store(dst, w, c20, c21, va, vb, readC); dst += ld;
        Store(dst, w, c30, c31, va, vb, readC); dst += ld;
        Store(dst, w, c40, c41, va, vb, readC); dst += ld;
        Store(dst, w, c50, c51, va, vb, readC);
        if (!full) StoreEdge(tile, nr, c, ldc, beta, rows, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        if (typeof(T) == typeof(float))
            return Avx2FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Fma256(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Avx2FusedMultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> z)
        => System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Fma256(Vector256<double> x, Vector256<double> y, Vector256<double> z)
        => System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* dst, int w, Vector256<T> r0, Vector256<T> r1, Vector256<T> va, Vector256<T> vb, bool readC)
        where T : unmanaged
    {
        if (readC)
        {
            Fma(Vector256.Load(dst), vb, r0 * va).Store(dst);
            Fma(Vector256.Load(dst + w), vb, r1 * va).Store(dst + w);
        }
        else
        {
            (r0 * va).Store(dst);
            (r1 * va).Store(dst + w);
        }
    }

    // ---- Portable: 4 x (2 x Vector<T>) tile, plain multiply and add (no FMA assumed) ----

    public static void Portable<T>(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;
        int w = Vector<T>.Count;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.Load(b);
            var b1 = Vector.Load(b + w);
            Vector<T> x;
            x = new Vector<T>(a[0]); c00 += x * b0; c01 += x * b1;
            x = new Vector<T>(a[1]); c10 += x * b0; c11 += x * b1;
            x = new Vector<T>(a[2]); c20 += x * b0; c21 += x * b1;
            x = new Vector<T>(a[3]); c30 += x * b0; c31 += x * b1;
            a += MrPortable;
            b += 2 * w;
        }

        int nr = 2 * w;
        T* tile = stackalloc T[MrPortable * nr];
        (c00 * alpha).Store(tile); (c01 * alpha).Store(tile + w);
        (c10 * alpha).Store(tile + nr); (c11 * alpha).Store(tile + nr + w);
        (c20 * alpha).Store(tile + 2 * nr); (c21 * alpha).Store(tile + 2 * nr + w);
        (c30 * alpha).Store(tile + 3 * nr); (c31 * alpha).Store(tile + 3 * nr + w);
        StoreEdge(tile, nr, c, ldc, beta, rows, cols);
    }

    // C[i, j] = tile[i, j] + beta * C[i, j] over the valid rows x cols (tile already holds alpha * acc).
    private static void StoreEdge<T>(T* tile, int nr, T* c, nint ldc, T beta, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            T* src = tile + i * nr;
            T* dst = c + i * ldc;
            if (beta == T.Zero)
            {
                for (int j = 0; j < cols; j++) dst[j] = src[j];
            }
            else
            {
                for (int j = 0; j < cols; j++) dst[j] = T.FusedMultiplyAdd(beta, dst[j], src[j]);
            }
        }
    }
}
