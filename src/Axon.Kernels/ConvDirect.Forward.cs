using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The direct convolution's forward: packing, the job over output rows and the register tile (see ConvDirect.cs).
public static unsafe partial class ConvDirect
{
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
        ForwardInto(x, batch, win, w, outChannels, bias, y, threads, default);
    }

    // The forward into y, or (sink on) into one sample's scratch that the sink pools.
    private static void ForwardInto(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias, Span<float> y, int threads, PoolSink sink)
    {
        int k = win.ColRows, l = win.OutPlaneSize;
        if (batch == 0 || outChannels == 0 || l == 0) return;
        var job = Geometry<ForwardJob>(batch, win, outChannels, threads);
        if (sink.On) job.Parts = Math.Min(job.Parts, batch);
        job.Sink = sink;
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

    private struct ForwardJob : IDirectJob
    {
        public Window2d Win;
        public int Batch, O, K, Wp, Hp, Plane, ChunksPerRow, Blocks, Parts;
        public float* X, Y, W, Bias;
        public int* Taps;
        public PoolSink Sink;

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
            // Pooling takes whole samples per thread, each convolved into one sample's scratch.
            if (Sink.On)
            {
                var (first, end) = Sink.Samples(Batch, part, Parts);
                (r0, r1) = (first * outH, end * outH);
            }
            float* sampleY = Sink.On ? SampleScratch(O * l) : null;
            float* pad = Scratch(Win, Plane);
            while (r0 < r1)
            {
                int s = (int)(r0 / outH), ohA = (int)(r0 - (long)s * outH), ohB = (int)Math.Min(outH, ohA + (r1 - r0));
                CopySample(X, Win, s, pad, Wp, Hp, Plane);
                float* ys = Sink.On ? sampleY : Y + (nint)s * O * l;
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
                if (Sink.On) Sink.Sample(s, sampleY);   // whole samples: ohA = 0 and ohB = outH
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
    private static void Store(float* ya, float* yb, Vector512<float> ma, Vector512<float> mb, int na, int nb, Vector512<float> a, Vector512<float> b)
    {
        if (na == Vw) Vector512.Store(a, ya);
        else Avx512F.MaskStore(ya, ma, a);
        if (nb == Vw) Vector512.Store(b, yb);
        else if (nb > 0) Avx512F.MaskStore(yb, mb, b);
    }
}
