using System.Numerics;
using System.Numerics.Tensors;
using Axon.Kernels;

namespace Axon.Kernels.Tests;

/// <summary>
/// The pooling kernels against plain window loops on many random geometries (odd sizes, kernel 1-4, stride 1-4,
/// padding 0-2, dilation 1-2 for max, ceil mode, rows wide and narrow against every vector width), float32 and
/// float64, run over the planes in 1 and 2 threads. Values come from a small set so that windows hold ties, and
/// include ±0, ±inf and NaNs of two payloads: results must match to the bit (which NaN, which zero, which index),
/// except that sums may keep either NaN when two NaNs meet (see AssertSums).
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class PoolingTests
{
    private const int Configurations = 400;

    // ---- references: one window at a time, in row-major tap order ----

    private static void MaxReference<T>(T[] x, Window2d w, T[] y, long[] idx) where T : unmanaged, IFloatingPointIeee754<T>
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
    private static void AvgReference<T>(T[] x, Window2d w, bool countIncludePad, T[] y) where T : unmanaged, IFloatingPointIeee754<T>
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

    private static void MaxBackwardReference<T>(T[] gy, long[] idx, Window2d w, T[] gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(gx);
        for (int c = 0; c < w.Channels; c++)
            for (int o = 0; o < w.OutPlaneSize; o++)
            {
                long i = idx[c * w.OutPlaneSize + o];
                if (i >= 0) gx[c * w.PlaneSize + i] += gy[c * w.OutPlaneSize + o];
            }
    }

    private static void AvgBackwardReference<T>(T[] gy, Window2d w, bool countIncludePad, T[] gx) where T : unmanaged, IFloatingPointIeee754<T>
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

    private static int OutputSize(int size, int k, int s, int p, int d, bool ceil)
    {
        long span = (long)size + 2L * p - (long)d * (k - 1) - 1;
        if (span < 0) return 0;
        long o = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (o - 1) * s >= size + p) o--;
        return (int)o;
    }

    private static Window2d RandomWindow(Random r, bool dilation)
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

    private static T[] RandomValues<T>(Random r, int n) where T : unmanaged, IFloatingPointIeee754<T>
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
    private static void OverPlanes(Window2d w, Action<int, int> body)
    {
        int parts = Math.Min(w.Channels, Math.Max(testThreads, 1));
        KernelThreads.For(parts, part =>
        {
            int p0 = w.Channels * part / parts, p1 = w.Channels * (part + 1) / parts;
            if (p1 > p0) body(p0, p1 - p0);
        });
    }

    private static Window2d Planes(Window2d w, int count) => w with { Channels = count };

    private static void AssertBits<T>(T[] expected, T[] actual, string what, Window2d w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
            if (!BitwiseEqual(expected[i], actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}, for {w}");
    }

    private static bool BitwiseEqual<T>(T a, T b) where T : unmanaged => typeof(T) == typeof(float)
        ? BitConverter.SingleToInt32Bits((float)(object)a) == BitConverter.SingleToInt32Bits((float)(object)b)
        : BitConverter.DoubleToInt64Bits((double)(object)a) == BitConverter.DoubleToInt64Bits((double)(object)b);

    private static void WithThreads(int threads, Action body)
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

    // ---- tests ----

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MaxForwardAndBackwardMatchTheWindowLoop(int threads) => WithThreads(threads, () =>
    {
        MaxCase<float>(threads);
        MaxCase<double>(threads);
    });

    private static void MaxCase<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new Random(100 + seed);
        for (int t = 0; t < Configurations; t++)
        {
            var w = RandomWindow(r, dilation: true);
            int nIn = w.Channels * w.PlaneSize, nOut = w.Channels * w.OutPlaneSize;
            var x = RandomValues<T>(r, nIn);
            T[] ey = new T[nOut], y = new T[nOut], yNoIdx = new T[nOut];
            long[] eIdx = new long[nOut], idx = new long[nOut];
            MaxReference(x, w, ey, eIdx);
            OverPlanes(w, (p0, n) => Pooling.MaxForward<T>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), idx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize)));
            AssertBits(ey, y, "MaxForward values", w);
            Assert.True(eIdx.AsSpan().SequenceEqual(idx), $"MaxForward indices differ for {w}");

            OverPlanes(w, (p0, n) => Pooling.MaxForward<T>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), yNoIdx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), default));
            if (w.StrideW == 1 && w.OutW >= Vector<T>.Count)
            {
                // Without indices the stride-1 row path uses TensorPrimitives.Max, which orders -0 < +0 and may keep
                // another NaN: equal as numbers, not necessarily as bits (unchanged behaviour).
                for (int i = 0; i < nOut; i++)
                    Assert.True(ey[i] == yNoIdx[i] || (T.IsNaN(ey[i]) && T.IsNaN(yNoIdx[i])), $"MaxForward without indices, element {i}, {w}");
            }
            else AssertBits(ey, yNoIdx, "MaxForward without indices", w);

            var gy = RandomValues<T>(r, nOut);
            var egx = new T[nIn];
            var gx = RandomValues<T>(r, nIn);   // stale contents: the kernel must overwrite them
            MaxBackwardReference(gy, eIdx, w, egx);
            OverPlanes(w, (p0, n) => Pooling.MaxBackward<T>(gy.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), eIdx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), Planes(w, n), gx.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize)));
            AssertBits(egx, gx, "MaxBackward", w);

            MaxInt32Case(r, w, x, ey, eIdx, gy, egx);
        }
    }

    // The int32-index kernels on the same case: the same values, indices and input gradient.
    private static void MaxInt32Case<T>(Random r, Window2d w, T[] x, T[] ey, long[] eIdx, T[] gy, T[] egx) where T : unmanaged, IFloatingPointIeee754<T>
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

    // Geometries for the grouped forward (stride = kernel along the width), for windows that do not overlap (stride
    // >= kernel, no padding or dilation) and for windows that tile the planes exactly, mostly with 1, 2, 4, 8 or 16
    // outputs a row (the one-pass backward): rows that the groups fill exactly or not, narrow and wide maps, and enough
    // planes that the group buffer is refilled mid-plane.
    private static Window2d TiledWindow(Random r, int mode, bool dilation = true)
    {
        while (true)
        {
            int kw = r.Next(4) == 0 ? r.Next(1, 5) : r.Next(2, 4), kh = r.Next(1, 5);
            if (mode == 2)
            {
                int ow = r.Next(3) == 0 ? r.Next(1, 21) : 1 << r.Next(5), oh = r.Next(3) == 0 ? r.Next(1, 9) : 16 / Math.Min(ow, 16) * r.Next(1, 4);
                return new Window2d(r.Next(1, 7), oh * kh, ow * kw, kh, kw, kh, kw, 0, 0, 1, 1, oh, ow);
            }
            bool disjoint = mode == 1;
            int sw = disjoint ? kw + (r.Next(3) == 0 ? r.Next(1, 7) : 0) : kw;
            int sh = disjoint ? kh + (r.Next(3) == 0 ? r.Next(0, 3) : 0) : r.Next(1, 5);
            int ph = disjoint ? 0 : r.Next(0, kh / 2 + 1), dh = disjoint || !dilation ? 1 : r.Next(1, 3);
            int outW = r.Next(3) == 0 ? r.Next(1, 9) : r.Next(1, 60);
            int wd = outW * sw + (r.Next(2) == 0 ? 0 : r.Next(0, sw + 2));
            int h = r.Next(2) == 0 ? r.Next(1, 12) : r.Next(12, 70);
            bool ceil = r.Next(3) == 0;
            int oh2 = OutputSize(h, kh, sh, ph, dh, ceil), ow2 = OutputSize(wd, kw, sw, 0, 1, ceil);
            if (oh2 > 0 && ow2 > 0) return new Window2d(r.Next(1, 7), h, wd, kh, kw, sh, sw, ph, 0, dh, 1, oh2, ow2);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    public void TiledMaxPoolingMatchesTheWindowLoop(int threads, int mode) => WithThreads(threads, () =>
    {
        var r = new Random(300 + threads + 10 * mode);
        for (int t = 0; t < 150; t++)
        {
            var w = TiledWindow(r, mode);
            int nIn = w.Channels * w.PlaneSize, nOut = w.Channels * w.OutPlaneSize;
            var x = RandomValues<float>(r, nIn);
            float[] ey = new float[nOut], y = new float[nOut], yNoIdx = new float[nOut];
            long[] eIdx = new long[nOut], idx = new long[nOut];
            MaxReference(x, w, ey, eIdx);
            OverPlanes(w, (p0, n) => Pooling.MaxForward<float>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), idx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize)));
            AssertBits(ey, y, "MaxForward values", w);
            Assert.True(eIdx.AsSpan().SequenceEqual(idx), $"MaxForward indices differ for {w}");
            OverPlanes(w, (p0, n) => Pooling.MaxForwardInt32<float>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), yNoIdx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), default));
            if (w.StrideW == 1 && w.OutW >= Vector<float>.Count)
            {
                // The stride-1 row path without indices uses TensorPrimitives.Max: equal as numbers (see MaxCase).
                for (int i = 0; i < nOut; i++)
                    Assert.True(ey[i] == yNoIdx[i] || (float.IsNaN(ey[i]) && float.IsNaN(yNoIdx[i])), $"MaxForward without indices, element {i}, {w}");
            }
            else AssertBits(ey, yNoIdx, "MaxForward without indices", w);
            var gy = RandomValues<float>(r, nOut);
            var egx = new float[nIn];
            MaxBackwardReference(gy, eIdx, w, egx);
            MaxInt32Case(r, w, x, ey, eIdx, gy, egx);
        }
    });

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    public void TiledAvgPoolingMatchesTheWindowLoop(int threads, int mode) => WithThreads(threads, () =>
    {
        // Mode 0: stride = kernel along the width (the grouped forward); mode 2: exact tilings (the one-pass backward).
        var r = new Random(400 + threads + 10 * mode);
        for (int t = 0; t < 150; t++)
        {
            var w = TiledWindow(r, mode, dilation: false);
            bool include = r.Next(2) == 0;
            int nIn = w.Channels * w.PlaneSize, nOut = w.Channels * w.OutPlaneSize;
            var x = RandomValues<float>(r, nIn);
            float[] ey = new float[nOut], y = new float[nOut];
            AvgReference(x, w, include, ey);
            OverPlanes(w, (p0, n) => Pooling.AvgForward<float>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), include, y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize)));
            AssertSums(ey, y, $"AvgForward (countIncludePad {include})", w);

            var gy = RandomValues<float>(r, nOut);
            var egx = new float[nIn];
            var gx = RandomValues<float>(r, nIn);
            AvgBackwardReference(gy, w, include, egx);
            OverPlanes(w, (p0, n) => Pooling.AvgBackward<float>(gy.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), Planes(w, n), include, gx.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize)));
            AssertSums(egx, gx, $"AvgBackward (countIncludePad {include})", w);
        }
    });

    [Theory]
    [InlineData(4, 16, 2)]   // 8 outputs a row, 2 rows: 16-lane blocks
    [InlineData(3, 24, 3)]   // the lecture CNN's 3x3 pool, one output row: 8-lane blocks
    public void TiledMaxBackwardWritesPlusZeroAndKeepsNaNGradients(int h, int wd, int k)
    {
        // Every input gets 0 + g or +0: a -0 gradient lands as +0 (as clear-then-add gives it), a NaN gradient lands
        // on its argmax only, and stale -0s in the gradient buffer are overwritten.
        var w = new Window2d(2, h, wd, k, k, k, k, 0, 0, 1, 1, h / k, wd / k);
        int nIn = 2 * h * wd, nOut = 2 * w.OutPlaneSize;
        var x = new float[nIn];
        for (int i = 0; i < x.Length; i++) x[i] = (i * 7919) % 13;
        var y = new float[nOut];
        var idx = new int[nOut];
        Pooling.MaxForwardInt32<float>(x, w, y, idx);
        var gy = new float[nOut];
        for (int i = 0; i < gy.Length; i++) gy[i] = i % 3 == 0 ? -0f : i % 3 == 1 ? float.NaN : i - 10.5f;
        var gx = new float[x.Length];
        gx.AsSpan().Fill(-0f);
        Pooling.MaxBackwardInt32<float>(gy, idx, w, gx);
        int nonZero = 0;
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < h * wd; i++)
            {
                float v = gx[c * h * wd + i];
                int o = Array.IndexOf(idx, i, c * w.OutPlaneSize, w.OutPlaneSize);
                if (o < 0) Assert.Equal(0, BitConverter.SingleToInt32Bits(v));
                else
                {
                    float expected = gy[o] == 0 ? 0f : gy[o];   // 0 + g: -0 becomes +0, a NaN stays itself
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(v));
                    nonZero++;
                }
            }
        Assert.Equal(nOut, nonZero);
    }


    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AvgForwardAndBackwardMatchTheWindowLoop(int threads) => WithThreads(threads, () =>
    {
        AvgCase<float>(threads);
        AvgCase<double>(threads);
    });

    private static void AvgCase<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new Random(200 + seed);
        for (int t = 0; t < Configurations; t++)
        {
            var w = RandomWindow(r, dilation: false);
            bool include = r.Next(2) == 0;
            int nIn = w.Channels * w.PlaneSize, nOut = w.Channels * w.OutPlaneSize;
            var x = RandomValues<T>(r, nIn);
            T[] ey = new T[nOut], y = new T[nOut];
            AvgReference(x, w, include, ey);
            OverPlanes(w, (p0, n) => Pooling.AvgForward<T>(x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize), Planes(w, n), include, y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize)));
            AssertSums(ey, y, $"AvgForward (countIncludePad {include})", w);

            var gy = RandomValues<T>(r, nOut);
            var egx = new T[nIn];
            var gx = RandomValues<T>(r, nIn);
            AvgBackwardReference(gy, w, include, egx);
            OverPlanes(w, (p0, n) => Pooling.AvgBackward<T>(gy.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), Planes(w, n), include, gx.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize)));
            AssertSums(egx, gx, $"AvgBackward (countIncludePad {include})", w);
        }
    }

    // Sums are compared to the bit, except that a NaN may be either NaN: when two NaNs meet in an addition, x86 keeps
    // the first operand's, and the JIT may swap the operands of a vector add (TensorPrimitives' own results then
    // depend on where a row falls against vector alignment).
    private static void AssertSums<T>(T[] expected, T[] actual, string what, Window2d w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
            if (!BitwiseEqual(expected[i], actual[i]) && !(T.IsNaN(expected[i]) && T.IsNaN(actual[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}, for {w}");
    }

    [Fact]
    public void AdaptiveAvgBackwardOverwritesStaleGradients()
    {
        var r = new Random(3);
        var w = new Window2d(3, 7, 5, 1, 1, 1, 1, 0, 0, 1, 1, 3, 2);
        var gy = RandomValues<float>(r, 3 * 6);
        var a = RandomValues<float>(r, 3 * 35);
        var b = new float[3 * 35];
        Pooling.AdaptiveAvgBackward<float>(gy, w, a);
        Pooling.AdaptiveAvgBackward<float>(gy, w, b);
        AssertBits(b, a, "AdaptiveAvgBackward", w);
    }

    [Fact]
    public void LayerShapesMatchTheWindowLoop()
    {
        // The shapes of the lecture CNN (24 -> 8 and 4 -> 2), LeNet-5 and a ResNet stem, with a few planes each.
        Window2d[] layers =
        [
            new(3, 24, 24, 3, 3, 3, 3, 0, 0, 1, 1, 8, 8),
            new(3, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, 4, 4),
            new(8, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2),   // 8 planes of 4 outputs: two whole-plane blocks
            new(3, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, 14, 14),
            new(3, 10, 10, 2, 2, 2, 2, 0, 0, 1, 1, 5, 5),
            new(3, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 56, 56),
        ];
        var r = new Random(5);
        foreach (var w in layers)
        {
            int nIn = w.Channels * w.PlaneSize, nOut = w.Channels * w.OutPlaneSize;
            var x = RandomValues<float>(r, nIn);
            float[] ey = new float[nOut], y = new float[nOut];
            long[] eIdx = new long[nOut], idx = new long[nOut];
            MaxReference(x, w, ey, eIdx);
            Pooling.MaxForward<float>(x, w, y, idx);
            AssertBits(ey, y, "MaxForward", w);
            Assert.True(eIdx.AsSpan().SequenceEqual(idx));
            var gy = RandomValues<float>(r, nOut);
            var egx = new float[nIn];
            MaxBackwardReference(gy, eIdx, w, egx);
            MaxInt32Case(r, w, x, ey, eIdx, gy, egx);
            AvgReference(x, w, true, ey);
            Pooling.AvgForward<float>(x, w, true, y);
            AssertSums(ey, y, "AvgForward", w);
            var gx = RandomValues<float>(r, nIn);
            AvgBackwardReference(gy, w, true, egx);
            Pooling.AvgBackward<float>(gy, w, true, gx);
            AssertSums(egx, gx, "AvgBackward", w);
        }
    }
}
