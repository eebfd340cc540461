using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The weight gradient over flat padded planes (see ConvDirect.Flat.cs for the grid).
public static unsafe partial class ConvDirect
{
    private const int GradFlatRows = ConvWeightGrad.Or, GradFlatTaps = ConvWeightGrad.Kr, GradFlatLanes = ConvWeightGrad.Lanes;

    /// <summary>
    /// gw = the weight gradient of y = conv(x, w) over flat padded planes: gW[o, t] = the sum over samples and grid
    /// positions q of gY[o, q] * xpad[tap t at q]. x [N, Channels, Height, Width], gy [N, O, OutH, OutW], gw [O, Channels,
    /// kh, kw] (overwritten); <see cref="Supports"/> must accept <paramref name="win"/>.
    /// </summary>
    /// <remarks>
    /// gY is copied onto the grid (its wasted columns zero) and x into the padded scratch, a few samples at a time (about
    /// 512 grid positions); a register tile of 3 output channels x 8 taps accumulates 24 vectors over them, reading every
    /// tap as a load at its fixed offset, masked to zero on the wasted columns (so that an infinite input there cannot
    /// turn into 0 * inf = NaN); the tile is folded into [O, K, 4] partial sums as in <see cref="ConvWeightGrad"/>.
    /// Threads take contiguous ranges of samples, each with its own partial sums, added in part order at the end.
    /// </remarks>
    public static void WeightGradFlat(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, int batch, in Window2d win, int outChannels, Span<float> gw, int threads)
    {
        if (!SupportsFlat(win, 1)) throw new NotSupportedException("ConvDirect: the window is outside the kernel's scope (see SupportsFlat).");
        int k = win.ColRows, l = win.OutPlaneSize;
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || gy.Length < (long)batch * outChannels * l || gw.Length < (long)outChannels * k)
            throw new ArgumentException("ConvDirect.WeightGradFlat: a span is shorter than the shapes need.");
        if (outChannels == 0) return;
        gw[..(outChannels * k)].Clear();
        if (batch == 0 || l == 0) return;
        var job = new FlatGradJob { Win = win, Batch = batch, O = outChannels, K = k };
        (job.Wp, job.Hp, job.Plane, job.ChannelSpan) = FlatPlanes(win);
        job.Gv = (win.OutH * job.Wp + Vw - 1) / Vw * Vw;
        job.Chunk = Math.Clamp(512 / job.Gv, 1, batch);
        job.Opad = (outChannels + GradFlatRows - 1) / GradFlatRows * GradFlatRows;
        job.Kpad = (k + GradFlatTaps - 1) / GradFlatTaps * GradFlatTaps;
        long work = (long)batch * l * outChannels * k;
        job.Parts = (int)Math.Clamp(Math.Min(batch, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        job.AccSize = (nint)job.Opad * job.Kpad * GradFlatLanes;
        float* acc = AlignedBuffer.Get(ref accBuffer, job.Parts * job.AccSize);
        new Span<float>(acc, (int)(job.Parts * job.AccSize)).Clear();
        // Lane masks of the grid's vectors: set where the column is an output column.
        float* masks = AlignedBuffer.Get(ref maskBuffer, job.Gv);
        for (int q = 0; q < job.Gv; q++) masks[q] = q < win.OutH * job.Wp && q % job.Wp < win.OutW ? BitConverter.Int32BitsToSingle(-1) : 0f;
        fixed (float* px = x)
        fixed (float* pgy = gy)
        fixed (float* pgw = gw)
        {
            job.X = px;
            job.Y = pgy;
            job.Acc = acc;
            job.Masks = masks;
            job.Taps = TapOffsets(win, job.Wp, job.Plane, job.Kpad);
            KernelThreads.For(job.Parts, ref job);
            for (int o = 0; o < outChannels; o++)
                for (int t = 0; t < k; t++)
                {
                    float s = 0f;
                    float* a = acc + ((nint)o * job.Kpad + t) * GradFlatLanes;
                    for (int part = 0; part < job.Parts; part++, a += job.AccSize) s += (a[0] + a[1]) + (a[2] + a[3]);
                    pgw[(nint)o * k + t] = s;
                }
        }
    }

    private struct FlatGradJob : IPartitionBody
    {
        public Window2d Win;
        public int Batch, O, K, Wp, Hp, Plane, ChannelSpan, Gv, Chunk, Opad, Kpad, Parts;
        public nint AccSize;
        public float* X, Y, Acc, Masks;
        public int* Taps;

        public readonly void Run(int part)
        {
            int outH = Win.OutH, outW = Win.OutW, l = outH * outW, c = Win.Channels;
            int s0 = (int)((long)Batch * part / Parts), s1 = (int)((long)Batch * (part + 1) / Parts);
            nint xSize = (nint)c * ChannelSpan + Vw + Wp, gSize = (nint)Opad * Gv;
            // Per sample of a chunk: the padded x, then gY on the grid (rows past O zero).
            float* scratch = AlignedBuffer.Get(ref padBuffer, Chunk * (xSize + gSize));
            new Span<float>(scratch, (int)(Chunk * (xSize + gSize))).Clear();
            float* acc = Acc + part * AccSize;
            for (int n0 = s0; n0 < s1; n0 += Chunk)
            {
                int count = Math.Min(Chunk, s1 - n0);
                bool finite = true;
                for (int i = 0; i < count; i++)
                {
                    float* xs = scratch + i * (xSize + gSize), gs = xs + xSize;
                    finite &= CopySampleFinite(X, Win, n0 + i, xs, Wp, Hp, Plane);
                    float* src = Y + (nint)(n0 + i) * O * l;
                    for (int o = 0; o < O; o++)
                        for (int oh = 0; oh < outH; oh++)
                            new ReadOnlySpan<float>(src + (nint)o * l + oh * outW, outW).CopyTo(new Span<float>(gs + (nint)o * Gv + oh * Wp, outW));
                }
                for (int ot = 0; ot < Opad; ot += GradFlatRows)
                    for (int kt = 0; kt < Kpad; kt += GradFlatTaps)
                        if (finite) FlatGradTile<NoMask>(scratch, xSize + gSize, xSize + (nint)ot * Gv, Gv, count, Taps + kt, Masks, acc + ((nint)ot * Kpad + kt) * GradFlatLanes, (nint)Kpad * GradFlatLanes);
                        else FlatGradTile<LaneMask>(scratch, xSize + gSize, xSize + (nint)ot * Gv, Gv, count, Taps + kt, Masks, acc + ((nint)ot * Kpad + kt) * GradFlatLanes, (nint)Kpad * GradFlatLanes);
            }
        }
    }

    // acc[r * lda + j * 4 ..] += partial sums over the samples of the chunk (stride ss from s) and the gv grid
    // positions of gY row r (at g0 + r * gv) times tap j (x at taps[j], masked to the output columns), r < 3, j < 8.
    private static void FlatGradTile<TM>(float* s, nint ss, nint g0, int gv, int samples, int* taps, float* masks, float* acc, nint lda)
        where TM : struct, IMasking
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
        nint t0 = taps[0], t1 = taps[1], t2 = taps[2], t3 = taps[3], t4 = taps[4], t5 = taps[5], t6 = taps[6], t7 = taps[7];
        for (int si = 0; si < samples; si++, s += ss)
        {
            float* g = s + g0;
            for (nint i = 0; i < gv; i += Vw)
            {
                var m = TM.On ? Vector512.Load(masks + i) : default;
                var y0 = Vector512.Load(g + i);
                var y1 = Vector512.Load(g + gv + i);
                var y2 = Vector512.Load(g + 2 * gv + i);
                float* xi = s + i;
                var v = TM.On ? Avx512F.MaskLoad(xi + t0, m, Vector512<float>.Zero) : Vector512.Load(xi + t0); a00 = Avx512F.FusedMultiplyAdd(y0, v, a00); a10 = Avx512F.FusedMultiplyAdd(y1, v, a10); a20 = Avx512F.FusedMultiplyAdd(y2, v, a20);
                v = TM.On ? Avx512F.MaskLoad(xi + t1, m, Vector512<float>.Zero) : Vector512.Load(xi + t1); a01 = Avx512F.FusedMultiplyAdd(y0, v, a01); a11 = Avx512F.FusedMultiplyAdd(y1, v, a11); a21 = Avx512F.FusedMultiplyAdd(y2, v, a21);
                v = TM.On ? Avx512F.MaskLoad(xi + t2, m, Vector512<float>.Zero) : Vector512.Load(xi + t2); a02 = Avx512F.FusedMultiplyAdd(y0, v, a02); a12 = Avx512F.FusedMultiplyAdd(y1, v, a12); a22 = Avx512F.FusedMultiplyAdd(y2, v, a22);
                v = TM.On ? Avx512F.MaskLoad(xi + t3, m, Vector512<float>.Zero) : Vector512.Load(xi + t3); a03 = Avx512F.FusedMultiplyAdd(y0, v, a03); a13 = Avx512F.FusedMultiplyAdd(y1, v, a13); a23 = Avx512F.FusedMultiplyAdd(y2, v, a23);
                v = TM.On ? Avx512F.MaskLoad(xi + t4, m, Vector512<float>.Zero) : Vector512.Load(xi + t4); a04 = Avx512F.FusedMultiplyAdd(y0, v, a04); a14 = Avx512F.FusedMultiplyAdd(y1, v, a14); a24 = Avx512F.FusedMultiplyAdd(y2, v, a24);
                v = TM.On ? Avx512F.MaskLoad(xi + t5, m, Vector512<float>.Zero) : Vector512.Load(xi + t5); a05 = Avx512F.FusedMultiplyAdd(y0, v, a05); a15 = Avx512F.FusedMultiplyAdd(y1, v, a15); a25 = Avx512F.FusedMultiplyAdd(y2, v, a25);
                v = TM.On ? Avx512F.MaskLoad(xi + t6, m, Vector512<float>.Zero) : Vector512.Load(xi + t6); a06 = Avx512F.FusedMultiplyAdd(y0, v, a06); a16 = Avx512F.FusedMultiplyAdd(y1, v, a16); a26 = Avx512F.FusedMultiplyAdd(y2, v, a26);
                v = TM.On ? Avx512F.MaskLoad(xi + t7, m, Vector512<float>.Zero) : Vector512.Load(xi + t7); a07 = Avx512F.FusedMultiplyAdd(y0, v, a07); a17 = Avx512F.FusedMultiplyAdd(y1, v, a17); a27 = Avx512F.FusedMultiplyAdd(y2, v, a27);
            }
        }
        ConvWeightGrad.FoldRow(acc, a00, a01, a02, a03, a04, a05, a06, a07);
        ConvWeightGrad.FoldRow(acc + lda, a10, a11, a12, a13, a14, a15, a16, a17);
        ConvWeightGrad.FoldRow(acc + 2 * lda, a20, a21, a22, a23, a24, a25, a26, a27);
    }

