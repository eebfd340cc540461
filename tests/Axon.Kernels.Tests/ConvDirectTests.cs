using Axon.Kernels;

namespace Axon.Kernels.Tests;

/// <summary>
/// The direct convolution kernel against plain loops (double sums) on fixed edge shapes and random ones: widths whose
/// 16-wide chunks end in masked tails and pair across rows (1, 5, 10, 16, 17, 28, 33), paddings 0-3 and uneven ones,
/// 1-3 input channels (and 6 and 16: K = 150 and 144), output-channel counts that leave partial blocks (1, 6, 8, 9, 17,
/// 33), batches of 1 and 5, with and without bias, in 1 and 2 threads. The outputs sit between sentinel-filled guards, which must stay intact.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class ConvDirectTests
{
    /// <summary>One problem: x [N, C, H, W], w [O, C, Kh, Kw], top/left padding and output size (stride 1).</summary>
    public sealed record Shape(int N, int C, int H, int W, int O, int Kh, int Kw, int Pt, int Pb, int Pl, int Pr, int Sh = 1, int Sw = 1)
    {
        public int OutH => (H + Pt + Pb - Kh) / Sh + 1;
        public int OutW => (W + Pl + Pr - Kw) / Sw + 1;
        public Window2d Window => new(C, H, W, Kh, Kw, Sh, Sw, Pt, Pl, 1, 1, OutH, OutW);
        public override string ToString() => $"x[{N},{C},{H},{W}] w[{O},{C},{Kh},{Kw}] p({Pt},{Pb},{Pl},{Pr})" + (Sh == 1 && Sw == 1 ? "" : $" s({Sh},{Sw})");
    }

    public static TheoryData<Shape> Shapes()
    {
        var d = new TheoryData<Shape>
        {
            new(2, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2),    // LeNet conv1: 28 = 16 + 12 per row
            new(3, 1, 28, 28, 32, 5, 5, 0, 0, 0, 0),   // lecture conv1: 24 = 16 + 8
            new(1, 1, 5, 5, 6, 5, 5, 2, 2, 2, 2),      // one 5-wide chunk per row: pairs span rows, batch 1
            new(5, 2, 17, 17, 9, 3, 3, 1, 1, 1, 1),    // 17 = 16 + 1, 9 outputs (blocks of 5 and 4), batch 5
            new(2, 3, 9, 33, 17, 3, 3, 1, 1, 1, 1),    // 33 = 16 + 16 + 1: odd chunk count per row, 17 outputs
            new(3, 1, 7, 16, 8, 3, 4, 1, 1, 1, 2),     // even kernel, "same" padding: one more column on the right
            new(1, 2, 6, 7, 1, 4, 4, 0, 0, 0, 0),      // K = 32, one output channel
            new(2, 3, 1, 20, 33, 1, 3, 0, 0, 3, 3),    // one input row, wide padding, 33 outputs (5 blocks)
            new(4, 1, 3, 1, 6, 3, 1, 2, 2, 0, 0),      // one column: 1-lane chunks, padding taller than the input
            new(3, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0),   // LeNet conv2: K = 150 (30 tap tiles), 10-wide rows
            new(2, 16, 9, 14, 5, 3, 3, 1, 1, 1, 1),    // K = 144: taps across 16 channel planes of the scratch
        };
        var rnd = new Random(20260507);
        for (int i = 0; i < 12; i++)
        {
            int c = rnd.Next(1, 4), kh = rnd.Next(1, 6), kw = rnd.Next(1, 6);
            while (c * kh * kw > 32) kw = rnd.Next(1, kw);
            int pt = rnd.Next(0, 4), pl = rnd.Next(0, 4);
            int h = rnd.Next(Math.Max(1, kh - 2 * pt), 20), w = rnd.Next(Math.Max(1, kw - 2 * pl), 40);
            int pb = Math.Max(pt - rnd.Next(0, 2), kh - h - pt), pr = Math.Max(pl + rnd.Next(0, 2), kw - w - pl);
            d.Add(new(rnd.Next(1, 6), c, h, w, rnd.Next(1, 20), kh, kw, pt, Math.Max(pb, 0), pl, Math.Max(pr, 0)));
        }
        return d;
    }

    internal static float[] Random(Random rnd, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rnd.NextDouble() * 2 - 1);
        return a;
    }

    // x at (s, c, ih, iw), zero outside the input.
    internal static double X(Shape p, float[] x, int s, int c, int ih, int iw) =>
        ih < 0 || ih >= p.H || iw < 0 || iw >= p.W ? 0 : x[((s * p.C + c) * p.H + ih) * p.W + iw];

    internal static double[] ForwardReference(Shape p, float[] x, float[] w, float[]? b)
    {
        var y = new double[p.N * p.O * p.OutH * p.OutW];
        for (int s = 0; s < p.N; s++)
            for (int o = 0; o < p.O; o++)
                for (int oh = 0; oh < p.OutH; oh++)
                    for (int ow = 0; ow < p.OutW; ow++)
                    {
                        double v = b?[o] ?? 0;
                        for (int c = 0; c < p.C; c++)
                            for (int i = 0; i < p.Kh; i++)
                                for (int j = 0; j < p.Kw; j++)
                                    v += w[((o * p.C + c) * p.Kh + i) * p.Kw + j] * X(p, x, s, c, oh * p.Sh - p.Pt + i, ow * p.Sw - p.Pl + j);
                        y[((s * p.O + o) * p.OutH + oh) * p.OutW + ow] = v;
                    }
        return y;
    }

    internal static double[] WeightGradReference(Shape p, float[] x, float[] gy)
    {
        var gw = new double[p.O * p.C * p.Kh * p.Kw];
        for (int s = 0; s < p.N; s++)
            for (int o = 0; o < p.O; o++)
                for (int oh = 0; oh < p.OutH; oh++)
                    for (int ow = 0; ow < p.OutW; ow++)
                    {
                        double g = gy[((s * p.O + o) * p.OutH + oh) * p.OutW + ow];
                        for (int c = 0; c < p.C; c++)
                            for (int i = 0; i < p.Kh; i++)
                                for (int j = 0; j < p.Kw; j++)
                                    gw[((o * p.C + c) * p.Kh + i) * p.Kw + j] += g * X(p, x, s, c, oh * p.Sh - p.Pt + i, ow * p.Sw - p.Pl + j);
                    }
        return gw;
    }

    internal const int Guard = 40;
    internal const float Sentinel = 12345.5f;

    // A buffer of n elements between two guards of sentinels (the kernel gets the middle).
    internal static float[] Guarded(int n) => Enumerable.Repeat(Sentinel, n + 2 * Guard).ToArray();

    internal static void AssertGuards(float[] a, string what)
    {
        for (int i = 0; i < Guard; i++)
        {
            Assert.True(a[i] == Sentinel, $"{what}: guard before the output overwritten at {i}");
            Assert.True(a[a.Length - 1 - i] == Sentinel, $"{what}: guard after the output overwritten at {i}");
        }
    }

    internal static void AssertClose(double[] expected, float[] got, int offset, double tol, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(got[offset + i] - expected[i]) <= tol * (1 + Math.Abs(expected[i])), $"{what}: element {i} is {got[offset + i]}, expected {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndWeightGradientMatchTheDefinition(Shape p)
    {
        if (!ConvDirect.IsSupported) return;
        var win = p.Window;
        Assert.True(ConvDirect.Supports(win, 1), $"{p} should be in the kernel's scope");
        var rnd = new Random(((p.N * 7 + p.C) * 31 + p.H) * 37 + p.W * 11 + p.O);
        var x = Random(rnd, p.N * p.C * p.H * p.W);
        var w = Random(rnd, p.O * p.C * p.Kh * p.Kw);
        var b = Random(rnd, p.O);
        int outSize = p.N * p.O * p.OutH * p.OutW, k = p.C * p.Kh * p.Kw;
        var gy = Random(rnd, outSize);
        var withBias = ForwardReference(p, x, w, b);
        var noBias = ForwardReference(p, x, w, null);
        var gwExpected = WeightGradReference(p, x, gy);
        var gbExpected = new double[p.O];
        for (int i = 0; i < outSize; i++) gbExpected[i / (p.OutH * p.OutW) % p.O] += gy[i];
        {
            float[]? firstY = null;
            foreach (int threads in new[] { 1, 2 })
            {
                var y = Guarded(outSize);
                ConvDirect.Forward(x, p.N, win, w, p.O, b, y.AsSpan(Guard, outSize), threads);
                AssertGuards(y, $"{p} forward, {threads} threads");
                AssertClose(withBias, y, Guard, 1e-5, $"{p} forward, {threads} threads");
                // Each output is one sum in a fixed order: the same bits whatever the partition.
                if (firstY is null) firstY = y;
                else Assert.Equal(firstY, y);

                var y0 = Guarded(outSize);
                ConvDirect.Forward(x, p.N, win, w, p.O, ReadOnlySpan<float>.Empty, y0.AsSpan(Guard, outSize), threads);
                AssertGuards(y0, $"{p} forward without bias");
                AssertClose(noBias, y0, Guard, 1e-5, $"{p} forward without bias, {threads} threads");

                // The gradients are overwritten, whatever the buffers held; the bias gradient only when asked for.
                var gw = Guarded(k * p.O);
                var gb = Guarded(p.O);
                ConvDirect.WeightGrad(x, gy, p.N, win, p.O, gw.AsSpan(Guard, k * p.O), gb.AsSpan(Guard, p.O), threads);
                AssertGuards(gw, $"{p} weight gradient");
                AssertGuards(gb, $"{p} bias gradient");
                AssertClose(gwExpected, gw, Guard, 1e-4, $"{p} weight gradient, {threads} threads");
                AssertClose(gbExpected, gb, Guard, 1e-4, $"{p} bias gradient, {threads} threads");
                var again = Guarded(k * p.O);
                ConvDirect.WeightGrad(x, gy, p.N, win, p.O, again.AsSpan(Guard, k * p.O), default, threads);
                Assert.Equal(gw, again);
            }
        }
    }

    [Fact]
    public void ScopeIsUnitStrideAndDilationAndOneGroup()
    {
        if (!ConvDirect.IsSupported) return;
        var lenet = new Window2d(1, 28, 28, 5, 5, 1, 1, 2, 2, 1, 1, 28, 28);
        Assert.True(ConvDirect.Supports(lenet, 1));
        Assert.True(ConvDirect.Supports(lenet with { Channels = 6 }, 1)); // K = 150
        Assert.False(ConvDirect.Supports(lenet, 2));
        Assert.False(ConvDirect.Supports(lenet with { StrideW = 2, OutW = 14 }, 1));
        Assert.False(ConvDirect.Supports(lenet with { StrideH = 2, OutH = 14 }, 1));
        Assert.False(ConvDirect.Supports(lenet with { DilationH = 2, OutH = 24 }, 1));
        Assert.False(ConvDirect.Supports(lenet with { DilationW = 2, OutW = 24 }, 1));
        var strided = lenet with { StrideW = 2, OutW = 14 };
        Assert.Throws<NotSupportedException>(() => ConvDirect.Forward(new float[784], 1, strided, new float[25], 1, ReadOnlySpan<float>.Empty, new float[392], 1));
        Assert.Throws<NotSupportedException>(() => ConvDirect.WeightGrad(new float[784], new float[392], 1, strided, 1, new float[25], default, 1));
    }

    [Fact]
    public void AnInfiniteInputReachesOnlyTheWeightsThatReadIt()
    {
        if (!ConvDirect.IsSupported) return;
        // 18 outputs per row (16 + a 2-lane tail) over 20 columns: the tail's idle lanes sit over columns 18 and 19.
        var p = new Shape(2, 1, 4, 20, 3, 2, 3, 0, 0, 0, 0);
        var rnd = new Random(5);
        var x = Random(rnd, p.N * p.C * p.H * p.W);
        x[p.W - 1] = float.PositiveInfinity; // sample 0, row 0, last column: read by tap (0, 2) only
        var gy = Random(rnd, p.N * p.O * p.OutH * p.OutW);
        var gw = new float[p.O * p.Kh * p.Kw];
        ConvDirect.WeightGrad(x, gy, p.N, p.Window, p.O, gw, default, 2);
        for (int o = 0; o < p.O; o++)
            for (int t = 0; t < p.Kh * p.Kw; t++)
                Assert.True(t == 2 ? !float.IsFinite(gw[o * 6 + t]) : float.IsFinite(gw[o * 6 + t]), $"output {o}, tap {t}: {gw[o * 6 + t]}");
    }

    [Fact]
    public void EmptyBatchClearsTheGradients()
    {
        if (!ConvDirect.IsSupported) return;
        var win = new Window2d(1, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6, 6);
        var gw = Enumerable.Repeat(1f, 2 * 9).ToArray();
        var gb = new[] { 1f, 2f };
        ConvDirect.WeightGrad(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, 0, win, 2, gw, gb, 2);
        Assert.All(gw, v => Assert.Equal(0f, v));
        Assert.All(gb, v => Assert.Equal(0f, v));
        ConvDirect.Forward(ReadOnlySpan<float>.Empty, 0, win, new float[18], 2, ReadOnlySpan<float>.Empty, Span<float>.Empty, 2);
    }
}
