using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

/// <summary>
/// 2-D pooling over planes: spans hold [Channels, Height, Width] in and [Channels, OutH, OutW] out (a batch is
/// simply more planes). Max pooling records, per output, the flat index ih * Width + iw of the chosen input
/// within its plane (PyTorch's indices, as int64 or, in half the memory, int32), which is all its backward needs.
/// Backward kernels overwrite the input gradient (each plane is cleared, then the output gradients are added in, or
/// every element is written once), so the caller need not clear it.
/// </summary>
/// <remarks>
/// float32 max and average pooling run vectorised over output columns (Pooling.Float.cs), and max pooling whose
/// windows tile the rows in two passes over whole runs of rows (Pooling.Grouped.cs); float64 and the geometries
/// those paths do not cover run the scalar loops here. All give the same bits: the fast paths do per output exactly
/// the comparisons or additions of the scalar loops, in an order that gives the same result.
/// </remarks>
public static partial class Pooling
{
    /// <summary>
    /// Max pooling: each output is the maximum of its window (padding is never chosen; NaN wins, as in PyTorch).
    /// <paramref name="indices"/> receives the argmax positions, or is empty when they are not needed.
    /// A window with no input element (all its dilated taps in the padding) gives -inf and index -1.
    /// </summary>
    public static void MaxForward<T>(ReadOnlySpan<T> input, in Window2d w, Span<T> output, Span<long> indices) where T : unmanaged, IFloatingPointIeee754<T>
        => MaxForwardCore(input, w, output, indices);

