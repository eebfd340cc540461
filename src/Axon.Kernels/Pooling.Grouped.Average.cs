using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// float32 average pooling whose windows tile the rows (max pooling's passes: see Pooling.Grouped.cs).
//
// Average pooling takes the same two passes with sums in TensorPrimitives.Sum's order (AvgForwardGrouped), which
// serves LeNet-5's 5-wide maps; its exact tilings write each input's share once (AvgBackwardTiled).
public static partial class Pooling
{
    /// <summary>Whether float32 average pooling takes the two-pass grouped path (as max pooling, without dilation).</summary>
    private static bool AvgGroupedFits(in Window2d w) =>
        Avx512F.IsSupported && w.KernelW is 2 or 3 && w.StrideW == w.KernelW && w.PadLeft == 0 && w.DilationH == 1 && w.DilationW == 1
        && (long)w.OutW * w.KernelW <= w.Width && (long)w.OutW * w.KernelH <= GroupScratch;

    // Average pooling in the two passes of max pooling: the first sums each group of kw columns in the order of
    // TensorPrimitives.Sum for kw elements (see AvgFold), the second adds the window's row sums to zero in row order
    // and divides by the output row's divisor: AvgScalar's operations, so the same bits.
    private static void AvgForwardGrouped(ReadOnlySpan<float> input, in Window2d w, bool countIncludePad, Span<float> output)
    {
        int width = w.Width, height = w.Height, outW = w.OutW, kw = w.KernelW, sh = w.StrideH, outH = w.OutH;
        int totalRows = w.Channels * height, capacityRows = GroupScratch / outW;
        bool flat = outW * kw == width;
        Span<float> sums = stackalloc float[GroupScratch];
        ref float src = ref MemoryMarshal.GetReference(input);
        ref float hs = ref MemoryMarshal.GetReference(sums);
        ref float dst = ref MemoryMarshal.GetReference(output);
        // Output rows whose padded window lies inside the plane share the divisor kh kw and fold in runs.
        int fullLo = Math.Min((w.PadTop + sh - 1) / sh, outH);
        int fullHi = height + w.PadTop - w.KernelH < 0 ? fullLo : Math.Clamp((height + w.PadTop - w.KernelH) / sh + 1, fullLo, outH);
        bool across = w.PadTop == 0 && w.KernelH <= sh && height == outH * sh;   // runs may cross planes (see MaxForwardGrouped)
        int lanes = FoldWidth(outW);
        int r0 = 0, r1 = 0;   // buffered rows of the span, as in MaxForwardGrouped
        for (int c = 0, oh = 0; c < w.Channels;)
        {
            int o = (c * outH + oh) * outW;
            // Every column of the row has the same rows and divisor: no column is clipped or padded.
            var (h0, h1, _, _, count) = AvgWindow(w, oh, 0, countIncludePad);
            if (count == 0 || h1 <= h0)
            {
                output.Slice(o, outW).Clear();   // AvgScalar: a sum of no rows is +0, and +0 / count or 0 is +0
                if (++oh == outH)
                {
                    oh = 0;
                    c++;
                }
                continue;
            }
            int need0 = c * height + h0, need1 = c * height + h1;
            if (need0 < r0 || need1 > r1)
            {
                r0 = need0;
                r1 = Math.Min(r0 + capacityRows, totalRows);
                if (flat) GroupSum(ref Unsafe.Add(ref src, r0 * width), (r1 - r0) * outW, kw, ref hs);
                else
                    for (int r = r0; r < r1; r++) GroupSum(ref Unsafe.Add(ref src, r * width), outW, kw, ref Unsafe.Add(ref hs, (r - r0) * outW));
            }
            int buffered = (r1 - need1) / sh + 1;
            int runs = across ? Math.Min((w.Channels - c) * outH - oh, buffered)
                : oh >= fullLo && oh < fullHi ? Math.Min(fullHi - oh, buffered) : 1;
            var fold = new SumFold(ref Unsafe.Add(ref hs, (need0 - r0) * outW), h1 - h0, runs, sh * outW, outW, count, ref Unsafe.Add(ref dst, o));
            switch (lanes)
            {
                case 16: FoldSums<Lanes512, Vector512<float>, Vector512<int>>(ref fold); break;
                case 8: FoldSums<Lanes256, Vector256<float>, Vector256<int>>(ref fold); break;
                case 4: FoldSums<Lanes128, Vector128<float>, Vector128<int>>(ref fold); break;
                default: FoldSumsScalar(ref fold); break;
            }
            c += (oh + runs) / outH;
            oh = (oh + runs) % outH;
        }
    }

