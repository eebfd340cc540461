using Axon.Kernels;

namespace Axon.Kernels.Tests;

/// <summary>
/// The channels-last convolution (forward, input gradient, weight gradient) against plain loops summing in double:
/// DCGAN's 4x4 stride-2 layers, ResNet's stride-2 3x3 and 1x1 layers, odd sizes, uneven paddings, dilation, stride 3,
/// batches 1-5 and chunks of samples smaller than the batch, float and double, 1 and 2 threads; outputs between
/// sentinel guards and repeatable bit for bit.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class ConvChannelsLastTests
{
    public sealed record Geometry(int N, int C, int H, int W, int O, int Kh, int Kw, int Sh, int Sw, int Pt, int Pl, int Pb, int Pr, int Dh = 1, int Dw = 1)
    {
        public int OutH => (H + Pt + Pb - Dh * (Kh - 1) - 1) / Sh + 1;
        public int OutW => (W + Pl + Pr - Dw * (Kw - 1) - 1) / Sw + 1;
        public Window2d Window => new(C, H, W, Kh, Kw, Sh, Sw, Pt, Pl, Dh, Dw, OutH, OutW);
        public override string ToString() => $"x[{N},{C},{H},{W}] w[{O},{C},{Kh},{Kw}] s({Sh},{Sw}) p({Pt},{Pb},{Pl},{Pr}) d({Dh},{Dw})";
    }

    public static TheoryData<Geometry> Geometries()
    {
        var d = new TheoryData<Geometry>
        {
            new(3, 32, 14, 14, 64, 4, 4, 2, 2, 1, 1, 1, 1),   // DCGAN's discriminator, 14x14 -> 7x7
            new(2, 1, 28, 28, 32, 4, 4, 2, 2, 1, 1, 1, 1),    // its first layer: one channel
            new(2, 16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1),   // ResNet's stride-2 3x3
            new(4, 16, 28, 28, 32, 1, 1, 2, 2, 0, 0, 0, 0),   // its 1x1 shortcut
            new(1, 5, 11, 13, 7, 3, 2, 3, 2, 2, 0, 1, 1),     // stride 3, uneven padding, batch 1
            new(5, 3, 9, 10, 9, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2), // dilation 2
            new(2, 9, 7, 7, 5, 4, 4, 2, 2, 2, 2, 2, 2),       // padding half the kernel
        };
        var rnd = new Random(20261207);
        for (int i = 0; i < 6; i++)
        {
            int kh = rnd.Next(1, 5), kw = rnd.Next(1, 5), sh = rnd.Next(1, 4), sw = rnd.Next(1, 4);
            int pt = rnd.Next(0, kh), pl = rnd.Next(0, kw), pb = rnd.Next(0, kh), pr = rnd.Next(0, kw);
            int h = rnd.Next(Math.Max(1, kh - pt - pb), 18), w = rnd.Next(Math.Max(1, kw - pl - pr), 18);
            d.Add(new(rnd.Next(1, 6), rnd.Next(1, 20), h, w, rnd.Next(1, 20), kh, kw, sh, sw, pt, pl, pb, pr));
        }
        return d;
    }

    private const int Guard = 8;

    private static T[] Guarded<T>(int n, T sentinel) { var a = new T[n + 2 * Guard]; Array.Fill(a, sentinel); return a; }

    private static void AssertGuards<T>(T[] a, T sentinel, string what)
    {
        for (int i = 0; i < Guard; i++)
        {
            Assert.True(Equals(a[i], sentinel), $"{what}: wrote before the output");
            Assert.True(Equals(a[^(i + 1)], sentinel), $"{what}: wrote past the output");
        }
    }

    // The three passes by the definition, in double: y, gx and gw (and with absolute values, the bounds' scales).
    private static (double[] Y, double[] Gx, double[] Gw) Reference(Geometry g, double[] x, double[] w, double[]? b, double[] gy)
    {
        var y = new double[g.N * g.O * g.OutH * g.OutW];
        var gx = new double[g.N * g.C * g.H * g.W];
        var gw = new double[g.O * g.C * g.Kh * g.Kw];
        for (int s = 0; s < g.N; s++)
            for (int o = 0; o < g.O; o++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int yi = ((s * g.O + o) * g.OutH + oh) * g.OutW + ow;
                        double acc = b?[o] ?? 0;
                        for (int c = 0; c < g.C; c++)
                            for (int i = 0; i < g.Kh; i++)
                                for (int j = 0; j < g.Kw; j++)
                                {
                                    int ih = oh * g.Sh - g.Pt + i * g.Dh, iw = ow * g.Sw - g.Pl + j * g.Dw;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    int xi = ((s * g.C + c) * g.H + ih) * g.W + iw, wi = ((o * g.C + c) * g.Kh + i) * g.Kw + j;
                                    acc += x[xi] * w[wi];
                                    gx[xi] += gy[yi] * w[wi];
                                    gw[wi] += gy[yi] * x[xi];
                                }
                        y[yi] = acc;
                    }
        return (y, gx, gw);
    }

    private static void AssertWithin<T>(double[] expected, double[] scale, T[] got, int terms, double eps, string what) where T : IConvertible
    {
        double unit = 8 * Math.Sqrt(Math.Max(terms, 1)) * eps;
        for (int i = 0; i < expected.Length; i++)
        {
            double v = got[Guard + i].ToDouble(null);
            Assert.True(Math.Abs(v - expected[i]) <= unit * scale[i] + 1e-300, $"{what}: element {i} is {v}, expected {expected[i]} (bound {unit * scale[i]:g3})");
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void FloatMatchesTheDefinition(Geometry g) => Check<float>(g, Math.Pow(2, -24), float.NaN);

    [Theory]
    [MemberData(nameof(Geometries))]
    public void DoubleMatchesTheDefinition(Geometry g) => Check<double>(g, Math.Pow(2, -53), double.NaN);

    private static void Check<T>(Geometry g, double eps, T sentinel) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>, IConvertible
    {
        var rnd = new Random(g.GetHashCode() & 0x7fffffff);
        double[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (double)T.CreateTruncating(rnd.NextDouble() * 2 - 1).ToDouble(null)).ToArray();
        int inSize = g.N * g.C * g.H * g.W, outSize = g.N * g.O * g.OutH * g.OutW, wSize = g.O * g.C * g.Kh * g.Kw;
        double[] x = Draw(inSize), w = Draw(wSize), b = Draw(g.O), gy = Draw(outSize);
        var (y, gx, gw) = Reference(g, x, w, b, gy);
        static double[] Abs(double[] a) => a.Select(Math.Abs).ToArray();
        var (yAbs, gxAbs, gwAbs) = Reference(g, Abs(x), Abs(w), Abs(b), Abs(gy));
        static T[] Cast(double[] a) => a.Select(T.CreateTruncating).ToArray();
        T[] xt = Cast(x), wt = Cast(w), bt = Cast(b), gyt = Cast(gy);
        long saved = ConvChannelsLast.ColumnBudget;
        try
        {
            // The default budget (the whole batch in one chunk here) and one sample's column matrix per chunk.
            foreach (long budget in new[] { saved, 1L })
                foreach (int threads in new[] { 1, 2 })
                {
                    ConvChannelsLast.ColumnBudget = budget;
                    string what = $"{g}, budget {budget}, {threads} threads";
                    var yo = Guarded(outSize, sentinel);
                    ConvChannelsLast.Forward<T>(xt, g.N, g.Window, wt, g.O, bt, yo.AsSpan(Guard, outSize), threads);
                    AssertGuards(yo, sentinel, what);
                    AssertWithin(y, yAbs, yo, g.C * g.Kh * g.Kw + 1, eps, $"forward {what}");

                    var gxo = Guarded(inSize, sentinel);
                    ConvChannelsLast.BackwardInput<T>(gyt, g.N, g.Window, wt, g.O, gxo.AsSpan(Guard, inSize), threads);
                    AssertGuards(gxo, sentinel, what);
                    AssertWithin(gx, gxAbs, gxo, g.O * g.Kh * g.Kw, eps, $"input gradient {what}");

                    var gwo = Guarded(wSize, sentinel);
                    ConvChannelsLast.WeightGrad<T>(xt, gyt, g.N, g.Window, g.O, gwo.AsSpan(Guard, wSize), threads);
                    AssertGuards(gwo, sentinel, what);
                    AssertWithin(gw, gwAbs, gwo, g.N * g.OutH * g.OutW, eps, $"weight gradient {what}");

                    var again = Guarded(wSize, sentinel);
                    ConvChannelsLast.WeightGrad<T>(xt, gyt, g.N, g.Window, g.O, again.AsSpan(Guard, wSize), threads);
                    Assert.Equal(gwo, again);
                }
        }
        finally
        {
            ConvChannelsLast.ColumnBudget = saved;
        }
    }

    [Fact]
    public void ShortSpansAreRefusedWithTheGeometry()
    {
        var g = new Geometry(2, 3, 8, 8, 4, 4, 4, 2, 2, 1, 1, 1, 1);
        var ex = Assert.Throws<ArgumentException>(() => ConvChannelsLast.Forward<float>(new float[10], g.N, g.Window, new float[4 * 48], 4, default, new float[2 * 4 * 16], 1));
        Assert.Contains("ConvChannelsLast.Forward", ex.Message);
        Assert.Contains("batch 2", ex.Message);
    }
}
