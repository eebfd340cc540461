using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The register tile of the products: up to 8 output channels x 3 vectors of 16 tiles = 24 accumulators; per input
// channel up to 3 loads of V, a broadcast of each row's U and up to 24 FMAs. Row and vector counts are types, so that
// each pair compiles to its own tile without dead rows.
public static unsafe partial class ConvWinograd
{
    private interface ICount
    {
        static abstract int Count { get; }
    }

    private interface IVectors : ICount;

    private struct V1 : IVectors { public static int Count => 1; }

    private struct V2 : IVectors { public static int Count => 2; }

    private struct V3 : IVectors { public static int Count => 3; }

    private struct R1 : ICount { public static int Count => 1; }

    private struct R2 : ICount { public static int Count => 2; }

    private struct R3 : ICount { public static int Count => 3; }

    private struct R4 : ICount { public static int Count => 4; }

    private struct R5 : ICount { public static int Count => 5; }

    private struct R6 : ICount { public static int Count => 6; }

    private struct R7 : ICount { public static int Count => 7; }

    private struct R8 : ICount { public static int Count => 8; }

    /// <summary>m[r * ld + lane] = Σc u[c * 8 + r] v[c * ld + lane] for r &lt; TR.Count, lanes &lt; 16 TV.Count; each a chain of FMAs in channel order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TR, TV>(int k, float* u, float* v, int ld, float* m) where TR : struct, ICount where TV : struct, IVectors
    {
        int rows = TR.Count, nv = TV.Count;
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        Vector512<float> v1 = default, v2 = default;
        for (int c = 0; c < k; c++, u += Mr, v += ld)
        {
            var v0 = Vector512.Load(v);
            if (nv > 1) v1 = Vector512.Load(v + Vw);
            if (nv > 2) v2 = Vector512.Load(v + 2 * Vw);
            var b = Vector512.Create(u[0]);
            c00 = Avx512F.FusedMultiplyAdd(v0, b, c00);
            if (nv > 1) c01 = Avx512F.FusedMultiplyAdd(v1, b, c01);
            if (nv > 2) c02 = Avx512F.FusedMultiplyAdd(v2, b, c02);
            if (rows > 1) { b = Vector512.Create(u[1]); c10 = Avx512F.FusedMultiplyAdd(v0, b, c10); if (nv > 1) c11 = Avx512F.FusedMultiplyAdd(v1, b, c11); if (nv > 2) c12 = Avx512F.FusedMultiplyAdd(v2, b, c12); }
            if (rows > 2) { b = Vector512.Create(u[2]); c20 = Avx512F.FusedMultiplyAdd(v0, b, c20); if (nv > 1) c21 = Avx512F.FusedMultiplyAdd(v1, b, c21); if (nv > 2) c22 = Avx512F.FusedMultiplyAdd(v2, b, c22); }
            if (rows > 3) { b = Vector512.Create(u[3]); c30 = Avx512F.FusedMultiplyAdd(v0, b, c30); if (nv > 1) c31 = Avx512F.FusedMultiplyAdd(v1, b, c31); if (nv > 2) c32 = Avx512F.FusedMultiplyAdd(v2, b, c32); }
            if (rows > 4) { b = Vector512.Create(u[4]); c40 = Avx512F.FusedMultiplyAdd(v0, b, c40); if (nv > 1) c41 = Avx512F.FusedMultiplyAdd(v1, b, c41); if (nv > 2) c42 = Avx512F.FusedMultiplyAdd(v2, b, c42); }
            if (rows > 5) { b = Vector512.Create(u[5]); c50 = Avx512F.FusedMultiplyAdd(v0, b, c50); if (nv > 1) c51 = Avx512F.FusedMultiplyAdd(v1, b, c51); if (nv > 2) c52 = Avx512F.FusedMultiplyAdd(v2, b, c52); }
            if (rows > 6) { b = Vector512.Create(u[6]); c60 = Avx512F.FusedMultiplyAdd(v0, b, c60); if (nv > 1) c61 = Avx512F.FusedMultiplyAdd(v1, b, c61); if (nv > 2) c62 = Avx512F.FusedMultiplyAdd(v2, b, c62); }
            if (rows > 7) { b = Vector512.Create(u[7]); c70 = Avx512F.FusedMultiplyAdd(v0, b, c70); if (nv > 1) c71 = Avx512F.FusedMultiplyAdd(v1, b, c71); if (nv > 2) c72 = Avx512F.FusedMultiplyAdd(v2, b, c72); }
        }
        Put<TV>(m, c00, c01, c02);
        if (rows > 1) Put<TV>(m + ld, c10, c11, c12);
        if (rows > 2) Put<TV>(m + 2 * ld, c20, c21, c22);
        if (rows > 3) Put<TV>(m + 3 * ld, c30, c31, c32);
        if (rows > 4) Put<TV>(m + 4 * ld, c40, c41, c42);
        if (rows > 5) Put<TV>(m + 5 * ld, c50, c51, c52);
        if (rows > 6) Put<TV>(m + 6 * ld, c60, c61, c62);
        if (rows > 7) Put<TV>(m + 7 * ld, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV>(float* dst, Vector512<float> a, Vector512<float> b, Vector512<float> c) where TV : struct, IVectors
    {
        Vector512.Store(a, dst);
        if (TV.Count > 1) Vector512.Store(b, dst + Vw);
        if (TV.Count > 2) Vector512.Store(c, dst + 2 * Vw);
    }

    /// <summary>sums[r * ldt + lane] += Σt z[r * ld + t] vt[t * ldt + lane] for r &lt; TR.Count, lanes &lt; 16 TV.Count: each a chain of FMAs in tile order, added once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradTile<TR, TV>(float* z, int ld, float* vt, int ldt, int tiles, float* sums) where TR : struct, ICount where TV : struct, IVectors
    {
        int rows = TR.Count, nv = TV.Count;
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        Vector512<float> v1 = default, v2 = default;
        for (int t = 0; t < tiles; t++, z++, vt += ldt)
        {
            var v0 = Vector512.Load(vt);
            if (nv > 1) v1 = Vector512.Load(vt + Vw);
            if (nv > 2) v2 = Vector512.Load(vt + 2 * Vw);
            var b = Vector512.Create(z[0]);
            c00 = Avx512F.FusedMultiplyAdd(v0, b, c00);
            if (nv > 1) c01 = Avx512F.FusedMultiplyAdd(v1, b, c01);
            if (nv > 2) c02 = Avx512F.FusedMultiplyAdd(v2, b, c02);
            if (rows > 1) { b = Vector512.Create(z[ld]); c10 = Avx512F.FusedMultiplyAdd(v0, b, c10); if (nv > 1) c11 = Avx512F.FusedMultiplyAdd(v1, b, c11); if (nv > 2) c12 = Avx512F.FusedMultiplyAdd(v2, b, c12); }
            if (rows > 2) { b = Vector512.Create(z[2 * ld]); c20 = Avx512F.FusedMultiplyAdd(v0, b, c20); if (nv > 1) c21 = Avx512F.FusedMultiplyAdd(v1, b, c21); if (nv > 2) c22 = Avx512F.FusedMultiplyAdd(v2, b, c22); }
            if (rows > 3) { b = Vector512.Create(z[3 * ld]); c30 = Avx512F.FusedMultiplyAdd(v0, b, c30); if (nv > 1) c31 = Avx512F.FusedMultiplyAdd(v1, b, c31); if (nv > 2) c32 = Avx512F.FusedMultiplyAdd(v2, b, c32); }
            if (rows > 4) { b = Vector512.Create(z[4 * ld]); c40 = Avx512F.FusedMultiplyAdd(v0, b, c40); if (nv > 1) c41 = Avx512F.FusedMultiplyAdd(v1, b, c41); if (nv > 2) c42 = Avx512F.FusedMultiplyAdd(v2, b, c42); }
            if (rows > 5) { b = Vector512.Create(z[5 * ld]); c50 = Avx512F.FusedMultiplyAdd(v0, b, c50); if (nv > 1) c51 = Avx512F.FusedMultiplyAdd(v1, b, c51); if (nv > 2) c52 = Avx512F.FusedMultiplyAdd(v2, b, c52); }
            if (rows > 6) { b = Vector512.Create(z[6 * ld]); c60 = Avx512F.FusedMultiplyAdd(v0, b, c60); if (nv > 1) c61 = Avx512F.FusedMultiplyAdd(v1, b, c61); if (nv > 2) c62 = Avx512F.FusedMultiplyAdd(v2, b, c62); }
            if (rows > 7) { b = Vector512.Create(z[7 * ld]); c70 = Avx512F.FusedMultiplyAdd(v0, b, c70); if (nv > 1) c71 = Avx512F.FusedMultiplyAdd(v1, b, c71); if (nv > 2) c72 = Avx512F.FusedMultiplyAdd(v2, b, c72); }
        }
        Add<TV>(sums, c00, c01, c02);
        if (rows > 1) Add<TV>(sums + ldt, c10, c11, c12);
        if (rows > 2) Add<TV>(sums + 2 * ldt, c20, c21, c22);
        if (rows > 3) Add<TV>(sums + 3 * ldt, c30, c31, c32);
        if (rows > 4) Add<TV>(sums + 4 * ldt, c40, c41, c42);
        if (rows > 5) Add<TV>(sums + 5 * ldt, c50, c51, c52);
        if (rows > 6) Add<TV>(sums + 6 * ldt, c60, c61, c62);
        if (rows > 7) Add<TV>(sums + 7 * ldt, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add<TV>(float* dst, Vector512<float> a, Vector512<float> b, Vector512<float> c) where TV : struct, IVectors
    {
        Vector512.Store(Vector512.Load(dst) + a, dst);
        if (TV.Count > 1) Vector512.Store(Vector512.Load(dst + Vw) + b, dst + Vw);
        if (TV.Count > 2) Vector512.Store(Vector512.Load(dst + 2 * Vw) + c, dst + 2 * Vw);
    }
}
