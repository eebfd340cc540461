using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// The convolution weight gradient gW[o, k] = sum over positions q of gY[o, q] * cols[k, q] (AVX-512), computed as
/// dot products along the positions: both operands keep their natural layouts, rows contiguous along q (gY per sample
/// and channel, the im2col rows as <see cref="ConvGemm.Gather{T}"/> writes them), so nothing is transposed.
/// </summary>
/// <remarks>
/// <para>
/// Positions of the batch are cut into panels of P (whole samples when a sample's positions fill vectors); per panel
/// and block of input channels the im2col rows are gathered into a buffer that stays in L2, and a register tile of
/// <see cref="Or"/> output channels x <see cref="Kr"/> taps accumulates 24 vectors of products over the panel. Each
/// vector is then folded to <see cref="Lanes"/> partial sums with two 128-bit shuffle steps and added into a
/// [O, K, Lanes] accumulator; the lanes are summed once at the end. The fold costs about three instructions per
/// accumulator per panel against P / vector-width FMAs.
/// </para>
/// <para>
/// Panels are split over the threads in contiguous ranges, each with its own accumulator, summed in part order at the
/// end: the result depends only on the shapes and the thread count.
/// </para>
/// </remarks>
public static unsafe partial class ConvWeightGrad
{
    /// <summary>Output channels of the register tile.</summary>
    public const int Or = 3;

    /// <summary>Taps (rows of the column matrix) of the register tile.</summary>
    public const int Kr = 8;

    /// <summary>Partial sums kept per weight until the end.</summary>
    public const int Lanes = 4;

    /// <summary>Bytes of gathered column rows per panel and channel block.</summary>
    internal static int ColumnBlockBytes { get; set; } = 384 * 1024;

    /// <summary>Positions per panel (rounded to whole samples where possible).</summary>
    internal static int PanelPositions { get; set; } = 512;

    /// <summary>Whether this machine runs the kernel (AVX-512F).</summary>
    public static bool IsSupported => ConvGemm.IsSupported;

