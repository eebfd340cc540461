using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The float32 fast paths of max and average pooling.
//
// Output column ow's window covers input columns ow * sw + c for the tap offsets c = j * dw - padLeft. Splitting
// an input row into its sw phases (column m * sw + r goes to phase r, position m) turns each tap into a contiguous
// run: tap c reads phase (c mod sw) from position ow + floor(c / sw). So the window's rows are deinterleaved once
// per output row, and then every tap is one plain vector load covering many outputs. The window is folded tap by
// tap in the scalar loop's order (row-major), doing per output exactly the comparisons (max) or additions (average)
// the scalar loop does, so results are bit-identical; only many outputs advance at once.
//
// Only interior columns (whole window inside the row) take this path; the few columns clipped by padding or by
// ceil mode, and the last columns that do not fill a vector, take the scalar code.
public static partial class Pooling
{
    // Deinterleaved window rows live on the stack; larger geometries take the generic path.
    private const int MaxStackFloats = 8192;

    /// <summary>Whether the float32 path handles this geometry (its deinterleaved rows fit the stack buffer).</summary>
    private static bool FloatPathFits(in Window2d w) =>
        (long)w.KernelH * w.StrideW * RowPitch(w) <= MaxStackFloats && w.KernelW <= 64;

    // Positions per phase: ceil(Width / StrideW).
    private static int RowPitch(in Window2d w) => (w.Width + w.StrideW - 1) / w.StrideW;

    // Output columns [lo, hi) whose whole window lies inside the row.
    private static (int Lo, int Hi) InteriorColumns(in Window2d w)
    {
        // ow * sw - padLeft >= 0 and ow * sw - padLeft + (kw - 1) dw <= width - 1.
        int lo = Math.Min((w.PadLeft + w.StrideW - 1) / w.StrideW, w.OutW);
        int last = w.Width - 1 + w.PadLeft - (w.KernelW - 1) * w.DilationW;
        int hi = last < 0 ? lo : Math.Clamp(last / w.StrideW + 1, lo, w.OutW);
        return (lo, hi);
    }

    // Per tap j: its offset into a deinterleaved row (phase start + position shift) and its input column offset c.
    private static void TapOffsets(in Window2d w, int pitch, Span<int> tapOffset, Span<int> tapColumn)
    {
        for (int j = 0; j < w.KernelW; j++)
        {
            int c = j * w.DilationW - w.PadLeft;
            int q = c >= 0 ? c / w.StrideW : -((-c + w.StrideW - 1) / w.StrideW);   // floor(c / sw)
            tapOffset[j] = (c - q * w.StrideW) * pitch + q;
            tapColumn[j] = c;
        }
    }

