using System.Numerics;
using static Axon.Kernels.Tests.PoolingHarness;

namespace Axon.Kernels.Tests;

/// <summary>
/// The float32 pooling paths for windows that tile the rows or the planes (the grouped forward, disjoint windows, the
/// one-pass backward) against plain window loops, to the bit, in 1 and 2 threads.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class TiledPoolingTests
{
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
    [InlineData(28, 28, 2)]  // rows of 14 outputs (DCGAN, the Siamese encoder): row by row, a masked last vector
    [InlineData(14, 14, 2)]  // rows of 7
    [InlineData(6, 36, 4)]   // rows of 9, 4 outputs a vector
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
}