    // Copies sample s of x into the padded scratch as CopySample does; false when it holds an infinity or a NaN.
    private static bool CopySampleFinite(float* x, in Window2d win, int s, float* pad, int wp, int hp, int plane)
    {
        if (win.StrideH > 1 || win.StrideW > 1) return CopyPhases(x, win, s, pad, wp, hp, plane);
        int rows = Math.Min(win.Height, hp - win.PadTop), cols = Math.Min(win.Width, wp - win.PadLeft);
        float* src = x + (nint)s * win.Channels * win.PlaneSize;
        var zero = Vector512<float>.Zero;
        var check = zero;
        var tail = Mask(cols % Vw);
        int full = cols / Vw * Vw;
        for (int c = 0; c < win.Channels; c++)
        {
            float* dst = pad + (nint)c * plane + (nint)win.PadTop * wp + win.PadLeft;
            float* from = src + (nint)c * win.PlaneSize;
            for (int ih = 0; ih < rows; ih++, from += win.Width, dst += wp)
            {
                int j = 0;
                for (; j < full; j += Vw)
                {
                    var v = Vector512.Load(from + j);
                    Vector512.Store(v, dst + j);
                    check += v * zero;
                }
                if (j < cols)
                {
                    var v = Avx512F.MaskLoad(from + j, tail, zero);
                    Avx512F.MaskStore(dst + j, tail, v);
                    check += v * zero;
                }
            }
        }
        // x * 0 is 0 for finite x and NaN for an infinity or a NaN.
        return Vector512.EqualsAll(check, zero);
    }

    // Whether the weight-gradient tile masks its loads of x to the output columns.
    private interface IMasking
    {
        static abstract bool On { get; }
    }

    private struct NoMask : IMasking { public static bool On => false; }

    private struct LaneMask : IMasking { public static bool On => true; }

    [ThreadStatic] private static float[]? maskBuffer;
}
