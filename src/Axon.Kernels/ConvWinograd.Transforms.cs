using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The input and output transforms of F(2x2, 3x3), vectorised over the 16 tiles of a chunk of a tile row, and the
// register tile of the 16 products.
public static unsafe partial class ConvWinograd
{
    private static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odds = Evens + Vector512<int>.One;
    private static readonly Vector512<int> Low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> High = Low + Vector512.Create(8);
    // Shifts[n]: lane i takes lane i + n (mod 16), moving lanes n .. 15 down to 0.
    private static readonly Vector512<int>[] Shifts = [.. Enumerable.Range(0, Vw).Select(n => (Vector512<int>.Indices + Vector512.Create(n)) & Vector512.Create(Vw - 1))];

    /// <summary>
    /// V = Bᵀ d B for the tiles of one tile row of one channel, 16 a vector: <paramref name="p"/> is the first of its
    /// four padded rows (<paramref name="wq"/> apart), tile tx's patch starts at column 2 tx. Vector ξ = 4 i + j goes to
    /// dst + ξ stride, tile tx at dst[tx].
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TransformInputRow(float* p, int wq, int vectors, float* dst, nint stride)
    {
        for (int k = 0; k < vectors; k++)
        {
            float* q = p + 2 * k * Vw;
            // Bᵀ over the rows at column offsets 0, 16 (the even and odd columns of the chunk) and 2, 18 (shifted by two).
            Transform(q, q + Vw, wq, dst + k * Vw, stride);
        }
    }

    /// <summary>
    /// As <see cref="TransformInputRow"/> for 16 / <paramref name="slots"/> tile rows of up to <paramref name="slots"/>
    /// tiles (2, 4 or 8), lanes k slots .. (k + 1) slots - 1 from the row whose padded patch rows start at
    /// rows[k] + <paramref name="at"/>: the first 2 slots + 2 columns of each are assembled side by side, so the
    /// transform is the one of a single row.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TransformInputGroup(float** rows, nint at, int wq, int slots, float* dst, nint stride)
    {
        int h = Vw / (2 * slots);
        var (a0, a1, a2, a3) = Combine(Piece(rows, 0, at, slots), Piece(rows, 0, at + wq, slots), Piece(rows, 0, at + 2 * wq, slots), Piece(rows, 0, at + 3 * wq, slots));
        var (b0, b1, b2, b3) = Combine(Piece(rows, h, at, slots), Piece(rows, h, at + wq, slots), Piece(rows, h, at + 2 * wq, slots), Piece(rows, h, at + 3 * wq, slots));
        at += 2;
        var (c0, c1, c2, c3) = Combine(Piece(rows, 0, at, slots), Piece(rows, 0, at + wq, slots), Piece(rows, 0, at + 2 * wq, slots), Piece(rows, 0, at + 3 * wq, slots));
        var (d0, d1, d2, d3) = Combine(Piece(rows, h, at, slots), Piece(rows, h, at + wq, slots), Piece(rows, h, at + 2 * wq, slots), Piece(rows, h, at + 3 * wq, slots));
        Columns(a0, b0, c0, d0, dst, stride);
        Columns(a1, b1, c1, d1, dst + 4 * stride, stride);
        Columns(a2, b2, c2, d2, dst + 8 * stride, stride);
        Columns(a3, b3, c3, d3, dst + 12 * stride, stride);
    }

    /// <summary>The first 2 slots columns at rows[first + i] + at, for the 8 / slots rows i, side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Piece(float** rows, int first, nint at, int slots) => slots switch
    {
        Half => Vector512.Load(rows[first] + at),
        4 => Vector512.Create(Vector256.Load(rows[first] + at), Vector256.Load(rows[first + 1] + at)),
        _ => Vector512.Create(Vector256.Create(Vector128.Load(rows[first] + at), Vector128.Load(rows[first + 1] + at)),
            Vector256.Create(Vector128.Load(rows[first + 2] + at), Vector128.Load(rows[first + 3] + at))),
    };

    // Bᵀ's rows of four assembled rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Combine(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3) =>
        (r0 - r2, r1 + r2, r2 - r1, r1 - r3);

    // The 16 vectors of lanes whose patches start at the even columns of lo (lanes 0-7) and hi (lanes 8-15).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform(float* lo, float* hi, int wq, float* dst, nint stride)
    {
        var (a0, a1, a2, a3) = Rows(lo, wq);
        var (b0, b1, b2, b3) = Rows(hi, wq);
        var (c0, c1, c2, c3) = Rows(lo + 2, wq);
        var (d0, d1, d2, d3) = Rows(hi + 2, wq);
        Columns(a0, b0, c0, d0, dst, stride);
        Columns(a1, b1, c1, d1, dst + 4 * stride, stride);
        Columns(a2, b2, c2, d2, dst + 8 * stride, stride);
        Columns(a3, b3, c3, d3, dst + 12 * stride, stride);
    }

    // Bᵀ's rows: r0 - r2, r1 + r2, r2 - r1, r1 - r3.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Rows(float* q, int wq)
    {
        var r0 = Vector512.Load(q);
        var r1 = Vector512.Load(q + wq);
        var r2 = Vector512.Load(q + 2 * wq);
        var r3 = Vector512.Load(q + 3 * wq);
        return (r0 - r2, r1 + r2, r2 - r1, r1 - r3);
    }

