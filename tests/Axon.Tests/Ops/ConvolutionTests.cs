using Axon.Backends;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

/// <summary>
/// Convolution against the direct definition, and every CPU kernel path against the others. Each path is picked by a
/// CPU device of its own options (<see cref="Device.CpuWith"/>), so the tests share no switch and run in parallel.
/// </summary>
public class ConvolutionTests
{
    private static Device Cpu(CpuOptions options) => Device.CpuWith(options);
    /// <summary>One convolution problem: shapes and hyper-parameters (the paddings may differ per side, as with "same").</summary>
    public sealed record Config(int N, int C, int H, int W, int O, int Kh, int Kw, int Sh, int Sw, int Pt, int Pb, int Pl, int Pr, int Dh, int Dw, int G)
    {
        public int OutH => (H + Pt + Pb - Dh * (Kh - 1) - 1) / Sh + 1;
        public int OutW => (W + Pl + Pr - Dw * (Kw - 1) - 1) / Sw + 1;
        public override string ToString() => $"x[{N},{C},{H},{W}] w[{O},{C / G},{Kh},{Kw}] s({Sh},{Sw}) p({Pt},{Pb},{Pl},{Pr}) d({Dh},{Dw}) g{G}";
    }

    /// <summary>The direct definition: a loop over every output, input channel of its group and kernel tap.</summary>
    public static double[] Reference(Config c, double[] x, double[] w, double[]? b)
    {
        int cg = c.C / c.G, og = c.O / c.G;
        var y = new double[c.N * c.O * c.OutH * c.OutW];
        for (int n = 0; n < c.N; n++)
            for (int o = 0; o < c.O; o++)
                for (int i = 0; i < c.OutH; i++)
                    for (int j = 0; j < c.OutW; j++)
                    {
                        double s = b?[o] ?? 0;
                        int g = o / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int u = 0; u < c.Kh; u++)
                                for (int v = 0; v < c.Kw; v++)
                                {
                                    int ih = i * c.Sh - c.Pt + u * c.Dh, iw = j * c.Sw - c.Pl + v * c.Dw;
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                    s += w[((o * cg + ci) * c.Kh + u) * c.Kw + v] * x[((n * c.C + g * cg + ci) * c.H + ih) * c.W + iw];
                                }
                        y[((n * c.O + o) * c.OutH + i) * c.OutW + j] = s;
                    }
        return y;
    }

    /// <summary>Many random configurations (symmetric padding), seeded.</summary>
    public static TheoryData<int> Seeds()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < 60; i++) d.Add(i);
        return d;
    }

    public static Config RandomConfig(int seed)
    {
        var r = new Random(seed);
        while (true)
        {
            int g = r.Next(4) == 0 ? r.Next(2, 4) : 1;
            int c = g * r.Next(1, 4), o = g * r.Next(1, 4);
            int h = r.Next(1, 12), w = r.Next(1, 12), kh = r.Next(1, 5), kw = r.Next(1, 5);
            int sh = r.Next(1, 4), sw = r.Next(1, 4), ph = r.Next(0, 3), pw = r.Next(0, 3), dh = r.Next(1, 3), dw = r.Next(1, 3);
            var cfg = new Config(r.Next(1, 4), c, h, w, o, kh, kw, sh, sw, ph, ph, pw, pw, dh, dw, g);
            if (cfg.OutH >= 1 && cfg.OutW >= 1 && h + 2 * ph >= dh * (kh - 1) + 1 && w + 2 * pw >= dw * (kw - 1) + 1) return cfg;
        }
    }

    private static Tensor Run(Config c, Tensor x, Tensor w, Tensor? b) =>
        Tensor.Conv2d(x, w, b, (c.Sh, c.Sw), (c.Pt, c.Pl), (c.Dh, c.Dw), c.G);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EqualsTheDirectLoopInFloat64AndFloat32(int seed)
    {
        var c = RandomConfig(seed);
        var g = new Generator(seed);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
        var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], g, DType.Float64);
        var b = seed % 3 == 0 ? null : Tensor.Randn([c.O], g, DType.Float64);
        var expected = Reference(c, x.ToDoubleArray(), w.ToDoubleArray(), b?.ToDoubleArray());

        var y = Run(c, x, w, b);
        Assert.Equal(new[] { c.N, c.O, c.OutH, c.OutW }, y.GetShape());
        var got = y.ToDoubleArray();
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-12, $"{c}: element {i} is {got[i]}, expected {expected[i]}");

        var y32 = Run(c, x.To(DType.Float32), w.To(DType.Float32), b?.To(DType.Float32));
        Assert.Equal(DType.Float32, y32.DType);
        var got32 = y32.ToDoubleArray();
        for (int i = 0; i < got32.Length; i++) Assert.True(Math.Abs(got32[i] - expected[i]) < 1e-4 * (1 + Math.Abs(expected[i])), $"{c} float32: element {i} is {got32[i]}, expected {expected[i]}");
    }

    [Fact]
    public void PerSampleAndBatchedLoweringAgree()
    {
        var c = new Config(5, 4, 9, 7, 6, 3, 2, 2, 1, 1, 1, 0, 0, 1, 2, 2);
        var g = new Generator(3);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64).RequiresGrad_();
        var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], g, DType.Float64).RequiresGrad_();
        var b = Tensor.Randn([c.O], g, DType.Float64).RequiresGrad_();
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64);
        double[][] Grads(Device device)
        {
            var (xd, wd, bd) = (x.Detach().To(device).RequiresGrad_(), w.Detach().To(device).RequiresGrad_(), b.Detach().To(device).RequiresGrad_());
            var y = Run(c, xd, wd, bd);
            (y * r.To(device)).Sum().Backward();
            return [y.ToDoubleArray(), xd.Grad!.ToDoubleArray(), wd.Grad!.ToDoubleArray(), bd.Grad!.ToDoubleArray()];
        }
        var batched = Grads(Device.Cpu);
        {
            var perSample = Grads(Cpu(new CpuOptions { ConvColumnBudget = 1 }));             // one sample per column matrix
            var chunked = Grads(Cpu(new CpuOptions { ConvColumnBudget = 3 * 24 * 25 }));    // three samples per chunk (24 x 25 columns each), the last chunk short
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(batched[k].Length, perSample[k].Length);
                for (int i = 0; i < batched[k].Length; i++)
                {
                    Assert.True(Math.Abs(batched[k][i] - perSample[k][i]) < 1e-10, $"per sample: result {k}, element {i}: {perSample[k][i]} vs {batched[k][i]}");
                    Assert.True(Math.Abs(batched[k][i] - chunked[k][i]) < 1e-10, $"chunked: result {k}, element {i}: {chunked[k][i]} vs {batched[k][i]}");
                }
            }
        }
    }

    /// <summary>
    /// Shapes around the implicit GEMM's edges: one and few input channels, output channels that fill 8-row tiles
    /// partly (odd O, O = 6 and 16 as LeNet), groups, planes whose positions cross 32-wide panels and samples (7x7 = 49,
    /// 10x10 = 100, 1x1), an odd batch, strides, padding and dilation.
    /// </summary>
    public static TheoryData<Config> ImplicitGemmConfigs => new()
    {
        new Config(3, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // lecture conv1: one channel, 576 positions
        new Config(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),   // LeNet conv1: 6 channels of one 8-row tile, 784 positions
        new Config(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // LeNet conv2: 100 positions cross panels
        new Config(5, 3, 7, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // odd O (8 + 1), 49 positions, odd batch
        new Config(2, 4, 9, 9, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),    // odd O past two tiles, stride 2
        new Config(2, 6, 8, 8, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),    // groups with 5 channels each, dilation, wide padding
        new Config(3, 32, 3, 3, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // og >= 32 (implicit input gradient), 9 positions
        new Config(4, 8, 5, 5, 64, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1),    // 1x1 projection, stride 2
        new Config(2, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // one position per sample
        new Config(1, 4, 6, 11, 40, 2, 3, 1, 3, 1, 1, 2, 2, 1, 1, 2),   // asymmetric kernel and stride, groups of 20
        new Config(3, 32, 8, 8, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // lecture conv2: 16 positions, one permute per tap, the last sample at the buffer's end
        new Config(3, 2, 9, 12, 5, 3, 11, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // 7x2 outputs on 12-wide rows: 16 positions spread over 85 inputs (run copies)
        new Config(2, 3, 9, 9, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // 1x1 kernel: 81 positions, vectors cross samples
        new Config(2, 8, 20, 19, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // 72 taps with padding, odd width: permutes masked at the border, plain inside
    };

    /// <summary>Output, input, weight and bias gradients of one problem (loss = sum(y * r)).</summary>
    private static double[][] Results(Config c, DType dtype, int seed, Device device)
    {
        var g = new Generator(seed);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        var b = Tensor.Randn([c.O], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64).To(dtype).To(device);
        var y = Run(c, x, w, b);
        (y * r).Sum().Backward();
        return [y.ToDoubleArray(), x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray()];
    }

    private static double[][] WithImplicitGemm(bool on, int minBackwardChannels, Func<Device, double[][]> run, int threads = 0) =>
        run(Cpu(new CpuOptions { ConvImplicitGemm = on, ConvGemmMinBackwardChannels = minBackwardChannels, Threads = threads > 0 ? threads : Environment.ProcessorCount }));

    [Theory]
    [MemberData(nameof(ImplicitGemmConfigs))]
    public void ImplicitGemmAndIm2ColLoweringMatchTheDirectLoop(Config c)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
        var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], g, DType.Float64);
        var b = Tensor.Randn([c.O], g, DType.Float64);
        var expected = Reference(c, x.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray());
        foreach (bool on in new[] { true, false })
        {
            var y64 = WithImplicitGemm(on, 32, d => [Run(c, x.To(d), w.To(d), b.To(d)).ToDoubleArray()])[0];
            var y32 = WithImplicitGemm(on, 32, d => [Run(c, x.To(DType.Float32).To(d), w.To(DType.Float32).To(d), b.To(DType.Float32).To(d)).ToDoubleArray()])[0];
            Assert.Equal(expected.Length, y64.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(y64[i] - expected[i]) < 1e-12, $"{c} implicit={on}: element {i} is {y64[i]}, expected {expected[i]}");
                Assert.True(Math.Abs(y32[i] - expected[i]) < 1e-4 * (1 + Math.Abs(expected[i])), $"{c} implicit={on} float32: element {i} is {y32[i]}, expected {expected[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ImplicitGemmConfigs))]
    public void ImplicitGemmGradientsEqualTheIm2ColLowering(Config c)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-10 : 1e-3;
            var lowered = WithImplicitGemm(false, 32, d => Results(c, dtype, 11, d));
            // minBackwardChannels 1: the input gradient takes the implicit GEMM even for few output channels.
            var implicitAll = WithImplicitGemm(true, 1, d => Results(c, dtype, 11, d));
            var implicitDefault = WithImplicitGemm(true, 32, d => Results(c, dtype, 11, d));
            for (int k = 0; k < 4; k++)
                for (int i = 0; i < lowered[k].Length; i++)
                {
                    double scale = 1 + Math.Abs(lowered[k][i]);
                    Assert.True(Math.Abs(implicitAll[k][i] - lowered[k][i]) < tol * scale, $"{c} {dtype}: result {k}, element {i}: {implicitAll[k][i]} vs {lowered[k][i]}");
                    Assert.True(Math.Abs(implicitDefault[k][i] - lowered[k][i]) < tol * scale, $"{c} {dtype} default rule: result {k}, element {i}: {implicitDefault[k][i]} vs {lowered[k][i]}");
                }
        }
    }

    [Theory]
    [InlineData(64, 1, 28, 32, 5, 0)]  // lecture conv1
    [InlineData(64, 32, 12, 64, 5, 0)] // lecture conv2 (implicit input gradient)
    [InlineData(63, 6, 14, 16, 5, 0)]  // LeNet conv2, odd batch
    [InlineData(9, 64, 7, 128, 3, 1)]  // ResNet's last stage, 49 positions per sample
    public void ImplicitGemmIsDeterministicForAThreadCountAndTheForwardForAnyCount(int n, int ch, int size, int o, int k, int pad)
    {
        var c = new Config(n, ch, size, size, o, k, k, 1, 1, pad, pad, pad, pad, 1, 1, 1);
        {
            var first = WithImplicitGemm(true, 32, d => Results(c, DType.Float32, 5, d), threads: 2);
            var second = WithImplicitGemm(true, 32, d => Results(c, DType.Float32, 5, d), threads: 2);
            var serial = WithImplicitGemm(true, 32, d => Results(c, DType.Float32, 5, d), threads: 1);
            for (int r = 0; r < 4; r++) Assert.Equal(first[r], second[r]);
            // Each output is one dot product in a fixed order whatever the partition.
            Assert.Equal(first[0], serial[0]);
        }
    }

    /// <summary>
    /// Shapes for the dot-product weight gradient: one and three input channels, O = 6, 16, 17, 32, 64 (tiles of 3
    /// channels full and partial), K past and short of 8-row tiles, channel blocks, panels inside and across samples
    /// (576 and 16 positions fill vectors; 49, 100 and 1 do not), groups, strides, dilation, padding, odd batches.
    /// </summary>
    public static TheoryData<Config> WeightGradConfigs => new()
    {
        new Config(3, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // lecture conv1: one channel, 576 positions, panels = samples
        new Config(5, 32, 8, 8, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // lecture conv2: 16 positions, channel blocks of 8
        new Config(3, 3, 10, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // three channels, O = 6, 100 positions
        new Config(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),    // LeNet conv1
        new Config(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // LeNet conv2
        new Config(5, 3, 7, 7, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // O = 17, 49 positions, odd batch
        new Config(3, 4, 9, 9, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),     // stride 2
        new Config(2, 6, 8, 8, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),     // groups, dilation, wide padding
        new Config(1, 4, 6, 11, 40, 2, 3, 1, 3, 1, 1, 2, 2, 1, 1, 2),    // asymmetric kernel and stride, groups of 20
        new Config(2, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),      // one position per sample
        new Config(7, 9, 12, 12, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3),   // groups of 3 channels and 10 outputs, 144 positions, odd batch
        new Config(67, 3, 6, 6, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // 16 positions, many panels, last one short
        new Config(3, 2, 9, 12, 5, 3, 11, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // 7x2 outputs on 12-wide rows: positions spread over 85 inputs
        new Config(2, 8, 20, 19, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // 72 taps with padding, odd width: permutes masked at the border
        new Config(29, 5, 5, 7, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // 64 outputs (outer products), 15 positions: blocks of 128 end inside samples
    };

    private static double[][] WithWeightGrad(bool on, Func<Device, double[][]> run, int threads = 0) =>
        run(Cpu(new CpuOptions { ConvImplicitWeightGrad = on, Threads = threads > 0 ? threads : Environment.ProcessorCount }));

    /// <summary>The weight gradient by the direct definition: sum over samples and positions of gy * x.</summary>
    private static double[] ReferenceWeightGrad(Config c, double[] x, double[] gy)
    {
        int cg = c.C / c.G, og = c.O / c.G;
        var gw = new double[c.O * cg * c.Kh * c.Kw];
        for (int n = 0; n < c.N; n++)
            for (int o = 0; o < c.O; o++)
                for (int i = 0; i < c.OutH; i++)
                    for (int j = 0; j < c.OutW; j++)
                    {
                        double gv = gy[((n * c.O + o) * c.OutH + i) * c.OutW + j];
                        int g = o / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int u = 0; u < c.Kh; u++)
                                for (int v = 0; v < c.Kw; v++)
                                {
                                    int ih = i * c.Sh - c.Pt + u * c.Dh, iw = j * c.Sw - c.Pl + v * c.Dw;
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                    gw[((o * cg + ci) * c.Kh + u) * c.Kw + v] += gv * x[((n * c.C + g * cg + ci) * c.H + ih) * c.W + iw];
                                }
                    }
        return gw;
    }

    [Theory]
    [MemberData(nameof(WeightGradConfigs))]
    public void DotProductWeightGradientMatchesTheIm2ColPathAndTheDirectLoop(Config c)
    {
        var g = new Generator(13);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64);
        var expected = ReferenceWeightGrad(c, x.ToDoubleArray(), r.ToDoubleArray());
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-10 : 1e-4;
            var results = new double[2][];
            foreach (bool on in new[] { true, false })
            {
                results[on ? 0 : 1] = WithWeightGrad(on, d =>
                {
                    var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], new Generator(1), DType.Float64).To(dtype).To(d).RequiresGrad_();
                    var y = Run(c, x.To(dtype).To(d), w, null);
                    (y * r.To(dtype).To(d)).Sum().Backward();
                    return [w.Grad!.ToDoubleArray()];
                })[0];
            }
            for (int i = 0; i < expected.Length; i++)
            {
                double scale = 1 + Math.Abs(expected[i]);
                Assert.True(Math.Abs(results[0][i] - expected[i]) < tol * scale, $"{c} {dtype}: element {i} is {results[0][i]}, expected {expected[i]}");
                Assert.True(Math.Abs(results[0][i] - results[1][i]) < tol * scale, $"{c} {dtype}: element {i} is {results[0][i]}, im2col path {results[1][i]}");
            }
        }
    }

    [Theory]
    [InlineData(64, 1, 28, 32, 5)] // lecture conv1
    [InlineData(64, 32, 8, 64, 5)] // lecture conv2
    [InlineData(63, 6, 14, 16, 5)] // LeNet conv2, odd batch
    public void DotProductWeightGradientIsDeterministicAndCloseAcrossThreadCounts(int n, int ch, int size, int o, int k)
    {
        var c = new Config(n, ch, size, size, o, k, k, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        {
            var first = WithWeightGrad(true, d => Results(c, DType.Float32, 5, d), threads: 2);
            var second = WithWeightGrad(true, d => Results(c, DType.Float32, 5, d), threads: 2);
            var serial = WithWeightGrad(true, d => Results(c, DType.Float32, 5, d), threads: 1);
            Assert.Equal(first[2], second[2]);
            // Other thread counts sum the positions in other groupings: equal up to rounding.
            for (int i = 0; i < first[2].Length; i++)
                Assert.True(Math.Abs(first[2][i] - serial[2][i]) < 1e-4 * (1 + Math.Abs(serial[2][i])), $"element {i}: {first[2][i]} with 2 threads, {serial[2][i]} with 1");
        }
    }

    /// <summary>
    /// Shapes the direct kernel supports (float, unit stride, one group; run with it forced on, whatever the measured
    /// rule): paddings 0, 1, 2 and the uneven "same" of an even kernel; output widths 5, 17, 28 and 33 (masked tails, chunk pairs across rows, an odd
    /// chunk count per row); 1 to 3 input channels; 1, 6, 8, 9 and 17 output channels (partial blocks); batches 1 and 5.
    /// </summary>
    public static TheoryData<Config> DirectConfigs => new()
    {
        new Config(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),   // LeNet conv1
        new Config(1, 1, 5, 5, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),     // 5 wide: one masked chunk per row, batch 1
        new Config(5, 2, 17, 17, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // 17 = 16 + 1, 9 outputs, batch 5
        new Config(5, 3, 35, 35, 17, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // 33 = 16 + 16 + 1, 17 outputs, no padding
        new Config(1, 1, 9, 33, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // 33 wide with padding 1, 8 outputs (one block)
        new Config(5, 1, 7, 17, 1, 4, 4, 1, 1, 1, 2, 1, 2, 1, 1, 1),    // "same" of a 4x4 kernel: one more row and column after
        new Config(1, 2, 6, 8, 9, 4, 4, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // K = 32, the scope's edge
        new Config(3, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // lecture conv1: 24 = 16 + 8
        new Config(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // LeNet conv2: K = 150, 10 wide
    };

    /// <summary>The layer as configured; uneven paddings are those of "same" (stride 1).</summary>
    private static Tensor RunDirect(Config c, Tensor x, Tensor w, Tensor? b) =>
        c.Pt == c.Pb && c.Pl == c.Pr ? Run(c, x, w, b) : Tensor.Conv2d(x, w, b, "same");

    private static Kernels.Window2d Window(Config c) =>
        new(c.C, c.H, c.W, c.Kh, c.Kw, c.Sh, c.Sw, c.Pt, c.Pl, c.Dh, c.Dw, c.OutH, c.OutW);

    /// <summary>Output, then input, weight and bias gradients (loss = sum(y * r)); no bias gradient without a bias.</summary>
    private static double[][] DirectResults(Config c, DType dtype, bool bias, bool direct, int threads = 0)
    {
        var d = Cpu(new CpuOptions { ConvDirectKernel = direct, ConvDirectEverywhere = direct, Threads = threads > 0 ? threads : Environment.ProcessorCount });
        var g = new Generator(17);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64).To(dtype).To(d).RequiresGrad_();
        var w = Tensor.Randn([c.O, c.C, c.Kh, c.Kw], g, DType.Float64).To(dtype).To(d).RequiresGrad_();
        var b = bias ? Tensor.Randn([c.O], g, DType.Float64).To(dtype).To(d).RequiresGrad_() : null;
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64).To(dtype).To(d);
        var y = RunDirect(c, x, w, b);
        (y * r).Sum().Backward();
        return [y.ToDoubleArray(), x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b?.Grad!.ToDoubleArray() ?? []];
    }

    [Fact]
    public void DirectKernelTakesLeNetAndTheLectureFirstLayerButNotNarrowRows()
    {
        if (!Kernels.ConvDirect.IsSupported) return;
        var cpu = new CpuBackend(new CpuOptions());
        void Expect(Config c, bool forward, bool weightGrad)
        {
            Assert.Equal(forward, cpu.UseConvDirect<float>(Window(c), c.G, c.O, weightGrad: false));
            Assert.Equal(weightGrad, cpu.UseConvDirect<float>(Window(c), c.G, c.O, weightGrad: true));
            Assert.False(cpu.UseConvDirect<double>(Window(c), c.G, c.O, weightGrad: false));
        }
        Expect(new Config(64, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1), true, true);     // LeNet conv1
        Expect(new Config(64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), true, true);    // LeNet conv2
        Expect(new Config(64, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), true, true);    // lecture conv1
        Expect(new Config(64, 32, 12, 12, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), false, false); // lecture conv2: 8 wide, K = 800
        Expect(new Config(9, 64, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), false, false);   // ResNet's 7x7 stage
        Expect(new Config(64, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true, false);  // K = 144 with 32 outputs
        Expect(new Config(64, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 1), false, false);   // strided
    }

    [Theory]
    [MemberData(nameof(DirectConfigs))]
    public void DirectKernelMatchesTheImplicitGemmAndTheDirectLoop(Config c)
    {
        Assert.True(!Kernels.ConvDirect.IsSupported || Kernels.ConvDirect.Supports(Window(c), c.G), $"{c} is outside the direct kernel's scope");
        foreach (bool bias in new[] { true, false })
        {
            // float64 never takes the direct kernel: the reference for the forward and the weight gradient.
            var exact = DirectResults(c, DType.Float64, bias, direct: true);
            var g = new Generator(17);
            var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
            var w = Tensor.Randn([c.O, c.C, c.Kh, c.Kw], g, DType.Float64);
            var b = bias ? Tensor.Randn([c.O], g, DType.Float64) : null;
            var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64);
            var expectedY = Reference(c, x.ToDoubleArray(), w.ToDoubleArray(), b?.ToDoubleArray());
            var expectedGw = ReferenceWeightGrad(c, x.ToDoubleArray(), r.ToDoubleArray());
            for (int i = 0; i < expectedY.Length; i++) Assert.True(Math.Abs(exact[0][i] - expectedY[i]) < 1e-12, $"{c} float64: element {i}");
            for (int i = 0; i < expectedGw.Length; i++) Assert.True(Math.Abs(exact[2][i] - expectedGw[i]) < 1e-10, $"{c} float64 weight gradient: element {i}");

            var direct = DirectResults(c, DType.Float32, bias, direct: true);
            var gemm = DirectResults(c, DType.Float32, bias, direct: false);
            string[] names = ["output", "input gradient", "weight gradient", "bias gradient"];
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(exact[k].Length, direct[k].Length);
                for (int i = 0; i < exact[k].Length; i++)
                {
                    double tol = 1e-4 * (1 + Math.Abs(exact[k][i]));
                    Assert.True(Math.Abs(direct[k][i] - exact[k][i]) < tol, $"{c} bias={bias}: {names[k]} {i} is {direct[k][i]}, expected {exact[k][i]}");
                    Assert.True(Math.Abs(gemm[k][i] - exact[k][i]) < tol, $"{c} bias={bias}, direct kernel off: {names[k]} {i} is {gemm[k][i]}, expected {exact[k][i]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(64, 28, 6, 2)]  // LeNet conv1
    [InlineData(64, 28, 32, 0)] // lecture conv1
    [InlineData(1, 28, 6, 2)]   // one image: the threads split its rows
    [InlineData(3, 17, 9, 1)]   // odd batch and width
    public void DirectKernelIsDeterministicForAThreadCountAndTheForwardForAnyCount(int n, int size, int o, int pad)
    {
        var c = new Config(n, 1, size, size, o, 5, 5, 1, 1, pad, pad, pad, pad, 1, 1, 1);
        {
            var first = DirectResults(c, DType.Float32, true, direct: true, threads: 2);
            var second = DirectResults(c, DType.Float32, true, direct: true, threads: 2);
            var serial = DirectResults(c, DType.Float32, true, direct: true, threads: 1);
            for (int k = 0; k < 4; k++) Assert.Equal(first[k], second[k]);
            // Each output is one sum over the taps in a fixed order whatever the partition.
            Assert.Equal(first[0], serial[0]);
            for (int i = 0; i < first[2].Length; i++)
                Assert.True(Math.Abs(first[2][i] - serial[2][i]) < 1e-4 * (1 + Math.Abs(serial[2][i])), $"element {i}: {first[2][i]} with 2 threads, {serial[2][i]} with 1");
        }
    }

    public static TheoryData<Config> GradConfigs => new()
    {
        new Config(2, 2, 5, 4, 3, 3, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // plain
        new Config(2, 3, 7, 6, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),   // stride and padding
        new Config(1, 2, 7, 8, 2, 2, 3, 1, 2, 0, 0, 2, 2, 2, 2, 1),   // dilation, asymmetric stride, wide padding
        new Config(2, 4, 5, 5, 6, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 2),   // groups
        new Config(1, 4, 6, 5, 4, 2, 2, 2, 1, 1, 1, 1, 1, 2, 1, 4),   // depthwise, everything
    };

    [Theory]
    [MemberData(nameof(GradConfigs))]
    public void GradientsOfInputWeightAndBias(Config c)
    {
        CheckMany(t => Run(c, t[0], t[1], t[2]), Leaf(1, c.N, c.C, c.H, c.W), Leaf(2, c.O, c.C / c.G, c.Kh, c.Kw), Leaf(3, c.O));
    }

    [Fact]
    public void GradientsWithoutBiasUnbatchedAndNonContiguous()
    {
        Check((x, w) => Tensor.Conv2d(x, w, stride: 2, padding: 1), Leaf(1, 2, 5, 6), Leaf(2, 3, 2, 3, 3));
        Check((x, w) => Tensor.Conv2d(x, w, padding: (0, 1)), NonContiguous(3, 1, 2, 4, 5), NonContiguous(4, 2, 2, 3, 2));
        Check(x => Tensor.Conv2d(x, Tensor.Ones([1, 1, 2, 2], DType.Float64), null, "same"), Leaf(5, 1, 1, 4, 3));
    }

    [Fact]
    public void UnbatchedInputGivesAnUnbatchedOutput()
    {
        var g = new Generator(1);
        var x = Tensor.Randn([3, 6, 5], g, DType.Float64);
        var w = Tensor.Randn([4, 3, 3, 3], g, DType.Float64);
        var y = Tensor.Conv2d(x, w, padding: 1);
        Assert.Equal(new[] { 4, 6, 5 }, y.GetShape());
        Assert.Equal(Tensor.Conv2d(x.Unsqueeze(0), w, padding: 1).ToDoubleArray(), y.ToDoubleArray());
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(4, 1)] // even kernel: total padding 3, one row/column more at the bottom/right, as PyTorch
    [InlineData(2, 3)]
    public void SamePaddingKeepsTheSizeAndValidHasNone(int k, int d)
    {
        var g = new Generator(k);
        var x = Tensor.Randn([2, 2, 7, 6], g, DType.Float64);
        var w = Tensor.Randn([3, 2, k, k], g, DType.Float64);
        var y = Tensor.Conv2d(x, w, null, "same", dilation: d);
        Assert.Equal(new[] { 2, 3, 7, 6 }, y.GetShape());
        int total = d * (k - 1);
        var c = new Config(2, 2, 7, 6, 3, k, k, 1, 1, total / 2, total - total / 2, total / 2, total - total / 2, d, d, 1);
        var expected = Reference(c, x.ToDoubleArray(), w.ToDoubleArray(), null);
        var got = y.ToDoubleArray();
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 12);
        Assert.Equal(Tensor.Conv2d(x, w).ToDoubleArray(), Tensor.Conv2d(x, w, null, "valid").ToDoubleArray());
    }

    [Theory]
    [InlineData(28, 5, 1, 0, 1, 24)]
    [InlineData(12, 5, 1, 0, 1, 8)]
    [InlineData(224, 11, 4, 2, 1, 55)]   // AlexNet's first layer
    [InlineData(7, 3, 2, 1, 1, 4)]
    [InlineData(10, 3, 1, 0, 2, 6)]
    [InlineData(5, 5, 1, 0, 1, 1)]
    public void OutputSizeFollowsTheFormula(int size, int k, int s, int p, int d, int expected)
    {
        Assert.Equal(expected, Tensor.ConvOutputSize(size, k, s, p, d));
        Assert.Equal((size + 2 * p - d * (k - 1) - 1) / s + 1, expected);
        var y = Tensor.Conv2d(Tensor.Zeros([1, 1, size, size]), Tensor.Zeros([1, 1, k, k]), stride: s, padding: p, dilation: d);
        Assert.Equal(new[] { 1, 1, expected, expected }, y.GetShape());
    }

    [Fact]
    public void LectureNetworkShapes()
    {
        var x = Tensor.Zeros([64, 1, 28, 28]);
        var h = Tensor.Conv2d(x, Tensor.Zeros([32, 1, 5, 5]), Tensor.Zeros([32]));
        Assert.Equal(new[] { 64, 32, 24, 24 }, h.GetShape());
        h = Tensor.MaxPool2d(h, 2);
        Assert.Equal(new[] { 64, 32, 12, 12 }, h.GetShape());
        h = Tensor.Conv2d(h, Tensor.Zeros([64, 32, 5, 5]), Tensor.Zeros([64]));
        Assert.Equal(new[] { 64, 64, 8, 8 }, h.GetShape());
        Assert.Equal(new[] { 64, 64, 4, 4 }, Tensor.MaxPool2d(h, 2).GetShape());
    }

    [Fact]
    public void ShapeAndHyperParameterErrorsNameTheOpAndShapes()
    {
        var w = Tensor.Zeros([32, 3, 5, 5]);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([64, 1, 28, 28]), w));
        Assert.Equal("Conv2d: expected input with 3 channels (weight [32, 3, 5, 5]), got [64, 1, 28, 28]. (Parameter 'input')", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 4, 4]), w));
        Assert.Contains("padded input is 4 x 4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kernel is 5 x 5", ex.Message, StringComparison.Ordinal);
        // Padding makes the same input large enough.
        Assert.Equal(new[] { 1, 32, 2, 2 }, Tensor.Conv2d(Tensor.Zeros([1, 3, 4, 4]), w, padding: 1).GetShape());
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 8, 8]), w, dilation: 2));
        Assert.Contains("kernel is 9 x 9", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, stride: (1, -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, dilation: 0));
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 6, 9, 9]), Tensor.Zeros([5, 3, 3, 3]), groups: 2));
        Assert.Contains("not divisible by groups=2", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 5, 9, 9]), Tensor.Zeros([4, 3, 3, 3]), groups: 2));
        Assert.Contains("expected input with 6 channels", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([3, 9]), w));
        Assert.Contains("got [3, 9]", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, Tensor.Zeros([31])));
        Assert.Contains("bias of shape [32]", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, null, "full"));
        Assert.Contains("'valid', 'same'", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9]), w, null, "same", stride: 2));
        Assert.Contains("strided", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 9, 9], DType.Float64), w));
    }
}
