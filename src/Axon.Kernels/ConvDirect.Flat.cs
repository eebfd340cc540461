using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// The direct convolution over flat padded planes (float, AVX-512), for the 3x3 layers of deep CNNs (K = 9 x 16..512).
/// Each sample is copied into a zero-padded scratch whose rows are Wp = OutW + kw - 1 wide, and the output is computed
/// on the grid q = oh * Wp + ow (ow up to Wp, the last kw - 1 columns wasted): on that grid every tap is one fixed
/// offset from q, so a run of 48 consecutive grid positions reads each tap as three unaligned loads, across row ends.
/// Unlike the row chunks of <see cref="Forward"/>, no lane is lost to rounding a row up to 16 (a 7-wide plane fills
/// 49 of 64 lanes rather than 49 of 112; a 28-wide one 28 of 30).
/// </summary>
/// <remarks>
/// <para>
/// Tile: up to 8 output channels x 3 vectors (48 grid positions) = 24 accumulators started from the bias; per tap 3
/// loads, 8 broadcasts and 24 FMAs. Each output is one sum over the taps in weight order, whatever the partition: the
/// result is bit-identical for any thread count. The tile is written to a small buffer and its valid positions copied
/// row by row into NCHW.
/// </para>
/// <para>
/// With the weights read flipped and transposed and padding kh - 1 - pad, the same kernel computes
/// the input gradient of a unit-stride convolution.
/// </para>
/// </remarks>
public static unsafe partial class ConvDirect
{
    private const int FlatVectors = 3, FlatWidth = FlatVectors * Vw;