    // B over the columns 2 tx .. 2 tx + 3 of one transformed row: u0 - u2, u1 + u2, u2 - u1, u1 - u3.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<float> lo, Vector512<float> hi, Vector512<float> lo2, Vector512<float> hi2, float* dst, nint stride)
    {
        var u0 = Avx512F.PermuteVar16x32x2(lo, Evens, hi);
        var u1 = Avx512F.PermuteVar16x32x2(lo, Odds, hi);
        var u2 = Avx512F.PermuteVar16x32x2(lo2, Evens, hi2);
        var u3 = Avx512F.PermuteVar16x32x2(lo2, Odds, hi2);
        Vector512.Store(u0 - u2, dst);
        Vector512.Store(u1 + u2, dst + stride);
        Vector512.Store(u2 - u1, dst + 2 * stride);
        Vector512.Store(u1 - u3, dst + 3 * stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> v, float* dst, int lanes)
    {
        if (lanes == Vw) Vector512.Store(v, dst);
        else Avx512F.MaskStore(dst, Mask(lanes), v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    /// <summary>The 2x2 outputs Aᵀ m A + bias of 16 tiles, m[ξ] at p + ξ stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) OutputTile(float* p, nint stride, float bias)
    {
        // Aᵀ's rows over the columns: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (m rows i = 0..3).
        var (s00, s10) = OutputColumn(p, stride);
        var (s01, s11) = OutputColumn(p + stride, stride);
        var (s02, s12) = OutputColumn(p + 2 * stride, stride);
        var (s03, s13) = OutputColumn(p + 3 * stride, stride);
        var b = Vector512.Create(bias);
        return (s00 + s01 + s02 + b, s01 - s02 - s03 + b, s10 + s11 + s12 + b, s11 - s12 - s13 + b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>) OutputColumn(float* p, nint stride)
    {
        var m0 = Vector512.Load(p);
        var m1 = Vector512.Load(p + 4 * stride);
        var m2 = Vector512.Load(p + 8 * stride);
        var m3 = Vector512.Load(p + 12 * stride);
        return (m0 + m1 + m2, m1 - m2 - m3);
    }

    // One output row's columns 2 tx (a) and 2 tx + 1 (b), interleaved, the first cols of them stored.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved(Vector512<float> a, Vector512<float> b, float* row, int cols)
    {
        if (cols <= 0) return;
        Store(Avx512F.PermuteVar16x32x2(a, Low, b), row, Math.Min(cols, Vw));
        if (cols > Vw) Store(Avx512F.PermuteVar16x32x2(a, High, b), row + Vw, Math.Min(cols - Vw, Vw));
    }

    /// <summary>
    /// relu(max) of each tile's four outputs and the index of the max in the output plane (<paramref name="first"/>:
    /// the tile's first output's), as the scalar pooling picks it: window order, a larger value or a NaN replaces the
    /// best so far (the first value replaces -inf unless it is -inf; either way the index is the window's first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<int>) PoolTile(Vector512<float> y00, Vector512<float> y01, Vector512<float> y10, Vector512<float> y11, Vector512<int> first, int outW)
    {
        var best = y00;
        var at = first;
        Pick(ref best, ref at, y01, first + Vector512<int>.One);
        Pick(ref best, ref at, y10, first + Vector512.Create(outW));
        Pick(ref best, ref at, y11, first + Vector512.Create(outW + 1));
        return (Vector512.AndNot(best, Vector512.LessThanOrEqual(best, Vector512<float>.Zero)), at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePooled(Vector512<float> value, Vector512<int> at, float* pooled, int* argmax, int lanes)
    {
        Store(value, pooled, lanes);
        if (argmax is null) return;
        if (lanes == Vw) Vector512.Store(at, argmax);
        else Avx512F.MaskStore(argmax, Mask(lanes).AsInt32(), at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pick(ref Vector512<float> best, ref Vector512<int> at, Vector512<float> v, Vector512<int> index)
    {
        var take = Vector512.GreaterThan(v, best) | ~Vector512.Equals(v, v);
        best = Vector512.ConditionalSelect(take, v, best);
        at = Vector512.ConditionalSelect(take.AsInt32(), index, at);
    }

    /// <summary>M[r, t] = Σc U[c, r] V[c, t] for rows r &lt; <paramref name="rows"/> and tiles t &lt; <paramref name="tiles"/> (rounded up to 16), 48 tiles at a time.</summary>
    private static void Products(int rows, int k, float* u, float* v, int ld, float* m, int tiles)
    {
        for (int t = 0; t < tiles; t += 3 * Vw)
        {
            int vectors = Math.Min(3, (tiles - t + Vw - 1) / Vw);
            switch (vectors)
            {
                case 1: Products<V1>(rows, k, u, v + t, ld, m + t); break;
                case 2: Products<V2>(rows, k, u, v + t, ld, m + t); break;
                default: Products<V3>(rows, k, u, v + t, ld, m + t); break;
            }
        }
    }

    private static void Products<TV>(int rows, int k, float* u, float* v, int ld, float* m) where TV : struct, IVectors
    {
        switch (rows)
        {
            case 1: Tile<R1, TV>(k, u, v, ld, m); break;
            case 2: Tile<R2, TV>(k, u, v, ld, m); break;
            case 3: Tile<R3, TV>(k, u, v, ld, m); break;
            case 4: Tile<R4, TV>(k, u, v, ld, m); break;
            case 5: Tile<R5, TV>(k, u, v, ld, m); break;
            case 6: Tile<R6, TV>(k, u, v, ld, m); break;
            case 7: Tile<R7, TV>(k, u, v, ld, m); break;
            default: Tile<R8, TV>(k, u, v, ld, m); break;
        }
    }
}
