using System.Numerics;
using static Axon.Kernels.Tests.PoolingHarness;

namespace Axon.Kernels.Tests;

/// <summary>
/// The pooling kernels against plain window loops on many random geometries (odd sizes, kernel 1-4, stride 1-4,
/// padding 0-2, dilation 1-2 for max, ceil mode, rows wide and narrow against every vector width), float32 and
/// float64, run over the planes in 1 and 2 threads. Values come from a small set so that windows hold ties, and
/// include ±0, ±inf and NaNs of two payloads: results must match to the bit (which NaN, which zero, which index),
/// except that sums may keep either NaN when two NaNs meet (see AssertSums).
/// The grouped and tiled paths have their own cases in <see cref="TiledPoolingTests"/>.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class PoolingTests
{
    private const int Configurations = 400;

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