    /// <summary>
    /// y = conv(x, w) + bias over flat padded planes. x [N, Channels, Height, Width], w [O, Channels, kh, kw], bias [O]
    /// or empty, y [N, O, OutH, OutW] (overwritten); the geometry comes from <paramref name="win"/>, which
    /// <see cref="Supports"/> must accept.
    /// </summary>
    public static void ForwardFlat(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias, Span<float> y, int threads)
    {
        if (!SupportsFlat(win, 1)) throw new NotSupportedException("ConvDirect: the window is outside the kernel's scope (see SupportsFlat).");
        int k = win.ColRows, l = win.OutPlaneSize;
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * k || y.Length < (long)batch * outChannels * l
            || (!bias.IsEmpty && bias.Length < outChannels))
            throw new ArgumentException("ConvDirect.ForwardFlat: a span is shorter than the shapes need.");
        fixed (float* pw = w)
        fixed (float* pb = bias)
            RunFlat(x, batch, win, pw, outChannels, bias.IsEmpty ? null : pb, y, threads, transposedFrom: 0);
    }

    // The forward over flat padded planes; with transposedFrom = O', w is a forward kernel [O', outChannels, kh, kw]
    // read flipped and transposed (the input gradient), else w is [outChannels, Channels, kh, kw].
    private static void RunFlat(ReadOnlySpan<float> x, int batch, in Window2d win, float* pw, int outChannels, float* pb, Span<float> y, int threads, int transposedFrom, PoolSink sink = default)
    {
        int k = win.ColRows, l = win.OutPlaneSize;
        if (batch == 0 || outChannels == 0 || l == 0) return;
        var job = new FlatJob { Win = win, Batch = batch, O = outChannels, K = k };
        (job.Wp, job.Hp, job.Plane, job.ChannelSpan) = FlatPlanes(win);
        job.Panels = (win.OutH * job.Wp + FlatWidth - 1) / FlatWidth;
        long work = (long)batch * l * outChannels * k;
        job.Parts = (int)Math.Clamp(Math.Min(sink.On ? batch : (long)batch * job.Panels, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        job.Sink = sink;
        int blocks = job.Blocks = (outChannels + Mr - 1) / Mr;
        float* packed = AlignedBuffer.Get(ref packedBuffer, (nint)blocks * (k + 1) * Mr);
        float* packedBias = packed + (nint)blocks * k * Mr;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (transposedFrom > 0) PackFlipped(pw, transposedFrom, outChannels, win.KernelH * win.KernelW, blocks, packed, packedBias);
            else PackWeights(pw, pb, outChannels, k, blocks, packed, packedBias);
            job.X = px;
            job.Y = py;
            job.W = packed;
            job.Bias = packedBias;
            job.Taps = TapOffsets(win, job.Wp, job.Plane, k);
            KernelThreads.For(job.Parts, ref job);
        }
    }

    /// <summary>
    /// The input gradient of a unit-stride convolution, gx = conv(gy, flipped wᵀ) with padding kh - 1 - pad, by the same
    /// kernel. gy [N, O, OutH, OutW], w [O, Channels, kh, kw], gx [N, Channels, Height, Width] (overwritten); the
    /// geometry is the forward's <paramref name="win"/>, which <see cref="Supports"/> must accept, with padding below
    /// the kernel size.
    /// </summary>
    public static void BackwardInputFlat(ReadOnlySpan<float> gy, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, Span<float> gx, int threads)
    {
        if (!Supports(win, 1) || win.PadTop >= win.KernelH || win.PadLeft >= win.KernelW)
            throw new NotSupportedException("ConvDirect.BackwardInputFlat: the window is outside the kernel's scope (unit stride, padding below the kernel size).");
        var flipped = FlippedWindow(win, outChannels);
        int k = win.ColRows;
        if (gx.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * k || gy.Length < (long)batch * outChannels * win.OutPlaneSize)
            throw new ArgumentException("ConvDirect.BackwardInputFlat: a span is shorter than the shapes need.");
        fixed (float* pw = w)
            RunFlat(gy, batch, flipped, pw, win.Channels, null, gx, threads, transposedFrom: outChannels);
    }

    /// <summary>The window of the input gradient as a forward convolution: gy in, the flipped kernel, padding k - 1 - pad.</summary>
    public static Window2d FlippedWindow(in Window2d win, int outChannels) =>
        new(outChannels, win.OutH, win.OutW, win.KernelH, win.KernelW, 1, 1, win.KernelH - 1 - win.PadTop, win.KernelW - 1 - win.PadLeft, 1, 1, win.Height, win.Width);

    // Blocks of balanced sizes, [block][tap][Mr] and the bias [block][Mr]; rows past a block zero.
    private static void PackWeights(float* pw, float* pb, int outChannels, int k, int blocks, float* packed, float* packedBias)
    {
        for (int b = 0; b < blocks; b++)
        {
            int o0 = outChannels * b / blocks, o1 = outChannels * (b + 1) / blocks;
            for (int r = 0; r < Mr; r++)
            {
                int o = o0 + r;
                float* dst = packed + (nint)b * k * Mr + r;
                for (int t = 0; t < k; t++) dst[t * Mr] = o < o1 ? pw[(nint)o * k + t] : 0f;
                packedBias[b * Mr + r] = o < o1 && pb != null ? pb[o] : 0f;
            }
        }
    }

    // As PackWeights for the kernel wt[c, o, i, j] = w[o, c, kh - 1 - i, kw - 1 - j] of w [o', channels, kh, kw]: block
    // rows are the channels, taps (o, i, j); no bias.
    private static void PackFlipped(float* pw, int forwardOut, int channels, int taps, int blocks, float* packed, float* packedBias)
    {
        int k = forwardOut * taps;
        for (int b = 0; b < blocks; b++)
        {
            int c0 = channels * b / blocks, c1 = channels * (b + 1) / blocks;
            for (int r = 0; r < Mr; r++)
            {
                int c = c0 + r;
                float* dst = packed + (nint)b * k * Mr + r;
                for (int o = 0; o < forwardOut; o++)
                {
                    float* src = pw + ((nint)o * channels + c) * taps + taps - 1;
                    for (int t = 0; t < taps; t++) dst[(o * taps + t) * Mr] = c < c1 ? src[-t] : 0f;
                }
                packedBias[b * Mr + r] = 0f;
            }
        }
    }

    private struct FlatJob : IPartitionBody
    {
        public Window2d Win;
        public int Batch, O, K, Wp, Hp, Plane, ChannelSpan, Panels, Blocks, Parts;
        public float* X, Y, W, Bias;
        public int* Taps;
        public PoolSink Sink;

        public readonly void Run(int part)
        {
            int outH = Win.OutH, outW = Win.OutW, l = outH * outW, grid = outH * Wp;
            long units = (long)Batch * Panels, u0 = units * part / Parts, u1 = units * (part + 1) / Parts;
            // Pooling takes whole samples per thread, each convolved into one sample's scratch.
            if (Sink.On)
            {
                var (first, end) = Sink.Samples(Batch, part, Parts);
                (u0, u1) = (first * Panels, end * Panels);
            }
            float* sampleY = Sink.On ? SampleScratch(O * l) : null;
            // The scratch has slack for the last panel's loads past the grid (their lanes are never stored).
            nint size = (nint)Win.Channels * ChannelSpan + FlatWidth + Wp;
            float* pad = AlignedBuffer.Get(ref padBuffer, size);
            new Span<float>(pad, (int)size).Clear();
            float* tile = stackalloc float[Mr * FlatWidth];
            int current = -1;
            for (long u = u0; u < u1; u++)
            {
                int s = (int)(u / Panels), q0 = (int)(u - (long)s * Panels) * FlatWidth;
                if (s != current)
                {
                    if (Sink.On && current >= 0) Sink.Sample(current, sampleY);
                    CopySample(X, Win, s, pad, Wp, Hp, Plane);
                    current = s;
                }
                float* xq = pad + q0, ys = Sink.On ? sampleY : Y + (nint)s * O * l;
                int count = Math.Min(FlatWidth, grid - q0);
                for (int b = 0; b < Blocks; b++)
                {
                    int o0 = O * b / Blocks, rows = O * (b + 1) / Blocks - o0;
                    float* w = W + (nint)b * K * Mr, bias = Bias + b * Mr;
                    switch (rows)
                    {
                        case 1: FlatTile<Rows1>(K, Taps, w, bias, xq, tile); break;
                        case 2: FlatTile<Rows2>(K, Taps, w, bias, xq, tile); break;
                        case 3: FlatTile<Rows3>(K, Taps, w, bias, xq, tile); break;
                        case 4: FlatTile<Rows4>(K, Taps, w, bias, xq, tile); break;
                        case 5: FlatTile<Rows5>(K, Taps, w, bias, xq, tile); break;
                        case 6: FlatTile<Rows6>(K, Taps, w, bias, xq, tile); break;
                        case 7: FlatTile<Rows7>(K, Taps, w, bias, xq, tile); break;
                        default: FlatTile<Rows8>(K, Taps, w, bias, xq, tile); break;
                    }
                    // The valid positions of each row of the grid, into y.
                    for (int j = 0; j < count;)
                    {
                        int q = q0 + j, oh = q / Wp, ow = q - oh * Wp;
                        if (ow >= outW)
                        {
                            j += Wp - ow;
                            continue;
                        }
                        int len = Math.Min(outW - ow, count - j);
                        float* dst = ys + (nint)o0 * l + oh * outW + ow;
                        for (int r = 0; r < rows; r++)
                            CopyRow(tile + r * FlatWidth + j, dst + (nint)r * l, len);
                        j += len;
                    }
                }
            }
            if (Sink.On && current >= 0) Sink.Sample(current, sampleY);
        }
    }

    /// <summary>TR.Count (up to 8) output channels x 48 positions: tile[r * 48 + lane] = bias[r] + the sum over taps t of w[t * 8 + r] * x[taps[t] + lane].</summary>
    private static void FlatTile<TR>(int k, int* taps, float* w, float* bias, float* x, float* tile)
        where TR : struct, IRows
    {
        int rows = TR.Count;
        Vector512<float> c00 = Vector512.Create(bias[0]), c01 = c00, c02 = c00;
        Vector512<float> c10 = default, c11 = default, c12 = default, c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default, c60 = default, c61 = default, c62 = default;
        Vector512<float> c70 = default, c71 = default, c72 = default;
        if (rows > 1) c12 = c11 = c10 = Vector512.Create(bias[1]);
        if (rows > 2) c22 = c21 = c20 = Vector512.Create(bias[2]);
        if (rows > 3) c32 = c31 = c30 = Vector512.Create(bias[3]);
        if (rows > 4) c42 = c41 = c40 = Vector512.Create(bias[4]);
        if (rows > 5) c52 = c51 = c50 = Vector512.Create(bias[5]);
        if (rows > 6) c62 = c61 = c60 = Vector512.Create(bias[6]);
        if (rows > 7) c72 = c71 = c70 = Vector512.Create(bias[7]);
        for (int t = 0; t < k; t++, w += Mr)
        {
            float* p = x + taps[t];
            var v0 = Vector512.Load(p);
            var v1 = Vector512.Load(p + Vw);
            var v2 = Vector512.Load(p + 2 * Vw);
            var b = Vector512.Create(w[0]);
            c00 = Avx512F.FusedMultiplyAdd(v0, b, c00); c01 = Avx512F.FusedMultiplyAdd(v1, b, c01); c02 = Avx512F.FusedMultiplyAdd(v2, b, c02);
            if (rows > 1) { b = Vector512.Create(w[1]); c10 = Avx512F.FusedMultiplyAdd(v0, b, c10); c11 = Avx512F.FusedMultiplyAdd(v1, b, c11); c12 = Avx512F.FusedMultiplyAdd(v2, b, c12); }
            if (rows > 2) { b = Vector512.Create(w[2]); c20 = Avx512F.FusedMultiplyAdd(v0, b, c20); c21 = Avx512F.FusedMultiplyAdd(v1, b, c21); c22 = Avx512F.FusedMultiplyAdd(v2, b, c22); }
            if (rows > 3) { b = Vector512.Create(w[3]); c30 = Avx512F.FusedMultiplyAdd(v0, b, c30); c31 = Avx512F.FusedMultiplyAdd(v1, b, c31); c32 = Avx512F.FusedMultiplyAdd(v2, b, c32); }
            if (rows > 4) { b = Vector512.Create(w[4]); c40 = Avx512F.FusedMultiplyAdd(v0, b, c40); c41 = Avx512F.FusedMultiplyAdd(v1, b, c41); c42 = Avx512F.FusedMultiplyAdd(v2, b, c42); }
            if (rows > 5) { b = Vector512.Create(w[5]); c50 = Avx512F.FusedMultiplyAdd(v0, b, c50); c51 = Avx512F.FusedMultiplyAdd(v1, b, c51); c52 = Avx512F.FusedMultiplyAdd(v2, b, c52); }
            if (rows > 6) { b = Vector512.Create(w[6]); c60 = Avx512F.FusedMultiplyAdd(v0, b, c60); c61 = Avx512F.FusedMultiplyAdd(v1, b, c61); c62 = Avx512F.FusedMultiplyAdd(v2, b, c62); }
            if (rows > 7) { b = Vector512.Create(w[7]); c70 = Avx512F.FusedMultiplyAdd(v0, b, c70); c71 = Avx512F.FusedMultiplyAdd(v1, b, c71); c72 = Avx512F.FusedMultiplyAdd(v2, b, c72); }
        }
        Put(tile, c00, c01, c02);
        if (rows > 1) Put(tile + FlatWidth, c10, c11, c12);
        if (rows > 2) Put(tile + 2 * FlatWidth, c20, c21, c22);
        if (rows > 3) Put(tile + 3 * FlatWidth, c30, c31, c32);
        if (rows > 4) Put(tile + 4 * FlatWidth, c40, c41, c42);
        if (rows > 5) Put(tile + 5 * FlatWidth, c50, c51, c52);
        if (rows > 6) Put(tile + 6 * FlatWidth, c60, c61, c62);
        if (rows > 7) Put(tile + 7 * FlatWidth, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* dst, Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
        Vector512.Store(a, dst);
        Vector512.Store(b, dst + Vw);
        Vector512.Store(c, dst + 2 * Vw);
    }
}
