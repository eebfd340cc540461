using Axon.Kernels;
using static Axon.Kernels.Tests.ConvDirectTests;

namespace Axon.Kernels.Tests;

/// <summary>
/// <see cref="ConvDirect.ForwardMaxPool"/> (the convolution pooled one sample at a time) against the kernels it
/// fuses, run one after the other over the whole batch: the direct or flat forward, <see cref="Pooling.MaxForwardInt32"/>
/// and <see cref="Elementwise.Relu"/>. The same bits, argmax included, in 1 to 3 threads (whole samples per thread),
/// with outputs between sentinel guards.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class ConvDirectPooledTests
{
    public static TheoryData<Shape, bool, int, int> Cases() => new()
    {
        { new(5, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1), false, 2, 2 },   // the Siamese network's conv1 (direct kernel)
        { new(3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1), true, 2, 2 },   // its conv2 (flat kernel)
        { new(2, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2), false, 2, 2 },    // LeNet's conv1
        { new(4, 1, 28, 28, 32, 5, 5, 0, 0, 0, 0), false, 3, 3 },   // the lecture CNN's conv1
        { new(3, 9, 11, 13, 17, 3, 3, 1, 1, 1, 1), true, 3, 2 },    // odd sizes, overlapping windows, partial blocks
        { new(1, 4, 9, 10, 7, 3, 3, 0, 1, 1, 0), false, 2, 1 },     // uneven padding, batch 1, stride-1 pooling
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PooledForwardIsTheThreeKernelsBits(Shape p, bool flat, int k, int s)
    {
        if (!ConvDirect.IsSupported) return;
        var win = p.Window;
        var pool = new Window2d(p.O, p.OutH, p.OutW, k, k, s, s, 0, 0, 1, 1, (p.OutH - k) / s + 1, (p.OutW - k) / s + 1);
        var rnd = new Random(p.N * 1000 + p.C * 100 + p.O);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        var w = ConvDirectTests.Random(rnd, p.O * p.C * p.Kh * p.Kw);
        var b = ConvDirectTests.Random(rnd, p.O);
        int convSize = p.N * p.O * p.OutH * p.OutW, outSize = p.N * p.O * pool.OutPlaneSize;

        var conv = new float[convSize];
        if (flat) ConvDirect.ForwardFlat(x, p.N, win, w, p.O, b, conv, 2);
        else ConvDirect.Forward(x, p.N, win, w, p.O, b, conv, 2);
        var expected = new float[outSize];
        var expectedArgmax = new int[outSize];
        Pooling.MaxForwardInt32<float>(conv, pool with { Channels = p.N * p.O }, expected, expectedArgmax);
        Elementwise.Relu<float>(expected, expected);

        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = Guarded(outSize);
            var argmax = Enumerable.Repeat(-7, outSize + 2 * Guard).ToArray();
            ConvDirect.ForwardMaxPool(x, p.N, win, w, p.O, b, flat, pool, y.AsSpan(Guard, outSize), argmax.AsSpan(Guard, outSize), threads);
            AssertGuards(y, $"{p} pooled, {threads} threads");
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Skip(Guard).Take(outSize).Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expectedArgmax, argmax.Skip(Guard).Take(outSize));
            Assert.All(argmax.Take(Guard).Concat(argmax.Skip(Guard + outSize)), v => Assert.Equal(-7, v));
            // Without the argmax (inference), the same values.
            var plain = new float[outSize];
            ConvDirect.ForwardMaxPool(x, p.N, win, w, p.O, b, flat, pool, plain, default, threads);
            Assert.Equal(expected, plain);
        }
    }

    [Fact]
    public void APoolingOverAnotherShapeIsRejected()
    {
        if (!ConvDirect.IsSupported) return;
        var p = new Shape(1, 2, 8, 8, 3, 3, 3, 1, 1, 1, 1);
        var wrong = new Window2d(4, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => ConvDirect.ForwardMaxPool(new float[128], 1, p.Window, new float[54], 3, default, false, wrong, new float[64], default, 1));
        Assert.Contains("the pooling window is over 4 x 8 x 8, the convolution gives 3 x 8 x 8 per sample", e.Message);
    }
}
