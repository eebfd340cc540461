using System.Runtime.CompilerServices;

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
}
