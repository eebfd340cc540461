using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// float32 max and average pooling whose windows tile the rows: forward in two passes, backward in one.
//
// Forward, when stride = kernel along the width (no left padding, no dilation, every window whole in its row): an
// input row is a run of groups of kw adjacent columns, one group per output column, and when the groups fill the
// row exactly (Width = OutW kw) a run of whole rows, even of whole planes, is one flat run of groups. So the first
// pass takes the maximum of each group (16 groups per step from kw vectors split into their kw phases), with the
// column of the tap it took, over as many rows as a stack buffer holds; the second folds, for each output row, the
// group maxima of its window's rows, vectorised over the output columns. Both fold in the scalar loop's order
// (taps left to right, rows top to bottom, a tap replacing the running maximum where it is greater or NaN), and
// folding each row first and then the rows is that same row-major scan: a later row replaces the running maximum
// exactly when its own first maximum does (it is greater) or it holds a NaN (its last NaN then wins, as in the
// scan). So values and indices are the scalar loop's to the bit, and narrow maps such as the lecture CNN's 24 -> 8
// and 4 -> 2 pools run whole vectors where the per-row fold of Pooling.Float.cs had 8 or 2 outputs a row (runs of
// output rows cross planes when the planes tile exactly, so tiny planes cost no per-plane call).
//
// The one-pass backward is in Pooling.Grouped.Backward.cs, average pooling in Pooling.Grouped.Average.cs.
public static partial class Pooling
{
    // Group maxima (and their indices) kept on the stack per pass: 8 KiB each.
    private const int GroupScratch = 2048;

    /// <summary>Whether float32 max pooling takes the two-pass grouped path.</summary>
    private static bool GroupedPathFits(in Window2d w) =>
        Avx512F.IsSupported && w.KernelW is 2 or 3 && w.StrideW == w.KernelW && w.PadLeft == 0 && w.DilationW == 1
        && (long)w.OutW * w.KernelW <= w.Width && (long)w.OutW * ((w.KernelH - 1) * w.DilationH + 1) <= GroupScratch;

