using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The direct convolution's weight (and bias) gradient: per-part partial sums and their reduction (see ConvDirect.cs).
public static unsafe partial class ConvDirect
{
    /// <summary>
    /// gw = the weight gradient of y = conv(x, w): x [N, Channels, Height, Width], gy [N, O, OutH, OutW], gw [O,
    /// Channels, kh, kw] (overwritten); and, when <paramref name="gb"/> is not empty, gb [O] = the bias gradient (the
    /// sum of gy over samples and positions, overwritten), read from gy while the weight gradient has it in cache. The
    /// geometry comes from <paramref name="win"/>, which <see cref="Supports"/> must accept.
    /// </summary>
    public static void WeightGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, int batch, in Window2d win, int outChannels, Span<float> gw, Span<float> gb, int threads)
    {
        if (!Supports(win, 1)) throw new NotSupportedException("ConvDirect: the window is outside the kernel's scope (see Supports).");
        int k = win.ColRows, l = win.OutPlaneSize;
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || gy.Length < (long)batch * outChannels * l || gw.Length < (long)outChannels * k
            || (!gb.IsEmpty && gb.Length < outChannels))
            throw new ArgumentException("ConvDirect.WeightGrad: a span is shorter than the shapes need.");
        if (outChannels == 0) return;
        gw[..(outChannels * k)].Clear();
        if (!gb.IsEmpty) gb[..outChannels].Clear();
        if (batch == 0 || l == 0) return;
        var job = Geometry<GradJob>(batch, win, outChannels, threads);
        int rowTiles = (outChannels + GradRows - 1) / GradRows, tapTiles = (k + GradTaps - 1) / GradTaps;
        // Per part: [O][tapTiles * GradTaps][16] partial sums of gw, then [O][16] of gb.
        nint ldt = (nint)tapTiles * GradTaps * Vw, accSize = outChannels * (ldt + Vw);
        float* acc = AlignedBuffer.Get(ref accBuffer, job.Parts * accSize);
        fixed (float* px = x)
        fixed (float* pgy = gy)
        fixed (float* pgw = gw)
        fixed (float* pgb = gb)
        {
            job.X = px;
            job.Y = pgy;
            job.Acc = acc;
            job.AccSize = accSize;
            job.RowTiles = rowTiles;
            job.TapTiles = tapTiles;
            job.Bias = !gb.IsEmpty;
            job.Taps = TapOffsets(win, job.Wp, job.Plane, tapTiles * GradTaps);
            KernelThreads.For(job.Parts, ref job);
            // gw[o, t] = the lanes of every part's partial sums, parts in order; gb[o] likewise.
            for (int o = 0; o < outChannels; o++)
                for (int t = 0; t < k; t++) pgw[(nint)o * k + t] = Reduce(acc + o * ldt + (nint)t * Vw, job.Parts, accSize);
            for (int o = 0; o < outChannels && job.Bias; o++) pgb[o] = Reduce(acc + outChannels * ldt + (nint)o * Vw, job.Parts, accSize);
        }
    }

    // The sum of the lanes of parts vectors at a, a + stride, ... (added in part order).
    private static float Reduce(float* a, int parts, nint stride)
    {
        var v = Vector512.Load(a);
        for (int part = 1; part < parts; part++) v += Vector512.Load(a + part * stride);
        return Vector512.Sum(v);
    }

    private struct GradJob : IDirectJob
    {
        public Window2d Win;
        public int Batch, O, Wp, Hp, Plane, ChunksPerRow, RowTiles, TapTiles, Parts;
        public nint AccSize;
        public bool Bias;
        public float* X, Y, Acc;
        public int* Taps;

        public void Init(in Window2d win, int batch, int outChannels, int wp, int hp, int chunksPerRow, int parts)
        {
            Win = win;
            Batch = batch;
            O = outChannels;
            Wp = wp;
            Hp = hp;
            Plane = wp * hp;
            ChunksPerRow = chunksPerRow;
            Parts = parts;
        }

        public readonly void Run(int part)
        {
            int outH = Win.OutH, outW = Win.OutW, l = outH * outW;
            long rows = (long)Batch * outH, r0 = rows * part / Parts, r1 = rows * (part + 1) / Parts;
            float* acc = Acc + part * AccSize;
            new Span<float>(acc, (int)AccSize).Clear();
            float* pad = Scratch(Win, Plane);
            nint ldt = (nint)TapTiles * GradTaps * Vw;
            while (r0 < r1)
            {
                int s = (int)(r0 / outH), ohA = (int)(r0 - (long)s * outH), ohB = (int)Math.Min(outH, ohA + (r1 - r0));
                CopySample(X, Win, s, pad, Wp, Hp, Plane);
                float* ys = Y + (nint)s * O * l;
                for (int rt = 0; rt < RowTiles; rt++)
                {
                    // Tiles of balanced sizes (6 outputs: two of 3).
                    int o0 = O * rt / RowTiles, count = O * (rt + 1) / RowTiles - o0;
                    float* g = ys + (nint)o0 * l;
                    if (Bias)
                        for (int r = 0; r < count; r++) SumInto(acc + O * ldt + (nint)(o0 + r) * Vw, g + (nint)r * l + ohA * outW, (ohB - ohA) * outW);
                    for (int tt = 0; tt < TapTiles; tt++)
                    {
                        int* taps = Taps + tt * GradTaps;
                        float* a = acc + o0 * ldt + (nint)tt * GradTaps * Vw;
                        switch (count)
                        {
                            case 1: GradTile<Rows1>(pad, Wp, taps, g, l, ohA, ohB, outW, a, ldt); break;
                            case 2: GradTile<Rows2>(pad, Wp, taps, g, l, ohA, ohB, outW, a, ldt); break;
                            case 3: GradTile<Rows3>(pad, Wp, taps, g, l, ohA, ohB, outW, a, ldt); break;
                            default: GradTile<Rows4>(pad, Wp, taps, g, l, ohA, ohB, outW, a, ldt); break;
                        }
                    }
                }
                r0 += ohB - ohA;
            }
        }
    }

    /// <summary>
    /// acc[r * lda + t * 16 ..] += the lane-wise sum over output rows ohA .. ohB and their chunks of gy row r (from g at
    /// r * ldg + oh * outW + ow, masked past outW) times x at taps[t] from (oh, ow) in the scratch, for r &lt; TR.Count
    /// (up to 4), t &lt; 5.
    /// </summary>
    private static void GradTile<TR>(float* pad, int wp, int* taps, float* g, nint ldg, int ohA, int ohB, int outW, float* acc, nint lda)
        where TR : struct, IRows
    {
        int rows = TR.Count;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        nint t0 = taps[0], t1 = taps[1], t2 = taps[2], t3 = taps[3], t4 = taps[4];
        int full = outW / Vw * Vw, tail = outW - full;
        var mask = Mask(tail);
        float* g0 = g, g1 = g + ldg, g2 = g + 2 * ldg, g3 = g + 3 * ldg;
        for (int oh = ohA; oh < ohB; oh++)
        {
            float* xr = pad + (nint)oh * wp;
            nint gr = (nint)oh * outW;
            for (int ow = 0; ow < outW; ow += Vw)
            {
                // Lanes past the row read as zero in both operands (an infinite input there must not make 0 * inf).
                var m = ow < full ? Vector512<float>.AllBitsSet : mask;
                Vector512<float> y1 = default, y2 = default, y3 = default;
                var y0 = Avx512F.MaskLoad(g0 + gr + ow, m, Vector512<float>.Zero);
                if (rows > 1) y1 = Avx512F.MaskLoad(g1 + gr + ow, m, Vector512<float>.Zero);
                if (rows > 2) y2 = Avx512F.MaskLoad(g2 + gr + ow, m, Vector512<float>.Zero);
                if (rows > 3) y3 = Avx512F.MaskLoad(g3 + gr + ow, m, Vector512<float>.Zero);
                float* xp = xr + ow;
                var v = Avx512F.MaskLoad(xp + t0, m, Vector512<float>.Zero);
                a00 = Avx512F.FusedMultiplyAdd(y0, v, a00);
                if (rows > 1) a10 = Avx512F.FusedMultiplyAdd(y1, v, a10);
                if (rows > 2) a20 = Avx512F.FusedMultiplyAdd(y2, v, a20);
                if (rows > 3) a30 = Avx512F.FusedMultiplyAdd(y3, v, a30);
                v = Avx512F.MaskLoad(xp + t1, m, Vector512<float>.Zero);
                a01 = Avx512F.FusedMultiplyAdd(y0, v, a01);
                if (rows > 1) a11 = Avx512F.FusedMultiplyAdd(y1, v, a11);
                if (rows > 2) a21 = Avx512F.FusedMultiplyAdd(y2, v, a21);
                if (rows > 3) a31 = Avx512F.FusedMultiplyAdd(y3, v, a31);
                v = Avx512F.MaskLoad(xp + t2, m, Vector512<float>.Zero);
                a02 = Avx512F.FusedMultiplyAdd(y0, v, a02);
                if (rows > 1) a12 = Avx512F.FusedMultiplyAdd(y1, v, a12);
                if (rows > 2) a22 = Avx512F.FusedMultiplyAdd(y2, v, a22);
                if (rows > 3) a32 = Avx512F.FusedMultiplyAdd(y3, v, a32);
                v = Avx512F.MaskLoad(xp + t3, m, Vector512<float>.Zero);
                a03 = Avx512F.FusedMultiplyAdd(y0, v, a03);
                if (rows > 1) a13 = Avx512F.FusedMultiplyAdd(y1, v, a13);
                if (rows > 2) a23 = Avx512F.FusedMultiplyAdd(y2, v, a23);
                if (rows > 3) a33 = Avx512F.FusedMultiplyAdd(y3, v, a33);
                v = Avx512F.MaskLoad(xp + t4, m, Vector512<float>.Zero);
                a04 = Avx512F.FusedMultiplyAdd(y0, v, a04);
                if (rows > 1) a14 = Avx512F.FusedMultiplyAdd(y1, v, a14);
                if (rows > 2) a24 = Avx512F.FusedMultiplyAdd(y2, v, a24);
                if (rows > 3) a34 = Avx512F.FusedMultiplyAdd(y3, v, a34);
            }
        }
        AddRow(acc, a00, a01, a02, a03, a04);
        if (rows > 1) AddRow(acc + lda, a10, a11, a12, a13, a14);
        if (rows > 2) AddRow(acc + 2 * lda, a20, a21, a22, a23, a24);
        if (rows > 3) AddRow(acc + 3 * lda, a30, a31, a32, a33, a34);
    }

    // acc[0 .. 16] += the lane-wise sums of src[0 .. n], the tail masked.
    private static void SumInto(float* acc, float* src, int n)
    {
        Vector512<float> s0 = default, s1 = default;
        int i = 0;
        for (; i + 2 * Vw <= n; i += 2 * Vw)
        {
            s0 += Vector512.Load(src + i);
            s1 += Vector512.Load(src + i + Vw);
        }
        for (; i < n; i += Vw) s0 += Avx512F.MaskLoad(src + i, Mask(n - i), Vector512<float>.Zero);
        Vector512.Store(Vector512.Load(acc) + (s0 + s1), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* acc, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4)
    {
        Vector512.Store(Vector512.Load(acc) + v0, acc);
        Vector512.Store(Vector512.Load(acc + Vw) + v1, acc + Vw);
        Vector512.Store(Vector512.Load(acc + 2 * Vw) + v2, acc + 2 * Vw);
        Vector512.Store(Vector512.Load(acc + 3 * Vw) + v3, acc + 3 * Vw);
        Vector512.Store(Vector512.Load(acc + 4 * Vw) + v4, acc + 4 * Vw);
    }
}
