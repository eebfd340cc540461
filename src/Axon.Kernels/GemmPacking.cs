using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// Packs blocks of op(A) and op(B) into the contiguous micro-panel layouts the micro-kernels stream through.
/// Transposed operands are handled here by reading them in their stored order; there is no separate transpose copy.
/// </summary>
/// <remarks>
/// Packed A block (mc x kc): ceil(mc / mr) micro-panels, each kc steps of mr values (column p of the panel's rows),
/// rows past mc zero-filled. Packed B block (kc x nc): ceil(nc / nr) micro-panels, each kc steps of nr values
/// (row p of the panel's columns), columns past nc zero-filled. Zero padding keeps the micro-kernel branch-free
/// on edge tiles.
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into <paramref name="dst"/> (mr-row micro-panels).</summary>
    public static void PackA<T>(T* a, nint lda, bool transA, int i0, int mc, int p0, int kc, int mr, T* dst)
        where T : unmanaged
    {
        if (VectorPacking<T>(mr, 16))
        {
            if (transA) PackAColumnsFloat((float*)a, lda, i0, mc, p0, kc, mr, (float*)dst);
            else PackARowsFloat((float*)a, lda, i0, mc, p0, kc, mr, (float*)dst);
            return;
        }
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            if (transA)
            {
                // Stored [k, m]: one op(A) column of the panel is contiguous in memory.
                T* src = a + (nint)p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, src += lda, dst += mr)
                {
                    for (int ii = 0; ii < rows; ii++) dst[ii] = src[ii];
                    for (int ii = rows; ii < mr; ii++) dst[ii] = default;
                }
            }
            else
            {
                // Stored [m, k]: walk each source row contiguously, scatter with stride mr into the panel.
                for (int ii = 0; ii < rows; ii++)
                {
                    T* src = a + (nint)(i0 + ir + ii) * lda + p0;
                    T* d = dst + ii;
                    int p = 0;
                    for (; p + 4 <= kc; p += 4, d += 4 * mr)
                    {
                        d[0] = src[p];
                        d[mr] = src[p + 1];
                        d[2 * mr] = src[p + 2];
                        d[3 * mr] = src[p + 3];
                    }
                    for (; p < kc; p++, d += mr) *d = src[p];
                }
                for (int ii = rows; ii < mr; ii++)
                {
                    T* d = dst + ii;
                    for (int p = 0; p < kc; p++, d += mr) *d = default;
                }
                dst += (nint)kc * mr;
            }
        }
    }

    /// <summary>Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into <paramref name="dst"/> (nr-column micro-panels).</summary>
    public static void PackB<T>(T* b, nint ldb, bool transB, int p0, int kc, int j0, int nc, int nr, T* dst)
        where T : unmanaged
    {
        if (transB && VectorPacking<T>(1, nr))
        {
            PackBRowsFloat((float*)b, ldb, p0, kc, j0, nc, nr, (float*)dst);
            return;
        }
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            if (!transB)
            {
                // Stored [k, n]: each panel row is a contiguous run of the source row.
                T* src = b + (nint)p0 * ldb + j0 + jr;
                nint bytes = (nint)cols * sizeof(T);
                for (int p = 0; p < kc; p++, src += ldb, dst += nr)
                {
                    if (cols == nr)
                    {
                        Unsafe.CopyBlockUnaligned(dst, src, (uint)bytes);
                    }
                    else
                    {
                        for (int jj = 0; jj < cols; jj++) dst[jj] = src[jj];
                        for (int jj = cols; jj < nr; jj++) dst[jj] = default;
                    }
                }
            }
            else
            {
                // Stored [n, k]: each source row is one panel column; scatter with stride nr.
                for (int jj = 0; jj < cols; jj++)
                {
                    T* src = b + (nint)(j0 + jr + jj) * ldb + p0;
                    T* d = dst + jj;
                    int p = 0;
                    for (; p + 4 <= kc; p += 4, d += 4 * nr)
                    {
                        d[0] = src[p];
                        d[nr] = src[p + 1];
                        d[2 * nr] = src[p + 2];
                        d[3 * nr] = src[p + 3];
                    }
                    for (; p < kc; p++, d += nr) *d = src[p];
                }
                for (int jj = cols; jj < nr; jj++)
                {
                    T* d = dst + jj;
                    for (int p = 0; p < kc; p++, d += nr) *d = default;
                }
                dst += (nint)kc * nr;
            }
        }
    }
    // ---- AVX-512 float packing: 16 x 16 register transposes instead of strided scalar scatters ----

    /// <summary>True when float panels are packed with the AVX-512 transposes below (any tile up to 16 rows, widths a multiple of 16).</summary>
    private static bool VectorPacking<T>(int mr, int nr) where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && mr <= 16 && nr % 16 == 0;

    // Stored A [m, k], mr <= 16: each 16-deep step of a panel is one transpose of its rows, stored mr lanes per k.
    private static void PackARowsFloat(float* a, nint lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        var mask = LaneMask(mr);
        for (int ir = 0; ir < mc; ir += mr, dst += (nint)kc * mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* src = a + (nint)(i0 + ir) * lda + p0;
            int p = 0;
            for (; p + 16 <= kc; p += 16)
                Transpose16(src + p, lda, rows, dst + (nint)p * mr, mr, mask);
            for (; p < kc; p++)
            {
                float* d = dst + (nint)p * mr;
                for (int ii = 0; ii < rows; ii++) d[ii] = src[ii * lda + p];
                for (int ii = rows; ii < mr; ii++) d[ii] = 0;
            }
        }
    }

    // Stored B [n, k], nr a multiple of 16: each 16-deep step of a panel is nr / 16 transposes of 16 source rows.
    private static void PackBRowsFloat(float* b, nint ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        var full = LaneMask(16);
        for (int jr = 0; jr < nc; jr += nr, dst += (nint)kc * nr)
        {
            int cols = Math.Min(nr, nc - jr);
            for (int h = 0; h < nr; h += 16)
            {
                int rows = Math.Clamp(cols - h, 0, 16);
                float* src = b + (nint)(j0 + jr + Math.Min(h, cols - 1)) * ldb + p0;
                int p = 0;
                for (; p + 16 <= kc; p += 16)
                    Transpose16(src + p, ldb, rows, dst + (nint)p * nr + h, nr, full);
                for (; p < kc; p++)
                {
                    float* d = dst + (nint)p * nr + h;
                    for (int jj = 0; jj < rows; jj++) d[jj] = src[jj * ldb + p];
                    for (int jj = rows; jj < 16; jj++) d[jj] = 0;
                }
            }
        }
    }

    // Stored A [k, m] (transposed), mr <= 16: each k step of a panel is one masked copy of mr contiguous values.
    private static void PackAColumnsFloat(float* a, nint lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        var store = LaneMask(mr);
        for (int ir = 0; ir < mc; ir += mr)
        {
            var load = LaneMask(Math.Min(mr, mc - ir));
            float* src = a + (nint)p0 * lda + i0 + ir;
            for (int p = 0; p < kc; p++, src += lda, dst += mr)
                Avx512F.MaskStore(dst, store, Avx512F.MaskLoad(src, load, Vector512<float>.Zero));
        }
    }

    private static Vector512<float> LaneMask(int lanes) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();

    // Writes column q (q = 0..15) of the 16 x 16 block at src (rows at stride ld; rows past `rows` read as zero)
    // to dst + q * ds, the lanes selected by mask. Three shuffle stages: 32-bit interleave, 64-bit interleave,
    // then a 4 x 4 transpose of the 128-bit lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(float* src, nint ld, int rows, float* dst, nint ds, Vector512<float> mask)
    {
        Vector512<float> r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15;
        if (rows == 16)
        {
            r0 = Vector512.Load(src); r1 = Vector512.Load(src + ld); r2 = Vector512.Load(src + 2 * ld); r3 = Vector512.Load(src + 3 * ld);
            r4 = Vector512.Load(src + 4 * ld); r5 = Vector512.Load(src + 5 * ld); r6 = Vector512.Load(src + 6 * ld); r7 = Vector512.Load(src + 7 * ld);
            r8 = Vector512.Load(src + 8 * ld); r9 = Vector512.Load(src + 9 * ld); r10 = Vector512.Load(src + 10 * ld); r11 = Vector512.Load(src + 11 * ld);
            r12 = Vector512.Load(src + 12 * ld); r13 = Vector512.Load(src + 13 * ld); r14 = Vector512.Load(src + 14 * ld); r15 = Vector512.Load(src + 15 * ld);
        }
        else
        {
            r0 = Row(src, ld, rows, 0); r1 = Row(src, ld, rows, 1); r2 = Row(src, ld, rows, 2); r3 = Row(src, ld, rows, 3);
            r4 = Row(src, ld, rows, 4); r5 = Row(src, ld, rows, 5); r6 = Row(src, ld, rows, 6); r7 = Row(src, ld, rows, 7);
            r8 = Row(src, ld, rows, 8); r9 = Row(src, ld, rows, 9); r10 = Row(src, ld, rows, 10); r11 = Row(src, ld, rows, 11);
            r12 = Row(src, ld, rows, 12); r13 = Row(src, ld, rows, 13); r14 = Row(src, ld, rows, 14); r15 = Row(src, ld, rows, 15);
        }
        // Stage 1, per 128-bit lane L: t(2i) = (r(2i)[4L], r(2i+1)[4L], r(2i)[4L+1], r(2i+1)[4L+1]), t(2i+1) the same for 4L+2, 4L+3.
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble(); var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble(); var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        var t4 = Avx512F.UnpackLow(r4, r5).AsDouble(); var t5 = Avx512F.UnpackHigh(r4, r5).AsDouble();
        var t6 = Avx512F.UnpackLow(r6, r7).AsDouble(); var t7 = Avx512F.UnpackHigh(r6, r7).AsDouble();
        var t8 = Avx512F.UnpackLow(r8, r9).AsDouble(); var t9 = Avx512F.UnpackHigh(r8, r9).AsDouble();
        var t10 = Avx512F.UnpackLow(r10, r11).AsDouble(); var t11 = Avx512F.UnpackHigh(r10, r11).AsDouble();
        var t12 = Avx512F.UnpackLow(r12, r13).AsDouble(); var t13 = Avx512F.UnpackHigh(r12, r13).AsDouble();
        var t14 = Avx512F.UnpackLow(r14, r15).AsDouble(); var t15 = Avx512F.UnpackHigh(r14, r15).AsDouble();
        // Stage 2: u(4g + c) holds, in lane L, column 4L + c of rows 4g .. 4g+3.
        var u0 = Avx512F.UnpackLow(t0, t2).AsSingle(); var u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        var u2 = Avx512F.UnpackLow(t1, t3).AsSingle(); var u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
        var u4 = Avx512F.UnpackLow(t4, t6).AsSingle(); var u5 = Avx512F.UnpackHigh(t4, t6).AsSingle();
        var u6 = Avx512F.UnpackLow(t5, t7).AsSingle(); var u7 = Avx512F.UnpackHigh(t5, t7).AsSingle();
        var u8 = Avx512F.UnpackLow(t8, t10).AsSingle(); var u9 = Avx512F.UnpackHigh(t8, t10).AsSingle();
        var u10 = Avx512F.UnpackLow(t9, t11).AsSingle(); var u11 = Avx512F.UnpackHigh(t9, t11).AsSingle();
        var u12 = Avx512F.UnpackLow(t12, t14).AsSingle(); var u13 = Avx512F.UnpackHigh(t12, t14).AsSingle();
        var u14 = Avx512F.UnpackLow(t13, t15).AsSingle(); var u15 = Avx512F.UnpackHigh(t13, t15).AsSingle();
        // Stage 3: gather lane L of the four row groups for each c.
        Lanes(u0, u4, u8, u12, dst, ds, mask);
        Lanes(u1, u5, u9, u13, dst + ds, ds, mask);
        Lanes(u2, u6, u10, u14, dst + 2 * ds, ds, mask);
        Lanes(u3, u7, u11, u15, dst + 3 * ds, ds, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* src, nint ld, int rows, int i) => i < rows ? Vector512.Load(src + i * ld) : Vector512<float>.Zero;

    // g0..g3 hold, in lane L, column 4L + c of row groups 0..3; writes columns c, 4 + c, 8 + c, 12 + c (at dst + 4L * ds).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, float* dst, nint ds, Vector512<float> mask)
    {
        var e0 = Avx512F.Shuffle4x128(g0, g1, 0x44); // g0.L0 g0.L1 g1.L0 g1.L1
        var e1 = Avx512F.Shuffle4x128(g0, g1, 0xEE); // g0.L2 g0.L3 g1.L2 g1.L3
        var e2 = Avx512F.Shuffle4x128(g2, g3, 0x44);
        var e3 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        Avx512F.MaskStore(dst, mask, Avx512F.Shuffle4x128(e0, e2, 0x88));
        Avx512F.MaskStore(dst + 4 * ds, mask, Avx512F.Shuffle4x128(e0, e2, 0xDD));
        Avx512F.MaskStore(dst + 8 * ds, mask, Avx512F.Shuffle4x128(e1, e3, 0x88));
        Avx512F.MaskStore(dst + 12 * ds, mask, Avx512F.Shuffle4x128(e1, e3, 0xDD));
    }
}
