using Axon.Kernels;
using static Axon.Kernels.Tests.ConvDirectTests;

namespace Axon.Kernels.Tests;

/// <summary>
/// <see cref="ConvWinograd"/> (F(2x2, 3x3)) against plain loops (double sums): the 3x3 layers of the Siamese network,
/// ResNet and VGG, odd sizes (a half tile at the bottom and right), paddings 0 to 2 and uneven ones, tile rows of more
/// than 16 tiles, output counts that leave partial blocks, batches 1-5, in 1 to 3 threads; bit-identical across
/// thread counts, outputs between sentinel guards; the fused pooling the forward's, pooled and passed through ReLU,
/// to the bit.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class ConvWinogradTests
{
    public static TheoryData<Shape> Shapes()
    {
        var d = new TheoryData<Shape>
        {
            new(3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1),  // the Siamese network's conv2: 7 tiles a row, blocks of 16 rows
            new(2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1),  // ResNet's first stage, narrowed: 14 tiles a row
            new(2, 64, 7, 7, 17, 3, 3, 1, 1, 1, 1),    // 7x7: half tiles, 17 outputs (blocks of 6, 6, 5)
            new(1, 3, 6, 40, 5, 3, 3, 1, 1, 1, 1),     // 20 tiles a row: two chunks
            new(5, 8, 5, 11, 3, 3, 3, 0, 0, 0, 0),     // no padding: 3 x 9 outputs
            new(2, 4, 9, 10, 6, 3, 3, 2, 2, 2, 2),     // padding 2 (the input gradient of an unpadded layer)
            new(3, 5, 10, 12, 9, 3, 3, 1, 0, 2, 0),    // uneven padding
            new(4, 2, 1, 20, 4, 3, 3, 1, 1, 1, 1),     // one input row
            new(3, 4, 6, 1, 5, 3, 3, 1, 1, 1, 1),      // one column
            new(1, 200, 4, 4, 3, 3, 3, 1, 1, 1, 1),    // many channels: one tile row per block
            new(5, 16, 7, 7, 12, 3, 3, 1, 1, 1, 1),    // rows of 4 tiles: 4 rows a vector, across samples
            new(5, 20, 4, 4, 9, 3, 3, 1, 1, 1, 1),     // rows of 2 tiles: 8 rows a vector, 4 samples
            new(6, 5, 3, 3, 4, 3, 3, 1, 1, 1, 1),      // 2 tiles a row, 2 rows a sample with a half tile
            new(9, 3, 1, 1, 5, 3, 3, 1, 1, 1, 1),      // one output per sample: 8 samples a vector
        };
        var rnd = new Random(20261207);
        for (int i = 0; i < 10; i++)
        {
            int c = rnd.Next(1, 40), pt = rnd.Next(0, 3), pl = rnd.Next(0, 3), pb = rnd.Next(0, 3), pr = rnd.Next(0, 3);
            int h = rnd.Next(Math.Max(1, 3 - pt - pb), 20), w = rnd.Next(Math.Max(1, 3 - pl - pr), 36);
            d.Add(new(rnd.Next(1, 6), c, h, w, rnd.Next(1, 20), 3, 3, pt, pb, pl, pr));
        }
        return d;
    }

    // The bound of ConvDirectFlatTests, twice as wide: the transforms add and halve up to 4 x 4 terms on either
    // side of the products, which rounds the largest of them; a wrong tap or tile is off by a whole term.
    private static void AssertWithin(double[] expected, double[] absSums, float[] got, int offset, int terms, string what)
    {
        double unit = 16 * Math.Sqrt(terms) * Math.Pow(2, -24);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(got[offset + i] - expected[i]) <= unit * absSums[i] + 1e-6, $"{what}: element {i} is {got[offset + i]}, expected {expected[i]} (bound {unit * absSums[i] + 1e-6:g3})");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndInputGradientMatchTheDefinition(Shape p)
    {
        if (!ConvWinograd.IsSupported) return;
        var win = p.Window;
        Assert.True(ConvWinograd.Supports(win, 1), $"{p} should be in the kernel's scope");
        var rnd = new Random(((p.N * 7 + p.C) * 31 + p.H) * 37 + p.W * 11 + p.O);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        var w = ConvDirectTests.Random(rnd, p.O * p.C * 9);
        var b = ConvDirectTests.Random(rnd, p.O);
        int outSize = p.N * p.O * p.OutH * p.OutW, inSize = p.N * p.C * p.H * p.W;
        var gy = ConvDirectTests.Random(rnd, outSize);
        var yExpected = ForwardReference(p, x, w, b);
        var yAbs = ForwardReference(p, ConvDirectFlatTests.Abs(x), ConvDirectFlatTests.Abs(w), ConvDirectFlatTests.Abs(b));
        var gxExpected = ConvDirectFlatTests.InputGradReference(p, w, gy);
        var gxAbs = ConvDirectFlatTests.InputGradReference(p, ConvDirectFlatTests.Abs(w), ConvDirectFlatTests.Abs(gy));
        bool backward = p.Pb == p.Pt && p.Pr == p.Pl;
        float[]? firstY = null, firstGx = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = Guarded(outSize);
            ConvWinograd.Forward(x, p.N, win, w, p.O, b, y.AsSpan(Guard, outSize), threads);
            AssertGuards(y, $"{p} forward");
            AssertWithin(yExpected, yAbs, y, Guard, p.C * 9 + 1, $"{p} forward, {threads} threads");
            if (firstY is null) firstY = y;
            else Assert.Equal(firstY, y);

            // The input gradient is the forward of the flipped kernel with padding 2 - pad: symmetric padding only.
            if (!backward) continue;
            var gx = Guarded(inSize);
            ConvWinograd.BackwardInput(gy, p.N, win, w, p.O, gx.AsSpan(Guard, inSize), threads);
            AssertGuards(gx, $"{p} input gradient");
            AssertWithin(gxExpected, gxAbs, gx, Guard, p.O * 9, $"{p} input gradient, {threads} threads");
            if (firstGx is null) firstGx = gx;
            else Assert.Equal(firstGx, gx);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradientMatchesTheDefinition(Shape p)
    {
        if (!ConvWinograd.IsSupported) return;
        var win = p.Window;
        var rnd = new Random(((p.N * 5 + p.C) * 29 + p.H) * 41 + p.W * 13 + p.O);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        int outSize = p.N * p.O * p.OutH * p.OutW, k = p.C * 9;
        var gy = ConvDirectTests.Random(rnd, outSize);
        var expected = WeightGradReference(p, x, gy);
        var absSums = WeightGradReference(p, ConvDirectFlatTests.Abs(x), ConvDirectFlatTests.Abs(gy));
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var gw = Guarded(k * p.O);
            ConvWinograd.WeightGrad(x, gy, p.N, win, p.O, gw.AsSpan(Guard, k * p.O), threads);
            AssertGuards(gw, $"{p} weight gradient");
            AssertWithin(expected, absSums, gw, Guard, p.N * p.OutH * p.OutW, $"{p} weight gradient, {threads} threads");
            var again = Guarded(k * p.O);
            ConvWinograd.WeightGrad(x, gy, p.N, win, p.O, again.AsSpan(Guard, k * p.O), threads);
            Assert.Equal(gw, again);
        }
    }

    public static TheoryData<Shape> PooledShapes() => new()
    {
        new(3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1),  // the Siamese network's conv2
        new(2, 5, 28, 28, 9, 3, 3, 1, 1, 1, 1),    // 14 tiles a row, 9 outputs
        new(1, 3, 6, 40, 5, 3, 3, 1, 1, 1, 1),     // two chunks a row
        new(2, 4, 10, 8, 3, 3, 3, 0, 0, 0, 0),     // no padding: 8 x 6
        new(5, 6, 8, 8, 7, 3, 3, 1, 1, 1, 1),      // 4 tiles a row: 4 rows a vector
        new(7, 5, 4, 4, 6, 3, 3, 1, 1, 1, 1),      // 2 tiles a row: 8 rows a vector, 4 samples
    };

    [Theory]
    [MemberData(nameof(PooledShapes))]
    public void PooledForwardIsTheForwardPooledBits(Shape p)
    {
        if (!ConvWinograd.IsSupported) return;
        var win = p.Window;
        var pool = new Window2d(p.O, p.OutH, p.OutW, 2, 2, 2, 2, 0, 0, 1, 1, p.OutH / 2, p.OutW / 2);
        Assert.True(ConvWinograd.FusesPool(win, pool));
        var rnd = new Random(p.N * 1000 + p.C * 100 + p.O);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        var w = ConvDirectTests.Random(rnd, p.O * p.C * 9);
        var b = ConvDirectTests.Random(rnd, p.O);
        // Ties, a NaN and an infinity, so that the window order and the NaN rule are checked.
        x[3] = float.NaN;
        x[x.Length / 2] = float.NegativeInfinity;
        for (int i = 0; i < p.C * 9; i += 2) w[i] = 0;
        int convSize = p.N * p.O * p.OutH * p.OutW, outSize = p.N * p.O * pool.OutPlaneSize;
        var conv = new float[convSize];
        ConvWinograd.Forward(x, p.N, win, w, p.O, b, conv, 2);
        var expected = new float[outSize];
        var expectedArgmax = new int[outSize];
        Pooling.MaxForwardInt32<float>(conv, pool with { Channels = p.N * p.O }, expected, expectedArgmax);
        Elementwise.Relu<float>(expected, expected);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = Guarded(outSize);
            var argmax = Enumerable.Repeat(-7, outSize + 2 * Guard).ToArray();
            ConvWinograd.ForwardMaxPool(x, p.N, win, w, p.O, b, pool, y.AsSpan(Guard, outSize), argmax.AsSpan(Guard, outSize), threads);
            AssertGuards(y, $"{p} pooled, {threads} threads");
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Skip(Guard).Take(outSize).Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expectedArgmax, argmax.Skip(Guard).Take(outSize));
            Assert.All(argmax.Take(Guard).Concat(argmax.Skip(Guard + outSize)), v => Assert.Equal(-7, v));
            var plain = new float[outSize];
            ConvWinograd.ForwardMaxPool(x, p.N, win, w, p.O, b, pool, plain, default, threads);
            Assert.Equal(expected, plain);
        }
    }

    [Fact]
    public void OutOfScopeWindowsAreRefused()
    {
        if (!ConvWinograd.IsSupported) return;
        Assert.False(ConvWinograd.Supports(new Window2d(4, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 4), 1));   // strided
        Assert.False(ConvWinograd.Supports(new Window2d(4, 8, 8, 5, 5, 1, 1, 2, 2, 1, 1, 8, 8), 1));   // 5x5
        Assert.False(ConvWinograd.Supports(new Window2d(4, 8, 8, 3, 3, 1, 1, 3, 3, 1, 1, 12, 12), 1)); // padding 3
        Assert.False(ConvWinograd.Supports(new Window2d(4, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 8), 2));   // groups
        var win = new Window2d(4, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7);
        var odd = new Window2d(2, 7, 7, 2, 2, 2, 2, 0, 0, 1, 1, 3, 3);
        Assert.False(ConvWinograd.FusesPool(win, odd));
        Assert.Throws<NotSupportedException>(() => ConvWinograd.ForwardMaxPool(new float[4 * 49], 1, win, new float[2 * 36], 2, default, odd, new float[18], default, 1));
        Assert.Throws<ArgumentException>(() => ConvWinograd.Forward(new float[4 * 49 - 1], 1, win, new float[2 * 36], 2, default, new float[98], 1));
    }
}