    // The stack buffers are written (GroupMax) before they are read (FoldColumns reads only buffered rows and columns
    // below OutW), so they skip the zeroing: 16 KiB a call, which the fused convolution's per-sample calls made 10 %
    // of a Siamese epoch.
    [SkipLocalsInit]
    private static void MaxForwardGrouped<TIdx>(ReadOnlySpan<float> input, in Window2d w, Span<float> output, Span<TIdx> indices)
        where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        bool keep = !indices.IsEmpty;
        int width = w.Width, height = w.Height, outW = w.OutW, kw = w.KernelW, dh = w.DilationH;
        int totalRows = w.Channels * height, capacityRows = GroupScratch / outW;
        bool flat = outW * kw == width;
        Span<float> values = stackalloc float[GroupScratch];
        Span<int> taps = keep ? stackalloc int[GroupScratch] : default;
        ref float src = ref MemoryMarshal.GetReference(input);
        ref float hv = ref MemoryMarshal.GetReference(values);
        ref int hi = ref MemoryMarshal.GetReference(taps);
        ref float dst = ref MemoryMarshal.GetReference(output);
        ref TIdx idx = ref MemoryMarshal.GetReference(indices);
        // Output rows whose window lies wholly inside the plane, [fullLo, fullHi), fold in runs: their window rows are
        // StrideH rows apart from one output row to the next. When every output row is such a row and the planes
        // hold exactly OutH StrideH rows, that spacing continues into the next plane and a run may cross planes.
        int span = (w.KernelH - 1) * dh + 1, sh = w.StrideH, outH = w.OutH;
        int fullLo = Math.Min((w.PadTop + sh - 1) / sh, outH);
        int fullHi = height + w.PadTop - span < 0 ? fullLo : Math.Clamp((height + w.PadTop - span) / sh + 1, fullLo, outH);
        bool across = w.PadTop == 0 && span <= sh && height == outH * sh;
        int lanes = FoldWidth(outW);
        // Rows [r0, r1) of the span (plane * Height + ih) have their group maxima in the buffers. An index there
        // is relative to row r0's first element.
        int r0 = 0, r1 = 0;
        for (int c = 0, oh = 0; c < w.Channels;)
        {
            int o = (c * outH + oh) * outW;
            int h0 = oh * sh - w.PadTop;
            int hEnd = Math.Min(h0 + span, height);
            while (h0 < 0) h0 += dh;
            if (h0 >= hEnd)
            {
                // No input row under the window (possible with dilation): -inf and index -1, as MaxScalar gives.
                output.Slice(o, outW).Fill(float.NegativeInfinity);
                if (keep) indices.Slice(o, outW).Fill(TIdx.CreateTruncating(-1));
                if (++oh == outH)
                {
                    oh = 0;
                    c++;
                }
                continue;
            }
            int need0 = c * height + h0, need1 = c * height + hEnd;
            if (need0 < r0 || need1 > r1)
            {
                r0 = need0;
                r1 = Math.Min(r0 + capacityRows, totalRows);
                if (flat) GroupMax(ref Unsafe.Add(ref src, r0 * width), (r1 - r0) * outW, kw, 0, ref hv, ref hi, keep);
                else
                    for (int r = r0; r < r1; r++)
                        GroupMax(ref Unsafe.Add(ref src, r * width), outW, kw, (r - r0) * width, ref Unsafe.Add(ref hv, (r - r0) * outW), ref Unsafe.Add(ref hi, (r - r0) * outW), keep);
            }
            // This output row alone, or the run of whole-window rows from it whose window rows are all buffered.
            int buffered = (r1 - need1) / sh + 1;
            int count = across ? Math.Min((w.Channels - c) * outH - oh, buffered)
                : oh >= fullLo && oh < fullHi ? Math.Min(fullHi - oh, buffered) : 1;
            int first = (need0 - r0) * outW;
            var fold = new ColumnFold<TIdx>(ref Unsafe.Add(ref hv, first), ref Unsafe.Add(ref hi, first), (hEnd - h0 + dh - 1) / dh, dh * outW,
                count, sh * outW, outW, (r0 - c * height) * width, oh, outH, w.PlaneSize, ref Unsafe.Add(ref dst, o), ref Unsafe.Add(ref idx, o), keep);
            switch (lanes)
            {
                case 16: FoldColumns<Lanes512, Vector512<float>, Vector512<int>, TIdx>(ref fold); break;
                case 8: FoldColumns<Lanes256, Vector256<float>, Vector256<int>, TIdx>(ref fold); break;
                case 4: FoldColumns<Lanes128, Vector128<float>, Vector128<int>, TIdx>(ref fold); break;
                default: FoldColumnsScalar(ref fold); break;
            }
            c += (oh + count) / outH;   // a run that crossed planes continues in the plane it ended in
            oh = (oh + count) % outH;
        }
    }

    // Outputs per vector of the second pass: the widest vector that the output row fills (0: scalar).
    private static int FoldWidth(int outW) =>
        Vector512.IsHardwareAccelerated && outW >= 16 ? 16 :
        Vector256.IsHardwareAccelerated && outW >= 8 ? 8 :
        Vector128.IsHardwareAccelerated && outW >= 4 ? 4 : 0;

    // Group g in [0, n) of the run at src: values[g] = the first maximum, or the last NaN, of src[g kw .. g kw + kw),
    // taps[g] = indexBase + g kw + the column of that tap (when keep).
    private static void GroupMax(ref float src, int n, int kw, int indexBase, ref float values, ref int taps, bool keep)
    {
        int g = 0;
        if (Avx512F.IsSupported && kw == 2)
        {
            var even = PermuteTables.Stride2[0];
            var odd = PermuteTables.Stride2[1];
            var column = Vector512<int>.Indices * 2 + Vector512.Create(indexBase);
            for (; g + 16 <= n; g += 16)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)(2 * g));
                var b = Vector512.LoadUnsafe(ref src, (nuint)(2 * g + 16));
                var v0 = Avx512F.PermuteVar16x32x2(a, even, b);
                var v1 = Avx512F.PermuteVar16x32x2(a, odd, b);
                var take = Lanes512.Takes(v1, v0);
                Vector512.ConditionalSelect(take, v1, v0).StoreUnsafe(ref values, (nuint)g);
                // A taken lane's mask is -1 as an integer: subtracting it adds the column of tap 1.
                if (keep) (column + Vector512.Create(2 * g) - take.AsInt32()).StoreUnsafe(ref taps, (nuint)g);
            }
        }
        else if (Avx512F.IsSupported && kw == 3)
        {
            // The six permute tables in registers: phase r = permute(permute(a, t[2r], b), t[2r + 1], c).
            var t = PermuteTables.Stride3;
            Vector512<int> t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5];
            var column = Vector512<int>.Indices * 3 + Vector512.Create(indexBase);
            var one = Vector512<int>.One;
            for (; g + 16 <= n; g += 16)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)(3 * g));
                var b = Vector512.LoadUnsafe(ref src, (nuint)(3 * g + 16));
                var c = Vector512.LoadUnsafe(ref src, (nuint)(3 * g + 32));
                var v0 = Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(a, t0, b), t1, c);
                var v1 = Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(a, t2, b), t3, c);
                var v2 = Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(a, t4, b), t5, c);
                var take1 = Lanes512.Takes(v1, v0);
                var best = Vector512.ConditionalSelect(take1, v1, v0);
                var take2 = Lanes512.Takes(v2, best);
                Vector512.ConditionalSelect(take2, v2, best).StoreUnsafe(ref values, (nuint)g);
                if (keep)
                {
                    var j = Vector512.ConditionalSelect(take2.AsInt32(), one + one, -take1.AsInt32());
                    (column + Vector512.Create(3 * g) + j).StoreUnsafe(ref taps, (nuint)g);
                }
            }
        }
        for (; g < n; g++)
        {
            ref float group = ref Unsafe.Add(ref src, g * kw);
            float best = group;
            int at = 0;
            for (int j = 1; j < kw; j++)
            {
                float v = Unsafe.Add(ref group, j);
                if (v > best || float.IsNaN(v)) { best = v; at = j; }
            }
            Unsafe.Add(ref values, g) = best;
            if (keep) Unsafe.Add(ref taps, g) = indexBase + g * kw + at;
        }
    }

    // A run of output rows for the second pass: per output row, its window's rows of group maxima (Taps of them,
    // TapStep apart) start RowStep after the previous output row's; the results go OutW apart. Correction turns an
    // index relative to the buffered rows into one within the first row's plane; it drops by PlaneSize where the
    // run enters the next plane (the first row is row FirstRow of PlaneRows).
    private readonly ref struct ColumnFold<TIdx> where TIdx : unmanaged
    {
        public readonly ref float Values;
        public readonly ref int Indices;
        public readonly int Taps, TapStep, Rows, RowStep, OutW, Correction, FirstRow, PlaneRows, PlaneSize;
        public readonly ref float Dst;
        public readonly ref TIdx Idx;
        public readonly bool Keep;

        public ColumnFold(ref float values, ref int indices, int taps, int tapStep, int rows, int rowStep, int outW, int correction,
            int firstRow, int planeRows, int planeSize, ref float dst, ref TIdx idx, bool keep)
        {
            Values = ref values;
            Indices = ref indices;
            Taps = taps;
            TapStep = tapStep;
            Rows = rows;
            RowStep = rowStep;
            OutW = outW;
            Correction = correction;
            FirstRow = firstRow;
            PlaneRows = planeRows;
            PlaneSize = planeSize;
            Dst = ref dst;
            Idx = ref idx;
            Keep = keep;
        }
    }

    // Each output row in whole vectors (OutW >= the lane count); the last vector is moved back to end at OutW,
    // recomputing a few outputs to the same values. The first tap row seeds, each later one replaces the running
    // maximum where it is greater or NaN.
    private static void FoldColumns<TL, TF, TI, TIdx>(ref ColumnFold<TIdx> f)
        where TL : struct, IPoolLanes<TF, TI> where TF : struct where TI : struct where TIdx : unmanaged
    {
        int n = TL.Count, outW = f.OutW, correction = f.Correction, inPlane = f.FirstRow;
        for (int row = 0; row < f.Rows; row++, inPlane++)
        {
            if (inPlane == f.PlaneRows)
            {
                inPlane = 0;
                correction -= f.PlaneSize;
            }
            ref float values = ref Unsafe.Add(ref f.Values, row * f.RowStep);
            ref int indices = ref Unsafe.Add(ref f.Indices, row * f.RowStep);
            ref float dst = ref Unsafe.Add(ref f.Dst, row * outW);
            ref TIdx idx = ref Unsafe.Add(ref f.Idx, row * outW);
            for (int ow = 0; ; ow = Math.Min(ow + n, outW - n))
            {
                TF best = TL.Load(ref values, ow);
                if (f.Keep)
                {
                    TI at = TL.LoadIndex(ref indices, ow);
                    for (int i = 1; i < f.Taps; i++)
                    {
                        TF v = TL.Load(ref values, i * f.TapStep + ow);
                        TF take = TL.Takes(v, best);
                        best = TL.Select(take, v, best);
                        at = TL.SelectIndex(take, TL.LoadIndex(ref indices, i * f.TapStep + ow), at);
                    }
                    TL.StoreIndex(TL.Add(at, correction), ref idx, ow);
                }
                else
                {
                    for (int i = 1; i < f.Taps; i++)
                    {
                        TF v = TL.Load(ref values, i * f.TapStep + ow);
                        best = TL.Select(TL.Takes(v, best), v, best);
                    }
                }
                TL.Store(best, ref dst, ow);
                if (ow + n >= outW) break;
            }
        }
    }

    private static void FoldColumnsScalar<TIdx>(ref ColumnFold<TIdx> f) where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        int correction = f.Correction, inPlane = f.FirstRow;
        for (int row = 0; row < f.Rows; row++, inPlane++)
        {
            if (inPlane == f.PlaneRows)
            {
                inPlane = 0;
                correction -= f.PlaneSize;
            }
            for (int ow = 0; ow < f.OutW; ow++)
            {
                int first = row * f.RowStep + ow;
                float best = Unsafe.Add(ref f.Values, first);
                int at = f.Keep ? Unsafe.Add(ref f.Indices, first) : 0;
                for (int i = 1; i < f.Taps; i++)
                {
                    float v = Unsafe.Add(ref f.Values, first + i * f.TapStep);
                    if (v > best || float.IsNaN(v))
                    {
                        best = v;
                        if (f.Keep) at = Unsafe.Add(ref f.Indices, first + i * f.TapStep);
                    }
                }
                Unsafe.Add(ref f.Dst, row * f.OutW + ow) = best;
                if (f.Keep) Unsafe.Add(ref f.Idx, row * f.OutW + ow) = TIdx.CreateTruncating(at + correction);
            }
        }
    }
}
