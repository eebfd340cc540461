using System.Text.Json;
using Axon.Data;
using Axon.IO;

namespace Axon.Tests.Data;

/// <summary>
/// Resize, CenterCrop, RandomResizedCrop and ColorJitter: the deterministic parts against torchvision 0.14's tensor
/// transforms (tests/Fixtures/make_image_transform_fixture.py), the random parts for their draws, ranges and seeded
/// reproducibility.
/// </summary>
public class ImageTransformsTests
{
    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "image_transforms.safetensors");

    public static TheoryData<string> TorchvisionCases()
    {
        var data = new TheoryData<string>();
        foreach (var key in Safetensors.ReadMetadata(FixtureFile).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            data.Add(key["case.".Length..]);
        return data;
    }

    /// <summary>
    /// Each case's output from torchvision. Tolerances: crops are copies (exact); resampling is held to torchvision's
    /// float64 result (PyTorch's float32 path is itself 2e-6 off it on these inputs), so the float32 rounding of the
    /// output (2e-7 on values in [0, 1]); the colour formulas are torchvision's in float32, up to the order of
    /// operations (1e-6, 2e-6 through HSV).
    /// </summary>
    [Theory]
    [MemberData(nameof(TorchvisionCases))]
    public void MatchesTorchvision(string name)
    {
        var (tensors, meta) = Fixture.Value;
        Assert.StartsWith("0.14", meta["torchvision"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var a = doc.RootElement;
        var x = tensors["input." + a.GetProperty("input").GetString()].Clone();
        int[] Size() => [.. a.GetProperty("size").EnumerateArray().Select(e => e.GetInt32())];
        double Factor(string p = "factor") => a.GetProperty(p).GetDouble();
        bool Antialias() => a.GetProperty("antialias").GetBoolean();
        (Tensor y, double tol) = a.GetProperty("op").GetString() switch
        {
            "resize" => (Size() is [int s] ? new Resize(s, Antialias()) : new Resize(Size()[0], Size()[1], Antialias())).Apply(x) is var r ? (r, 2e-7) : default,
            "center_crop" => (new CenterCrop(Size()[0], Size()[1]).Apply(x), 0.0),
            "resized_crop" => (Resize.ResizedCrop(x, a.GetProperty("top").GetInt32(), a.GetProperty("left").GetInt32(), a.GetProperty("height").GetInt32(),
                a.GetProperty("width").GetInt32(), Size()[0], Size()[1], Antialias()), 2e-7),
            "brightness" => (ColorJitter.AdjustBrightness(x, Factor()), 1e-6),
            "contrast" => (ColorJitter.AdjustContrast(x, Factor()), 1e-6),
            "saturation" => (ColorJitter.AdjustSaturation(x, Factor()), 1e-6),
            "hue" => (ColorJitter.AdjustHue(x, Factor()), 2e-6),
            "jitter" => (Jitter(x, a), 2e-6),
            var op => throw new InvalidOperationException(op),
        };
        var expected = tensors[name + ".output"];
        Assert.Equal(expected.GetShape(), y.GetShape());
        double[] e = expected.ToDoubleArray(), got = y.ToDoubleArray();
        double worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - got[i]));
        Assert.True(worst <= tol, $"{name}: largest difference {worst:E2} > {tol:E0}");
    }

    private static Tensor Jitter(Tensor x, JsonElement a)
    {
        double[] f = [a.GetProperty("brightness").GetDouble(), a.GetProperty("contrast").GetDouble(), a.GetProperty("saturation").GetDouble(), a.GetProperty("hue").GetDouble()];
        foreach (var k in a.GetProperty("order").EnumerateArray().Select(e => e.GetInt32()))
            x = k switch { 0 => ColorJitter.AdjustBrightness(x, f[0]), 1 => ColorJitter.AdjustContrast(x, f[1]), 2 => ColorJitter.AdjustSaturation(x, f[2]), _ => ColorJitter.AdjustHue(x, f[3]) };
        return x;
    }

    private static Tensor Random(Generator g, params int[] shape)
    {
        var data = new float[shape.Aggregate(1, (p, s) => p * s)];
        for (int i = 0; i < data.Length; i++) data[i] = g.NextSingle();
        return Tensor.FromArray(data, shape);
    }

    // ---- Resize and CenterCrop ----

    [Fact]
    public void ResizeKeepsTheAspectOfTheShorterSideAndRoundsTheLongerDown()
    {
        Assert.Equal((256, 341), new Resize(256).OutputSize(480, 640));
        Assert.Equal((341, 256), new Resize(256).OutputSize(640, 480));
        Assert.Equal((224, 224), new Resize(224).OutputSize(500, 500));
        Assert.Equal((7, 9), new Resize(7, 9).OutputSize(500, 20));
        var x = Random(new Generator(1), 2, 3, 10, 15);
        var y = new Resize(4).Apply(x);
        Assert.Equal([2, 3, 4, 6], y.GetShape());
        Assert.Same(x, new Resize(10).Apply(x)); // unchanged size: torchvision returns the image itself
    }

    [Fact]
    public void AntialiasedHalvingIsTheTentOfFourPixelsAndAConstantStaysConstant()
    {
        var row = Tensor.FromArray(new float[] { 8, 0, 0, 0, 0, 16, 0, 0 }, 1, 8);
        // Shrinking by 2 stretches the tent to ±2 pixels: output pixel i, centred at 2i + 1, weighs the inputs centred at
        // distances 0.5 and 1.5 by 3/8 and 1/8; at the borders the missing neighbour's weight is renormalised away (3/7, 3/7, 1/7).
        var half = new Resize(1, 4).Apply(row).ToFloatArray();
        Assert.Equal(new[] { 8f * 3 / 7, 0, 16f * 3 / 8, 16f / 7 }, half, new ToleranceComparer(1e-6f));
        var plain = new Resize(1, 4, antialias: false).Apply(row).ToFloatArray();
        Assert.Equal(new float[] { 4, 0, 8, 0 }, plain); // plain bilinear samples halfway between pairs
        var constant = Tensor.Full([3, 17, 23], 0.375, DType.Float32);
        foreach (var r in new Transform[] { new Resize(5), new Resize(40, 9), new Resize(2, 2, antialias: false) })
            Assert.All(r.Apply(constant.Clone()).ToFloatArray(), v => Assert.Equal(0.375f, v, 6));
    }

    [Fact]
    public void CenterCropTakesTheMiddleAndPadsWithZeros()
    {
        var x = Tensor.FromArray(Enumerable.Range(1, 20).Select(v => (float)v).ToArray(), 1, 4, 5);
        Assert.Equal(new float[] { 7, 8, 9, 12, 13, 14 }, new CenterCrop(2, 3).Apply(x).ToFloatArray());
        // 4 rows into 6: one zero row above, one below; 5 columns into 3: from column 1.
        Assert.Equal(new float[] { 0, 0, 0, 2, 3, 4, 7, 8, 9, 12, 13, 14, 17, 18, 19, 0, 0, 0 }, new CenterCrop(6, 3).Apply(x).ToFloatArray());
        Assert.Same(x, new CenterCrop(4, 5).Apply(x));
        Assert.Equal("CenterCrop(size=(224, 224))", new CenterCrop(224).ToString());
        Assert.Equal("Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)", new Resize(256).ToString());
    }

    // ---- RandomResizedCrop ----

    [Fact]
    public void RandomResizedCropWindowsFollowTheScaleAndRatioRanges()
    {
        var t = new RandomResizedCrop(32);
        var g = new Generator(3);
        double areaSum = 0;
        const int trials = 2000, h = 120, w = 160;
        for (int k = 0; k < trials; k++)
        {
            var (top, left, ch, cw) = t.GetParams(h, w, g);
            Assert.InRange(top, 0, h - ch);
            Assert.InRange(left, 0, w - cw);
            double area = (double)ch * cw / (h * w), ratio = (double)cw / ch;
            Assert.InRange(area, 0.06, 1.0);   // 0.08 up to the rounding of small windows
            if (ch != h && cw != w) Assert.InRange(ratio, 0.75 * 0.9, 4.0 / 3 / 0.9);
            areaSum += area;
        }
        // Tries that do not fit are redrawn, which pulls the mean area below the (0.08 + 1) / 2 of the uniform draw.
        Assert.InRange(areaSum / trials, 0.40, 0.54);
    }

    [Fact]
    public void RandomResizedCropDrawsAsTorchvisionAndFallsBackToTheCentre()
    {
        var t = new RandomResizedCrop(8, 0.5, 0.5, 1, 1);
        var (g1, g2) = (new Generator(11), new Generator(11));
        var window = t.GetParams(30, 20, g1);
        // By hand: the area draw, the log-ratio draw (log 1 = 0), then rows and columns; 300 px → 17.32 → 17 x 17.
        g2.NextDouble();
        g2.NextDouble();
        int top = (int)g2.NextInt64(30 - 17 + 1), left = (int)g2.NextInt64(20 - 17 + 1);
        Assert.Equal((top, left, 17, 17), window);
        // A 10 x 100 strip cannot hold a window of ratio ≤ 4/3 and area ≥ 90%: the fallback is the centred 10 x 13.
        Assert.Equal((0, 43, 10, 13), new RandomResizedCrop(8, 0.9, 1).GetParams(10, 100, new Generator(0)));
        Assert.Equal((43, 0, 13, 10), new RandomResizedCrop(8, 0.9, 1).GetParams(100, 10, new Generator(0)));
    }

    [Fact]
    public void RandomResizedCropOfTheWholeImageIsResizeAndSeedsReproduce()
    {
        var g = new Generator(4);
        var x = Random(g, 2, 3, 12, 18);
        var whole = new RandomResizedCrop(6, 9, 1, 1, 1.5, 1.5).Apply(x, new Generator(0));
        Assert.Equal(new Resize(6, 9).Apply(x).ToFloatArray(), whole.ToFloatArray());
        var t = new RandomResizedCrop(7);
        var a = t.Apply(x, new Generator(9)).ToFloatArray();
        Assert.Equal(a, t.Apply(x, new Generator(9)).ToFloatArray());
        Assert.NotEqual(a, t.Apply(x, new Generator(10)).ToFloatArray());
        Assert.Equal("RandomResizedCrop(size=(7, 7), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)", t.ToString());
    }

    // ---- ColorJitter ----

    [Fact]
    public void ColorJitterAppliesItsDrawnOrderAndFactorsPerImage()
    {
        var x = Random(new Generator(5), 3, 3, 6, 7);
        var jitter = new ColorJitter(0.4, 0.4, 0.4, 0.1);
        var y = jitter.Apply(x.Clone(), new Generator(21)).ToFloatArray();
        var g = new Generator(21);
        for (int i = 0; i < 3; i++)
        {
            var (order, b, c, s, h) = jitter.GetParams(g);
            Assert.Equal([0, 1, 2, 3], order.Order());
            Assert.InRange(b!.Value, 0.6, 1.4);
            Assert.InRange(c!.Value, 0.6, 1.4);
            Assert.InRange(s!.Value, 0.6, 1.4);
            Assert.InRange(h!.Value, -0.1, 0.1);
            var image = x.SelectView(0, i).Clone();
            foreach (int k in order)
                image = k switch { 0 => ColorJitter.AdjustBrightness(image, b.Value), 1 => ColorJitter.AdjustContrast(image, c.Value), 2 => ColorJitter.AdjustSaturation(image, s.Value), _ => ColorJitter.AdjustHue(image, h.Value) };
            Assert.Equal(image.ToFloatArray(), y.AsSpan(i * 126, 126).ToArray());
        }
        Assert.Equal(y, jitter.Apply(x.Clone(), new Generator(21)).ToFloatArray());
        Assert.Equal("ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=(0.6, 1.4), hue=(-0.1, 0.1))", jitter.ToString());
    }

    [Fact]
    public void BrightnessScalesEachImageByItsOwnFactorAndGreyIgnoresHue()
    {
        var x = Tensor.Full([40, 1, 2, 2], 0.5, DType.Float32);
        var y = new ColorJitter(brightness: 0.5).Apply(x, new Generator(2)).ToFloatArray();
        var factors = Enumerable.Range(0, 40).Select(i => y[i * 4] / 0.5).ToArray();
        Assert.All(factors, f => Assert.InRange(f, 0.5, 1.5));
        Assert.True(factors.Distinct().Count() > 30);
        Assert.InRange(factors.Average(), 0.85, 1.15);
        for (int i = 0; i < 40; i++) Assert.All(y.AsSpan(i * 4, 4).ToArray(), v => Assert.Equal(y[i * 4], v));
        var grey = Random(new Generator(3), 1, 5, 5);
        var before = grey.ToFloatArray();
        Assert.Equal(before, new ColorJitter(saturation: 0.9, hue: 0.5).Apply(grey, new Generator(0)).ToFloatArray());
        var rgb = Random(new Generator(4), 3, 5, 5);
        Assert.Equal(rgb.ToFloatArray(), ColorJitter.AdjustHue(rgb.Clone(), 0).ToFloatArray(), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Contains("hue must be in [0, 0.5]", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(hue: 0.6)).Message, StringComparison.Ordinal);
        Assert.Contains("2 channels", Assert.Throws<ArgumentException>(() => new ColorJitter(0.2).Apply(Tensor.Zeros([2, 3, 3]))).Message, StringComparison.Ordinal);
        Assert.Contains("[-0.5, 0.5]", Assert.Throws<ArgumentOutOfRangeException>(() => ColorJitter.AdjustHue(Tensor.Zeros([3, 2, 2]), 0.7)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resize(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(8, 0.5, 0.2));
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => new Resize(3).Apply(Tensor.Zeros([3, 4, 4], DType.Float64))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NormalizeImageNetHasTheStandardStatistics()
    {
        var n = Normalize.ImageNet;
        Assert.Equal(new[] { 0.485f, 0.456f, 0.406f }, n.Mean);
        Assert.Equal(new[] { 0.229f, 0.224f, 0.225f }, n.Std);
        var y = n.Apply(Tensor.Full([3, 1, 1], 0.5, DType.Float32)).ToFloatArray();
        Assert.Equal((0.5f - 0.485f) / 0.229f, y[0], 6);
        Assert.Equal((0.5f - 0.406f) / 0.225f, y[2], 6);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
