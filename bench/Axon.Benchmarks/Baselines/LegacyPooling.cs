// The pooling kernels as they were before the float32 fast paths (commit 3373af1), kept verbatim as the
// baseline that PoolingBenchmarks measures the new kernels against. Not used by the library.
using System.Numerics;
using System.Numerics.Tensors;
using Axon.Kernels;

namespace Axon.Benchmarks.Baselines;

/// <summary>
/// 2-D pooling over planes: spans hold [Channels, Height, Width] in and [Channels, OutH, OutW] out (a batch is
/// simply more planes). Max pooling records, per output, the flat index ih * Width + iw of the chosen input
/// within its plane (PyTorch's indices), which is all its backward needs. Backward kernels accumulate into the
/// input gradient, which the caller clears first.
/// </summary>
public static class LegacyPooling
{
    /// <summary>
    /// Max pooling: each output is the maximum of its window (padding is never chosen; NaN wins, as in PyTorch).
    /// <paramref name="indices"/> receives the argmax positions, or is empty when they are not needed.
    /// A window with no input element (all its dilated taps in the padding) gives -inf and index -1.
    /// </summary>
    public static void MaxForward<T>(ReadOnlySpan<T> input, in Window2d w, Span<T> output, Span<long> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(input.Length, output.Length, w, "MaxForward");
        bool keep = !indices.IsEmpty;
        if (keep && indices.Length < output.Length) throw new ArgumentException("Pooling.MaxForward: indices must be empty or as long as the output.", nameof(indices));
        int outW = w.OutW;
        // Stride 1 (e.g. a 3x3 max filter): whole output rows at once, vectorised over ow.
        bool rows = w.StrideW == 1 && outW >= Vector<T>.Count;
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
    private static void MaxRowStride1<T>(ReadOnlySpan<T> plane, in Window2d w, int h0, int hEnd, Span<T> dst, Span<long> idx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outW = w.OutW, width = w.Width;
        // Columns whose whole window lies inside the row: ow - padLeft >= 0 and ow - padLeft + (kw-1) dw < width.
        int lo = Math.Min(w.PadLeft, outW), hi = Math.Clamp(width - (w.KernelW - 1) * w.DilationW + w.PadLeft, lo, outW);
        bool keep = !idx.IsEmpty;
        dst.Fill(T.NegativeInfinity);
        if (h0 >= hEnd)
        {
            if (keep) idx.Fill(-1);
            return;
        }
        if (keep) for (int ow = lo; ow < hi; ow++) idx[ow] = (long)h0 * width + ow - w.PadLeft;
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
                    long baseIndex = (long)ih * width + shift + k;
                    for (int e = 0; e < vc; e++)
                        if (take[e] != T.Zero) idx[lo + k + e] = baseIndex + e;
                }
                for (; k < n; k++)
                    if (src[k] > best[k] || T.IsNaN(src[k])) { best[k] = src[k]; idx[lo + k] = (long)ih * width + shift + k; }
            }
        }
        // Clipped columns at both ends.
        for (int ow = 0; ow < lo; ow++) MaxScalar(plane, w, h0, hEnd, ow, dst, idx);
        for (int ow = hi; ow < outW; ow++) MaxScalar(plane, w, h0, hEnd, ow, dst, idx);
    }

    private static void MaxScalar<T>(ReadOnlySpan<T> plane, in Window2d w, int h0, int hEnd, int ow, Span<T> dst, Span<long> idx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = w.Width;
        int w0 = ow * w.StrideW - w.PadLeft;
        int wEnd = Math.Min(w0 + (w.KernelW - 1) * w.DilationW + 1, width);
        while (w0 < 0) w0 += w.DilationW;
        T best = T.NegativeInfinity;
        // A window whose taps all fall in the padding (possible with dilation) is -inf with index -1.
        long at = h0 < hEnd && w0 < wEnd ? (long)h0 * width + w0 : -1;
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
        if (!idx.IsEmpty) idx[ow] = at;
    }

    /// <summary>Max pooling backward: adds each output gradient to the input its index names.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> gradOutput, ReadOnlySpan<long> indices, in Window2d w, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gradInput.Length, gradOutput.Length, w, "MaxBackward");
        int outPlane = w.OutPlaneSize;
        for (int c = 0; c < w.Channels; c++)
        {
            var g = gradInput.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int o = c * outPlane, end = o + outPlane; o < end; o++)
            {
                long i = indices[o];
                if (i >= 0) g[(int)i] += gradOutput[o];
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
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = input.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (h0, h1, w0, w1, count) = AvgWindow(w, oh, ow, countIncludePad);
                    T s = T.Zero;
                    if (w1 > w0)
                        for (int ih = h0; ih < h1; ih++) s += TensorPrimitives.Sum(plane.Slice(ih * w.Width + w0, w1 - w0));
                    output[(c * w.OutH + oh) * w.OutW + ow] = count > 0 ? s / T.CreateChecked(count) : T.Zero;
                }
        }
    }

    /// <summary>Average pooling backward: spreads each output gradient / divisor over its window.</summary>
    public static void AvgBackward<T>(ReadOnlySpan<T> gradOutput, in Window2d w, bool countIncludePad, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gradInput.Length, gradOutput.Length, w, "AvgBackward");
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = gradInput.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (h0, h1, w0, w1, count) = AvgWindow(w, oh, ow, countIncludePad);
                    if (count == 0 || w1 <= w0) continue;
                    T g = gradOutput[(c * w.OutH + oh) * w.OutW + ow] / T.CreateChecked(count);
                    for (int ih = h0; ih < h1; ih++)
                    {
                        var row = plane.Slice(ih * w.Width + w0, w1 - w0);
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

    /// <summary>Adaptive average pooling backward.</summary>
    public static void AdaptiveAvgBackward<T>(ReadOnlySpan<T> gradOutput, in Window2d w, Span<T> gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gradInput.Length, gradOutput.Length, w, "AdaptiveAvgBackward");
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = gradInput.Slice(c * w.PlaneSize, w.PlaneSize);
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
