using Axon.Nn;

namespace Axon.Tests.Nn;

/// <summary>
/// Sequential runs Conv2d, ReLU, MaxPool2d as the one op Conv2dReluMaxPool2d. Its output and the gradients of the
/// input, weight and bias must equal calling the three modules one by one, to the bit: random geometries that the CPU's
/// direct and flat kernels take and some that they do not (stride 2, a 7-wide plane), odd sizes, overlapping pools,
/// ceil mode, float32 and float64, with and without bias and autograd.
/// </summary>
public class ConvPoolFusionTests
{
    private static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? t.ToFloatArray().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray()
        : t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        long[] e = Bits(expected), a = Bits(actual);
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i]) Assert.Fail($"{what}: element {i} has bits {a[i]:x}, expected {e[i]:x}");
    }

    [Theory]
    [InlineData(DType.Float32, 1)]
    [InlineData(DType.Float64, 2)]
    public void FusedConvReluMaxPoolMatchesTheThreeModulesToTheBit(DType dtype, int seed)
    {
        var r = new Random(seed);
        int fused = 0, cases = 40;
        for (int t = 0; t < cases; t++)
        {
            // Mostly what the direct kernels take (stride 1, K up to 64, or 3x3 with K >= 64 and rows >= 8).
            int kind = r.Next(4);
            int c = kind == 1 ? r.Next(8, 40) : r.Next(1, 7), o = r.Next(1, 3) == 1 ? r.Next(1, 12) : r.Next(30, 70);
            int k = kind == 1 ? 3 : r.Next(1, 6), stride = kind == 3 ? 2 : 1, pad = r.Next(0, k / 2 + 1);
            int h = r.Next(k + 2, 24), w = r.Next(k + 2, 30);
            int pk = r.Next(2) == 0 ? 2 : 3, ps = pk == 2 ? 2 : r.Next(1, 3);
            bool ceil = r.Next(3) == 0, bias = r.Next(4) != 0;
            var conv = new Conv2d(c, o, k, stride, pad, bias: bias, dtype: dtype, generator: new Generator(seed * 100 + t));
            var relu = new ReLU();
            var pool = new MaxPool2d(pk, ps, ceilMode: ceil);
            int convH = (h + 2 * pad - k) / stride + 1, convW = (w + 2 * pad - k) / stride + 1;
            if (Tensor.ConvOutputSize(convH, pk, ps, 0, 1, ceil) < 1 || Tensor.ConvOutputSize(convW, pk, ps, 0, 1, ceil) < 1) continue;
            var seq = new Sequential(conv, relu, pool);
            string what = $"x[2,{c},{h},{w}] conv {c}->{o} k{k} s{stride} p{pad} bias {bias}, pool {pk}/{ps} ceil {ceil}, {dtype}";

            var xv = Tensor.Randn([2, c, h, w], new Generator(seed * 1000 + t), dtype);
            var x1 = xv.Clone().RequiresGrad_();
            var y1 = seq.Forward(x1);
            if (y1.GradFn!.Name == "Conv2dReluMaxPool2d") fused++;
            var x2 = xv.Clone().RequiresGrad_();
            var y2 = pool.Call(relu.Call(conv.Call(x2)));
            AssertSameBits(y2, y1, "output " + what);

            var gy = Tensor.Randn(y1.GetShape(), new Generator(seed * 1000 + t + 500), dtype);
            y1.Backward(gy);
            var gw1 = conv.Weight.Grad!.Clone();
            var gb1 = conv.Bias?.Grad!.Clone();
            conv.ZeroGrad();
            y2.Backward(gy);
            AssertSameBits(x2.Grad!, x1.Grad!, "input gradient " + what);
            AssertSameBits(conv.Weight.Grad!, gw1, "weight gradient " + what);
            if (gb1 is not null) AssertSameBits(conv.Bias!.Grad!, gb1, "bias gradient " + what);

            using (GradMode.NoGrad())
                AssertSameBits(pool.Call(relu.Call(conv.Call(xv))), seq.Forward(xv), "no-grad output " + what);
        }
        Assert.True(fused >= 30, $"only {fused} of {cases} cases fused");
    }

    [Fact]
    public void TheOpIsOneNodeThatKeepsNoConvolutionOutput()
    {
        var conv = new Conv2d(1, 32, 3, padding: 1, generator: new Generator(3));
        var seq = new Sequential(conv, new ReLU(), new MaxPool2d(2));
        var y = seq.Forward(Tensor.Randn([4, 1, 28, 28], new Generator(4)).RequiresGrad_());
        Assert.Equal("Conv2dReluMaxPool2d", y.GradFn!.Name);
        Assert.Equal([4, 32, 14, 14], y.GetShape());
        // Its inputs are the layer's input, weight and bias: nothing of the [4, 32, 28, 28] convolution output.
        Assert.Equal(3, y.GradFn.Inputs.Count);
        Assert.DoesNotContain(y.GradFn.Inputs, t => t.NumEl == 4 * 32 * 28 * 28);
    }

    [Fact]
    public void AHookOrAnotherPaddingModeRunsTheModulesOneByOne()
    {
        var x = Tensor.Randn([2, 3, 9, 9], new Generator(5)).RequiresGrad_();
        Assert.Equal("Conv2dReluMaxPool2d", new Sequential(new Conv2d(3, 4, 3), new ReLU(), new MaxPool2d(2)).Forward(x).GradFn!.Name);
        // A hook on the convolution sees its own output; the ReLU and pooling after it still fuse.
        var conv = new Conv2d(3, 4, 3);
        int[]? seen = null;
        using (conv.RegisterForwardHook((_, _, output) => seen = output.GetShape()))
            Assert.Equal("ReluMaxPool2d", new Sequential(conv, new ReLU(), new MaxPool2d(2)).Forward(x).GradFn!.Name);
        Assert.Equal(new[] { 2, 4, 7, 7 }, seen);
        // Reflection padding is a Pad2d then a convolution without padding: not fused with the pooling.
        Assert.Equal("ReluMaxPool2d", new Sequential(new Conv2d(3, 4, 3, padding: 1, paddingMode: "reflect"), new ReLU(), new MaxPool2d(2)).Forward(x).GradFn!.Name);
        // Unbatched [C, H, W] input: the modules' own path.
        Assert.Equal("Squeeze", new Sequential(new Conv2d(3, 4, 3), new ReLU(), new MaxPool2d(2)).Forward(Tensor.Randn([3, 9, 9], new Generator(6)).RequiresGrad_()).GradFn!.Name);
    }

    [Fact]
    public void BadInputGivesTheConvolutionsError()
    {
        var seq = new Sequential(new Conv2d(3, 4, 3), new ReLU(), new MaxPool2d(2));
        var fused = Assert.Throws<ArgumentException>(() => seq.Forward(Tensor.Zeros([2, 5, 9, 9])));
        var alone = Assert.Throws<ArgumentException>(() => ((Conv2d)seq[0]).Forward(Tensor.Zeros([2, 5, 9, 9])));
        Assert.Equal(alone.Message, fused.Message);
    }
}
