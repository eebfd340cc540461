using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// 2-D pooling on [N, C, H, W], output by output. The argmax of max pooling is an int64 tensor of the output's shape
// holding each maximum's flat position ih * W + iw within its plane (-1 for a window with no input element): already
// PyTorch's indices, so MaxPool2dIndices is a copy.
public sealed partial class ReferenceBackend
{
    /// <inheritdoc/>
    public Tensor? MaxPool2d(Tensor x, in Window2d window, Tensor y, bool withArgmax)
    {
        Own(x, y);
        var argmax = withArgmax ? Tensor.Empty(y.GetShape(), DType.Int64, Device) : null;
        if (y.DType == DType.Float32) MaxPool2d<float>(x, window, y, argmax);
        else MaxPool2d<double>(x, window, y, argmax);
        return argmax;
    }

    // The maximum over the window's taps in row-major order: a later tap replaces the best only when it is larger or
    // NaN, so the first of equal maxima wins and a NaN wins (the last NaN, as the CPU kernels). Padding is never chosen.
    private static void MaxPool2d<T>(Tensor x, Window2d w, Tensor y, Tensor? argmax) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = x.ShapeArray[1], height = x.ShapeArray[2], width = x.ShapeArray[3];
        Index4 X = new(x), Y = new(y);
        T[] xv = x.Data<T>(), yv = y.Data<T>();
        for (int n = 0; n < x.ShapeArray[0]; n++)
            for (int c = 0; c < planes; c++)
                for (int oh = 0; oh < w.OutH; oh++)
                    for (int ow = 0; ow < w.OutW; ow++)
                    {
                        T best = T.NegativeInfinity;
                        long at = -1;
                        for (int i = 0; i < w.KernelH; i++)
                        {
                            int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                            if (ih < 0 || ih >= height) continue;
                            for (int j = 0; j < w.KernelW; j++)
                            {
                                int iw = ow * w.StrideW - w.PadLeft + j * w.DilationW;
                                if (iw < 0 || iw >= width) continue;
                                T v = xv[X.At(n, c, ih, iw)];
                                if (at < 0 || v > best || T.IsNaN(v)) { best = v; at = ih * width + iw; }
                            }
                        }
                        yv[Y.At(n, c, oh, ow)] = best;
                        if (argmax is not null) argmax.Data<long>()[OffsetOf(argmax, ((n * planes + c) * w.OutH + oh) * w.OutW + ow)] = at;
                    }
    }

    /// <inheritdoc/>
    public void MaxPool2dIndices(Tensor argmax, Tensor indices)
    {
        Own(argmax, indices);
        Copy(argmax, indices);
    }

    /// <summary>The argmax of output (n, c, oh, ow), checked to lie in its plane of <paramref name="planeSize"/> elements (-1: none).</summary>
    private static long ArgmaxAt(Tensor argmax, int linear, int planeSize, string op)
    {
        long at = argmax.Data<long>()[OffsetOf(argmax, linear)];
        if (at < -1 || at >= planeSize) throw new ArgumentOutOfRangeException(nameof(argmax), $"{op}: argmax {at} lies outside its plane of {planeSize} elements.");
        return at;
    }

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor gy, Tensor argmax, in Window2d window, Tensor gx)
    {
        Own(gy, argmax, gx);
        Fill(gx, 0);
        if (gx.DType == DType.Float32) MaxPool2dBackward<float>(gy, argmax, gx);
        else MaxPool2dBackward<double>(gy, argmax, gx);
    }

    // Each output gradient added to the input its argmax names, in output order (overlapping windows sum the same way).
    private static void MaxPool2dBackward<T>(Tensor gy, Tensor argmax, Tensor gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = gy.ShapeArray[1], outH = gy.ShapeArray[2], outW = gy.ShapeArray[3], width = gx.ShapeArray[3];
        int planeSize = gx.ShapeArray[2] * width;
        Index4 GY = new(gy), GX = new(gx);
        T[] gyv = gy.Data<T>(), gxv = gx.Data<T>();
        for (int n = 0; n < gy.ShapeArray[0]; n++)
            for (int c = 0; c < planes; c++)
                for (int oh = 0; oh < outH; oh++)
                    for (int ow = 0; ow < outW; ow++)
                    {
                        long at = ArgmaxAt(argmax, ((n * planes + c) * outH + oh) * outW + ow, planeSize, "MaxPool2dBackward");
                        if (at < 0) continue;   // a window with no input element
                        gxv[GX.At(n, c, (int)(at / width), (int)(at % width))] += gyv[GY.At(n, c, oh, ow)];
                    }
    }

    /// <inheritdoc/>
    public void MaxPool2dGather(Tensor x, Tensor argmax, in Window2d window, Tensor y)
    {
        Own(x, argmax, y);
        if (y.DType == DType.Float32) MaxPool2dGather<float>(x, argmax, y);
        else MaxPool2dGather<double>(x, argmax, y);
    }

    // y = x at each argmax; a window with no input element gathers nothing (0), as the backward routes nothing from it.
    private static void MaxPool2dGather<T>(Tensor x, Tensor argmax, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = y.ShapeArray[1], outH = y.ShapeArray[2], outW = y.ShapeArray[3], width = x.ShapeArray[3];
        int planeSize = x.ShapeArray[2] * width;
        Index4 X = new(x), Y = new(y);
        T[] xv = x.Data<T>(), yv = y.Data<T>();
        for (int n = 0; n < y.ShapeArray[0]; n++)
            for (int c = 0; c < planes; c++)
                for (int oh = 0; oh < outH; oh++)
                    for (int ow = 0; ow < outW; ow++)
                    {
                        long at = ArgmaxAt(argmax, ((n * planes + c) * outH + oh) * outW + ow, planeSize, "MaxPool2dGather");
                        yv[Y.At(n, c, oh, ow)] = at < 0 ? T.Zero : xv[X.At(n, c, (int)(at / width), (int)(at % width))];
                    }
    }

    /// <summary>
    /// The input rows [H0, H1) and columns [W0, W1) that output (oh, ow) averages, and its divisor. Adaptive windows
    /// run from floor(o In / Out) to ceil((o + 1) In / Out). Otherwise PyTorch's rule: the window is clipped to the
    /// padded input for the divisor with <paramref name="countIncludePad"/>, and to the input for the sum.
    /// </summary>
    private static (int H0, int H1, int W0, int W1, int Count) AvgWindow(in Window2d w, int height, int width, int oh, int ow, bool countIncludePad, bool adaptive)
    {
        if (adaptive)
        {
            var (ah0, ah1) = AdaptiveRange(oh, height, w.OutH);
            var (aw0, aw1) = AdaptiveRange(ow, width, w.OutW);
            return (ah0, ah1, aw0, aw1, (ah1 - ah0) * (aw1 - aw0));
        }
        int h0 = oh * w.StrideH - w.PadTop, w0 = ow * w.StrideW - w.PadLeft;
        int h1 = Math.Min(h0 + w.KernelH, height + w.PadTop), w1 = Math.Min(w0 + w.KernelW, width + w.PadLeft);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0); h1 = Math.Min(h1, height); w1 = Math.Min(w1, width);
        return (h0, h1, w0, w1, countIncludePad ? padded : Math.Max(h1 - h0, 0) * Math.Max(w1 - w0, 0));
    }

    private static (int Start, int End) AdaptiveRange(int o, int inSize, int outSize) =>
        ((int)((long)o * inSize / outSize), (int)(((long)(o + 1) * inSize + outSize - 1) / outSize));

    /// <inheritdoc/>
    public void AvgPool2d(Tensor x, in Window2d window, bool countIncludePad, bool adaptive, Tensor y)
    {
        Own(x, y);
        if (y.DType == DType.Float32) AvgPool2d<float>(x, window, countIncludePad, adaptive, y);
        else AvgPool2d<double>(x, window, countIncludePad, adaptive, y);
    }

    private static void AvgPool2d<T>(Tensor x, Window2d w, bool countIncludePad, bool adaptive, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = x.ShapeArray[1], height = x.ShapeArray[2], width = x.ShapeArray[3];
        Index4 X = new(x), Y = new(y);
        T[] xv = x.Data<T>(), yv = y.Data<T>();
        for (int n = 0; n < x.ShapeArray[0]; n++)
            for (int c = 0; c < planes; c++)
                for (int oh = 0; oh < w.OutH; oh++)
                    for (int ow = 0; ow < w.OutW; ow++)
                    {
                        var (h0, h1, w0, w1, count) = AvgWindow(w, height, width, oh, ow, countIncludePad, adaptive);
                        T sum = T.Zero;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++) sum += xv[X.At(n, c, ih, iw)];
                        yv[Y.At(n, c, oh, ow)] = count > 0 ? sum / T.CreateTruncating(count) : T.Zero;
                    }
    }

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor gy, in Window2d window, bool countIncludePad, bool adaptive, Tensor gx)
    {
        Own(gy, gx);
        Fill(gx, 0);
        if (gx.DType == DType.Float32) AvgPool2dBackward<float>(gy, window, countIncludePad, adaptive, gx);
        else AvgPool2dBackward<double>(gy, window, countIncludePad, adaptive, gx);
    }

    // Each output gradient divided by its divisor and added to every input of its window.
    private static void AvgPool2dBackward<T>(Tensor gy, Window2d w, bool countIncludePad, bool adaptive, Tensor gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = gx.ShapeArray[1], height = gx.ShapeArray[2], width = gx.ShapeArray[3];
        Index4 GY = new(gy), GX = new(gx);
        T[] gyv = gy.Data<T>(), gxv = gx.Data<T>();
        for (int n = 0; n < gx.ShapeArray[0]; n++)
            for (int c = 0; c < planes; c++)
                for (int oh = 0; oh < w.OutH; oh++)
                    for (int ow = 0; ow < w.OutW; ow++)
                    {
                        var (h0, h1, w0, w1, count) = AvgWindow(w, height, width, oh, ow, countIncludePad, adaptive);
                        if (count == 0) continue;
                        T share = gyv[GY.At(n, c, oh, ow)] / T.CreateTruncating(count);
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++) gxv[GX.At(n, c, ih, iw)] += share;
                    }
    }
}