    /// <summary>
    /// <see cref="MaxForward{T}(ReadOnlySpan{T}, in Window2d, Span{T}, Span{long})"/> with int32 argmax positions:
    /// the same values and indices, in half the memory (what autograd keeps between forward and backward).
    /// </summary>
    public static void MaxForwardInt32<T>(ReadOnlySpan<T> input, in Window2d w, Span<T> output, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
        => MaxForwardCore(input, w, output, indices);

    private static void MaxForwardCore<T, TIdx>(ReadOnlySpan<T> input, in Window2d w, Span<T> output, Span<TIdx> indices)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        Check(input.Length, output.Length, w, "MaxForward");
        bool keep = !indices.IsEmpty;
        if (keep && indices.Length < output.Length) throw new ArgumentException("Pooling.MaxForward: indices must be empty or as long as the output.", nameof(indices));
        int outW = w.OutW;
        // Stride 1 (e.g. a 3x3 max filter): whole output rows at once, vectorised over ow.
        bool rows = w.StrideW == 1 && outW >= Vector<T>.Count;
        if (typeof(T) == typeof(float) && GroupedPathFits(w))
        {
            MaxForwardGrouped(MemoryMarshal.Cast<T, float>(input), w, MemoryMarshal.Cast<T, float>(output), indices);
            return;
        }
        if (typeof(T) == typeof(float) && !rows && FloatPathFits(w))
        {
            MaxForwardFloat(MemoryMarshal.Cast<T, float>(input), w, MemoryMarshal.Cast<T, float>(output), indices);
            return;
        }
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = input.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
            {
                int o = (c * w.OutH + oh) * outW;
                int h0 = oh * w.StrideH - w.PadTop;
                int hEnd = Math.Min(h0 + (w.KernelH - 1) * w.DilationH + 1, w.Height);
                while (h0 < 0) h0 += w.DilationH;
                if (rows)
                {
                    MaxRowStride1(plane, w, h0, hEnd, output.Slice(o, outW), keep ? indices.Slice(o, outW) : default);
                    continue;
                }
                var dst = output.Slice(o, outW);
                var idx = keep ? indices.Slice(o, outW) : default;
                for (int ow = 0; ow < outW; ow++) MaxScalar(plane, w, h0, hEnd, ow, dst, idx);
            }
        }
    }

    // One output row of a stride-1 max pool: for each kernel tap, compare a whole shifted input row against the
    // running maxima with SIMD; the edge columns whose window is clipped by padding take the scalar path.
    private static void MaxRowStride1<T, TIdx>(ReadOnlySpan<T> plane, in Window2d w, int h0, int hEnd, Span<T> dst, Span<TIdx> idx)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        int outW = w.OutW, width = w.Width;
        // Columns whose whole window lies inside the row: ow - padLeft >= 0 and ow - padLeft + (kw-1) dw < width.
        int lo = Math.Min(w.PadLeft, outW), hi = Math.Clamp(width - (w.KernelW - 1) * w.DilationW + w.PadLeft, lo, outW);
        bool keep = !idx.IsEmpty;
        dst.Fill(T.NegativeInfinity);
        if (h0 >= hEnd)
        {
            if (keep) idx.Fill(TIdx.CreateTruncating(-1));
            return;
        }
        if (keep) for (int ow = lo; ow < hi; ow++) idx[ow] = TIdx.CreateTruncating(h0 * width + ow - w.PadLeft);
        int n = hi - lo, vc = Vector<T>.Count;
        for (int ih = h0; ih < hEnd; ih += w.DilationH)
        {
            for (int j = 0; j < w.KernelW; j++)
            {
                int shift = lo - w.PadLeft + j * w.DilationW;
                var src = plane.Slice(ih * width + shift, n);
                var best = dst.Slice(lo, n);
                int k = 0;
                if (!keep) { TensorPrimitives.Max(best, src, best); continue; }
                for (; k + vc <= n; k += vc)
                {
                    var v = new Vector<T>(src[k..]);
                    var b = new Vector<T>(best[k..]);
                    var take = Vector.GreaterThan(v, b) | ~Vector.Equals(v, v);
                    if (take == Vector<T>.Zero) continue;
                    Vector.ConditionalSelect(take, v, b).CopyTo(best[k..]);
                    int baseIndex = ih * width + shift + k;
                    for (int e = 0; e < vc; e++)
                        if (take[e] != T.Zero) idx[lo + k + e] = TIdx.CreateTruncating(baseIndex + e);
                }
                for (; k < n; k++)
                    if (src[k] > best[k] || T.IsNaN(src[k])) { best[k] = src[k]; idx[lo + k] = TIdx.CreateTruncating(ih * width + shift + k); }
            }
        }
        // Clipped columns at both ends.
        for (int ow = 0; ow < lo; ow++) MaxScalar(plane, w, h0, hEnd, ow, dst, idx);
        for (int ow = hi; ow < outW; ow++) MaxScalar(plane, w, h0, hEnd, ow, dst, idx);
    }

    private static void MaxScalar<T, TIdx>(ReadOnlySpan<T> plane, in Window2d w, int h0, int hEnd, int ow, Span<T> dst, Span<TIdx> idx)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        int width = w.Width;
        int w0 = ow * w.StrideW - w.PadLeft;
        int wEnd = Math.Min(w0 + (w.KernelW - 1) * w.DilationW + 1, width);
        while (w0 < 0) w0 += w.DilationW;
        T best = T.NegativeInfinity;
        // A window whose taps all fall in the padding (possible with dilation) is -inf with index -1.
        int at = h0 < hEnd && w0 < wEnd ? h0 * width + w0 : -1;
        for (int ih = h0; ih < hEnd; ih += w.DilationH)
        {
            int rowStart = ih * width;
            for (int iw = w0; iw < wEnd; iw += w.DilationW)
            {
                T v = plane[rowStart + iw];
                if (v > best || T.IsNaN(v)) { best = v; at = rowStart + iw; }
            }
        }
        dst[ow] = best;
        if (!idx.IsEmpty) idx[ow] = TIdx.CreateTruncating(at);
    }

    /// <summary>
    /// Max pooling backward: clears each plane of <paramref name="gradInput"/>, then adds each output gradient to the
    /// input its index names (in output order, so overlapping windows sum the same way every time).
    /// </summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> indices, in Window2d w, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
        => MaxBackwardScatter(gradOutput, indices, w, gradInput);

    /// <summary>
    /// <see cref="MaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, in Window2d, Span{T})"/> from the int32 indices of
    /// <see cref="MaxForwardInt32{T}"/>, with the same result to the bit. When the windows tile the planes exactly
    /// (stride = kernel, no padding or dilation, the kernel dividing the height and width) and 16 or 8 outputs are
    /// whole output rows of a plane or whole planes (the lecture CNN's 24 -> 8 and 4 -> 2 pools), float32 writes each
    /// input once, vectorised: its window's gradient where the window's index names it, +0 elsewhere (no clear, no scatter).
    /// </summary>
    public static void MaxBackwardInt32<T>(ReadOnlySpan<T> gradOutput, ReadOnlySpan<int> indices, in Window2d w, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && TiledWidth(w) is int lanes and > 0)
        {
            Check(gradInput.Length, gradOutput.Length, w, "MaxBackward");
            if (indices.Length < w.Channels * w.OutPlaneSize) throw new ArgumentException("Pooling.MaxBackward: indices must be as long as the output gradient.", nameof(indices));
            var gy = MemoryMarshal.Cast<T, float>(gradOutput);
            var gx = MemoryMarshal.Cast<T, float>(gradInput);
            int done = lanes == 16
                ? MaxBackwardTiled<Lanes512, Vector512<float>, Vector512<int>>(gy, indices, w, gx)
                : MaxBackwardTiled<Lanes256, Vector256<float>, Vector256<int>>(gy, indices, w, gx);
            if (done == w.Channels) return;
            int outPlane = w.OutPlaneSize, inPlane = w.PlaneSize;
            MaxBackwardScatter(gradOutput[(done * outPlane)..], indices[(done * outPlane)..], w with { Channels = w.Channels - done }, gradInput[(done * inPlane)..]);
            return;
        }
        MaxBackwardScatter(gradOutput, indices, w, gradInput);
    }

    private static void MaxBackwardScatter<T, TIdx>(ReadOnlySpan<T> gradOutput, ReadOnlySpan<TIdx> indices, in Window2d w, Span<T> gradInput)
        where T : unmanaged, IFloatingPointIeee754<T> where TIdx : unmanaged, IBinaryInteger<TIdx>
    {
        Check(gradInput.Length, gradOutput.Length, w, "MaxBackward");
        if (indices.Length < w.Channels * w.OutPlaneSize) throw new ArgumentException("Pooling.MaxBackward: indices must be as long as the output gradient.", nameof(indices));
        int outPlane = w.OutPlaneSize, inPlane = w.PlaneSize;
        ref T go = ref MemoryMarshal.GetReference(gradOutput);
        ref TIdx at = ref MemoryMarshal.GetReference(indices);
        for (int c = 0; c < w.Channels; c++)
        {
            // Clearing here, plane by plane, keeps the plane in cache for the scatter that follows.
            var plane = gradInput.Slice(c * inPlane, inPlane);
            plane.Clear();
            ref T g = ref MemoryMarshal.GetReference(plane);
            for (int o = c * outPlane, end = o + outPlane; o < end; o++)
            {
                long i = long.CreateTruncating(Unsafe.Add(ref at, o));
                if (i < 0) continue;   // a window with no input element
                if (i >= inPlane) throw new ArgumentException($"Pooling.MaxBackward: index {i} lies outside its plane of {inPlane} elements.", nameof(indices));
                Unsafe.Add(ref g, (nint)i) += Unsafe.Add(ref go, o);
            }
        }
    }

    // PyTorch's average-pool window: clipped to the padded input for the count, to the input for the sum.
    private static (int H0, int H1, int W0, int W1, int Count) AvgWindow(in Window2d w, int oh, int ow, bool countIncludePad)
    {
        int h0 = oh * w.StrideH - w.PadTop, w0 = ow * w.StrideW - w.PadLeft;
        int h1 = Math.Min(h0 + w.KernelH, w.Height + w.PadTop), w1 = Math.Min(w0 + w.KernelW, w.Width + w.PadLeft);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0); h1 = Math.Min(h1, w.Height); w1 = Math.Min(w1, w.Width);
        return (h0, h1, w0, w1, countIncludePad ? padded : (h1 - h0) * (w1 - w0));
    }

    /// <summary>
    /// Average pooling (no dilation). With <paramref name="countIncludePad"/> (PyTorch's default) the divisor counts
    /// the padded zeros inside the window, otherwise only the input elements.
    /// </summary>
    public static void AvgForward<T>(ReadOnlySpan<T> input, in Window2d w, bool countIncludePad, Span<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(input.Length, output.Length, w, "AvgForward");
        if (typeof(T) == typeof(float) && AvgGroupedFits(w))
        {
            AvgForwardGrouped(MemoryMarshal.Cast<T, float>(input), w, countIncludePad, MemoryMarshal.Cast<T, float>(output));
            return;
        }
        // The float paths reproduce TensorPrimitives.Sum's order for rows of up to 3 elements (see AvgFold). Below
        // 8 outputs a row the per-row fold measured no faster than this loop; the grouped path above takes LeNet's
        // 5-wide maps.
        if (typeof(T) == typeof(float) && w.KernelW <= 3 && w.DilationW == 1 && w.DilationH == 1 && FloatPathFits(w)
            && InteriorColumns(w) is var (lo, hi) && hi - lo >= 8)
        {
            AvgForwardFloat(MemoryMarshal.Cast<T, float>(input), w, countIncludePad, MemoryMarshal.Cast<T, float>(output));
            return;
        }
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = input.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                    output[(c * w.OutH + oh) * w.OutW + ow] = AvgScalar(plane, w, oh, ow, countIncludePad);
        }
    }

    // One average-pool output: the row sums (TensorPrimitives.Sum) added to zero in row order, over the divisor.
    private static T AvgScalar<T>(ReadOnlySpan<T> plane, in Window2d w, int oh, int ow, bool countIncludePad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (h0, h1, w0, w1, count) = AvgWindow(w, oh, ow, countIncludePad);
        T s = T.Zero;
        if (w1 > w0)
            for (int ih = h0; ih < h1; ih++) s += TensorPrimitives.Sum(plane.Slice(ih * w.Width + w0, w1 - w0));
        return count > 0 ? s / T.CreateChecked(count) : T.Zero;
    }

    /// <summary>
    /// Average pooling backward: clears each plane of <paramref name="gradInput"/>, then spreads each output gradient /
    /// divisor over its window. Windows that do not overlap (stride at least the kernel) write their share directly;
    /// float32 windows that tile the planes exactly (LeNet-5's 2x2 pools) write it vectorised, without the clear.
    /// </summary>
    public static void AvgBackward<T>(ReadOnlySpan<T> gradOutput, in Window2d w, bool countIncludePad, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gradInput.Length, gradOutput.Length, w, "AvgBackward");
        if (typeof(T) == typeof(float) && AvgTiledWidth(w) is int lanes and > 0)
        {
            var gy = MemoryMarshal.Cast<T, float>(gradOutput);
            var gx = MemoryMarshal.Cast<T, float>(gradInput);
            if (lanes == 16) AvgBackwardTiled<Lanes512, Vector512<float>, Vector512<int>>(gy, w, gx);
            else if (lanes == 8) AvgBackwardTiled<Lanes256, Vector256<float>, Vector256<int>>(gy, w, gx);
            else AvgBackwardTiled<Lanes128, Vector128<float>, Vector128<int>>(gy, w, gx);
            return;
        }
        bool disjoint = w.StrideH >= w.KernelH && w.StrideW >= w.KernelW;
        int width = w.Width;
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = gradInput.Slice(c * w.PlaneSize, w.PlaneSize);
            plane.Clear();
            ref T p = ref MemoryMarshal.GetReference(plane);
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (h0, h1, w0, w1, count) = AvgWindow(w, oh, ow, countIncludePad);
                    if (count == 0 || w1 <= w0) continue;
                    T g = gradOutput[(c * w.OutH + oh) * w.OutW + ow] / T.CreateChecked(count);
                    if (disjoint)
                    {
                        // Each input gets at most this one share; 0 + g is what adding it to the cleared plane gives (-0 becomes +0).
                        T v = T.Zero + g;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++) Unsafe.Add(ref p, ih * width + iw) = v;
                        continue;
                    }
                    for (int ih = h0; ih < h1; ih++)
                    {
                        var row = plane.Slice(ih * width + w0, w1 - w0);
                        TensorPrimitives.Add(row, g, row);
                    }
                }
        }
    }

    /// <summary>Start (inclusive) and end (exclusive) of adaptive window <paramref name="o"/>: floor(o In / Out) to ceil((o+1) In / Out).</summary>
    public static (int Start, int End) AdaptiveRange(int o, int inSize, int outSize)
        => ((int)((long)o * inSize / outSize), (int)(((long)(o + 1) * inSize + outSize - 1) / outSize));

    /// <summary>Adaptive average pooling to OutH x OutW (the kernel, stride and padding fields of <paramref name="w"/> are ignored).</summary>
    public static void AdaptiveAvgForward<T>(ReadOnlySpan<T> input, in Window2d w, Span<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(input.Length, output.Length, w, "AdaptiveAvgForward");
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = input.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
            {
                var (h0, h1) = AdaptiveRange(oh, w.Height, w.OutH);
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (w0, w1) = AdaptiveRange(ow, w.Width, w.OutW);
                    T s = T.Zero;
                    for (int ih = h0; ih < h1; ih++) s += TensorPrimitives.Sum(plane.Slice(ih * w.Width + w0, w1 - w0));
                    output[(c * w.OutH + oh) * w.OutW + ow] = s / T.CreateChecked((h1 - h0) * (w1 - w0));
                }
            }
        }
    }

    /// <summary>Adaptive average pooling backward: clears each plane of <paramref name="gradInput"/>, then spreads each output gradient over its window.</summary>
    public static void AdaptiveAvgBackward<T>(ReadOnlySpan<T> gradOutput, in Window2d w, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gradInput.Length, gradOutput.Length, w, "AdaptiveAvgBackward");
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = gradInput.Slice(c * w.PlaneSize, w.PlaneSize);
            plane.Clear();
            for (int oh = 0; oh < w.OutH; oh++)
            {
                var (h0, h1) = AdaptiveRange(oh, w.Height, w.OutH);
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (w0, w1) = AdaptiveRange(ow, w.Width, w.OutW);
                    T g = gradOutput[(c * w.OutH + oh) * w.OutW + ow] / T.CreateChecked((h1 - h0) * (w1 - w0));
                    for (int ih = h0; ih < h1; ih++)
                    {
                        var row = plane.Slice(ih * w.Width + w0, w1 - w0);
                        TensorPrimitives.Add(row, g, row);
                    }
                }
            }
        }
    }

    private static void Check(int inputLength, int outputLength, in Window2d w, string op)
    {
        if (inputLength < w.Channels * w.PlaneSize) throw new ArgumentException($"Pooling.{op}: the input span holds {inputLength} values, fewer than {w.Channels} x {w.Height} x {w.Width}.");
        if (outputLength < w.Channels * w.OutPlaneSize) throw new ArgumentException($"Pooling.{op}: the output span holds {outputLength} values, fewer than {w.Channels} x {w.OutH} x {w.OutW}.");
        if (w.StrideH <= 0 || w.StrideW <= 0 || w.DilationH <= 0 || w.DilationW <= 0) throw new ArgumentException($"Pooling.{op}: strides and dilations must be positive.");
    }
}