    private static void MaxForwardFloat<TIdx>(ReadOnlySpan<float> input, in Window2d w, Span<float> output, Span<TIdx> indices) where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        bool keep = !indices.IsEmpty;
        int width = w.Width, outW = w.OutW, sw = w.StrideW, pitch = RowPitch(w), slot = sw * pitch;
        var (lo, hi) = InteriorColumns(w);
        Span<float> rows = stackalloc float[w.KernelH * slot];
        Span<int> tapOffset = stackalloc int[w.KernelW], tapColumn = stackalloc int[w.KernelW], rowBase = stackalloc int[w.KernelH];
        TapOffsets(w, pitch, tapOffset, tapColumn);
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = input.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
            {
                int o = (c * w.OutH + oh) * outW;
                var dst = output.Slice(o, outW);
                var idx = keep ? indices.Slice(o, outW) : default;
                int h0 = oh * w.StrideH - w.PadTop;
                int hEnd = Math.Min(h0 + (w.KernelH - 1) * w.DilationH + 1, w.Height);
                while (h0 < 0) h0 += w.DilationH;
                int ow = 0;
                if (hi > lo && h0 < hEnd)
                {
                    int slots = 0;
                    for (int ih = h0; ih < hEnd; ih += w.DilationH, slots++)
                    {
                        Deinterleave(plane.Slice(ih * width, width), sw, pitch, rows.Slice(slots * slot, slot));
                        rowBase[slots] = ih * width;
                    }
                    var row = new MaxRow<TIdx>(rows, slot, slots, rowBase, tapOffset, tapColumn, sw, dst, idx);
                    ow = lo;
                    if (Vector512.IsHardwareAccelerated) ow = MaxFold<Lanes512, Vector512<float>, Vector512<int>, TIdx>(ref row, ow, hi);
                    if (Vector256.IsHardwareAccelerated) ow = MaxFold<Lanes256, Vector256<float>, Vector256<int>, TIdx>(ref row, ow, hi);
                    if (Vector128.IsHardwareAccelerated) ow = MaxFold<Lanes128, Vector128<float>, Vector128<int>, TIdx>(ref row, ow, hi);
                    for (int k = 0; k < lo; k++) MaxScalar(plane, w, h0, hEnd, k, dst, idx);
                }
                for (; ow < outW; ow++) MaxScalar(plane, w, h0, hEnd, ow, dst, idx);
            }
        }
    }

    // One output row's inputs for the vector folds: the window's deinterleaved rows and where each tap reads.
    private readonly ref struct MaxRow<TIdx>(Span<float> rows, int slot, int slots, Span<int> rowBase, Span<int> tapOffset, Span<int> tapColumn, int strideW, Span<float> dst, Span<TIdx> idx)
    {
        public readonly Span<float> Rows = rows;
        public readonly int Slot = slot, Slots = slots, StrideW = strideW;
        public readonly Span<int> RowBase = rowBase, TapOffset = tapOffset, TapColumn = tapColumn;
        public readonly Span<float> Dst = dst;
        public readonly Span<TIdx> Idx = idx;
    }

    // Max over each window for outputs [ow, hi) in whole vectors; returns the first output not done. The first tap
    // seeds the running maximum (the scalar loop's -inf start picks it too, whatever it is), then each later tap
    // replaces it where it is greater or NaN: the first maximum wins ties and the last NaN wins, as in MaxScalar.
    private static int MaxFold<TL, TF, TI, TIdx>(ref MaxRow<TIdx> r, int ow, int hi)
        where TL : struct, IPoolLanes<TF, TI> where TF : struct where TI : struct where TIdx : unmanaged
    {
        int n = TL.Count, kw = r.TapOffset.Length;
        ref float rows = ref MemoryMarshal.GetReference(r.Rows);
        ref float dst = ref MemoryMarshal.GetReference(r.Dst);
        if (r.Idx.IsEmpty)
        {
            for (; ow + n <= hi; ow += n)
            {
                TF best = TL.Load(ref rows, ow + r.TapOffset[0]);
                for (int i = 0; i < r.Slots; i++)
                {
                    ref float slot = ref Unsafe.Add(ref rows, i * r.Slot + ow);
                    for (int j = i == 0 ? 1 : 0; j < kw; j++)
                    {
                        TF v = TL.Load(ref slot, r.TapOffset[j]);
                        best = TL.Select(TL.Takes(v, best), v, best);
                    }
                }
                TL.Store(best, ref dst, ow);
            }
            return ow;
        }
        ref TIdx idx = ref MemoryMarshal.GetReference(r.Idx);
        for (; ow + n <= hi; ow += n)
        {
            TI column = TL.Sequence(ow * r.StrideW, r.StrideW);   // ow * sw for each lane's output
            TF best = TL.Load(ref rows, ow + r.TapOffset[0]);
            TI at = TL.Add(column, r.RowBase[0] + r.TapColumn[0]);
            for (int i = 0; i < r.Slots; i++)
            {
                ref float slot = ref Unsafe.Add(ref rows, i * r.Slot + ow);
                int rowBase = r.RowBase[i];
                for (int j = i == 0 ? 1 : 0; j < kw; j++)
                {
                    TF v = TL.Load(ref slot, r.TapOffset[j]);
                    TF take = TL.Takes(v, best);
                    best = TL.Select(take, v, best);
                    at = TL.SelectIndex(take, TL.Add(column, rowBase + r.TapColumn[j]), at);
                }
            }
            TL.Store(best, ref dst, ow);
            TL.StoreIndex(at, ref idx, ow);
        }
        return ow;
    }

    private static void AvgForwardFloat(ReadOnlySpan<float> input, in Window2d w, bool countIncludePad, Span<float> output)
    {
        int width = w.Width, outW = w.OutW, sw = w.StrideW, pitch = RowPitch(w), slot = sw * pitch;
        var (lo, hi) = InteriorColumns(w);
        Span<float> rows = stackalloc float[w.KernelH * slot];
        Span<int> tapOffset = stackalloc int[w.KernelW], tapColumn = stackalloc int[w.KernelW];
        TapOffsets(w, pitch, tapOffset, tapColumn);
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = input.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
            {
                var dst = output.Slice((c * w.OutH + oh) * outW, outW);
                int ow = 0;
                // Interior columns share the row range and the divisor of this output row.
                var (h0, h1, _, _, count) = hi > lo ? AvgWindow(w, oh, lo, countIncludePad) : default;
                if (hi > lo && h1 > h0 && count > 0)
                {
                    for (int ih = h0; ih < h1; ih++) Deinterleave(plane.Slice(ih * width, width), sw, pitch, rows.Slice((ih - h0) * slot, slot));
                    var row = new AvgRow(rows, slot, h1 - h0, tapOffset, count, dst);
                    ow = lo;
                    if (Vector512.IsHardwareAccelerated) ow = AvgFold<Lanes512, Vector512<float>, Vector512<int>>(ref row, ow, hi);
                    if (Vector256.IsHardwareAccelerated) ow = AvgFold<Lanes256, Vector256<float>, Vector256<int>>(ref row, ow, hi);
                    if (Vector128.IsHardwareAccelerated) ow = AvgFold<Lanes128, Vector128<float>, Vector128<int>>(ref row, ow, hi);
                    for (int k = 0; k < lo; k++) dst[k] = AvgScalar(plane, w, oh, k, countIncludePad);
                }
                for (; ow < outW; ow++) dst[ow] = AvgScalar(plane, w, oh, ow, countIncludePad);
            }
        }
    }

    private readonly ref struct AvgRow(Span<float> rows, int slot, int slots, Span<int> tapOffset, int count, Span<float> dst)
    {
        public readonly Span<float> Rows = rows;
        public readonly int Slot = slot, Slots = slots, Count = count;
        public readonly Span<int> TapOffset = tapOffset;
        public readonly Span<float> Dst = dst;
    }

    // Mean over each window for outputs [ow, hi) in whole vectors; returns the first output not done. The sums are
    // AvgScalar's to the bit: s = 0, then s += TensorPrimitives.Sum(row) per row, whose order for 1, 2 and 3
    // elements is 0 + a, 0 + (b + a) and ((c + b) + a) + 0 (the float path runs only for kernels up to 3 wide).
    private static int AvgFold<TL, TF, TI>(ref AvgRow r, int ow, int hi)
        where TL : struct, IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int n = TL.Count, kw = r.TapOffset.Length;
        ref float rows = ref MemoryMarshal.GetReference(r.Rows);
        ref float dst = ref MemoryMarshal.GetReference(r.Dst);
        TF zero = TL.Broadcast(0f), count = TL.Broadcast(r.Count);
        for (; ow + n <= hi; ow += n)
        {
            TF s = zero;
            for (int i = 0; i < r.Slots; i++)
            {
                ref float slot = ref Unsafe.Add(ref rows, i * r.Slot + ow);
                TF a = TL.Load(ref slot, r.TapOffset[0]);
                TF rowSum = kw switch
                {
                    1 => TL.Add(zero, a),
                    2 => TL.Add(zero, TL.Add(TL.Load(ref slot, r.TapOffset[1]), a)),
                    _ => TL.Add(TL.Add(TL.Add(TL.Load(ref slot, r.TapOffset[2]), TL.Load(ref slot, r.TapOffset[1])), a), zero),
                };
                s = TL.Add(s, rowSum);
            }
            TL.Store(TL.Divide(s, count), ref dst, ow);
        }
        return ow;
    }

    // Splits one input row into its phases: dst[r * pitch + m] = row[m * sw + r].
    private static void Deinterleave(ReadOnlySpan<float> row, int sw, int pitch, Span<float> dst)
    {
        if (sw == 1)
        {
            row.CopyTo(dst);
            return;
        }
        int width = row.Length, m = 0;
        ref float src = ref MemoryMarshal.GetReference(row);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Avx512F.IsSupported && sw == 2)
        {
            // 32 inputs -> 16 even + 16 odd columns, each a two-source permute.
            for (; 2 * (m + 16) <= width; m += 16)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)(2 * m));
                var b = Vector512.LoadUnsafe(ref src, (nuint)(2 * m + 16));
                Avx512F.PermuteVar16x32x2(a, PermuteTables.Stride2[0], b).StoreUnsafe(ref d, (nuint)m);
                Avx512F.PermuteVar16x32x2(a, PermuteTables.Stride2[1], b).StoreUnsafe(ref d, (nuint)(pitch + m));
            }
        }
        else if (Avx512F.IsSupported && sw == 3)
        {
            // 48 inputs -> 16 columns of each phase: lanes from the first two vectors, then the rest from the third.
            for (; 3 * (m + 16) <= width; m += 16)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)(3 * m));
                var b = Vector512.LoadUnsafe(ref src, (nuint)(3 * m + 16));
                var c = Vector512.LoadUnsafe(ref src, (nuint)(3 * m + 32));
                for (int r = 0; r < 3; r++)
                {
                    var ab = Avx512F.PermuteVar16x32x2(a, PermuteTables.Stride3[2 * r], b);
                    Avx512F.PermuteVar16x32x2(ab, PermuteTables.Stride3[2 * r + 1], c).StoreUnsafe(ref d, (nuint)(r * pitch + m));
                }
            }
        }
        for (int r = 0; r < sw; r++)
            for (int k = m, at = m * sw + r; at < width; k++, at += sw) Unsafe.Add(ref d, r * pitch + k) = Unsafe.Add(ref src, at);
    }

    // Index tables of the two-source permutes (lanes 0-15 name the first source, 16-31 the second).
    private static class PermuteTables
    {
        // [even, odd] columns of 32 inputs.
        public static readonly Vector512<int>[] Stride2 = [Table(l => 2 * l), Table(l => 2 * l + 1)];

        // Per phase r: [pick from the first two vectors, then keep those lanes and pick the rest from the third].
        public static readonly Vector512<int>[] Stride3 = Stride3Tables();

        private static Vector512<int>[] Stride3Tables()
        {
            var t = new Vector512<int>[6];
            for (int r = 0; r < 3; r++)
            {
                t[2 * r] = Table(l => 3 * l + r < 32 ? 3 * l + r : 0);
                t[2 * r + 1] = Table(l => 3 * l + r < 32 ? l : 3 * l + r - 32 + 16);
            }
            return t;
        }

        private static Vector512<int> Table(Func<int, int> lane)
        {
            Span<int> v = stackalloc int[16];
            for (int l = 0; l < 16; l++) v[l] = lane(l);
            return Vector512.Create((ReadOnlySpan<int>)v);
        }
    }
}
