using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Kernels.Tests;

/// <summary>
/// What the pooling tests share: plain window loops as references, random geometries and values, runs over the
/// planes in a test's thread budget, and bitwise comparisons.
/// </summary>
internal static class PoolingHarness
{
    // ---- references: one window at a time, in row-major tap order ----

    internal static void MaxReference<T>(T[] x, Window2d w, T[] y, long[] idx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < w.Channels; c++)
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    T best = T.NegativeInfinity;
                    long at = -1;
                    for (int i = 0; i < w.KernelH; i++)
                        for (int j = 0; j < w.KernelW; j++)
                        {
                            int ih = oh * w.StrideH - w.PadTop + i * w.DilationH, iw = ow * w.StrideW - w.PadLeft + j * w.DilationW;
                            if (ih < 0 || ih >= w.Height || iw < 0 || iw >= w.Width) continue;
                            T v = x[c * w.PlaneSize + ih * w.Width + iw];
                            if (at < 0 || v > best || T.IsNaN(v)) { best = v; at = ih * w.Width + iw; }
                        }
                    int o = (c * w.OutH + oh) * w.OutW + ow;
                    y[o] = best;
                    idx[o] = at;
                }
    }

    // The window of output (oh, ow) clipped to the padded input (for the divisor) and to the input (for the sum).
    private static (int H0, int H1, int W0, int W1, int Count) AvgWindow(Window2d w, int oh, int ow, bool countIncludePad)
    {
        int ph0 = oh * w.StrideH - w.PadTop, pw0 = ow * w.StrideW - w.PadLeft;
        int ph1 = Math.Min(ph0 + w.KernelH, w.Height + w.PadTop), pw1 = Math.Min(pw0 + w.KernelW, w.Width + w.PadLeft);
        int h0 = Math.Max(ph0, 0), w0 = Math.Max(pw0, 0), h1 = Math.Min(ph1, w.Height), w1 = Math.Min(pw1, w.Width);
        return (h0, h1, w0, w1, countIncludePad ? (ph1 - ph0) * (pw1 - pw0) : (h1 - h0) * (w1 - w0));
    }

    // The library's definition of the window sum: each row summed by TensorPrimitives.Sum, rows added to zero in order.
    internal static void AvgReference<T>(T[] x, Window2d w, bool countIncludePad, T[] y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < w.Channels; c++)
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (h0, h1, w0, w1, count) = AvgWindow(w, oh, ow, countIncludePad);
                    T s = T.Zero;
                    for (int ih = h0; ih < h1 && w1 > w0; ih++) s += TensorPrimitives.Sum<T>(x.AsSpan(c * w.PlaneSize + ih * w.Width + w0, w1 - w0));
                    y[(c * w.OutH + oh) * w.OutW + ow] = count > 0 ? s / T.CreateChecked(count) : T.Zero;
                }
    }

    internal static void MaxBackwardReference<T>(T[] gy, long[] idx, Window2d w, T[] gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(gx);
        for (int c = 0; c < w.Channels; c++)
            for (int o = 0; o < w.OutPlaneSize; o++)
            {
                long i = idx[c * w.OutPlaneSize + o];
                if (i >= 0) gx[c * w.PlaneSize + i] += gy[c * w.OutPlaneSize + o];
            }
    }

    internal static void AvgBackwardReference<T>(T[] gy, Window2d w, bool countIncludePad, T[] gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(gx);
        for (int c = 0; c < w.Channels; c++)
            for (int oh = 0; oh < w.OutH; oh++)
                for (int ow = 0; ow < w.OutW; ow++)
                {
                    var (h0, h1, w0, w1, count) = AvgWindow(w, oh, ow, countIncludePad);
                    if (count == 0) continue;
                    T g = gy[(c * w.OutH + oh) * w.OutW + ow] / T.CreateChecked(count);
                    // Row by row with TensorPrimitives.Add, as the library defines it (NaN + NaN keeps its NaN the same way).
                    for (int ih = h0; ih < h1 && w1 > w0; ih++)
                    {
                        var row = gx.AsSpan(c * w.PlaneSize + ih * w.Width + w0, w1 - w0);
                        TensorPrimitives.Add(row, g, row);
                    }
                }
    }

    // ---- random geometries and values ----

    internal static int OutputSize(int size, int k, int s, int p, int d, bool ceil)
    {
        long span = (long)size + 2L * p - (long)d * (k - 1) - 1;
        if (span < 0) return 0;
        long o = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (o - 1) * s >= size + p) o--;
        return (int)o;
    }

    internal static Window2d RandomWindow(Random r, bool dilation)
    {
        while (true)
        {
            int kh = r.Next(1, 5), kw = r.Next(1, 5), sh = r.Next(1, 5), sw = r.Next(1, 5);
            int ph = r.Next(0, Math.Min(2, kh / 2) + 1), pw = r.Next(0, Math.Min(2, kw / 2) + 1);
            int dh = dilation ? r.Next(1, 3) : 1, dw = dilation ? r.Next(1, 3) : 1;
            // Mostly widths that give 1-3 vectors of outputs plus a tail; sometimes narrow rows.
            int h = r.Next(1, 14), wd = r.Next(3) == 0 ? r.Next(1, 12) : r.Next(12, 16 * 3 * sw + 8);
            bool ceil = r.Next(2) == 0;
            int oh = OutputSize(h, kh, sh, ph, dh, ceil), ow = OutputSize(wd, kw, sw, pw, dw, ceil);
            if (oh > 0 && ow > 0) return new Window2d(r.Next(1, 6), h, wd, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
        }
    }

    internal static T[] RandomValues<T>(Random r, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T nan1 = T.NaN, nan2 = -T.NaN;   // two payloads (the sign bit differs)
        T[] special = [T.Zero, T.NegativeZero, T.PositiveInfinity, T.NegativeInfinity, nan1, nan2];
        var x = new T[n];
        bool specials = r.Next(2) == 0;
        for (int i = 0; i < n; i++)
            x[i] = specials && r.Next(40) == 0 ? special[r.Next(special.Length)]
                 : r.Next(2) == 0 ? T.CreateChecked(r.Next(-3, 4))                        // ties
                 : T.CreateChecked(r.NextDouble() * 8 - 4);
        return x;
    }

    // The thread budget of the test running on this thread (set by WithThreads).
    [ThreadStatic] private static int testThreads;

    // Runs body over the planes split into one fixed partition per thread, as the CPU backend does.
    internal static void OverPlanes(Window2d w, Action<int, int> body)
    {
        int parts = Math.Min(w.Channels, Math.Max(testThreads, 1));
        KernelThreads.For(parts, part =>
        {
            int p0 = w.Channels * part / parts, p1 = w.Channels * (part + 1) / parts;
            if (p1 > p0) body(p0, p1 - p0);
        });
    }

    internal static Window2d Planes(Window2d w, int count) => w with { Channels = count };

    internal static void AssertBits<T>(T[] expected, T[] actual, string what, Window2d w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
            if (!BitwiseEqual(expected[i], actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}, for {w}");
    }

    private static bool BitwiseEqual<T>(T a, T b) where T : unmanaged => typeof(T) == typeof(float)
        ? BitConverter.SingleToInt32Bits((float)(object)a) == BitConverter.SingleToInt32Bits((float)(object)b)
        : BitConverter.DoubleToInt64Bits((double)(object)a) == BitConverter.DoubleToInt64Bits((double)(object)b);

    internal static void WithThreads(int threads, Action body)
    {
        int saved = testThreads;
        try
        {
            testThreads = threads;
            body();
        }
        finally
        {
            testThreads = saved;
        }
    }

    // The int32-index kernels on the same case: the same values, indices and input gradient.
    internal static void MaxInt32Case<T>(Random r, Window2d w, T[] x, T[] ey, long[] eIdx, T[] gy, T[] egx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nIn = w.Channels * w.PlaneSize, nOut = w.Channels * w.OutPlaneSize;
        var y = new T[nOut];
        var idx = new int[nOut];
        OverPlanes(w, (p0, n) => Pooling.MaxForwardInt32<T>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), idx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize)));
        AssertBits(ey, y, "MaxForwardInt32 values", w);
        for (int i = 0; i < nOut; i++)
            if (idx[i] != eIdx[i]) Assert.Fail($"MaxForwardInt32: index {i} is {idx[i]}, expected {eIdx[i]}, for {w}");
        var gx = RandomValues<T>(r, nIn);
        OverPlanes(w, (p0, n) => Pooling.MaxBackwardInt32<T>(gy.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), idx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), Planes(w, n), gx.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize)));
        AssertBits(egx, gx, "MaxBackwardInt32", w);
    }

    // Sums are compared to the bit, except that a NaN may be either NaN: when two NaNs meet in an addition, x86 keeps
    // the first operand's, and the JIT may swap the operands of a vector add (TensorPrimitives' own results then
    // depend on where a row falls against vector alignment).
    internal static void AssertSums<T>(T[] expected, T[] actual, string what, Window2d w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
            if (!BitwiseEqual(expected[i], actual[i]) && !(T.IsNaN(expected[i]) && T.IsNaN(actual[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}, for {w}");
    }
}
