using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class PoolingTests
{
    public sealed record Pool(int N, int C, int H, int W, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, bool Ceil)
    {
        public int OutH => Tensor.ConvOutputSize(H, Kh, Sh, Ph, Dh, Ceil);
        public int OutW => Tensor.ConvOutputSize(W, Kw, Sw, Pw, Dw, Ceil);
        public override string ToString() => $"x[{N},{C},{H},{W}] k({Kh},{Kw}) s({Sh},{Sw}) p({Ph},{Pw}) d({Dh},{Dw}) ceil={Ceil}";
    }

    /// <summary>PyTorch's max pooling by definition: the first maximum of each window (NaN wins), padding never chosen.</summary>
    public static (double[] Values, long[] Indices) MaxReference(Pool c, double[] x)
    {
        var y = new double[c.N * c.C * c.OutH * c.OutW];
        var idx = new long[y.Length];
        for (int p = 0; p < c.N * c.C; p++)
            for (int i = 0; i < c.OutH; i++)
                for (int j = 0; j < c.OutW; j++)
                {
                    double best = double.NegativeInfinity;
                    long at = -1;
                    for (int u = 0; u < c.Kh; u++)
                        for (int v = 0; v < c.Kw; v++)
                        {
                            int ih = i * c.Sh - c.Ph + u * c.Dh, iw = j * c.Sw - c.Pw + v * c.Dw;
                            if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                            double val = x[(p * c.H + ih) * c.W + iw];
                            if (at < 0 || val > best || double.IsNaN(val)) { best = val; at = ih * c.W + iw; }
                        }
                    y[(p * c.OutH + i) * c.OutW + j] = best;
                    idx[(p * c.OutH + i) * c.OutW + j] = at;
                }
        return (y, idx);
    }

    /// <summary>Average pooling by definition: the divisor counts the window inside the padded input (countIncludePad) or inside the input.</summary>
    public static double[] AvgReference(Pool c, double[] x, bool countIncludePad)
    {
        var y = new double[c.N * c.C * c.OutH * c.OutW];
        for (int p = 0; p < c.N * c.C; p++)
            for (int i = 0; i < c.OutH; i++)
                for (int j = 0; j < c.OutW; j++)
                {
                    double s = 0;
                    int inside = 0, padded = 0;
                    for (int u = 0; u < c.Kh; u++)
                        for (int v = 0; v < c.Kw; v++)
                        {
                            int ih = i * c.Sh - c.Ph + u, iw = j * c.Sw - c.Pw + v;
                            if (ih < c.H + c.Ph && iw < c.W + c.Pw) padded++;
                            if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                            s += x[(p * c.H + ih) * c.W + iw];
                            inside++;
                        }
                    y[(p * c.OutH + i) * c.OutW + j] = s / (countIncludePad ? padded : inside);
                }
        return y;
    }

    public static TheoryData<int> Seeds()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < 60; i++) d.Add(i);
        return d;
    }

    public static Pool RandomPool(int seed, bool dilation)
    {
        var r = new Random(seed);
        while (true)
        {
            int kh = r.Next(1, 5), kw = r.Next(1, 5);
            // Every few configurations: stride 1 over a wide row (the vectorised path).
            bool wide = seed % 4 == 0;
            int w = wide ? r.Next(16, 40) : r.Next(1, 12);
            var c = new Pool(r.Next(1, 3), r.Next(1, 4), r.Next(1, 12), w, kh, kw, r.Next(1, 4), wide ? 1 : r.Next(1, 4),
                r.Next(0, kh / 2 + 1), r.Next(0, kw / 2 + 1), dilation ? r.Next(1, 3) : 1, dilation ? r.Next(1, 3) : 1, r.Next(3) == 0);
            if (c.OutH >= 1 && c.OutW >= 1) return c;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MaxPoolEqualsTheDirectLoop(int seed)
    {
        var c = RandomPool(seed, dilation: true);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], new Generator(seed), DType.Float64);
        var (ev, ei) = MaxReference(c, x.ToDoubleArray());
        var (v, i) = Tensor.MaxPool2dWithIndices(x, (c.Kh, c.Kw), (c.Sh, c.Sw), (c.Ph, c.Pw), (c.Dh, c.Dw), c.Ceil);
        Assert.Equal(new[] { c.N, c.C, c.OutH, c.OutW }, v.GetShape());
        Assert.Equal(ev, v.ToDoubleArray());
        Assert.Equal(ei, i.ToLongArray());
        var v32 = Tensor.MaxPool2d(x.To(DType.Float32), (c.Kh, c.Kw), (c.Sh, c.Sw), (c.Ph, c.Pw), (c.Dh, c.Dw), c.Ceil);
        Assert.Equal(ev.Select(e => (float)e).ToArray(), v32.ToFloatArray());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AvgPoolEqualsTheDirectLoop(int seed)
    {
        var c = RandomPool(seed, dilation: false);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], new Generator(seed), DType.Float64);
        foreach (bool include in new[] { true, false })
        {
            var expected = AvgReference(c, x.ToDoubleArray(), include);
            var got = Tensor.AvgPool2d(x, (c.Kh, c.Kw), (c.Sh, c.Sw), (c.Ph, c.Pw), c.Ceil, include).ToDoubleArray();
            for (int k = 0; k < got.Length; k++) Assert.True(Math.Abs(got[k] - expected[k]) < 1e-12, $"{c} include={include}: element {k} is {got[k]}, expected {expected[k]}");
            var got32 = Tensor.AvgPool2d(x.To(DType.Float32), (c.Kh, c.Kw), (c.Sh, c.Sw), (c.Ph, c.Pw), c.Ceil, include).ToDoubleArray();
            for (int k = 0; k < got32.Length; k++) Assert.True(Math.Abs(got32[k] - expected[k]) < 1e-5, $"{c} float32: element {k}");
        }
    }

    [Fact]
    public void MaxPoolPropagatesNaNAndMinusInfinityWindowsKeepTheirFirstIndex()
    {
        var x = Tensor.FromArray(new double[] { 1, double.NaN, 3, 4, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity }, 1, 1, 2, 4);
        var (v, i) = Tensor.MaxPool2dWithIndices(x, (2, 2));
        Assert.True(double.IsNaN(v.GetDouble(0, 0, 0, 0)));
        Assert.Equal(1, i.ToLongArray()[0]);
        Assert.Equal(4, v.GetDouble(0, 0, 0, 1));
        // Stride-1 rows wide enough for the vector path.
        var wide = Tensor.Randn([1, 1, 3, 40], new Generator(1), DType.Float64);
        wide.SetDouble(double.NaN, 0, 0, 1, 17);
        var (wv, _) = Tensor.MaxPool2dWithIndices(wide, 3, 1);
        var (ev, _) = MaxReference(new Pool(1, 1, 3, 40, 3, 3, 1, 1, 0, 0, 1, 1, false), wide.ToDoubleArray());
        Assert.Equal(ev, wv.ToDoubleArray());
        Assert.True(double.IsNaN(wv.GetDouble(0, 0, 0, 16)));
    }

    [Fact]
    public void AdaptiveAvgPoolAveragesItsWindows()
    {
        var g = new Generator(2);
        var x = Tensor.Randn([2, 3, 5, 7], g, DType.Float64);
        var xs = x.ToDoubleArray();
        var y = Tensor.AdaptiveAvgPool2d(x, (3, 4));
        Assert.Equal(new[] { 2, 3, 3, 4 }, y.GetShape());
        for (int p = 0; p < 6; p++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++)
                {
                    int h0 = i * 5 / 3, h1 = ((i + 1) * 5 + 2) / 3, w0 = j * 7 / 4, w1 = ((j + 1) * 7 + 3) / 4;
                    double s = 0;
                    for (int a = h0; a < h1; a++) for (int b = w0; b < w1; b++) s += xs[(p * 5 + a) * 7 + b];
                    Assert.Equal(s / ((h1 - h0) * (w1 - w0)), y.ToDoubleArray()[(p * 3 + i) * 4 + j], 12);
                }
        // Output size 1: global average pooling equals the mean over H and W.
        var gap = Tensor.AdaptiveAvgPool2d(x, 1);
        Assert.Equal(new[] { 2, 3, 1, 1 }, gap.GetShape());
        var mean = x.Mean([2, 3]).ToDoubleArray();
        for (int k = 0; k < 6; k++) Assert.Equal(mean[k], gap.ToDoubleArray()[k], 12);
        // Larger output than input repeats values.
        Assert.Equal(new[] { 3, 10, 9 }, Tensor.AdaptiveAvgPool2d(Tensor.Zeros([3, 5, 7]), (10, 9)).GetShape());
    }

    [Fact]
    public void OverlappingMaxPoolGradient()
    {
        // Kernel 3, stride 2 (Krizhevsky et al.): inputs in two windows receive both gradients.
        Check(x => Tensor.MaxPool2d(x, 3, 2), Leaf(1, 2, 3, 7, 9));
        Check(x => Tensor.MaxPool2d(x, 3, 2, 1), Leaf(2, 1, 2, 6, 6));
        Check(x => Tensor.MaxPool2d(x, 3, 2, ceilMode: true), Leaf(3, 1, 2, 8, 8));
    }

    [Fact]
    public void MaxPoolGradientsWithStrideOnePaddingAndDilation()
    {
        Check(x => Tensor.MaxPool2d(x, 2), Leaf(1, 2, 2, 6, 4));
        Check(x => Tensor.MaxPool2d(x, (2, 3), 1, (1, 1)), Leaf(2, 1, 2, 5, 20));
        Check(x => Tensor.MaxPool2d(x, 2, (1, 2), dilation: (2, 1)), Leaf(3, 1, 1, 7, 6));
        Check(x => Tensor.MaxPool2d(x, 2), NonContiguous(4, 2, 3, 4));   // unbatched, non-contiguous
        // The gradient of a window goes to its maximum only.
        var t = Tensor.FromArray(new double[] { 1, 5, 2, 3 }, 1, 1, 2, 2).RequiresGrad_();
        Tensor.MaxPool2d(t, 2).Sum().Backward();
        Assert.Equal(new double[] { 0, 1, 0, 0 }, t.Grad!.ToDoubleArray());
    }

    [Fact]
    public void AvgPoolGradients()
    {
        Check(x => Tensor.AvgPool2d(x, 2), Leaf(1, 2, 2, 6, 4));
        Check(x => Tensor.AvgPool2d(x, 3, 2, 1), Leaf(2, 1, 2, 7, 6));
        Check(x => Tensor.AvgPool2d(x, 3, 2, 1, countIncludePad: false), Leaf(3, 1, 2, 7, 6));
        Check(x => Tensor.AvgPool2d(x, (3, 2), (2, 1), ceilMode: true), Leaf(4, 1, 1, 8, 5));
        Check(x => Tensor.AdaptiveAvgPool2d(x, (3, 2)), Leaf(5, 2, 2, 5, 7));
        Check(x => Tensor.AdaptiveAvgPool2d(x, 1), NonContiguous(6, 2, 4, 3));
    }

    [Fact]
    public void PoolingErrors()
    {
        var x = Tensor.Zeros([1, 1, 4, 4]);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, 3, 1, 2));
        Assert.Contains("pad should be at most half of kernel size", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, 5));
        Assert.Contains("too small", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 1, 4, 4]", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.MaxPool2d(x, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.AvgPool2d(x, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.MaxPool2d(x, 2, dilation: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.AdaptiveAvgPool2d(x, 0));
        ex = Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(Tensor.Zeros([4, 4]), 2));
        Assert.Contains("MaxPool2d: expected a 3-D (unbatched) or 4-D (batched) input", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tensor.AvgPool2d(Tensor.Zeros([1, 1, 4, 4], DType.Int64), 2));
    }
}
