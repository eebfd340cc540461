using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// Direct 2-D convolution (float, AVX-512) for layers with few input taps per output channel (K = Channels * kh * kw),
/// unit stride and dilation, no groups: LeNet's and the lecture CNN's first layers (K = 25), LeNet's second (K = 150). Each sample's input planes are copied once into a zero-padded scratch; every tap of a 16-wide chunk of an
/// output row is then one unaligned load from it, at a fixed offset. Nothing is gathered per panel, which is what the
/// implicit GEMM (<see cref="ConvGemm"/>) spends most of its time on when K is this short.
/// </summary>
/// <remarks>
/// <para>
/// The scratch has OutH + kh - 1 rows of the chunked output width (a multiple of 16) + kw - 1 columns per channel, so
/// a full vector load at any tap offset of any chunk stays inside it; the lanes past the output width read padding or
/// the next columns and are never stored (forward), or are masked to zero in both operands (weight gradient, so that
/// an infinite input there cannot turn into 0 * inf = NaN).
/// </para>
/// <para>
/// Forward tile: up to <see cref="Mr"/> output channels x 2 chunks = 16 accumulators started from the bias; per tap 2
/// loads, a broadcast of each channel's packed weight and 2 FMAs per channel; masked stores of the valid lanes. The
/// output channels are cut into blocks of balanced sizes, each compiled for its row count (LeNet's 6 channels: one
/// block of 6 rather than 8 with 2 idle). Weight-gradient tile: up to <see cref="GradRows"/> output channels x
/// <see cref="GradTaps"/> taps = 20 vector partial sums kept in registers over a sample's positions (per chunk one load
/// of gY per channel and one of x per tap, masked past the row), added into a per-part accumulator per sample and
/// reduced to scalars at the end.
/// </para>
/// <para>
/// Partitions are contiguous ranges of the batch's output rows (whole samples when the batch covers the threads).
/// Each forward output is one sum over the taps in a fixed order: bit-identical for any thread count. The weight
/// gradient sums the parts in part order: deterministic for a given thread count.
/// </para>
/// </remarks>
public static unsafe class ConvDirect
{
    /// <summary>Most output channels of the forward tile.</summary>
    public const int Mr = 8;

    /// <summary>Most output channels of the weight-gradient tile.</summary>
    public const int GradRows = 4;

    /// <summary>Taps of the weight-gradient tile.</summary>
    public const int GradTaps = 5;

    private const int Vw = 16;

    /// <summary>Whether this machine runs the kernel (AVX-512F).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Whether the kernel computes this convolution: AVX-512F, unit stride and dilation, one group. Any K works, but
    /// the kernel pays off for short K and wide output rows (the callers decide by measurement); the output width
    /// rounded up to 16 is what it computes.
    /// </summary>
    public static bool Supports(in Window2d win, int groups) =>
        IsSupported && groups == 1 && win.StrideH == 1 && win.StrideW == 1 && win.DilationH == 1 && win.DilationW == 1
        && win.ColRows > 0 && win.PadTop >= 0 && win.PadLeft >= 0;

