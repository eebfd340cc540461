using System.Text.Json;
using Axon.IO;
using Axon.Nn;
using Axon.Tracing;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>
/// Resizing (<see cref="Tensor.Interpolate"/>, <see cref="Upsample"/>) against PyTorch 1.13's F.interpolate on the CPU
/// and Reference devices, float64 gradient checks to the second derivative, reprs and errors; and <see cref="Unflatten"/>.
/// </summary>
public class UpsampleTests
{
    // ---- PyTorch ----

    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "upsample.safetensors");

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

    /// <summary>PyTorch's F.interpolate (tests/Fixtures/make_upsample_fixture.py): output and input gradient, through the module.</summary>
    [Theory]
    [MemberData(nameof(PyTorchCases))]
    public void MatchesPyTorch(string name, string deviceName)
    {
        var device = deviceName == "cpu" ? Device.Cpu : Device.Reference;
        var (tensors, meta) = Fixture.Value;
        Assert.StartsWith("1.13", meta["torch"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var c = doc.RootElement;
        string mode = c.GetProperty("mode").GetString()!;
        bool? align = c.GetProperty("align_corners").ValueKind == JsonValueKind.Null ? null : c.GetProperty("align_corners").GetBoolean();
        var size = c.GetProperty("size");
        var scale = c.GetProperty("scale_factor");
        var layer = size.ValueKind == JsonValueKind.Null
            ? new Upsample(scaleFactor: (scale[0].GetDouble(), scale[1].GetDouble()), mode: mode, alignCorners: align)
            : new Upsample((size[0].GetInt32(), size[1].GetInt32()), mode: mode, alignCorners: align);
        var x = tensors[name + ".input"].To(device).Clone().Detach().RequiresGrad_();
        var y = layer.Forward(x);
        Assert.Same(device, y.Device);
        y.Backward(tensors[name + ".upstream"].To(device));
        AssertClose(tensors[name + ".output"], y, 1e-12);
        AssertClose(tensors[name + ".grad_input"], x.Grad!, 1e-12);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        Assert.Equal(expected.DType, actual.DType);
        double[] e = expected.ToDoubleArray(), a = actual.To(Device.Cpu).ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    // ---- values and gradients ----

    [Fact]
    public void NearestRepeatsAndBilinearAlignedInterpolatesBetweenCorners()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);
        Assert.Equal(new double[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, Tensor.Interpolate(x, scaleFactor: (2, 2)).ToDoubleArray());
        // Aligned corners, 2 -> 3: the middle is the mean of its neighbours.
        Assert.Equal(new double[] { 1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4 }, Tensor.Interpolate(x, size: 3, mode: "bilinear", alignCorners: true).ToDoubleArray());
        // Pixel centres: rows 2 -> 1 take source 0.5 (the mean (2, 3)); columns 2 -> 4 sources -0.25 (clamped to 0),
        // 0.25, 0.75, 1.25 (its right neighbour clamped to the last column).
        Assert.Equal(new double[] { 2, 2.25, 2.75, 3 }, Tensor.Interpolate(x, size: (1, 4), mode: "bilinear").ToDoubleArray());
    }

    public static TheoryData<string, bool?, int, int> GradCases() => new()
    {
        { "nearest", null, 5, 7 },
        { "nearest", null, 2, 3 },
        { "bilinear", false, 5, 8 },
        { "bilinear", true, 5, 8 },
        { "bilinear", false, 2, 2 },
    };

    [Theory]
    [MemberData(nameof(GradCases))]
    public void GradientMatchesFiniteDifferences(string mode, bool? align, int ho, int wo)
    {
        Check(x => Tensor.Interpolate(x, (ho, wo), mode: mode, alignCorners: align), Leaf(1, 2, 2, 3, 4));
        Check(x => Tensor.Interpolate(x, scaleFactor: (1.5, 2.5), mode: mode, alignCorners: align), Leaf(2, 1, 2, 3, 3));
    }

    [Theory]
    [MemberData(nameof(GradCases))]
    public void SecondDerivativeMatchesFiniteDifferences(string mode, bool? align, int ho, int wo) =>
        GradGradCheck(x => Tensor.Interpolate(x[0], (ho, wo), mode: mode, alignCorners: align).Square(), Leaf(3, 1, 2, 3, 4));

    // ---- the layer ----

    [Fact]
    public void ReprMatchesPyTorch()
    {
        Assert.Equal("Upsample(scale_factor=2.0, mode=nearest)", new Upsample(scaleFactor: 2).ToString());
        Assert.Equal("Upsample(size=(5, 7), mode=bilinear)", new Upsample((5, 7), mode: "bilinear", alignCorners: true).ToString());
        Assert.Equal("Upsample(scale_factor=(1.5, 2.0), mode=bilinear)", new Upsample(scaleFactor: (1.5, 2.0), mode: "bilinear").ToString());
        Assert.Equal("Upsample(size=5, mode=nearest)", new Upsample(5).ToString());
        Assert.Empty(new Upsample(scaleFactor: 2.0).Parameters());
    }

    [Fact]
    public void ErrorsNameTheOpAndTheValues()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Upsample(scaleFactor: 2.0, mode: "nearest", alignCorners: true));
        Assert.StartsWith("Upsample: the align_corners option can only be set with the interpolating modes (bilinear), not 'nearest'.", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new Upsample(scaleFactor: 2.0, mode: "bicubic"));
        Assert.StartsWith("Upsample: unsupported mode 'bicubic', should be one of 'nearest', 'bilinear'.", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Upsample(scaleFactor: 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Upsample((3, 0)));
        Assert.StartsWith("Upsample: only one of size or scale_factor should be defined.", Assert.Throws<ArgumentException>(() => new Upsample(4, 2.0)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Upsample: either size or scale_factor should be defined.", Assert.Throws<ArgumentException>(() => new Upsample()).Message, StringComparison.Ordinal);
        var x = Tensor.Zeros([1, 2, 3, 4]);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Interpolate(x, 5, (2, 2)));
        Assert.StartsWith("Interpolate: only one of size or scale_factor should be defined.", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Interpolate(x));
        Assert.StartsWith("Interpolate: either size or scale_factor should be defined.", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new Upsample(scaleFactor: 2.0, mode: "bilinear").Forward(Tensor.Zeros([2, 3, 4])));
        Assert.StartsWith("Interpolate: expected a 4-D input [N, C, H, W] for bilinear mode, got [2, 3, 4].", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Interpolate(x, scaleFactor: (0.2, 1)));
        Assert.StartsWith("Interpolate: the scale factor (0.2, 1) makes an empty output 0 x 4 from input [1, 2, 3, 4].", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecoderTraceReplaysOnANewBatch()
    {
        // A small decoder: Unflatten a code to [N, 4, 3, 3], a transposed convolution to 6 x 6, bilinear upsampling to 9 x 9.
        var convT = new ConvTranspose2d(4, 2, 4, 2, 1, dtype: DType.Float64, generator: new Generator(1));
        var unflatten = new Unflatten(1, 4, 3, 3);
        var up = new Upsample(scaleFactor: 1.5, mode: "bilinear");
        Tensor Decode(Tensor z) => up.Forward(convT.Forward(unflatten.Forward(z)));
        var graph = Trace.Of(x => [Decode(x[0])], [Tensor.Randn([2, 36], new Generator(2), DType.Float64)]);
        Assert.Equal(1, graph.OpCounts()["Conv2dInputGrad"]);
        Assert.Equal(4, graph.OpCounts()["IndexSelect"]);
        var z = Tensor.Randn([2, 36], new Generator(3), DType.Float64);
        var y = graph.Run(z)[0];
        Assert.Equal([2, 2, 9, 9], y.GetShape());
        Assert.Equal(Decode(z).ToDoubleArray(), y.ToDoubleArray());
    }

    // ---- Unflatten ----

    [Fact]
    public void UnflattenSplitsOneDimensionAndPrintsLikePyTorch()
    {
        var x = Tensor.Arange(0, 24).Reshape(2, 12);
        var u = new Unflatten(1, 3, 4);
        Assert.Equal("Unflatten(dim=1, unflattened_size=(3, 4))", u.ToString());
        var y = u.Forward(x);
        Assert.Equal([2, 3, 4], y.GetShape());
        Assert.Equal(x.ToDoubleArray(), y.ToDoubleArray());
        Assert.Equal([2, 2, 6], new Unflatten(-1, 2, -1).Forward(x).GetShape());
        Assert.Equal("Unflatten(dim=0, unflattened_size=(2,))", new Unflatten(0, 2).ToString());
        // Flatten undoes it.
        Assert.Equal([2, 12], new Flatten().Forward(y).GetShape());
        var ex = Assert.Throws<ArgumentException>(() => new Unflatten(1, 5, 2).Forward(x));
        Assert.StartsWith("Unflatten: unflattened_size (5, 2) does not match the size 12 of dim 1 of the input [2, 12].", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Unflatten(1, -1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Unflatten(2, 3, 4).Forward(x));
    }
}