    /// <summary>
    /// gw = the weight gradient of y = conv(x, w): x [N, Channels, Height, Width], gy [N, O, OutH, OutW], gw [O,
    /// Channels/groups, kh, kw] (overwritten). The geometry comes from <paramref name="win"/>.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, int batch, in Window2d win, int groups, int outChannels, Span<T> gw, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsSupported || (typeof(T) != typeof(float) && typeof(T) != typeof(double))) throw new PlatformNotSupportedException("ConvWeightGrad needs AVX-512 and float or double.");
        int cg = win.Channels / groups, taps = win.KernelH * win.KernelW, k = cg * taps, og = outChannels / groups, l = win.OutPlaneSize;
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || gy.Length < (long)batch * outChannels * l || gw.Length < (long)outChannels * k)
            throw new ArgumentException("ConvWeightGrad.Backward: a span is shorter than the shapes need.");
        if (outChannels == 0 || k == 0) return;
        if (batch == 0 || l == 0)
        {
            gw[..(outChannels * k)].Clear();
            return;
        }
        if (typeof(T) == typeof(float) && UseBroadcast(win, groups, outChannels))
        {
            fixed (T* px = x)
            fixed (T* pgy = gy)
            fixed (T* pgw = gw)
                Broadcast((float*)px, (float*)pgy, batch, win, (float*)pgw, KernelThreads.CheckThreads(threads));
            return;
        }
        int vw = Vector512<T>.Count;
        int p = l % vw == 0 && l <= 2 * PanelPositions ? l * Math.Max(1, PanelPositions / l) : Math.Max(vw, PanelPositions / vw * vw);
        // Channels per gathered block: a multiple of the channels whose taps fill whole Kr-row tiles, or the group.
        int unit = Kr;
        while (unit > 1 && taps % (Kr / unit * 2) == 0) unit /= 2;
        int cb = ColumnBlockBytes / (p * sizeof(T)) / taps / unit * unit;
        cb = cb < unit ? unit : cb;
        if (cb >= cg) cb = cg;
        long positions = (long)batch * l, panels = (positions + p - 1) / p;
        var job = new Job<T>
        {
            Win = win,
            Batch = batch,
            Groups = groups,
            O = outChannels,
            Og = og,
            Opad = (og + Or - 1) / Or * Or,
            K = k,
            Kpad = (k + Kr - 1) / Kr * Kr,
            L = l,
            P = p,
            BlockChannels = cb,
            Panels = panels,
            Positions = positions,
        };
        long work = positions * outChannels * k;
        job.Parts = (int)Math.Clamp(Math.Min(panels, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        job.AccSize = (nint)groups * job.Opad * job.Kpad * Lanes;
        T* acc = AlignedBuffer.Get(ref Buffers<T>.Acc, job.Parts * job.AccSize);
        fixed (T* px = x)
        fixed (T* pgy = gy)
        fixed (T* pgw = gw)
        {
            job.X = px;
            job.XEnd = px + (nint)batch * win.Channels * win.PlaneSize;
            job.Y = pgy;
            job.Acc = acc;
            KernelThreads.For(job.Parts, ref job);
            for (int gi = 0; gi < groups; gi++)
                for (int o = 0; o < og; o++)
                {
                    T* dst = pgw + (nint)(gi * og + o) * k;
                    for (int j = 0; j < k; j++)
                    {
                        T s = T.Zero;
                        T* a = acc + (((nint)gi * job.Opad + o) * job.Kpad + j) * Lanes;
                        for (int part = 0; part < job.Parts; part++, a += job.AccSize) s += (a[0] + a[1]) + (a[2] + a[3]);
                        dst[j] = s;
                    }
                }
        }
    }

    private struct Job<T> : IPartitionBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Window2d Win;
        public int Batch, Groups, O, Og, Opad, K, Kpad, L, P, BlockChannels, Parts;
        public long Panels, Positions;
        public nint AccSize;
        public T* X, XEnd, Y, Acc;

        public readonly void Run(int part)
        {
            long p0 = Panels * part / Parts, p1 = Panels * (part + 1) / Parts;
            T* acc = Acc + part * AccSize;
            new Span<T>(acc, (int)AccSize).Clear();
            int taps = Win.KernelH * Win.KernelW, cg = Win.Channels / Groups, vw = Vector512<T>.Count;
            int blockRows = (BlockChannels * taps + Kr - 1) / Kr * Kr;
            T* cols = AlignedBuffer.Get(ref Buffers<T>.Cols, (nint)blockRows * P);
            T* gp = AlignedBuffer.Get(ref Buffers<T>.Gy, (nint)(Og + 1) * P);
            T* zero = gp + (nint)Og * P;
            new Span<T>(zero, P).Clear();
            for (long panel = p0; panel < p1; panel++)
            {
                long q0 = panel * P;
                int count = (int)Math.Min(P, Positions - q0);
                long s = q0 / L;
                int l0 = (int)(q0 - s * L), steps = (count + vw - 1) / vw;
                bool direct = count == P && l0 + P <= L;
                for (int gi = 0; gi < Groups; gi++)
                {
                    // gY rows of the group over the panel: read in place when the panel lies in one sample, else gathered.
                    T* gbase;
                    nint ldg;
                    if (direct)
                    {
                        gbase = Y + (s * O + gi * Og) * L + l0;
                        ldg = L;
                    }
                    else
                    {
                        PackGy(gp, q0, count, gi * Og);
                        gbase = gp;
                        ldg = P;
                    }
                    for (int c0 = 0; c0 < cg; c0 += BlockChannels)
                    {
                        int cb = Math.Min(BlockChannels, cg - c0), rows = cb * taps, rowsPad = (rows + Kr - 1) / Kr * Kr;
                        ConvGemm.Gather(X, XEnd, Win, gi * cg + c0, cb, L, q0, count, P, cols);
                        if (rowsPad > rows) new Span<T>(cols + (nint)rows * P, (rowsPad - rows) * P).Clear();
                        T* accBlock = acc + (((nint)gi * Opad) * Kpad + c0 * taps) * Lanes;
                        for (int kt = 0; kt < rowsPad; kt += Kr)
                            for (int ot = 0; ot < Og; ot += Or)
                            {
                                T* g0 = gbase + ot * ldg;
                                T* g1 = ot + 1 < Og ? g0 + ldg : zero;
                                T* g2 = ot + 2 < Og ? g0 + 2 * ldg : zero;
                                Tile(steps, g0, g1, g2, cols + (nint)kt * P, P, accBlock + ((nint)ot * Kpad + kt) * Lanes, (nint)Kpad * Lanes);
                            }
                    }
                }
            }
        }

        // dst[r * P + j] = gy of channel o0 + r at position q0 + j, zero past count.
        private readonly void PackGy(T* dst, long q0, int count, int o0)
        {
            int j = 0;
            while (j < count)
            {
                long q = q0 + j, s = q / L;
                int l = (int)(q - s * L), len = Math.Min(count - j, L - l);
                for (int r = 0; r < Og; r++) new ReadOnlySpan<T>(Y + (s * O + o0 + r) * L + l, len).CopyTo(new Span<T>(dst + (nint)r * P + j, len));
                j += len;
            }
            if (count < P)
                for (int r = 0; r < Og; r++) new Span<T>(dst + (nint)r * P + count, P - count).Clear();
        }
    }

    /// <summary>
    /// acc[r * lda + j * Lanes .. + Lanes] += partial sums of the dot product over steps vectors of row r of gY (g0, g1,
    /// g2) and row j of c (row stride ldc), for r &lt; 3, j &lt; 8.
    /// </summary>
    internal static void Tile<T>(int steps, T* g0, T* g1, T* g2, T* c, nint ldc, T* acc, nint lda)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default;
        Vector512<T> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default;
        Vector512<T> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
        int w = Vector512<T>.Count;
        for (nint i = 0, end = (nint)steps * w; i < end; i += w)
        {
            var x0 = Vector512.Load(g0 + i);
            var x1 = Vector512.Load(g1 + i);
            var x2 = Vector512.Load(g2 + i);
            T* ci = c + i;
            var v = Vector512.Load(ci); a00 = Fma(x0, v, a00); a10 = Fma(x1, v, a10); a20 = Fma(x2, v, a20);
            v = Vector512.Load(ci + ldc); a01 = Fma(x0, v, a01); a11 = Fma(x1, v, a11); a21 = Fma(x2, v, a21);
            v = Vector512.Load(ci + 2 * ldc); a02 = Fma(x0, v, a02); a12 = Fma(x1, v, a12); a22 = Fma(x2, v, a22);
            v = Vector512.Load(ci + 3 * ldc); a03 = Fma(x0, v, a03); a13 = Fma(x1, v, a13); a23 = Fma(x2, v, a23);
            v = Vector512.Load(ci + 4 * ldc); a04 = Fma(x0, v, a04); a14 = Fma(x1, v, a14); a24 = Fma(x2, v, a24);
            v = Vector512.Load(ci + 5 * ldc); a05 = Fma(x0, v, a05); a15 = Fma(x1, v, a15); a25 = Fma(x2, v, a25);
            v = Vector512.Load(ci + 6 * ldc); a06 = Fma(x0, v, a06); a16 = Fma(x1, v, a16); a26 = Fma(x2, v, a26);
            v = Vector512.Load(ci + 7 * ldc); a07 = Fma(x0, v, a07); a17 = Fma(x1, v, a17); a27 = Fma(x2, v, a27);
        }
        FoldRow(acc, a00, a01, a02, a03, a04, a05, a06, a07);
        FoldRow(acc + lda, a10, a11, a12, a13, a14, a15, a16, a17);
        FoldRow(acc + 2 * lda, a20, a21, a22, a23, a24, a25, a26, a27);
    }

    // acc[j * Lanes .. + Lanes] += a Lanes-wide fold of vj, j < 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FoldRow<T>(T* acc, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> v3, Vector512<T> v4, Vector512<T> v5, Vector512<T> v6, Vector512<T> v7)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Halves: [v blocks 0,1 + blocks 2,3 of a | the same of b] (128-bit blocks).
        var s01 = Halve(v0, v1);
        var s23 = Halve(v2, v3);
        var s45 = Halve(v4, v5);
        var s67 = Halve(v6, v7);
        if (typeof(T) == typeof(double))
        {
            // A double block sum of 4 lanes per vector already: [v0 | v1].
            int h = Vector512<T>.Count;
            Vector512.Store(Vector512.Load(acc) + s01, acc);
            Vector512.Store(Vector512.Load(acc + h) + s23, acc + h);
            Vector512.Store(Vector512.Load(acc + 2 * h) + s45, acc + 2 * h);
            Vector512.Store(Vector512.Load(acc + 3 * h) + s67, acc + 3 * h);
            return;
        }
        var f0 = s01.AsSingle();
        var f1 = s23.AsSingle();
        var f2 = s45.AsSingle();
        var f3 = s67.AsSingle();
        // [block 0 + block 1 of each half]: four lanes per vector, [v0 | v1 | v2 | v3].
        var t0 = Avx512F.Shuffle4x128(f0, f1, 0x88) + Avx512F.Shuffle4x128(f0, f1, 0xDD);
        var t1 = Avx512F.Shuffle4x128(f2, f3, 0x88) + Avx512F.Shuffle4x128(f2, f3, 0xDD);
        float* a = (float*)acc;
        Vector512.Store(Vector512.Load(a) + t0, a);
        Vector512.Store(Vector512.Load(a + 16) + t1, a + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Halve<T>(Vector512<T> a, Vector512<T> b)
    {
        if (typeof(T) == typeof(float))
            return (Avx512F.Shuffle4x128(a.AsSingle(), b.AsSingle(), 0x44) + Avx512F.Shuffle4x128(a.AsSingle(), b.AsSingle(), 0xEE)).As<float, T>();
        return (Avx512F.Shuffle4x128(a.AsDouble(), b.AsDouble(), 0x44) + Avx512F.Shuffle4x128(a.AsDouble(), b.AsDouble(), 0xEE)).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    // Reused 64-byte aligned buffers: the per-part accumulators (calling thread), and per thread the gathered columns and gY.
    private static class Buffers<T> where T : unmanaged
    {
        [ThreadStatic] public static T[]? Acc, Cols, Gy;
    }
}
