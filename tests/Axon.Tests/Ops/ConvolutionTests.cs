using Axon.Backends;
using static Axon.Tests.GradCheck;
using static Axon.Tests.Ops.ConvolutionReference;

namespace Axon.Tests.Ops;

/// <summary>
/// Convolution against the direct definition, the lowerings against each other, gradients, shapes and errors. The
/// CPU kernel paths are tested against the others in ConvolutionImplicitGemmTests, ConvolutionWeightGradTests and
/// ConvolutionDirectKernelTests; each path is picked by a CPU device of its own options
/// (<see cref="Device.CpuWith"/>), so the tests share no switch and run in parallel.
/// </summary>
public class ConvolutionTests
{
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
