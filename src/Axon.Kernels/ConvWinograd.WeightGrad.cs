using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The weight gradient by F(2x2, 3x3): y = Aᵀ [(G g Gᵀ) ⊙ V] A is linear in g, so dL/dg = Gᵀ [Σ over tiles of
// (A gY Aᵀ) ⊙ V] G, where the sum over the tiles of the batch is, per ξ, one GEMM dU[ξ] = Z[ξ] V[ξ]ᵀ ([O, tiles] x
// [tiles, C]) with Z = A gY Aᵀ the 4x4 transform of each 2x2 tile of the output gradient.
public static unsafe partial class ConvWinograd
{
    /// <summary>
    /// gw = ∂L/∂w of y = conv(x, w) (3x3, unit stride, <see cref="Supports"/>), from x [N, Channels, Height, Width] and
    /// gy [N, O, OutH, OutW]; gw [O, Channels, 3, 3] is overwritten. Each part of the batch sums its tiles into its own
    /// dU, and the parts are added in order: deterministic for a given thread count.
    /// </summary>
    public static void WeightGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, int batch, in Window2d win, int outChannels, Span<float> gw, int threads)
    {
        if (!Supports(win, 1)) throw new NotSupportedException("ConvWinograd.WeightGrad: the window is outside the kernel's scope (see Supports).");
        int c = win.Channels, o = outChannels;
        if (x.Length < (long)batch * c * win.PlaneSize || gy.Length < (long)batch * o * win.OutPlaneSize || gw.Length < (long)o * c * 9)
            throw new ArgumentException("ConvWinograd.WeightGrad: a span is shorter than the shapes need.");
        if (batch == 0 || o == 0)
        {
            gw[..(o * c * 9)].Clear();
            return;
        }
        var job = new GradJob { Win = win, Batch = batch, O = o };
        job.TilesX = (win.OutW + 1) / 2;
        job.TilesY = (win.OutH + 1) / 2;
        job.Slots = SlotsPerRow(job.TilesX);
        job.Wq = 2 * job.TilesX + 2;
        job.Hq = 2 * job.TilesY + 2;
        job.Plane = job.Wq * job.Hq;
        job.Cp = (c + Vw - 1) / Vw * Vw;
        // V, its transpose and Z of a block within the budget.
        int tp = Math.Max(Vw, VBudget / (Xi * (c + job.Cp + o)) / Vw * Vw);
        job.Rows = Math.Max(tp / job.Slots, RowsPerVector(job.Slots));
        job.Tp = job.Rows * job.Slots;
        long tileRows = (long)batch * job.TilesY;
        job.Blocks = (tileRows + job.Rows - 1) / job.Rows;
        long work = tileRows * job.TilesX * o * c * 16;
        job.Parts = (int)Math.Clamp(Math.Min(job.Blocks, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        nint du = (nint)Xi * o * job.Cp;
        float* sums = AlignedBuffer.Get(ref gradSumBuffer, du * job.Parts);
        new Span<float>(sums, (int)(du * job.Parts)).Clear();
        fixed (float* px = x)
        fixed (float* pg = gy)
        {
            job.X = px;
            job.Gy = pg;
            job.Sums = sums;
            KernelThreads.For(job.Parts, ref job);
        }
        // The parts in order, then gw[o, c] = Gᵀ dU[o, c] G.
        for (int p = 1; p < job.Parts; p++)
            for (nint i = 0; i < du; i++) sums[i] += sums[p * du + i];
        Span<double> d = stackalloc double[16];
        Span<double> h = stackalloc double[12];
        for (int oc = 0; oc < o; oc++)
            for (int ci = 0; ci < c; ci++)
            {
                for (int xi = 0; xi < Xi; xi++) d[xi] = sums[((nint)xi * o + oc) * job.Cp + ci];
                // Gᵀ's rows: (1, 1/2, 1/2, 0), (0, 1/2, -1/2, 0), (0, 1/2, 1/2, 1); first over the rows of d, then the columns.
                for (int j = 0; j < 4; j++)
                {
                    double a = d[j], b = d[4 + j], e = d[8 + j], f = d[12 + j];
                    h[j] = a + 0.5 * (b + e);
                    h[4 + j] = 0.5 * (b - e);
                    h[8 + j] = 0.5 * (b + e) + f;
                }
                var dst = gw.Slice((oc * c + ci) * 9, 9);
                for (int i = 0; i < 3; i++)
                {
                    double a = h[4 * i], b = h[4 * i + 1], e = h[4 * i + 2], f = h[4 * i + 3];
                    dst[3 * i] = (float)(a + 0.5 * (b + e));
                    dst[3 * i + 1] = (float)(0.5 * (b - e));
                    dst[3 * i + 2] = (float)(0.5 * (b + e) + f);
                }
            }
    }

    private struct GradJob : IPartitionBody
    {
        public Window2d Win;
        public int Batch, O, TilesX, TilesY, Slots, Wq, Hq, Plane, Rows, Tp, Cp, Parts;
        public long Blocks;
        public float* X, Gy, Sums;

        public readonly void Run(int part)
        {
            int c = Win.Channels, o = O, tp = Tp, slots = Slots, cp = Cp;
            nint vStride = (nint)c * tp + Vw, tStride = (nint)tp * cp + Vw, zStride = (nint)o * tp + Vw;
            float* v = AlignedBuffer.Get(ref inputBuffer, Xi * vStride + Vw);
            float* vt = AlignedBuffer.Get(ref transposedBuffer, Xi * tStride + Vw);
            float* z = AlignedBuffer.Get(ref productBuffer, Xi * zStride + Vw);
            // Channels past C in the transposed rows stay zero.
            new Span<float>(vt, (int)(Xi * tStride)).Clear();
            // Padded samples of x and of gy (its tiles' outputs past OutH and OutW read zero), as many as a vector's
            // tile rows may span. Read in place by masked loads instead, gy measured slower: 64 planes' short rows per
            // block rather than one stream.
            int wg = 2 * TilesX, hg = 2 * TilesY, gPlane = wg * hg, group = RowsPerVector(slots), padSlots = PadSlots(slots);
            nint padSize = (nint)c * Plane, padAll = padSlots * padSize + 5 * Vw, gSize = (nint)o * gPlane, gAll = padSlots * gSize + 5 * Vw;
            float* pads = AlignedBuffer.Get(ref padBuffer, padAll);
            new Span<float>(pads, (int)padAll).Clear();
            float* gpads = AlignedBuffer.Get(ref gradPadBuffer, gAll);
            new Span<float>(gpads, (int)gAll).Clear();
            var gwin = new Window2d(o, Win.OutH, Win.OutW, 1, 1, 1, 1, 0, 0, 1, 1, Win.OutH, Win.OutW);
            int* held = stackalloc int[2 * padSlots];
            new Span<int>(held, 2 * padSlots).Fill(-1);
            int* sample = stackalloc int[Rows + group], ty = stackalloc int[Rows + group];
            float** xRows = stackalloc float*[group], gRows = stackalloc float*[group];
            var masks = stackalloc Vector512<float>[tp / Vw];
            float* sums = Sums + (nint)part * Xi * o * cp;
            long tileRows = (long)Batch * TilesY;
            for (long blk = Blocks * part / Parts, end = Blocks * (part + 1) / Parts; blk < end; blk++)
            {
                long g0 = blk * Rows;
                int rows = (int)Math.Min(Rows, tileRows - g0), tiles = (rows * slots + Vw - 1) / Vw * Vw;
                for (int r = 0; r < rows; r++)
                {
                    sample[r] = (int)((g0 + r) / TilesY);
                    ty[r] = (int)(g0 + r - (long)sample[r] * TilesY);
                }
                for (int r = rows; r < rows + group; r++) (sample[r], ty[r]) = (sample[rows - 1], ty[rows - 1]);
                for (int r = 0; r < rows; r += group)
                {
                    if (slots < Vw)
                    {
                        for (int k = 0; k < group; k++)
                        {
                            xRows[k] = Padded(X, Win, pads, padSize, held, padSlots, sample[r + k], Wq, Hq, Plane) + 2 * ty[r + k] * Wq;
                            gRows[k] = Padded(Gy, gwin, gpads, gSize, held + padSlots, padSlots, sample[r + k], wg, hg, gPlane) + 2 * ty[r + k] * wg;
                        }
                        for (int ci = 0; ci < c; ci++)
                            TransformInputGroup(xRows, (nint)ci * Plane, Wq, slots, v + (nint)ci * tp + r * slots, vStride);
                        var keep = SlotMask(r * slots, rows);
                        for (int oi = 0; oi < o; oi++)
                            TransformGradient(gRows, (nint)oi * gPlane, wg, slots, z + (nint)oi * tp + r * slots, zStride, keep);
                        continue;
                    }
                    float* pa = Padded(X, Win, pads, padSize, held, padSlots, sample[r], Wq, Hq, Plane) + 2 * ty[r] * Wq;
                    float* ga = Padded(Gy, gwin, gpads, gSize, held + padSlots, padSlots, sample[r], wg, hg, gPlane) + 2 * ty[r] * wg;
                    for (int ci = 0; ci < c; ci++)
                        TransformInputRow(pa + (nint)ci * Plane, Wq, slots / Vw, v + (nint)ci * tp + r * slots, vStride);
                    for (int k = 0; k < slots / Vw; k++)
                    {
                        var keep = SlotMask(r * slots + k * Vw, rows);
                        float* chunk = ga + 2 * k * Vw, chunkHigh = chunk + Vw;
                        for (int oi = 0; oi < o; oi++)
                            TransformGradientChunk(chunk + (nint)oi * gPlane, chunkHigh + (nint)oi * gPlane, wg, z + (nint)oi * tp + r * slots + k * Vw, zStride, keep);
                    }
                }
                // The empty slots (past a row's tiles, or the odd last row of pairs) are zero in Z and in Vᵀ, so that
                // they add nothing, even where the other reads an infinity.
                for (int t = 0; t < tiles; t += Vw) masks[t / Vw] = SlotMask(t, rows);
                for (int xi = 0; xi < Xi; xi++)
                {
                    Transpose(v + xi * vStride, tp, c, tiles, masks, vt + xi * tStride, cp);
                    Accumulate(z + xi * zStride, tp, o, vt + xi * tStride, cp, tiles, sums + (nint)xi * o * cp);
                }
            }
        }

        // All-ones lanes for the slots t0 .. t0 + 15 of the block that hold a tile: a row below rows, a column below TilesX.
        private readonly Vector512<float> SlotMask(int t0, int rows)
        {
            var t = Vector512.Create(t0) + Vector512<int>.Indices;
            Vector512<int> r, tx;
            if (Slots < Vw)
            {
                int shift = System.Numerics.BitOperations.Log2((uint)Slots);
                (r, tx) = (t >>> shift, t & Vector512.Create(Slots - 1));
            }
            else (r, tx) = (Vector512.Create(t0 / Slots), Vector512.Create(t0 % Slots) + Vector512<int>.Indices);
            return (Vector512.LessThan(r, Vector512.Create(rows)) & Vector512.LessThan(tx, Vector512.Create(TilesX))).AsSingle();
        }
    }

    // The scratch (of padSlots, by sample index modulo padSlots) holding sample s of a padded; copied there when it is not yet.
    private static float* Padded(float* src, in Window2d win, float* pads, nint padSize, int* held, int padSlots, int s, int wp, int hp, int plane)
    {
        int slot = s & (padSlots - 1);
        float* pad = pads + slot * padSize;
        if (held[slot] != s)
        {
            ConvDirect.CopySample(src, win, s, pad, wp, hp, plane);
            held[slot] = s;
        }
        return pad;
    }

    /// <summary>As <see cref="TransformGradientChunk"/> for 16 / slots tile rows of up to slots tiles, their rows assembled as in <see cref="TransformInputGroup"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TransformGradient(float** rows, nint at, int wg, int slots, float* dst, nint stride, Vector512<float> keep)
    {
        int h = Vw / (2 * slots);
        GradientTile(Piece(rows, 0, at, slots), Piece(rows, h, at, slots), Piece(rows, 0, at + wg, slots), Piece(rows, h, at + wg, slots), dst, stride, keep);
    }

    /// <summary>
    /// Z = A g Aᵀ (A = [1 0; 1 1; 1 -1; 0 -1]) of the 2x2 gradient tiles whose rows start at the even columns of
    /// <paramref name="lo"/> (lanes 0-7) and <paramref name="hi"/> (lanes 8-15), two rows of <paramref name="wg"/>;
    /// lanes outside <paramref name="keep"/> zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TransformGradientChunk(float* lo, float* hi, int wg, float* dst, nint stride, Vector512<float> keep) =>
        GradientTile(Vector512.Load(lo), Vector512.Load(hi), Vector512.Load(lo + wg), Vector512.Load(hi + wg), dst, stride, keep);

    // The tiles' first rows are the even and odd lanes of (r0a, r0b), their second rows those of (r1a, r1b).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientTile(Vector512<float> r0a, Vector512<float> r0b, Vector512<float> r1a, Vector512<float> r1b, float* dst, nint stride, Vector512<float> keep)
    {
        // Columns 2 tx and 2 tx + 1 of rows 0 and 1.
        var e0 = Avx512F.PermuteVar16x32x2(r0a, Evens, r0b) & keep;
        var o0 = Avx512F.PermuteVar16x32x2(r0a, Odds, r0b) & keep;
        var e1 = Avx512F.PermuteVar16x32x2(r1a, Evens, r1b) & keep;
        var o1 = Avx512F.PermuteVar16x32x2(r1a, Odds, r1b) & keep;
        // A over the rows: g0, g0 + g1, g0 - g1, -g1.
        GradientColumns(e0, o0, dst, stride);
        GradientColumns(e0 + e1, o0 + o1, dst + 4 * stride, stride);
        GradientColumns(e0 - e1, o0 - o1, dst + 8 * stride, stride);
        GradientColumns(-e1, -o1, dst + 12 * stride, stride);
    }

    // Aᵀ over the columns: e, e + o, e - o, -o.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumns(Vector512<float> e, Vector512<float> o, float* dst, nint stride)
    {
        Vector512.Store(e, dst);
        Vector512.Store(e + o, dst + stride);
        Vector512.Store(e - o, dst + 2 * stride);
        Vector512.Store(-o, dst + 3 * stride);
    }

    /// <summary>
    /// vt[t, c] = v[c, t] &amp; mask of t's group, for the block's tiles t &lt; <paramref name="tiles"/> and channels c &lt;
    /// <paramref name="channels"/> (16 x 16 blocks transposed in registers by four rounds of two-source permutes; the
    /// rows' channels past <paramref name="channels"/> are left as they are: zero).
    /// </summary>
    private static void Transpose(float* v, int ld, int channels, int tiles, Vector512<float>* masks, float* vt, int ldt)
    {
        for (int t0 = 0; t0 < tiles; t0 += Vw)
        {
            var keep = masks[t0 / Vw];
            for (int c0 = 0; c0 < channels; c0 += Vw)
                Transpose16(v + (nint)c0 * ld + t0, ld, Math.Min(Vw, channels - c0), keep, vt + (nint)t0 * ldt + c0, ldt, Math.Min(Vw, channels - c0));
        }
    }

    // Transposes the 16 x 16 matrix whose rows are at rows[0..15] (stride ld) into dst (stride ldt), masking each row
    // with keep first: at level b, the lanes with bit b set of row i swap with the lanes with bit b clear of row i + b.
    // Unrolled so that the 16 rows stay in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(float* src, nint ld, int n, Vector512<float> keep, float* dst, nint ldt, int lanes)
    {
        var r0 = Vector512.Load(src) & keep;
        var r1 = 1 < n ? Vector512.Load(src + 1 * ld) & keep : default;
        var r2 = 2 < n ? Vector512.Load(src + 2 * ld) & keep : default;
        var r3 = 3 < n ? Vector512.Load(src + 3 * ld) & keep : default;
        var r4 = 4 < n ? Vector512.Load(src + 4 * ld) & keep : default;
        var r5 = 5 < n ? Vector512.Load(src + 5 * ld) & keep : default;
        var r6 = 6 < n ? Vector512.Load(src + 6 * ld) & keep : default;
        var r7 = 7 < n ? Vector512.Load(src + 7 * ld) & keep : default;
        var r8 = 8 < n ? Vector512.Load(src + 8 * ld) & keep : default;
        var r9 = 9 < n ? Vector512.Load(src + 9 * ld) & keep : default;
        var r10 = 10 < n ? Vector512.Load(src + 10 * ld) & keep : default;
        var r11 = 11 < n ? Vector512.Load(src + 11 * ld) & keep : default;
        var r12 = 12 < n ? Vector512.Load(src + 12 * ld) & keep : default;
        var r13 = 13 < n ? Vector512.Load(src + 13 * ld) & keep : default;
        var r14 = 14 < n ? Vector512.Load(src + 14 * ld) & keep : default;
        var r15 = 15 < n ? Vector512.Load(src + 15 * ld) & keep : default;
        var lo0 = SwapLow0;
        var hi0 = SwapHigh0;
        (r0, r1) = (Avx512F.PermuteVar16x32x2(r0, lo0, r1), Avx512F.PermuteVar16x32x2(r0, hi0, r1));
        (r2, r3) = (Avx512F.PermuteVar16x32x2(r2, lo0, r3), Avx512F.PermuteVar16x32x2(r2, hi0, r3));
        (r4, r5) = (Avx512F.PermuteVar16x32x2(r4, lo0, r5), Avx512F.PermuteVar16x32x2(r4, hi0, r5));
        (r6, r7) = (Avx512F.PermuteVar16x32x2(r6, lo0, r7), Avx512F.PermuteVar16x32x2(r6, hi0, r7));
        (r8, r9) = (Avx512F.PermuteVar16x32x2(r8, lo0, r9), Avx512F.PermuteVar16x32x2(r8, hi0, r9));
        (r10, r11) = (Avx512F.PermuteVar16x32x2(r10, lo0, r11), Avx512F.PermuteVar16x32x2(r10, hi0, r11));
        (r12, r13) = (Avx512F.PermuteVar16x32x2(r12, lo0, r13), Avx512F.PermuteVar16x32x2(r12, hi0, r13));
        (r14, r15) = (Avx512F.PermuteVar16x32x2(r14, lo0, r15), Avx512F.PermuteVar16x32x2(r14, hi0, r15));
        var lo1 = SwapLow1;
        var hi1 = SwapHigh1;
        (r0, r2) = (Avx512F.PermuteVar16x32x2(r0, lo1, r2), Avx512F.PermuteVar16x32x2(r0, hi1, r2));
        (r1, r3) = (Avx512F.PermuteVar16x32x2(r1, lo1, r3), Avx512F.PermuteVar16x32x2(r1, hi1, r3));
        (r4, r6) = (Avx512F.PermuteVar16x32x2(r4, lo1, r6), Avx512F.PermuteVar16x32x2(r4, hi1, r6));
        (r5, r7) = (Avx512F.PermuteVar16x32x2(r5, lo1, r7), Avx512F.PermuteVar16x32x2(r5, hi1, r7));
        (r8, r10) = (Avx512F.PermuteVar16x32x2(r8, lo1, r10), Avx512F.PermuteVar16x32x2(r8, hi1, r10));
        (r9, r11) = (Avx512F.PermuteVar16x32x2(r9, lo1, r11), Avx512F.PermuteVar16x32x2(r9, hi1, r11));
        (r12, r14) = (Avx512F.PermuteVar16x32x2(r12, lo1, r14), Avx512F.PermuteVar16x32x2(r12, hi1, r14));
        (r13, r15) = (Avx512F.PermuteVar16x32x2(r13, lo1, r15), Avx512F.PermuteVar16x32x2(r13, hi1, r15));
        var lo2 = SwapLow2;
        var hi2 = SwapHigh2;
        (r0, r4) = (Avx512F.PermuteVar16x32x2(r0, lo2, r4), Avx512F.PermuteVar16x32x2(r0, hi2, r4));
        (r1, r5) = (Avx512F.PermuteVar16x32x2(r1, lo2, r5), Avx512F.PermuteVar16x32x2(r1, hi2, r5));
        (r2, r6) = (Avx512F.PermuteVar16x32x2(r2, lo2, r6), Avx512F.PermuteVar16x32x2(r2, hi2, r6));
        (r3, r7) = (Avx512F.PermuteVar16x32x2(r3, lo2, r7), Avx512F.PermuteVar16x32x2(r3, hi2, r7));
        (r8, r12) = (Avx512F.PermuteVar16x32x2(r8, lo2, r12), Avx512F.PermuteVar16x32x2(r8, hi2, r12));
        (r9, r13) = (Avx512F.PermuteVar16x32x2(r9, lo2, r13), Avx512F.PermuteVar16x32x2(r9, hi2, r13));
        (r10, r14) = (Avx512F.PermuteVar16x32x2(r10, lo2, r14), Avx512F.PermuteVar16x32x2(r10, hi2, r14));
        (r11, r15) = (Avx512F.PermuteVar16x32x2(r11, lo2, r15), Avx512F.PermuteVar16x32x2(r11, hi2, r15));
        var lo3 = SwapLow3;
        var hi3 = SwapHigh3;
        (r0, r8) = (Avx512F.PermuteVar16x32x2(r0, lo3, r8), Avx512F.PermuteVar16x32x2(r0, hi3, r8));
        (r1, r9) = (Avx512F.PermuteVar16x32x2(r1, lo3, r9), Avx512F.PermuteVar16x32x2(r1, hi3, r9));
        (r2, r10) = (Avx512F.PermuteVar16x32x2(r2, lo3, r10), Avx512F.PermuteVar16x32x2(r2, hi3, r10));
        (r3, r11) = (Avx512F.PermuteVar16x32x2(r3, lo3, r11), Avx512F.PermuteVar16x32x2(r3, hi3, r11));
        (r4, r12) = (Avx512F.PermuteVar16x32x2(r4, lo3, r12), Avx512F.PermuteVar16x32x2(r4, hi3, r12));
        (r5, r13) = (Avx512F.PermuteVar16x32x2(r5, lo3, r13), Avx512F.PermuteVar16x32x2(r5, hi3, r13));
        (r6, r14) = (Avx512F.PermuteVar16x32x2(r6, lo3, r14), Avx512F.PermuteVar16x32x2(r6, hi3, r14));
        (r7, r15) = (Avx512F.PermuteVar16x32x2(r7, lo3, r15), Avx512F.PermuteVar16x32x2(r7, hi3, r15));
        var m = Mask(lanes);
        Put(r0, dst + 0 * ldt, m, lanes);
        Put(r1, dst + 1 * ldt, m, lanes);
        Put(r2, dst + 2 * ldt, m, lanes);
        Put(r3, dst + 3 * ldt, m, lanes);
        Put(r4, dst + 4 * ldt, m, lanes);
        Put(r5, dst + 5 * ldt, m, lanes);
        Put(r6, dst + 6 * ldt, m, lanes);
        Put(r7, dst + 7 * ldt, m, lanes);
        Put(r8, dst + 8 * ldt, m, lanes);
        Put(r9, dst + 9 * ldt, m, lanes);
        Put(r10, dst + 10 * ldt, m, lanes);
        Put(r11, dst + 11 * ldt, m, lanes);
        Put(r12, dst + 12 * ldt, m, lanes);
        Put(r13, dst + 13 * ldt, m, lanes);
        Put(r14, dst + 14 * ldt, m, lanes);
        Put(r15, dst + 15 * ldt, m, lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector512<float> v, float* dst, Vector512<float> mask, int lanes)
    {
        if (lanes == Vw) Vector512.Store(v, dst);
        else Avx512F.MaskStore(dst, mask, v);
    }

    // Level b: row i takes lane j from itself where bit b of j is clear, else lane j - b of row i + b; row i + b takes
    // lane j + b of row i where bit b of j is clear, else its own lane j.
    private static readonly Vector512<int> SwapLow0 = Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    private static readonly Vector512<int> SwapHigh0 = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    private static readonly Vector512<int> SwapLow1 = Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    private static readonly Vector512<int> SwapHigh1 = Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    private static readonly Vector512<int> SwapLow2 = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    private static readonly Vector512<int> SwapHigh2 = Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    private static readonly Vector512<int> SwapLow3 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    private static readonly Vector512<int> SwapHigh3 = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);

    /// <summary>
    /// sums[r, c] += Σ over t &lt; <paramref name="tiles"/> of z[r, t] vt[t, c], for r &lt; <paramref name="rows"/> and the
    /// <paramref name="ldt"/> columns of vt, 8 rows x 48 columns at a time, each sum a chain of FMAs in tile order.
    /// </summary>
    private static void Accumulate(float* z, int ld, int rows, float* vt, int ldt, int tiles, float* sums)
    {
        int blocks = (rows + Mr - 1) / Mr;
        for (int b = 0; b < blocks; b++)
        {
            int r0 = rows * b / blocks, count = rows * (b + 1) / blocks - r0;
            for (int c0 = 0; c0 < ldt; c0 += 3 * Vw)
            {
                int vectors = Math.Min(3, (ldt - c0) / Vw);
                float* zr = z + (nint)r0 * ld, s = sums + (nint)r0 * ldt + c0;
                switch (vectors)
                {
                    case 1: GradRows<V1>(count, zr, ld, vt + c0, ldt, tiles, s); break;
                    case 2: GradRows<V2>(count, zr, ld, vt + c0, ldt, tiles, s); break;
                    default: GradRows<V3>(count, zr, ld, vt + c0, ldt, tiles, s); break;
                }
            }
        }
    }

    private static void GradRows<TV>(int rows, float* z, int ld, float* vt, int ldt, int tiles, float* sums) where TV : struct, IVectors
    {
        switch (rows)
        {
            case 1: GradTile<R1, TV>(z, ld, vt, ldt, tiles, sums); break;
            case 2: GradTile<R2, TV>(z, ld, vt, ldt, tiles, sums); break;
            case 3: GradTile<R3, TV>(z, ld, vt, ldt, tiles, sums); break;
            case 4: GradTile<R4, TV>(z, ld, vt, ldt, tiles, sums); break;
            case 5: GradTile<R5, TV>(z, ld, vt, ldt, tiles, sums); break;
            case 6: GradTile<R6, TV>(z, ld, vt, ldt, tiles, sums); break;
            case 7: GradTile<R7, TV>(z, ld, vt, ldt, tiles, sums); break;
            default: GradTile<R8, TV>(z, ld, vt, ldt, tiles, sums); break;
        }
    }

    [ThreadStatic] private static float[]? transposedBuffer;
    [ThreadStatic] private static float[]? gradPadBuffer;
    [ThreadStatic] private static float[]? gradSumBuffer;
}