    /// <summary>
    /// y = conv(x, w) + bias. x [N, Channels, Height, Width], w [O, Channels, kh, kw], bias [O] or empty, y [N, O,
    /// OutH, OutW] (overwritten); the geometry comes from <paramref name="win"/>, which <see cref="Supports"/> must accept.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias, Span<float> y, int threads)
    {
        if (!Supports(win, 1)) throw new NotSupportedException("ConvDirect: the window is outside the kernel's scope (see Supports).");
        int k = win.ColRows, l = win.OutPlaneSize;
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * k || y.Length < (long)batch * outChannels * l
            || (!bias.IsEmpty && bias.Length < outChannels))
            throw new ArgumentException("ConvDirect.Forward: a span is shorter than the shapes need.");
        if (batch == 0 || outChannels == 0 || l == 0) return;
        var job = Geometry<ForwardJob>(batch, win, outChannels, threads);
        int blocks = (outChannels + Mr - 1) / Mr;
        // Packed weights [block][tap][Mr] and bias [block][Mr], rows past the block zero.
        float* packed = AlignedBuffer.Get(ref packedBuffer, (nint)blocks * (k + 1) * Mr);
        float* packedBias = packed + (nint)blocks * k * Mr;
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            for (int b = 0; b < blocks; b++)
            {
                int o0 = outChannels * b / blocks, o1 = outChannels * (b + 1) / blocks;
                for (int r = 0; r < Mr; r++)
                {
                    int o = o0 + r;
                    float* dst = packed + (nint)b * k * Mr + r;
                    for (int t = 0; t < k; t++) dst[t * Mr] = o < o1 ? pw[(nint)o * k + t] : 0f;
                    packedBias[b * Mr + r] = o < o1 && !bias.IsEmpty ? pb[o] : 0f;
                }
            }
            job.X = px;
            job.Y = py;
            job.W = packed;
            job.Bias = packedBias;
            job.Blocks = blocks;
            job.Taps = TapOffsets(win, job.Wp, job.Plane, k);
            KernelThreads.For(job.Parts, ref job);
        }
    }

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

    // The scratch geometry and the partition, shared by both jobs.
    private static TJob Geometry<TJob>(int batch, in Window2d win, int outChannels, int threads) where TJob : struct, IDirectJob
    {
        int chunksPerRow = (win.OutW + Vw - 1) / Vw;
        int wp = chunksPerRow * Vw + win.KernelW - 1, hp = win.OutH + win.KernelH - 1;
        long rows = (long)batch * win.OutH;
        long work = (long)batch * win.OutPlaneSize * outChannels * win.ColRows;
        int parts = (int)Math.Clamp(Math.Min(rows, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        var job = default(TJob);
        job.Init(win, batch, outChannels, wp, hp, chunksPerRow, parts);
        return job;
    }

    // Offsets in the scratch of taps (c, i, j) in weight order; entries past K read tap 0 (their sums are dropped).
    private static int* TapOffsets(in Window2d win, int wp, int plane, int count)
    {
        int* taps = AlignedBuffer.Get(ref tapBuffer, count);
        int t = 0;
        for (int c = 0; c < win.Channels; c++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++) taps[t++] = c * plane + i * wp + j;
        for (; t < count; t++) taps[t] = 0;
        return taps;
    }

    private interface IDirectJob : IPartitionBody
    {
        void Init(in Window2d win, int batch, int outChannels, int wp, int hp, int chunksPerRow, int parts);
    }

    // Copies sample s of x into the zero-padded scratch (only its interior: the border stays as cleared).
    private static void CopySample(float* x, in Window2d win, int s, float* pad, int wp, int hp, int plane)
    {
        int rows = Math.Min(win.Height, hp - win.PadTop), cols = Math.Min(win.Width, wp - win.PadLeft);
        float* src = x + (nint)s * win.Channels * win.PlaneSize;
        for (int c = 0; c < win.Channels; c++)
        {
            float* dst = pad + (nint)c * plane + (nint)win.PadTop * wp + win.PadLeft;
            float* from = src + (nint)c * win.PlaneSize;
            for (int ih = 0; ih < rows; ih++)
                new ReadOnlySpan<float>(from + (nint)ih * win.Width, cols).CopyTo(new Span<float>(dst + (nint)ih * wp, cols));
        }
    }

    // A cleared scratch of the call's geometry for this thread.
    private static float* Scratch(in Window2d win, int plane)
    {
        nint size = (nint)win.Channels * plane + Vw;
        float* pad = AlignedBuffer.Get(ref padBuffer, size);
        new Span<float>(pad, (int)size).Clear();
        return pad;
    }

    private struct ForwardJob : IDirectJob
    {
        public Window2d Win;
        public int Batch, O, K, Wp, Hp, Plane, ChunksPerRow, Blocks, Parts;
        public float* X, Y, W, Bias;
        public int* Taps;

        public void Init(in Window2d win, int batch, int outChannels, int wp, int hp, int chunksPerRow, int parts)
        {
            Win = win;
            Batch = batch;
            O = outChannels;
            K = win.ColRows;
            Wp = wp;
            Hp = hp;
            Plane = wp * hp;
            ChunksPerRow = chunksPerRow;
            Parts = parts;
        }

        public readonly void Run(int part)
        {
            int outH = Win.OutH, outW = Win.OutW, l = outH * outW, cpr = ChunksPerRow;
            long rows = (long)Batch * outH, r0 = rows * part / Parts, r1 = rows * (part + 1) / Parts;
            float* pad = Scratch(Win, Plane);
            while (r0 < r1)
            {
                int s = (int)(r0 / outH), ohA = (int)(r0 - (long)s * outH), ohB = (int)Math.Min(outH, ohA + (r1 - r0));
                CopySample(X, Win, s, pad, Wp, Hp, Plane);
                float* ys = Y + (nint)s * O * l;
                // Chunks of rows ohA .. ohB in pairs (a pair may span two rows); an odd last one pairs with itself.
                int total = (ohB - ohA) * cpr;
                for (int ci = 0; ci < total; ci += 2)
                {
                    int ohA0 = ohA + ci / cpr, ka = ci % cpr, cj = Math.Min(ci + 1, total - 1);
                    int ohB0 = ohA + cj / cpr, kb = cj % cpr;
                    int na = Math.Min(Vw, outW - ka * Vw), nb = cj == ci ? 0 : Math.Min(Vw, outW - kb * Vw);
                    float* xa = pad + (nint)ohA0 * Wp + ka * Vw, xb = pad + (nint)ohB0 * Wp + kb * Vw;
                    nint ya = (nint)ohA0 * outW + ka * Vw, yb = (nint)ohB0 * outW + kb * Vw;
                    for (int b = 0; b < Blocks; b++)
                    {
                        // Blocks of balanced sizes (6 outputs: one block of 6, not 8 with 2 idle rows).
                        int o0 = O * b / Blocks, count = O * (b + 1) / Blocks - o0;
                        float* yo = ys + (nint)o0 * l, w = W + (nint)b * K * Mr, bias = Bias + b * Mr;
                        switch (count)
                        {
                            case 1: Tile<Rows1>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            case 2: Tile<Rows2>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            case 3: Tile<Rows3>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            case 4: Tile<Rows4>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            case 5: Tile<Rows5>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            case 6: Tile<Rows6>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            case 7: Tile<Rows7>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                            default: Tile<Rows8>(K, Taps, w, bias, xa, xb, yo + ya, yo + yb, l, na, nb); break;
                        }
                    }
                }
                r0 += ohB - ohA;
            }
        }
    }

    /// <summary>
    /// TR.Count (up to 8) output channels x 2 chunks: y[r * ldy + lane] of chunk a (na lanes) and chunk b (nb lanes) =
    /// bias[r] + the sum over taps t of w[t * 8 + r] * x at taps[t] from the chunk's input.
    /// </summary>
    private static void Tile<TR>(int k, int* taps, float* w, float* bias, float* xa, float* xb, float* ya, float* yb, nint ldy, int na, int nb)
        where TR : struct, IRows
    {
        int rows = TR.Count;
        Vector512<float> c00 = Vector512.Create(bias[0]), c01 = c00, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        if (rows > 1) c11 = c10 = Vector512.Create(bias[1]);
        if (rows > 2) c21 = c20 = Vector512.Create(bias[2]);
        if (rows > 3) c31 = c30 = Vector512.Create(bias[3]);
        if (rows > 4) c41 = c40 = Vector512.Create(bias[4]);
        if (rows > 5) c51 = c50 = Vector512.Create(bias[5]);
        if (rows > 6) c61 = c60 = Vector512.Create(bias[6]);
        if (rows > 7) c71 = c70 = Vector512.Create(bias[7]);
        for (int t = 0; t < k; t++, w += Mr)
        {
            int off = taps[t];
            var v0 = Vector512.Load(xa + off);
            var v1 = Vector512.Load(xb + off);
            var b = Vector512.Create(w[0]); c00 = Avx512F.FusedMultiplyAdd(v0, b, c00); c01 = Avx512F.FusedMultiplyAdd(v1, b, c01);
            if (rows > 1) { b = Vector512.Create(w[1]); c10 = Avx512F.FusedMultiplyAdd(v0, b, c10); c11 = Avx512F.FusedMultiplyAdd(v1, b, c11); }
            if (rows > 2) { b = Vector512.Create(w[2]); c20 = Avx512F.FusedMultiplyAdd(v0, b, c20); c21 = Avx512F.FusedMultiplyAdd(v1, b, c21); }
            if (rows > 3) { b = Vector512.Create(w[3]); c30 = Avx512F.FusedMultiplyAdd(v0, b, c30); c31 = Avx512F.FusedMultiplyAdd(v1, b, c31); }
            if (rows > 4) { b = Vector512.Create(w[4]); c40 = Avx512F.FusedMultiplyAdd(v0, b, c40); c41 = Avx512F.FusedMultiplyAdd(v1, b, c41); }
            if (rows > 5) { b = Vector512.Create(w[5]); c50 = Avx512F.FusedMultiplyAdd(v0, b, c50); c51 = Avx512F.FusedMultiplyAdd(v1, b, c51); }
            if (rows > 6) { b = Vector512.Create(w[6]); c60 = Avx512F.FusedMultiplyAdd(v0, b, c60); c61 = Avx512F.FusedMultiplyAdd(v1, b, c61); }
            if (rows > 7) { b = Vector512.Create(w[7]); c70 = Avx512F.FusedMultiplyAdd(v0, b, c70); c71 = Avx512F.FusedMultiplyAdd(v1, b, c71); }
        }
        var ma = Mask(na);
        var mb = Mask(nb);
        Store(ya, yb, ma, mb, na, nb, c00, c01);
        if (rows > 1) Store(ya + ldy, yb + ldy, ma, mb, na, nb, c10, c11);
        if (rows > 2) Store(ya + 2 * ldy, yb + 2 * ldy, ma, mb, na, nb, c20, c21);
        if (rows > 3) Store(ya + 3 * ldy, yb + 3 * ldy, ma, mb, na, nb, c30, c31);
        if (rows > 4) Store(ya + 4 * ldy, yb + 4 * ldy, ma, mb, na, nb, c40, c41);
        if (rows > 5) Store(ya + 5 * ldy, yb + 5 * ldy, ma, mb, na, nb, c50, c51);
        if (rows > 6) Store(ya + 6 * ldy, yb + 6 * ldy, ma, mb, na, nb, c60, c61);
        if (rows > 7) Store(ya + 7 * ldy, yb + 7 * ldy, ma, mb, na, nb, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* ya, float* yb, Vector512<float> ma, Vector512<float> mb, int na, int nb, Vector512<float> a, Vector512<float> b)
    {
        if (na == Vw) Vector512.Store(a, ya);
        else Avx512F.MaskStore(ya, ma, a);
        if (nb == Vw) Vector512.Store(b, yb);
        else if (nb > 0) Avx512F.MaskStore(yb, mb, b);
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

    /// <summary>A tile's row count as a type, so that each count compiles to its own tile without dead rows.</summary>
    private interface IRows
    {
        static abstract int Count { get; }
    }

    private struct Rows1 : IRows { public static int Count => 1; }

    private struct Rows2 : IRows { public static int Count => 2; }

    private struct Rows3 : IRows { public static int Count => 3; }

    private struct Rows4 : IRows { public static int Count => 4; }

    private struct Rows5 : IRows { public static int Count => 5; }

    private struct Rows6 : IRows { public static int Count => 6; }

    private struct Rows7 : IRows { public static int Count => 7; }

    private struct Rows8 : IRows { public static int Count => 8; }

    // Reused 64-byte aligned buffers: the packed weights, accumulators and tap offsets (calling thread), and per
    // thread the padded sample.
    [ThreadStatic] private static float[]? packedBuffer;
    [ThreadStatic] private static float[]? accBuffer;
    [ThreadStatic] private static float[]? padBuffer;
    [ThreadStatic] private static int[]? tapBuffer;
}
