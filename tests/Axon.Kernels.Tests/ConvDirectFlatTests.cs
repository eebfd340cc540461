using Axon.Kernels;
using static Axon.Kernels.Tests.ConvDirectTests;

namespace Axon.Kernels.Tests;

/// <summary>
/// The direct kernels over flat padded planes (forward, input gradient, weight gradient) against plain loops (double
/// sums): the 3x3 layers of ResNet and VGG (K = 9 x 16..128, planes 28, 14, 7), odd sizes, uneven and zero paddings,
/// even kernels, output counts that leave partial blocks, batches 1-5, in 1 and 2 threads; the forward and input
/// gradient bit-identical across thread counts, outputs between sentinel guards.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class ConvDirectFlatTests
{
    public static TheoryData<Shape> Shapes()
    {
        var d = new TheoryData<Shape>
        {
            new(2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1),  // ResNet's first stage, narrowed
            new(3, 32, 14, 14, 9, 3, 3, 1, 1, 1, 1),   // 14-wide rows (grid 14 x 16), 9 outputs (blocks of 5 and 4)
            new(2, 64, 7, 7, 17, 3, 3, 1, 1, 1, 1),    // 7 x 9 grid in one 48-wide panel and a part, K = 576
            new(1, 8, 9, 33, 8, 3, 3, 1, 1, 1, 1),     // a panel across several rows, batch 1
            new(5, 8, 5, 11, 3, 3, 3, 0, 0, 0, 0),     // no padding
            new(2, 8, 10, 12, 6, 4, 4, 1, 2, 2, 1),    // even kernel, uneven padding
            new(2, 3, 12, 9, 33, 5, 5, 2, 2, 2, 2),    // 5x5, 33 outputs (5 blocks)
            new(1, 7, 1, 20, 4, 1, 3, 0, 0, 1, 1),     // one row
            new(3, 4, 6, 1, 5, 3, 3, 1, 1, 1, 1),      // one column
        };
        var rnd = new Random(20261206);
        for (int i = 0; i < 10; i++)
        {
            int kh = rnd.Next(1, 5), kw = rnd.Next(1, 5), c = rnd.Next(2, 24);
            int pt = rnd.Next(0, kh), pl = rnd.Next(0, kw), pb = rnd.Next(0, kh), pr = rnd.Next(0, kw);
            int h = rnd.Next(Math.Max(1, kh - pt - pb), 20), w = rnd.Next(Math.Max(1, kw - pl - pr), 36);
            d.Add(new(rnd.Next(1, 6), c, h, w, rnd.Next(1, 20), kh, kw, pt, pb, pl, pr));
        }
        return d;
    }

    /// <summary>Stride-2 windows, which the forward and the weight gradient read as stride phases.</summary>
    public static TheoryData<Shape> StridedShapes()
    {
        var d = new TheoryData<Shape>
        {
            new(2, 32, 28, 28, 17, 3, 3, 1, 1, 1, 1, 2, 2),  // ResNet's first downsampling, 17 outputs (blocks of 6, 6, 5)
            new(3, 16, 14, 14, 9, 3, 3, 1, 1, 1, 1, 2, 2),   // 7-wide output rows
            new(2, 5, 27, 15, 4, 3, 3, 1, 1, 1, 1, 2, 2),    // odd sizes: the last phase rows and columns shorter
            new(1, 6, 16, 40, 3, 4, 4, 1, 2, 1, 2, 2, 2),    // even kernel, uneven padding; 40 wide: two vectors a row
            new(2, 4, 11, 13, 5, 2, 2, 0, 0, 0, 0, 2, 2),    // 2x2 stride 2: one tap per phase
            new(2, 3, 9, 12, 4, 3, 3, 0, 0, 1, 1, 2, 1),     // stride 2 in rows only
            new(2, 3, 12, 9, 4, 3, 5, 1, 1, 2, 2, 1, 2),     // stride 2 in columns only, 5 wide
            new(1, 2, 5, 5, 2, 3, 3, 2, 2, 2, 2, 2, 2),      // padding wider than half the kernel
        };
        var rnd = new Random(20261207);
        for (int i = 0; i < 8; i++)
        {
            int sh = rnd.Next(1, 3), sw = rnd.Next(1, 3), kh = rnd.Next(sh, 5), kw = rnd.Next(sw, 5), c = rnd.Next(1, 20);
            if (sh == 1 && sw == 1) sw = kw = 2;
            int pt = rnd.Next(0, kh), pl = rnd.Next(0, kw), pb = rnd.Next(0, kh), pr = rnd.Next(0, kw);
            int h = rnd.Next(Math.Max(1, kh - pt - pb), 30), w = rnd.Next(Math.Max(1, kw - pl - pr), 50);
            d.Add(new(rnd.Next(1, 5), c, h, w, rnd.Next(1, 20), kh, kw, pt, pb, pl, pr, sh, sw));
        }
        return d;
    }

    internal static double[] InputGradReference(Shape p, float[] w, float[] gy)
    {
        var gx = new double[p.N * p.C * p.H * p.W];
        for (int s = 0; s < p.N; s++)
            for (int o = 0; o < p.O; o++)
                for (int oh = 0; oh < p.OutH; oh++)
                    for (int ow = 0; ow < p.OutW; ow++)
                    {
                        double g = gy[((s * p.O + o) * p.OutH + oh) * p.OutW + ow];
                        for (int c = 0; c < p.C; c++)
                            for (int i = 0; i < p.Kh; i++)
                                for (int j = 0; j < p.Kw; j++)
                                {
                                    int ih = oh - p.Pt + i, iw = ow - p.Pl + j;
                                    if (ih >= 0 && ih < p.H && iw >= 0 && iw < p.W)
                                        gx[((s * p.C + c) * p.H + ih) * p.W + iw] += g * w[((o * p.C + c) * p.Kh + i) * p.Kw + j];
                                }
                    }
        return gx;
    }

    internal static float[] Abs(float[] a) => a.Select(Math.Abs).ToArray();

    // Float sums of n products err by about sqrt(n) roundings of their largest partial sums: the bound is 8 sqrt(n)
    // units of 2^-24 times the sum of the terms' magnitudes (absSums), far below what a wrong tap or offset gives.
    private static void AssertWithin(double[] expected, double[] absSums, float[] got, int offset, int terms, string what)
    {
        double unit = 8 * Math.Sqrt(terms) * Math.Pow(2, -24);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(got[offset + i] - expected[i]) <= unit * absSums[i] + 1e-6, $"{what}: element {i} is {got[offset + i]}, expected {expected[i]} (bound {unit * absSums[i] + 1e-6:g3})");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBothGradientsMatchTheDefinition(Shape p)
    {
        if (!ConvDirect.IsSupported) return;
        var win = p.Window;
        var rnd = new Random(((p.N * 7 + p.C) * 31 + p.H) * 37 + p.W * 11 + p.O);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        var w = ConvDirectTests.Random(rnd, p.O * p.C * p.Kh * p.Kw);
        var b = ConvDirectTests.Random(rnd, p.O);
        int outSize = p.N * p.O * p.OutH * p.OutW, inSize = p.N * p.C * p.H * p.W, k = p.C * p.Kh * p.Kw;
        var gy = ConvDirectTests.Random(rnd, outSize);
        var yExpected = ForwardReference(p, x, w, b);
        var gxExpected = InputGradReference(p, w, gy);
        var gwExpected = WeightGradReference(p, x, gy);
        var yAbs = ForwardReference(p, Abs(x), Abs(w), Abs(b));
        var gxAbs = InputGradReference(p, Abs(w), Abs(gy));
        var gwAbs = WeightGradReference(p, Abs(x), Abs(gy));
        float[]? firstY = null, firstGx = null;
        foreach (int threads in new[] { 1, 2 })
        {
            var y = Guarded(outSize);
            ConvDirect.ForwardFlat(x, p.N, win, w, p.O, b, y.AsSpan(Guard, outSize), threads);
            AssertGuards(y, $"{p} forward");
            AssertWithin(yExpected, yAbs, y, Guard, k + 1, $"{p} forward, {threads} threads");
            if (firstY is null) firstY = y;
            else Assert.Equal(firstY, y);

            var gw = Guarded(k * p.O);
            ConvDirect.WeightGradFlat(x, gy, p.N, win, p.O, gw.AsSpan(Guard, k * p.O), threads);
            AssertGuards(gw, $"{p} weight gradient");
            AssertWithin(gwExpected, gwAbs, gw, Guard, p.N * p.OutH * p.OutW, $"{p} weight gradient, {threads} threads");
            var again = Guarded(k * p.O);
            ConvDirect.WeightGradFlat(x, gy, p.N, win, p.O, again.AsSpan(Guard, k * p.O), threads);
            Assert.Equal(gw, again);

            // The input gradient needs padding below the kernel size (the flipped kernel's padding k - 1 - pad).
            if (p.Pt >= p.Kh || p.Pl >= p.Kw || p.Pb != p.Pt || p.Pr != p.Pl) continue;
            var gx = Guarded(inSize);
            ConvDirect.BackwardInputFlat(gy, p.N, win, w, p.O, gx.AsSpan(Guard, inSize), threads);
            AssertGuards(gx, $"{p} input gradient");
            AssertWithin(gxExpected, gxAbs, gx, Guard, p.O * p.Kh * p.Kw, $"{p} input gradient, {threads} threads");
            if (firstGx is null) firstGx = gx;
            else Assert.Equal(firstGx, gx);
        }
    }

    [Theory]
    [MemberData(nameof(StridedShapes))]
    public void StridedForwardAndWeightGradientMatchTheDefinition(Shape p)
    {
        if (!ConvDirect.IsSupported) return;
        var win = p.Window;
        Assert.True(ConvDirect.SupportsFlat(win, 1), $"{p}");
        Assert.False(ConvDirect.Supports(win, 1), $"{p}");
        var rnd = new Random(((p.N * 7 + p.C) * 31 + p.H) * 37 + p.W * 11 + p.O + p.Sh * 3 + p.Sw);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        var w = ConvDirectTests.Random(rnd, p.O * p.C * p.Kh * p.Kw);
        var b = ConvDirectTests.Random(rnd, p.O);
        int outSize = p.N * p.O * p.OutH * p.OutW, k = p.C * p.Kh * p.Kw;
        var gy = ConvDirectTests.Random(rnd, outSize);
        var yExpected = ForwardReference(p, x, w, b);
        var gwExpected = WeightGradReference(p, x, gy);
        var yAbs = ForwardReference(p, Abs(x), Abs(w), Abs(b));
        var gwAbs = WeightGradReference(p, Abs(x), Abs(gy));
        float[]? firstY = null;
        foreach (int threads in new[] { 1, 2 })
        {
            var y = Guarded(outSize);
            ConvDirect.ForwardFlat(x, p.N, win, w, p.O, b, y.AsSpan(Guard, outSize), threads);
            AssertGuards(y, $"{p} forward");
            AssertWithin(yExpected, yAbs, y, Guard, k + 1, $"{p} forward, {threads} threads");
            if (firstY is null) firstY = y;
            else Assert.Equal(firstY, y);

            var gw = Guarded(k * p.O);
            ConvDirect.WeightGradFlat(x, gy, p.N, win, p.O, gw.AsSpan(Guard, k * p.O), threads);
            AssertGuards(gw, $"{p} weight gradient");
            AssertWithin(gwExpected, gwAbs, gw, Guard, p.N * p.OutH * p.OutW, $"{p} weight gradient, {threads} threads");
        }
    }

    [Fact]
    public void AStridedInfiniteInputReachesOnlyTheWeightsThatReadIt()
    {
        if (!ConvDirect.IsSupported) return;
        // Stride 2, no padding: x[0, 0, 0, 18] is read only by tap (0, 2) at output column 8; tap (0, 0) of the grid's
        // wasted column 9 reads it too, and must not count it.
        var p = new Shape(1, 1, 5, 19, 2, 3, 3, 0, 0, 0, 0, 2, 2);
        var rnd = new Random(6);
        var x = ConvDirectTests.Random(rnd, p.H * p.W);
        x[18] = float.PositiveInfinity;
        var gy = ConvDirectTests.Random(rnd, p.O * p.OutH * p.OutW);
        var gw = new float[p.O * 9];
        ConvDirect.WeightGradFlat(x, gy, 1, p.Window, p.O, gw, 2);
        for (int o = 0; o < p.O; o++)
            for (int t = 0; t < 9; t++)
                Assert.True(t == 2 ? !float.IsFinite(gw[o * 9 + t]) : float.IsFinite(gw[o * 9 + t]), $"output {o}, tap {t}: {gw[o * 9 + t]}");
    }

    [Fact]
    public void AnInfiniteInputReachesOnlyTheWeightsThatReadIt()
    {
        if (!ConvDirect.IsSupported) return;
        // Row 0's last column is read by the grid's wasted columns of other taps; only tap (0, 2) reads it for real.
        var p = new Shape(2, 1, 4, 20, 3, 2, 3, 0, 0, 0, 0);
        var rnd = new Random(5);
        var x = ConvDirectTests.Random(rnd, p.N * p.C * p.H * p.W);
        x[p.W - 1] = float.PositiveInfinity;
        var gy = ConvDirectTests.Random(rnd, p.N * p.O * p.OutH * p.OutW);
        var gw = new float[p.O * p.Kh * p.Kw];
        ConvDirect.WeightGradFlat(x, gy, p.N, p.Window, p.O, gw, 2);
        for (int o = 0; o < p.O; o++)
            for (int t = 0; t < p.Kh * p.Kw; t++)
                Assert.True(t == 2 ? !float.IsFinite(gw[o * 6 + t]) : float.IsFinite(gw[o * 6 + t]), $"output {o}, tap {t}: {gw[o * 6 + t]}");
    }

    [Fact]
    public void OutOfScopeWindowsAreRefused()
    {
        if (!ConvDirect.IsSupported) return;
        // Stride 3, and a stride wider than its kernel (a 1x1 stride-2 shortcut: three of its four phases unread).
        foreach (var strided in new[] { new Window2d(4, 8, 8, 3, 3, 3, 3, 1, 1, 1, 1, 3, 3), new Window2d(4, 8, 8, 1, 1, 2, 2, 0, 0, 1, 1, 4, 4) })
        {
            Assert.False(ConvDirect.SupportsFlat(strided, 1));
            Assert.Throws<NotSupportedException>(() => ConvDirect.ForwardFlat(new float[256], 1, strided, new float[36], 1, default, new float[16], 1));
            Assert.Throws<NotSupportedException>(() => ConvDirect.WeightGradFlat(new float[256], new float[16], 1, strided, 1, new float[36], 1));
        }
        var stride2 = new Window2d(4, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 4);
        Assert.Throws<NotSupportedException>(() => ConvDirect.BackwardInputFlat(new float[16], 1, stride2, new float[36], 1, new float[256], 1));
        var widePad = new Window2d(1, 4, 4, 3, 3, 1, 1, 3, 3, 1, 1, 8, 8);
        Assert.Throws<NotSupportedException>(() => ConvDirect.BackwardInputFlat(new float[64], 1, widePad, new float[9], 1, new float[16], 1));
    }
}