    // Group g in [0, n) of the run at src: sums[g] = TensorPrimitives.Sum's result for the kw elements at g kw,
    // 0 + (b + a) for two and ((c + b) + a) + 0 for three.
    private static void GroupSum(ref float src, int n, int kw, ref float sums)
    {
        int g = 0;
        var zero = Vector512<float>.Zero;
        if (Avx512F.IsSupported && kw == 2)
        {
            var even = PermuteTables.Stride2[0];
            var odd = PermuteTables.Stride2[1];
            for (; g + 16 <= n; g += 16)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)(2 * g));
                var b = Vector512.LoadUnsafe(ref src, (nuint)(2 * g + 16));
                (zero + (Avx512F.PermuteVar16x32x2(a, odd, b) + Avx512F.PermuteVar16x32x2(a, even, b))).StoreUnsafe(ref sums, (nuint)g);
            }
        }
        else if (Avx512F.IsSupported && kw == 3)
        {
            var t = PermuteTables.Stride3;
            Vector512<int> t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5];
            for (; g + 16 <= n; g += 16)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)(3 * g));
                var b = Vector512.LoadUnsafe(ref src, (nuint)(3 * g + 16));
                var c = Vector512.LoadUnsafe(ref src, (nuint)(3 * g + 32));
                var v0 = Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(a, t0, b), t1, c);
                var v1 = Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(a, t2, b), t3, c);
                var v2 = Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(a, t4, b), t5, c);
                (v2 + v1 + v0 + zero).StoreUnsafe(ref sums, (nuint)g);
            }
        }
        for (; g < n; g++)
        {
            ref float group = ref Unsafe.Add(ref src, g * kw);
            Unsafe.Add(ref sums, g) = kw == 2
                ? 0f + (Unsafe.Add(ref group, 1) + group)
                : Unsafe.Add(ref group, 2) + Unsafe.Add(ref group, 1) + group + 0f;
        }
    }

    // A run of output rows for the average's second pass: per output row, Taps rows of group sums OutW apart,
    // RowStep after the previous output row's; the results go OutW apart.
    private readonly ref struct SumFold
    {
        public readonly ref float Sums;
        public readonly int Taps, Rows, RowStep, OutW, Count;
        public readonly ref float Dst;

        public SumFold(ref float sums, int taps, int rows, int rowStep, int outW, int count, ref float dst)
        {
            Sums = ref sums;
            Taps = taps;
            Rows = rows;
            RowStep = rowStep;
            OutW = outW;
            Count = count;
            Dst = ref dst;
        }
    }

    // s = 0, s += each row sum in order, s / divisor; each output row in whole vectors, the last moved back to end
    // at OutW (recomputing a few outputs to the same values).
    private static void FoldSums<TL, TF, TI>(ref SumFold f)
        where TL : struct, IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int n = TL.Count, outW = f.OutW;
        TF zero = TL.Broadcast(0f), count = TL.Broadcast(f.Count);
        for (int row = 0; row < f.Rows; row++)
        {
            ref float sums = ref Unsafe.Add(ref f.Sums, row * f.RowStep);
            ref float dst = ref Unsafe.Add(ref f.Dst, row * outW);
            for (int ow = 0; ; ow = Math.Min(ow + n, outW - n))
            {
                TF s = zero;
                for (int i = 0; i < f.Taps; i++) s = TL.Add(s, TL.Load(ref sums, i * outW + ow));
                TL.Store(TL.Divide(s, count), ref dst, ow);
                if (ow + n >= outW) break;
            }
        }
    }

    private static void FoldSumsScalar(ref SumFold f)
    {
        for (int row = 0; row < f.Rows; row++)
            for (int ow = 0; ow < f.OutW; ow++)
            {
                float s = 0f;
                for (int i = 0; i < f.Taps; i++) s += Unsafe.Add(ref f.Sums, row * f.RowStep + i * f.OutW + ow);
                Unsafe.Add(ref f.Dst, row * f.OutW + ow) = s / f.Count;
            }
    }

    // Outputs per vector of the tiled average backward (0: it does not apply): windows tile the planes exactly
    // (stride = kernel, no padding, the kernel dividing the height and width), so every divisor is kh kw.
    private static int AvgTiledWidth(in Window2d w)
    {
        bool tiled = w.StrideH == w.KernelH && w.StrideW == w.KernelW && w.PadTop == 0 && w.PadLeft == 0 && w.DilationH == 1 && w.DilationW == 1
            && w.Width == w.OutW * w.KernelW && w.Height == w.OutH * w.KernelH && w.KernelW <= 8;
        if (!tiled) return 0;
        if (Avx512F.IsSupported && w.OutW >= 16) return 16;
        if (Avx2.IsSupported && w.OutW >= 8) return 8;
        if (Avx2.IsSupported && w.OutW >= 4) return 4;
        return 0;
    }

    // Average backward of windows that tile the planes: each input gets 0 + g / (kh kw) of its window (what the
    // clear-then-write kernel stores). Per output row, n outputs' shares are spread over their n kw columns with kw
    // one-source permutes (block b's lane l takes share (b n + l) / kw) and stored to each of the kh input rows.
    private static void AvgBackwardTiled<TL, TF, TI>(ReadOnlySpan<float> gradOutput, in Window2d w, Span<float> gradInput)
        where TL : struct, IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int n = TL.Count, kw = w.KernelW, kh = w.KernelH, width = w.Width, outW = w.OutW;
        Span<int> tables = stackalloc int[kw * n];
        for (int i = 0; i < tables.Length; i++) tables[i] = i / kw;
        ref int table = ref MemoryMarshal.GetReference(tables);
        ref float gy = ref MemoryMarshal.GetReference(gradOutput);
        ref float gx = ref MemoryMarshal.GetReference(gradInput);
        TF zero = TL.Broadcast(0f), count = TL.Broadcast(kh * kw);
        // Exact tiling: output row R of the span (any plane) covers input rows R kh .. R kh + kh - 1 of the span.
        for (int row = 0, rows = w.Channels * w.OutH; row < rows; row++)
        {
            ref float g = ref Unsafe.Add(ref gy, row * outW);
            ref float d = ref Unsafe.Add(ref gx, row * kh * width);
            for (int ow = 0; ; ow = Math.Min(ow + n, outW - n))
            {
                TF share = TL.Add(zero, TL.Divide(TL.Load(ref g, ow), count));
                for (int b = 0; b < kw; b++)
                {
                    TF spread = TL.Spread(share, TL.LoadIndex(ref table, b * n));
                    int col = ow * kw + b * n;
                    for (int i = 0; i < kh; i++) TL.Store(spread, ref d, i * width + col);
                }
                if (ow + n >= outW) break;
            }
        }
    }
}
