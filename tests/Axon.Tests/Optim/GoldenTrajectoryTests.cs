using System.Text.Json;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.Optim;

/// <summary>
/// Golden trajectories from PyTorch 1.13 (tests/Fixtures/make_optim_fixtures.py, run once with Debian's python3-torch):
/// ten cross-entropy steps of a float64 Linear(5, 6), Tanh, Linear(6, 3) from closed-formula weights on fixed batches,
/// for each optimiser configuration; every parameter after every step must equal PyTorch's to 1e-6 relative.
/// </summary>
public sealed class GoldenTrajectoryTests : IDisposable
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim_trajectories.safetensors");
    private static readonly string[] ParamNames = ["0.weight", "0.bias", "2.weight", "2.bias"];

    // Relative tolerance, with an absolute floor of RelTol * AbsFloor = 1e-12 for values near zero.
    private const double RelTol = 1e-6, AbsFloor = 1e-6;

    private readonly Dictionary<string, Tensor> fixture;
    private readonly IReadOnlyDictionary<string, string> metadata;
    private readonly string dir = Directory.CreateTempSubdirectory("axon-optim-").FullName;

    public GoldenTrajectoryTests()
    {
        var (tensors, meta) = Safetensors.Load(FixturePath);
        fixture = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        metadata = meta;
    }

    public void Dispose()
    {
        foreach (var t in fixture.Values) t.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    private static string[] ConfigNames() =>
        Safetensors.ReadMetadata(FixturePath).Keys.Where(k => k.StartsWith("config.", StringComparison.Ordinal))
            .Select(k => k["config.".Length..]).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string> Configs() => new(ConfigNames());

    private int Steps => int.Parse(metadata["steps"], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The fixture's network with the closed-formula weights 0.5 sin(0.37 i + 1 + k), checked against the fixture's copy.</summary>
    private Sequential MakeModel(DType dtype = DType.Float64)
    {
        var model = new Sequential(new Linear(5, 6, dtype: dtype), new Tanh(), new Linear(6, 3, dtype: dtype));
        var named = model.NamedParameters().ToList();
        Assert.Equal(ParamNames, named.Select(n => n.Name));
        for (int k = 0; k < named.Count; k++)
        {
            var (name, p) = named[k];
            var values = Enumerable.Range(0, p.NumEl).Select(i => 0.5 * Math.Sin(0.37 * i + 1.0 + k)).ToArray();
            Assert.Equal(fixture["init." + name].ToDoubleArray(), values, new Tol(1e-15));
            using var src = Tensor.FromArray(values, p.ShapeArray);
            p.CopyFrom(src);
        }
        return model;
    }

    private sealed record Config(string Optimizer, Dictionary<string, JsonElement> Options, List<Dictionary<string, JsonElement>>? Groups);

    private Config ReadConfig(string name)
    {
        using var doc = JsonDocument.Parse(metadata["config." + name]);
        var root = doc.RootElement;
        var options = root.GetProperty("options").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        List<Dictionary<string, JsonElement>>? groups = null;
        if (root.GetProperty("groups").ValueKind == JsonValueKind.Array)
            groups = root.GetProperty("groups").EnumerateArray().Select(g => g.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone())).ToList();
        return new Config(root.GetProperty("optimizer").GetString()!, options, groups);
    }

    /// <summary>PyTorch's keyword arguments as <see cref="OptimizerSettings"/>: the factory builds every optimiser.</summary>
    private static OptimizerSettings ToSettings(Dictionary<string, JsonElement> o)
    {
        double? D(string k) => o.TryGetValue(k, out var v) ? v.GetDouble() : null;
        bool? B(string k) => o.TryGetValue(k, out var v) ? v.GetBoolean() : null;
        var known = new HashSet<string> { "lr", "momentum", "dampening", "nesterov", "weight_decay", "betas", "eps", "alpha", "rho", "centered", "amsgrad", "lr_decay", "initial_accumulator_value", "lambd", "t0", "maximize" };
        Assert.All(o.Keys, k => Assert.Contains(k, known));
        double[]? betas = o.TryGetValue("betas", out var b) ? b.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;
        return new OptimizerSettings
        {
            Lr = D("lr"),
            Momentum = D("momentum"),
            Dampening = D("dampening"),
            Nesterov = B("nesterov"),
            WeightDecay = D("weight_decay"),
            Beta1 = betas?[0],
            Beta2 = betas?[1],
            Eps = D("eps"),
            Alpha = D("alpha"),
            Rho = D("rho"),
            Centered = B("centered"),
            AmsGrad = B("amsgrad"),
            LrDecay = D("lr_decay"),
            InitialAccumulatorValue = D("initial_accumulator_value"),
            Lambd = D("lambd"),
            T0 = D("t0"),
            Maximize = B("maximize"),
        };
    }

    private Optimizer MakeOptimizer(string name, Module model)
    {
        var config = ReadConfig(name);
        var settings = ToSettings(config.Options);
        if (config.Groups is null) return OptimizerFactory.Create(config.Optimizer, model.Parameters(), settings);
        var byName = model.NamedParameters().ToDictionary(n => n.Name, n => n.Parameter);
        var groups = config.Groups.Select(g =>
        {
            var group = new ParamGroup(g["params"].EnumerateArray().Select(e => byName[e.GetString()!]));
            foreach (var (k, v) in g)
                if (k != "params") group.With(k, v.GetDouble());
            return group;
        });
        return OptimizerFactory.Create(config.Optimizer, groups, settings);
    }

    private void TrainStep(Module<Tensor, Tensor> model, Optimizer opt, int t)
    {
        using var scope = new TensorScope();
        var x = fixture[$"batch.{t}.x"];
        var y = fixture[$"batch.{t}.y"];
        if (x.DType != model.Parameters().First().DType) x = x.ConvertData(model.Parameters().First().DType);
        opt.ZeroGrad();
        Functional.CrossEntropy(model.Call(x), y).Backward();
        opt.Step();
    }

    private static void AssertClose(double[] expected, double[] actual, string what, double relTol, double absFloor)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!(Math.Abs(a - e) <= relTol * Math.Max(Math.Abs(e), absFloor)))
                Assert.Fail($"{what}[{i}]: Axon {a:R}, PyTorch {e:R}, relative error {Math.Abs(a - e) / Math.Max(Math.Abs(e), absFloor):E2}.");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void MatchesPyTorchAfterEveryStep(string name)
    {
        var model = MakeModel();
        var opt = MakeOptimizer(name, model);
        for (int t = 1; t <= Steps; t++)
        {
            TrainStep(model, opt, t);
            foreach (var (pn, p) in model.NamedParameters())
            {
                AssertClose(fixture[$"{name}.{t}.{pn}"].ToDoubleArray(), p.ToDoubleArray(), $"{name} step {t} {pn}", RelTol, AbsFloor);
                if (opt is Asgd asgd)
                    AssertClose(fixture[$"{name}.{t}.ax.{pn}"].ToDoubleArray(), asgd.GetAverage(p)!.ToDoubleArray(), $"{name} step {t} ax.{pn}", RelTol, AbsFloor);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Float32ParametersFollowThePyTorchTrajectoryClosely(string name)
    {
        var model = MakeModel(DType.Float32);
        var opt = MakeOptimizer(name, model);
        for (int t = 1; t <= Steps; t++) TrainStep(model, opt, t);
        foreach (var (pn, p) in model.NamedParameters())
            AssertClose(fixture[$"{name}.{Steps}.{pn}"].ToDoubleArray(), p.ToDoubleArray(), $"{name} float32 {pn}", 1e-3, 1e-2);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ResumesExactlyFromStateDictAndCheckpoint(string name)
    {
        int n = Steps, half = n / 2;
        var straight = MakeModel();
        var straightOpt = MakeOptimizer(name, straight);
        for (int t = 1; t <= n; t++) TrainStep(straight, straightOpt, t);

        var first = MakeModel();
        var firstOpt = MakeOptimizer(name, first);
        for (int t = 1; t <= half; t++) TrainStep(first, firstOpt, t);
        var saved = firstOpt.StateDict();
        string path = Path.Combine(dir, name + ".safetensors");
        Checkpoint.Save(path, first, firstOpt);

        // Through the state dict: a fresh optimiser over a copy of the weights.
        var viaDict = MakeModel();
        viaDict.LoadStateDict(first.StateDict());
        var viaDictOpt = MakeOptimizer(name, viaDict);
        viaDictOpt.LoadStateDict(saved);

        // Through a checkpoint file: fresh model (initial weights) and optimiser.
        var viaFile = MakeModel();
        var viaFileOpt = MakeOptimizer(name, viaFile);
        Checkpoint.Load(path, viaFile, viaFileOpt);

        for (int t = half + 1; t <= n; t++)
        {
            TrainStep(viaDict, viaDictOpt, t);
            TrainStep(viaFile, viaFileOpt, t);
        }
        var expected = straight.Parameters().Select(p => p.ToDoubleArray()).ToList();
        Assert.Equal(expected, viaDict.Parameters().Select(p => p.ToDoubleArray()).ToList());
        Assert.Equal(expected, viaFile.Parameters().Select(p => p.ToDoubleArray()).ToList());
        var straightState = straightOpt.StateDict();
        foreach (var resumed in new[] { viaDictOpt.StateDict(), viaFileOpt.StateDict() })
        {
            Assert.Equal(straightState.Scalars.OrderBy(kv => kv.Key, StringComparer.Ordinal), resumed.Scalars.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            Assert.Equal(straightState.Tensors.Keys.Order(StringComparer.Ordinal), resumed.Tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var (k, t) in straightState.Tensors) Assert.Equal(t.ToDoubleArray(), resumed.Tensors[k].ToDoubleArray());
        }
    }

    [Fact]
    public void FixtureCoversEveryOptimizerOfThePyTorchFamily()
    {
        var optimizers = ConfigNames().Select(n => ReadConfig(n).Optimizer).ToHashSet();
        Assert.Equal(["adadelta", "adagrad", "adam", "adamw", "rmsprop", "sgd", "torch-asgd"], optimizers.Order(StringComparer.Ordinal));
        Assert.True(new FileInfo(FixturePath).Length < 500_000);
    }
}
