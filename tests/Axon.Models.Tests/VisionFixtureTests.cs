using System.Text.Json;
using Axon.IO;
using Axon.Models.Vision;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>
/// Axon's torchvision-compatible models against fixtures made by torchvision 0.14 (tests/Fixtures/vision/
/// make_vision_fixtures.py), so CI checks them without torchvision: every full-size model's state-dict keys, order and
/// shapes; and the outputs of small configurations that torchvision's own classes build (a DenseNet, the residual
/// blocks, VGG's <c>make_layers</c>, an Inception block) loaded with torchvision's weights. The full-size logits are
/// checked by <see cref="VisionParityTests"/> where the weights are at hand.
/// </summary>
public class VisionFixtureTests
{
    private static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "vision");

    public static TheoryData<string> FullSizeNames => new(VisionZoo.Names.Select(n => n.Name).Where(n => !n.EndsWith("-small", StringComparison.Ordinal)));

    /// <summary>The classifiers' hidden width in the key test, for the models whose 4096-wide classifiers take seconds to draw.</summary>
    private const int SlimHidden = 16;

    [Theory]
    [MemberData(nameof(FullSizeNames))]
    public void StateDictKeysAndShapesAreTorchvisions(string model)
    {
        // AlexNet's and VGG's classifiers hold 58 to 120 million weights; the test builds them 16 wide (every other
        // shape full size) and reads torchvision's 4096 as 16 in the classifier's shapes. VisionParityTests loads the
        // full-size weights.
        bool slim = model.StartsWith("alexnet", StringComparison.Ordinal) || model.StartsWith("vgg", StringComparison.Ordinal);
        var expected = File.ReadAllLines(Path.Combine(FixtureDir, $"keys_{model}.txt"))
            .Select(line => line.Split('\t'))
            .Select(p => (Key: p[0], Shape: slim && p[0].StartsWith("classifier.", StringComparison.Ordinal)
                ? string.Join(",", p[1].Split(',').Select(d => d == "4096" ? SlimHidden.ToString(System.Globalization.CultureInfo.InvariantCulture) : d))
                : p[1]))
            .ToList();
        var g = new Generator(1);
        var net = model switch
        {
            "alexnet" => new AlexNet(generator: g, hidden: SlimHidden),
            "alexnet-original" => new AlexNetOriginal(generator: g, hidden: SlimHidden),
            _ when slim => new Vgg(VggConfig(model), model.EndsWith("_bn", StringComparison.Ordinal), hidden: SlimHidden, generator: g),
            _ => VisionZoo.Create(model, generator: g),
        };
        var actual = net.StateDict().Select(kv => (kv.Key, Shape: string.Join(",", kv.Value.GetShape()))).ToList();
        Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Key));
        Assert.Equal(expected, actual);
    }

    private static IReadOnlyList<int> VggConfig(string model) => model[..5] switch
    {
        "vgg11" => Vgg.A,
        "vgg13" => Vgg.B,
        "vgg16" => Vgg.D,
        _ => Vgg.E,
    };

    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Small = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(Path.Combine(FixtureDir, "small_models.safetensors"));
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    public static TheoryData<string> SmallCases() =>
        new(Safetensors.ReadMetadata(Path.Combine(FixtureDir, "small_models.safetensors")).Keys
            .Where(k => k.StartsWith("case.", StringComparison.Ordinal)).Select(k => k["case.".Length..]).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void SmallConfigurationsComputeWhatTorchvisionComputes(string name)
    {
        var (tensors, meta) = Small.Value;
        Assert.StartsWith("0.14", meta["torchvision"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var c = doc.RootElement;
        int I(string key) => c.GetProperty(key).GetInt32();
        Module<Tensor, Tensor> net = name switch
        {
            "densenet_tiny" => new DenseNet(I("growth_rate"), c.GetProperty("block_config").EnumerateArray().Select(e => e.GetInt32()).ToArray(), I("num_init_features"), I("bn_size"), I("num_classes")),
            "basic_block" => new BasicBlock(I("in"), I("planes"), I("stride")),
            "bottleneck" or "bottleneck_identity" => new Bottleneck(I("in"), I("planes"), I("stride"), I("width_per_group")),
            "vgg_features" or "vgg_features_bn" => Vgg.MakeLayers(c.GetProperty("cfg").EnumerateArray().Select(e => e.GetInt32()).ToArray(), c.GetProperty("batch_norm").GetBoolean(), 3),
            "inception" => new Inception(I("in"), I("ch1x1"), I("ch3x3red"), I("ch3x3"), I("ch5x5red"), I("ch5x5"), I("pool_proj")),
            _ => throw new InvalidOperationException($"The fixture has a case {name} this test does not know."),
        };
        string prefix = name + ".state.";
        net.LoadStateDict(tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => KeyValuePair.Create(kv.Key[prefix.Length..], kv.Value)));
        net.Eval();
        Tensor y;
        using (GradMode.NoGrad()) y = net.Forward(tensors[name + ".input"]);
        var expected = tensors[name + ".output"];
        Assert.Equal(expected.GetShape(), y.GetShape());
        float[] e = expected.ToFloatArray(), a = y.ToFloatArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5, $"{name}: element {i} is {a[i]}, torchvision's {e[i]}");
    }

    [Fact]
    public void TheOriginalAlexNetsConv5Is13By13By256On227Inputs()
    {
        var net = new AlexNetOriginal(generator: new Generator(1), hidden: SlimHidden);
        net.Eval();
        var x = Tensor.Randn([1, 3, 227, 227], new Generator(2));
        Tensor conv5;
        using (GradMode.NoGrad())
        {
            var h = x;
            for (int i = 0; i < 14; i++) h = net.Features[i].Call(h);   // up to conv5's ReLU, before the last pooling
            conv5 = h;
        }
        Assert.Equal([1, 256, 13, 13], conv5.GetShape());
        Assert.Equal(884_992, net.Features[12].ParameterCount());
        Assert.Equal([1, 256, 6, 6], net.Features[14].Forward(conv5).GetShape());
    }

    [Fact]
    public void TheZooNamesItsModelsAndRefusesOthers()
    {
        var error = Assert.Throws<ArgumentException>(() => VisionZoo.Create("resnet101"));
        Assert.StartsWith("Unknown vision model 'resnet101'. Known models: alexnet, alexnet-original, vgg11, vgg11_bn,", error.Message, StringComparison.Ordinal);
        Assert.Equal(227, VisionZoo.InputSize("alexnet-original"));
        Assert.Equal(28, VisionZoo.InputSize("densenet121-small"));
        var net = VisionZoo.Create("googlenet-small", numClasses: 10, inChannels: 1, generator: new Generator(1));
        net.Eval();
        using (GradMode.NoGrad()) Assert.Equal([2, 10], net.Forward(Tensor.Randn([2, 1, 28, 28], new Generator(2))).GetShape());
    }
}
