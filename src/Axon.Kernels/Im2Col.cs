using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Kernels;

/// <summary>
/// The geometry of a 2-D sliding window over <see cref="Channels"/> planes of <see cref="Height"/> x <see cref="Width"/>
/// (convolution or pooling): kernel size, stride, the padding before the first row and column (zeros, or
/// ignored by pooling), dilation, and the output size (given, so that the caller decides how padding after
/// the last row and column counts, e.g. the asymmetric padding of "same").
/// </summary>
/// <param name="Channels">Number of input planes.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="KernelH">Kernel height.</param>
/// <param name="KernelW">Kernel width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadTop">Implicit rows before the first input row.</param>
/// <param name="PadLeft">Implicit columns before the first input column.</param>
/// <param name="DilationH">Vertical spacing of kernel taps.</param>
/// <param name="DilationW">Horizontal spacing of kernel taps.</param>
/// <param name="OutH">Output height.</param>
/// <param name="OutW">Output width.</param>
public readonly record struct Window2d(int Channels, int Height, int Width, int KernelH, int KernelW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int DilationH, int DilationW, int OutH, int OutW)
{
    /// <summary>Elements of one input plane.</summary>
    public int PlaneSize => Height * Width;

    /// <summary>Elements of one output plane.</summary>
    public int OutPlaneSize => OutH * OutW;

    /// <summary>Rows of the column matrix: Channels * KernelH * KernelW.</summary>
    public int ColRows => Channels * KernelH * KernelW;

    /// <summary>
    /// The output columns ow whose input column ow * stride + offset lies in [0, size): [lo, hi).
    /// </summary>
    internal static (int Lo, int Hi) ValidRange(int offset, int stride, int size, int outSize)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = size - 1 - offset;
        int hi = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        return (Math.Min(lo, hi), hi);
    }
}

/// <summary>
/// im2col and col2im for 2-D convolution lowered to GEMM. The column matrix has one row per (channel, kernel
/// row, kernel column), in that order (matching a weight [out, channels, kh, kw] read as [out, channels*kh*kw]),
/// and one column per output position (oh, ow); padded taps read zero. Spans hold one sample [channels, H, W].
/// </summary>
public static class Im2Col
{
    /// <summary>
    /// Unfolds one sample <paramref name="image"/> [Channels, Height, Width] into <paramref name="cols"/>: row r of the
    /// column matrix starts at <c>r * ldCols</c> and holds OutH * OutW values, so several samples can share one
    /// wide matrix (sample n at offset n * OutH * OutW with ldCols = N * OutH * OutW).
    /// </summary>
    public static void Unfold<T>(ReadOnlySpan<T> image, in Window2d w, Span<T> cols, int ldCols) where T : unmanaged, INumberBase<T>
    {
        Check(image.Length, w, cols.Length, ldCols);
        int outH = w.OutH, outW = w.OutW, sw = w.StrideW;
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = image.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int i = 0; i < w.KernelH; i++)
            {
                for (int j = 0; j < w.KernelW; j++)
                {
                    int row = (c * w.KernelH + i) * w.KernelW + j;
                    var dstRow = cols.Slice(row * ldCols, w.OutPlaneSize);
                    int iw0 = j * w.DilationW - w.PadLeft;
                    var (lo, hi) = Window2d.ValidRange(iw0, sw, w.Width, outW);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        var dst = dstRow.Slice(oh * outW, outW);
                        int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                        if ((uint)ih >= (uint)w.Height || lo >= hi) { dst.Clear(); continue; }
                        var src = plane.Slice(ih * w.Width, w.Width);
                        dst[..lo].Clear();
                        dst[hi..].Clear();
                        if (sw == 1) src.Slice(iw0 + lo, hi - lo).CopyTo(dst[lo..hi]);
                        else for (int ow = lo, iw = iw0 + lo * sw; ow < hi; ow++, iw += sw) dst[ow] = src[iw];
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Unfold{T}"/>: adds every column-matrix entry back onto the input position it was
    /// read from (padded taps are dropped). Accumulates into <paramref name="image"/>, which the caller clears first.
    /// </summary>
    public static void Fold<T>(ReadOnlySpan<T> cols, int ldCols, in Window2d w, Span<T> image) where T : unmanaged, INumberBase<T>
    {
        Check(image.Length, w, cols.Length, ldCols);
        int outH = w.OutH, outW = w.OutW, sw = w.StrideW;
        for (int c = 0; c < w.Channels; c++)
        {
            var plane = image.Slice(c * w.PlaneSize, w.PlaneSize);
            for (int i = 0; i < w.KernelH; i++)
            {
                for (int j = 0; j < w.KernelW; j++)
                {
                    int row = (c * w.KernelH + i) * w.KernelW + j;
                    var srcRow = cols.Slice(row * ldCols, w.OutPlaneSize);
                    int iw0 = j * w.DilationW - w.PadLeft;
                    var (lo, hi) = Window2d.ValidRange(iw0, sw, w.Width, outW);
                    if (lo >= hi) continue;
                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                        if ((uint)ih >= (uint)w.Height) continue;
                        var src = srcRow.Slice(oh * outW, outW);
                        var dst = plane.Slice(ih * w.Width, w.Width);
                        if (sw == 1)
                        {
                            var d = dst.Slice(iw0 + lo, hi - lo);
                            TensorPrimitives.Add(d, src[lo..hi], d);
                        }
                        else for (int ow = lo, iw = iw0 + lo * sw; ow < hi; ow++, iw += sw) dst[iw] += src[ow];
                    }
                }
            }
        }
    }

    private static void Check(int imageLength, in Window2d w, int colsLength, int ldCols)
    {
        if (imageLength < w.Channels * w.PlaneSize) throw new ArgumentException($"Im2Col: the image span holds {imageLength} values, fewer than {w.Channels} x {w.Height} x {w.Width}.");
        if (ldCols < w.OutPlaneSize) throw new ArgumentException($"Im2Col: ldCols ({ldCols}) is smaller than the output plane ({w.OutH} x {w.OutW}).");
        if (w.ColRows > 0 && colsLength < (long)(w.ColRows - 1) * ldCols + w.OutPlaneSize)
            throw new ArgumentException($"Im2Col: the column span holds {colsLength} values, too few for {w.ColRows} rows of stride {ldCols}.");
        if (w.StrideH <= 0 || w.StrideW <= 0 || w.DilationH <= 0 || w.DilationW <= 0) throw new ArgumentException("Im2Col: strides and dilations must be positive.");
    }
}
