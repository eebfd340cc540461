using System.Text.Json;
using Axon.IO;
using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>
/// The layers of the landmark CNNs against PyTorch 1.13 (tests/Fixtures/make_vision_layer_fixture.py) on the CPU and
/// Reference devices — local response norm, adaptive max and average pooling to sizes that do not divide, ceil-mode max
/// pooling on AlexNet's and GoogLeNet's geometries, convolutions with reflect, replicate and circular padding — and
/// float64 gradient checks to the second derivative of the composites.
/// </summary>
public class VisionLayerTests
{
    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "vision_layers.safetensors");

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
        var layer = Build(c, x.GetShape()[1], tensors, name);
        layer.To(device);
        var y = layer.Forward(x);
        Assert.Same(device, y.Device);
        y.Backward(tensors[name + ".upstream"].To(device));
        AssertClose(tensors[name + ".output"], y, 1e-12);
        AssertClose(tensors[name + ".grad_input"], x.Grad!, 1e-12);
    }

    private static Module<Tensor, Tensor> Build(JsonElement c, int channels, Dictionary<string, Tensor> tensors, string name)
    {
        static Size2 Pair(JsonElement e) => new(e[0].GetInt32(), e[1].GetInt32());
        switch (c.GetProperty("layer").GetString())
        {
            case "lrn":
                return new LocalResponseNorm(c.GetProperty("size").GetInt32(), c.GetProperty("alpha").GetDouble(), c.GetProperty("beta").GetDouble(), c.GetProperty("k").GetDouble());
            case "adaptive_max":
                return new AdaptiveMaxPool2d(Pair(c.GetProperty("output_size")));
            case "adaptive_avg":
                return new AdaptiveAvgPool2d(Pair(c.GetProperty("output_size")));
            case "max_pool":
                return new MaxPool2d(c.GetProperty("kernel").GetInt32(), c.GetProperty("stride").GetInt32(),
                    c.TryGetProperty("padding", out var p) ? p.GetInt32() : 0, ceilMode: c.GetProperty("ceil_mode").GetBoolean());
            default:
                var conv = new Conv2d(channels, c.GetProperty("out").GetInt32(), c.GetProperty("kernel").GetInt32(), c.GetProperty("stride").GetInt32(),
                    Pair(c.GetProperty("padding")), dtype: DType.Float64, paddingMode: c.GetProperty("mode").GetString()!);
                conv.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = tensors[name + ".weight"], ["bias"] = tensors[name + ".bias"] });
                return conv;
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        double[] e = expected.ToDoubleArray(), a = actual.To(Device.Cpu).ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    private static Tensor Leaf(int[] shape, long seed) => Tensor.Randn(shape, new Generator(seed), DType.Float64).RequiresGrad_();

    // ---- values, gradients and second derivatives ----

    [Fact]
    public void LocalResponseNormDividesByTheWindowsSumOfSquares()
    {
        // One spatial position, channels 1, 2, 3, size 3, alpha 3 (1 per channel), beta 1, k 1: the windows are
        // {0, 1, 2} -> 1 + 1 + 4 = 6, {1, 2, 3} -> 1 + 14 = 15, {2, 3, 0} -> 1 + 13 = 14.
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3, 1, 1]);
        var y = Tensor.LocalResponseNorm(x, 3, alpha: 3, beta: 1, k: 1);
        Assert.Equal(new[] { 1 / 6.0, 2 / 15.0, 3 / 14.0 }, y.ToDoubleArray());
    }

    [Fact]
    public void LocalResponseNormDifferentiatesTwice()
    {
        Check(x => Tensor.LocalResponseNorm(x, 5, alpha: 0.5, beta: 0.75, k: 2), Leaf([2, 6, 2, 3], 1));
        Check(x => Tensor.LocalResponseNorm(x, 4, alpha: 0.3, beta: 0.6, k: 1), Leaf([1, 5, 3], 2));
        GradGradCheck(xs => Tensor.LocalResponseNorm(xs[0], 3, alpha: 0.5, beta: 0.75, k: 1.5), Leaf([1, 4, 2, 2], 3));
    }

    [Fact]
    public void PaddingModesDifferentiateTwice()
    {
        foreach (var mode in new[] { "constant", "reflect", "replicate", "circular" })
        {
            Check(x => Tensor.Pad2d(x, 2, 1, 1, 3, mode), Leaf([2, 3, 4, 5], 4));
            GradGradCheck(xs => Tensor.Pad2d(xs[0] * xs[0], 1, 2, 2, 1, mode), Leaf([1, 2, 3, 3], 5));
        }
    }

    [Fact]
    public void AdaptiveMaxPoolDifferentiatesTwice()
    {
        Check(x => Tensor.AdaptiveMaxPool2d(x, new Size2(3, 2)), Leaf([2, 2, 7, 5], 6));
        GradGradCheck(xs => Tensor.AdaptiveMaxPool2d(xs[0] * xs[0], new Size2(2, 3)), Leaf([1, 2, 5, 4], 7));
    }

    [Fact]
    public void PaddingIndexesAsPyTorch()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [1, 3]);
        Assert.Equal(new double[] { 3, 2, 1, 2, 3, 2, 1 }, Tensor.Pad2d(x, 2, 2, 0, 0, "reflect").ToDoubleArray());
        Assert.Equal(new double[] { 1, 1, 1, 2, 3, 3 }, Tensor.Pad2d(x, 2, 1, 0, 0, "replicate").ToDoubleArray());
        Assert.Equal(new double[] { 2, 3, 1, 2, 3, 1 }, Tensor.Pad2d(x, 2, 1, 0, 0, "circular").ToDoubleArray());
        Assert.Equal(new double[] { 7, 1, 2, 3, 7, 7 }, Tensor.Pad2d(x, 1, 2, 0, 0, "constant", 7).ToDoubleArray());
    }

    // ---- reprs and errors ----

    [Fact]
    public void ReprsAsPyTorch()
    {
        Assert.Equal("LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)", new LocalResponseNorm(5, 1e-4, 0.75, 2).ToString());
        Assert.Equal("AdaptiveMaxPool2d(output_size=(3, 2))", new AdaptiveMaxPool2d(new Size2(3, 2)).ToString());
        Assert.Equal("Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)",
            new Conv2d(3, 8, 3, padding: 1, paddingMode: "reflect").ToString());
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var x = Tensor.Randn([1, 2, 3, 3], new Generator(1));
        Assert.Contains("reflect padding (3, 0) must be smaller than the input's width 3", Assert.Throws<ArgumentException>(() => Tensor.Pad2d(x, 3, 0, 0, 0, "reflect")).Message, StringComparison.Ordinal);
        Assert.Contains("unknown padding mode 'mirror'", Assert.Throws<ArgumentException>(() => Tensor.Pad2d(x, 1, 1, 1, 1, "mirror")).Message, StringComparison.Ordinal);
        Assert.Contains("padding_mode must be one of", Assert.Throws<ArgumentException>(() => new Conv2d(2, 2, 3, paddingMode: "mirror")).Message, StringComparison.Ordinal);
        Assert.Contains("LocalResponseNorm: expected an input of 3 or more dimensions", Assert.Throws<ArgumentException>(() => Tensor.LocalResponseNorm(Tensor.Zeros([2, 3]), 3)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalResponseNorm(0));
        Assert.Contains("AdaptiveMaxPool2d: the output size must be positive", Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.AdaptiveMaxPool2d(x, new Size2(0, 1))).Message, StringComparison.Ordinal);
    }
}
