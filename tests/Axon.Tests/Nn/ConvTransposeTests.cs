using System.Text.Json;
using Axon.IO;
using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>
/// The transposed convolution op (<see cref="Tensor.ConvTranspose2d"/>) and layer (<see cref="ConvTranspose2d"/>):
/// PyTorch 1.13's F.conv_transpose2d with gradients on the CPU and Reference devices, float64 gradient checks to the
/// second derivative, the output-size rules, repr, initialisation and errors.
/// </summary>
public class ConvTransposeTests
{
    // ---- PyTorch ----

    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "conv_transpose.safetensors");

    public static TheoryData<string, string> PyTorchCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Safetensors.ReadMetadata(FixtureFile).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal))
            .Select(k => k["case.".Length..]).Order(StringComparer.Ordinal))
        {
            data.Add(name, "cpu");
            data.Add(name, "reference");
        }
        return data;
    }

    private static Size2 Pair(JsonElement e) => (e[0].GetInt32(), e[1].GetInt32());

    /// <summary>PyTorch's conv_transpose2d (tests/Fixtures/make_conv_transpose_fixture.py): output and all three gradients.</summary>
    [Theory]
    [MemberData(nameof(PyTorchCases))]
    public void MatchesPyTorch(string name, string deviceName)
    {
        var device = deviceName == "cpu" ? Device.Cpu : Device.Reference;
        var (tensors, meta) = Fixture.Value;
        Assert.StartsWith("1.13", meta["torch"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var c = doc.RootElement;
        var x = tensors[name + ".input"].To(device).Clone().Detach().RequiresGrad_();
        var w = tensors[name + ".weight"].To(device).Clone().Detach().RequiresGrad_();
        var b = tensors.TryGetValue(name + ".bias", out var bt) ? bt.To(device).Clone().Detach().RequiresGrad_() : null;
        var y = Tensor.ConvTranspose2d(x, w, b, Pair(c.GetProperty("stride")), Pair(c.GetProperty("padding")), Pair(c.GetProperty("output_padding")),
            c.GetProperty("groups").GetInt32(), Pair(c.GetProperty("dilation")));
        Assert.Same(device, y.Device);
        y.Backward(tensors[name + ".upstream"].To(device));
        AssertClose(tensors[name + ".output"], y, 1e-12);
        AssertClose(tensors[name + ".grad_input"], x.Grad!, 1e-12);
        AssertClose(tensors[name + ".grad_weight"], w.Grad!, 1e-12);
        if (b is not null) AssertClose(tensors[name + ".grad_bias"], b.Grad!, 1e-12);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        Assert.Equal(expected.DType, actual.DType);
        double[] e = expected.ToDoubleArray(), a = actual.To(Device.Cpu).ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Float32AgreesOnTheCpuAndReferenceDevices(int groups)
    {
        // Channel counts large enough for the CPU's GEMM and direct kernels, which the float64 fixture cases may not reach.
        var results = new List<double[][]>();
        foreach (var device in new[] { Device.Cpu, Device.Reference })
        {
            var layer = new ConvTranspose2d(32, 16, 4, 2, 1, outputPadding: 1, groups: groups, generator: new Generator(11));
            layer.To(device);
            var x = Tensor.Randn([3, 32, 7, 5], new Generator(12)).To(device).Detach().RequiresGrad_();
            var y = layer.Forward(x);
            Assert.Equal([3, 16, 15, 11], y.GetShape());
            (y.Square().Sum() * 0.5).Backward();
            results.Add([y.ToDoubleArray(), x.Grad!.ToDoubleArray(), layer.Weight.Grad!.ToDoubleArray(), layer.Bias!.Grad!.ToDoubleArray()]);
        }
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < results[0][k].Length; i++)
                Assert.True(Math.Abs(results[0][k][i] - results[1][k][i]) <= 1e-5 * (1 + Math.Abs(results[1][k][i])), $"result {k}, element {i}: cpu {results[0][k][i]}, reference {results[1][k][i]}");
    }

    // ---- gradients ----

    public static TheoryData<int, int, int, int, int, int, int, int, int> GradCases() => new()
    {
        // Cin, Cout, k, stride, padding, outputPadding, groups, dilation, H (W = H + 2)
        { 2, 3, 3, 1, 0, 0, 1, 1, 3 },
        { 2, 3, 3, 2, 1, 1, 1, 1, 3 },
        { 4, 2, 2, 3, 0, 2, 2, 1, 2 },
        { 2, 2, 3, 1, 1, 1, 1, 2, 3 },   // an output padding of the stride, below the dilation
    };

    [Theory]
    [MemberData(nameof(GradCases))]
    public void GradientMatchesFiniteDifferences(int cin, int cout, int k, int s, int p, int op, int g, int d, int h)
    {
        var x = Leaf(1, 2, cin, h, h + 2);
        var w = Leaf(2, cin, cout / g, k, k - 1);
        var b = Leaf(3, cout);
        CheckMany(t => Tensor.ConvTranspose2d(t[0], t[1], t[2], s, p, op, g, d), x, w, b);
    }

    [Theory]
    [MemberData(nameof(GradCases))]
    public void SecondDerivativeMatchesFiniteDifferences(int cin, int cout, int k, int s, int p, int op, int g, int d, int h)
    {
        var x = Leaf(4, 1, cin, h, h + 1);
        var w = Leaf(5, cin, cout / g, k, k);
        var b = Leaf(6, cout);
        // Squared so that the second derivative involves both the input and the weight.
        GradGradCheck(t => Tensor.ConvTranspose2d(t[0], t[1], t[2], s, p, op, g, d).Square(), x, w, b);
    }

    [Fact]
    public void IsTheAdjointOfTheConvolution()
    {
        // <conv(a, w), y> = <a, convT(y, w)> for the weight of the convolution [O, C, kh, kw] = [Cin of convT, Cout of convT, ...].
        var a = Tensor.Randn([2, 3, 9, 8], new Generator(7), DType.Float64);
        var w = Tensor.Randn([4, 3, 3, 2], new Generator(8), DType.Float64);
        var yShape = Tensor.Conv2d(a, w, null, 2, 1).GetShape();
        var y = Tensor.Randn(yShape, new Generator(9), DType.Float64);
        var t = Tensor.ConvTranspose2d(y, w, null, 2, 1);
        Assert.Equal(a.GetShape(), t.GetShape());
        double lhs = (Tensor.Conv2d(a, w, null, 2, 1) * y).Sum().Item(), rhs = (a * t).Sum().Item();
        Assert.Equal(lhs, rhs, 1e-10);
    }

    // ---- the layer ----

    [Fact]
    public void ReprMatchesPyTorch()
    {
        Assert.Equal("ConvTranspose2d(16, 32, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))", new ConvTranspose2d(16, 32, 4, 2, 1).ToString());
        Assert.Equal("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(1, 1), groups=2)", new ConvTranspose2d(4, 6, 3, groups: 2).ToString());
        Assert.Equal("ConvTranspose2d(16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), dilation=(2, 2), output_padding=(1, 1), bias=False)",
            new ConvTranspose2d(16, 33, (3, 5), stride: (2, 1), padding: (4, 2), outputPadding: 1, bias: false, dilation: 2).ToString());
    }

    [Fact]
    public void DefaultInitIsBoundedByOneOverSqrtOfPyTorchsFanIn()
    {
        var layer = new ConvTranspose2d(8, 6, 3, groups: 2, generator: new Generator(3));
        Assert.Equal([8, 3, 3, 3], layer.Weight.GetShape());
        double bound = 1 / Math.Sqrt(3 * 3 * 3);   // PyTorch's fan_in of [in, out/groups, kh, kw]: out / groups * kh * kw
        var w = layer.Weight.ToDoubleArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.All(layer.Bias!.ToDoubleArray(), v => Assert.InRange(v, -bound, bound));
        Assert.InRange(w.Max(), bound * 0.8, bound);
        Assert.Equal(["weight", "bias"], layer.StateDict().Select(kv => kv.Key));
        Assert.Equal([6], layer.Bias!.GetShape());
    }

    [Fact]
    public void DcganGeneratorBlockDoublesSevenToFourteenToTwentyEight()
    {
        var up1 = new ConvTranspose2d(8, 4, 4, 2, 1, bias: false, dtype: DType.Float64, generator: new Generator(1));
        var up2 = new ConvTranspose2d(4, 1, 4, 2, 1, dtype: DType.Float64, generator: new Generator(2));
        var z = Tensor.Randn([3, 8, 7, 7], new Generator(3), DType.Float64);
        var h = up1.Forward(z);
        Assert.Equal([3, 4, 14, 14], h.GetShape());
        var img = up2.Forward(h.Relu()).Tanh();
        Assert.Equal([3, 1, 28, 28], img.GetShape());
        img.Sum().Backward();
        Assert.Equal(up1.Weight.GetShape(), up1.Weight.Grad!.GetShape());
        Assert.True(up1.Weight.Grad!.Abs().Sum().Item() > 0);
    }

    [Fact]
    public void ForwardIsTheFunctionalOpAndAcceptsUnbatchedInput()
    {
        var layer = new ConvTranspose2d(2, 3, (3, 2), stride: (2, 1), padding: 1, outputPadding: (1, 0), dtype: DType.Float64, generator: new Generator(4));
        var x = Tensor.Randn([2, 2, 5, 4], new Generator(5), DType.Float64);
        var y = layer.Forward(x);
        Assert.Equal([2, 3, 10, 3], y.GetShape());   // (5 - 1) 2 - 2 + 2 + 1 + 1, (4 - 1) - 2 + 1 + 1
        Assert.Equal(Tensor.ConvTranspose2d(x, layer.Weight, layer.Bias, (2, 1), 1, (1, 0)).ToDoubleArray(), y.ToDoubleArray());
        Assert.Equal(y.Narrow(0, 1, 1).Squeeze(0).ToDoubleArray(), layer.Forward(x.Narrow(0, 1, 1).Squeeze(0)).ToDoubleArray());
    }

    [Fact]
    public void OutputSizeChoosesTheOutputPadding()
    {
        var layer = new ConvTranspose2d(2, 3, 3, stride: 2, padding: 1, dtype: DType.Float64, generator: new Generator(6));
        var x = Tensor.Randn([1, 2, 4, 5], new Generator(7), DType.Float64);
        Assert.Equal([1, 3, 7, 9], layer.Forward(x).GetShape());
        var y = layer.Forward(x, [8, 9]);
        Assert.Equal([1, 3, 8, 9], y.GetShape());
        Assert.Equal(Tensor.ConvTranspose2d(x, layer.Weight, layer.Bias, 2, 1, (1, 0)).ToDoubleArray(), y.ToDoubleArray());
        Assert.Equal([1, 3, 7, 10], layer.Forward(x, [1, 3, 7, 10]).GetShape());
        var ex = Assert.Throws<ArgumentException>(() => layer.Forward(x, [9, 9]));
        Assert.StartsWith("ConvTranspose2d: requested an output size of [9, 9], but valid sizes range from [7] to [8] in dimension 0", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => layer.Forward(x, [8]));
    }

    [Fact]
    public void ErrorsNameTheOpAndTheShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(4, 4, 3, stride: 2, outputPadding: 2));
        Assert.StartsWith("ConvTranspose2d: output padding must be smaller than either stride or dilation, got output padding (2, 2), stride (2, 2), dilation (1, 1).", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(Tensor.Zeros([1, 4, 3, 3]), Tensor.Zeros([4, 4, 3, 3]), null, 1, 0, (0, 1)));
        Assert.StartsWith("ConvTranspose2d: output padding must be smaller than either stride or dilation, got output padding (0, 1), stride (1, 1), dilation (1, 1).", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(3, 8, 3, groups: 2));
        Assert.Contains("in_channels (3) must be divisible by groups (2)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(4, 6, 3, groups: 4));
        Assert.Contains("out_channels (6) must be divisible by groups (4)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(3, 8, 3, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(3, 8, 3, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(3, 8, 3, outputPadding: -1));
        ex = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(3, 8, 4).Forward(Tensor.Zeros([2, 5, 7, 7])));
        Assert.StartsWith("ConvTranspose2d: expected input with 3 channels (weight [3, 8, 4, 4]), got [2, 5, 7, 7].", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(Tensor.Zeros([1, 3, 2, 2]), Tensor.Zeros([3, 2, 3, 3]), Tensor.Zeros([3])));
        Assert.StartsWith("ConvTranspose2d: expected a bias of shape [2] (weight [3, 2, 3, 3]), got [3].", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(Tensor.Zeros([1, 3, 1, 1]), Tensor.Zeros([3, 2, 1, 1]), null, 1, 1));
        Assert.StartsWith("ConvTranspose2d: the output would be -1 x -1 per channel", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(Tensor.Zeros([3, 2, 2]), Tensor.Zeros([3, 2, 3])));
        Assert.StartsWith("ConvTranspose2d: expected a 4-D weight [in, out/groups, kh, kw], got [3, 2, 3].", ex.Message, StringComparison.Ordinal);
    }
}
