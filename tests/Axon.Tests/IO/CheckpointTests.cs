using Axon.IO;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.IO;

public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("axon-ckpt-").FullName;

    // A fixed regression problem, created outside any TensorScope.
    private readonly Tensor X = Tensor.Randn([16, 4], new Generator(11));
    private readonly Tensor Y = Tensor.Randn([16, 3], new Generator(12));

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    // Linear -> ReLU -> Dropout (its own generator, so resuming must restore it) -> Linear.
    private sealed class Run
    {
        public Run(long initSeed, long dropoutSeed, double lr, int hidden = 8)
        {
            DropoutGenerator = new Generator(dropoutSeed);
            var init = new Generator(initSeed);
            Model = new Sequential(new Linear(4, hidden, generator: init), new ReLU(), new Dropout(0.25, DropoutGenerator), new Linear(hidden, 3, generator: init));
            Optimizer = new Sgd(Model.Parameters(), lr: lr, momentum: 0.9, weightDecay: 1e-3, nesterov: true);
            Scheduler = new StepLR(Optimizer, stepSize: 2, gamma: 0.5);
        }

        public Generator DropoutGenerator { get; }
        public Sequential Model { get; }
        public Sgd Optimizer { get; }
        public StepLR Scheduler { get; }

        public void Train(Tensor x, Tensor y, int steps)
        {
            for (int t = 0; t < steps; t++)
            {
                using var scope = new TensorScope();
                Optimizer.ZeroGrad();
                Functional.MseLoss(Model.Call(x), y).Backward();
                Optimizer.Step();
                Scheduler.Step();
            }
        }
    }

    // A module with a child named "extra", whose keys take the extra tensors' prefix.
    private sealed class Holder : Module
    {
        public Holder() => RegisterModule("extra", new Linear(2, 2));
    }

    private static float[][] Params(Module m) => m.Parameters().Select(p => p.ToFloatArray()).ToArray();

    [Fact]
    public void ResumingFromACheckpointIsBitIdentical()
    {
        const int N = 8;
        var straight = new Run(1, 2, lr: 0.05);
        straight.Train(X, Y, N);

        var first = new Run(1, 2, lr: 0.05);
        first.Train(X, Y, N / 2);
        string path = PathOf("ckpt.safetensors");
        var info = new CheckpointInfo { Epoch = 1, Step = N / 2 }.CaptureGenerator("dropout", first.DropoutGenerator);
        info.Metadata["model"] = "tiny-mlp";
        info.Metadata["args"] = "--lr 0.05 --momentum 0.9";
        Checkpoint.Save(path, first.Model, first.Optimizer, first.Scheduler, info);

        // Fresh objects with different initial weights, rate and dropout seed: the checkpoint must restore all of it.
        var resumed = new Run(99, 98, lr: 0.7);
        var loaded = Checkpoint.Load(path, resumed.Model, resumed.Optimizer, resumed.Scheduler);
        loaded.RestoreGenerator("dropout", resumed.DropoutGenerator);
        Assert.Equal(1, loaded.Epoch);
        Assert.Equal(N / 2, loaded.Step);
        Assert.Equal("tiny-mlp", loaded.Metadata["model"]);
        Assert.Equal("--lr 0.05 --momentum 0.9", loaded.Metadata["args"]);
        Assert.Equal("pt", loaded.Metadata["format"]);
        Assert.Equal(first.Scheduler.LastEpoch, resumed.Scheduler.LastEpoch);
        Assert.Equal(first.Scheduler.LastLr, resumed.Scheduler.LastLr);
        Assert.Equal(first.Optimizer.ParamGroups[0].Lr, resumed.Optimizer.ParamGroups[0].Lr);
        Assert.Equal(Params(first.Model), Params(resumed.Model));

        resumed.Train(X, Y, N - N / 2);
        var expected = Params(straight.Model);
        var actual = Params(resumed.Model);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].Select(BitConverter.SingleToInt32Bits), actual[i].Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(straight.Scheduler.LastLr, resumed.Scheduler.LastLr);
        Assert.Equal(straight.DropoutGenerator.GetState(), resumed.DropoutGenerator.GetState());
    }

    [Fact]
    public void FileLayoutIsPyTorchFriendly()
    {
        var run = new Run(1, 2, lr: 0.05);
        run.Train(X, Y, 2);
        string path = PathOf("ckpt.safetensors");
        Checkpoint.Save(path, run.Model, run.Optimizer, run.Scheduler, new CheckpointInfo { Epoch = 3, Step = 2 });

        var (tensors, meta) = Safetensors.Load(path);
        var keys = tensors.Select(kv => kv.Key).ToHashSet();
        foreach (var (k, _) in run.Model.StateDict()) Assert.Contains(k, keys);
        Assert.Contains("0.weight", keys);
        Assert.Contains("optimizer.state.0.momentum_buffer", keys);
        Assert.Contains("optimizer.state.3.momentum_buffer", keys);
        Assert.Equal(run.Model.StateDict().Count + 4, keys.Count);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal("3", meta["axon.epoch"]);
        Assert.Equal("Sequential", meta["axon.model"]);
        Assert.Contains("\"type\":\"Sgd\"", meta["axon.optimizer"], StringComparison.Ordinal);
        Assert.Contains("\"param_groups.0.lr\":0.025", meta["axon.optimizer"], StringComparison.Ordinal);
        Assert.Contains("\"last_epoch\":2", meta["axon.scheduler"], StringComparison.Ordinal);

        var info = Checkpoint.ReadInfo(path);
        Assert.Equal(3, info.Epoch);
        Assert.Equal(2, info.Step);
        Assert.Empty(info.GeneratorStates);
        Assert.Equal(["format"], info.Metadata.Keys);
    }

    [Fact]
    public void ModelOnlyLoadIgnoresTheOptimizerState()
    {
        var run = new Run(1, 2, lr: 0.05);
        run.Train(X, Y, 3);
        string path = PathOf("ckpt.safetensors");
        Checkpoint.Save(path, run.Model, run.Optimizer);

        var other = new Run(5, 6, lr: 0.05);
        Checkpoint.Load(path, other.Model);
        Assert.Equal(Params(run.Model), Params(other.Model));

        // Asking for a scheduler the checkpoint does not hold is an error naming the file, and changes nothing.
        var third = new Run(7, 8, lr: 0.05);
        var before = Params(third.Model);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, third.Model, third.Optimizer, third.Scheduler));
        Assert.Equal($"{path}: the checkpoint holds no scheduler state. (Parameter 'scheduler')", ex.Message);
        Assert.Equal(before, Params(third.Model));
        Assert.Null(third.Optimizer.GetState(third.Model.Parameters().First()));
    }

    [Fact]
    public void LoadingIntoAnotherArchitectureThrowsAClearMessage()
    {
        var run = new Run(1, 2, lr: 0.05);
        string path = PathOf("ckpt.safetensors");
        Checkpoint.Save(path, run.Model, run.Optimizer, run.Scheduler);

        // Wider hidden layer: same keys, other shapes.
        var wider = new Run(3, 4, lr: 0.05, hidden: 16);
        var before = Params(wider.Model);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, wider.Model, wider.Optimizer, wider.Scheduler));
        Assert.StartsWith($"{path}: the weights do not fit Sequential: size mismatch for 0.weight: the file has shape [8, 4], the model has [16, 4]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("size mismatch for 3.weight: the file has shape [3, 8], the model has [3, 16]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Params(wider.Model));

        // Different structure: missing and unexpected keys.
        var deeper = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 3));
        ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, deeper));
        Assert.Contains($"{path}: the weights do not fit Sequential: missing keys: 2.weight, 2.bias, 4.weight, 4.bias; unexpected keys: 3.bias, 3.weight", ex.Message, StringComparison.Ordinal);

        // Same model, optimiser over fewer parameters: the optimiser refuses, and the scheduler is rolled back.
        var same = new Run(3, 4, lr: 0.05);
        var partialOpt = new Sgd(same.Model.Parameters().Take(2), lr: 0.3, momentum: 0.9);
        var sched = new StepLR(partialOpt, stepSize: 5);
        sched.Step();
        ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, same.Model, partialOpt, sched));
        Assert.StartsWith($"{path}: Optimizer state dict:", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, sched.LastEpoch);
    }

    [Fact]
    public void MalformedMetadataIsReportedWithTheFile()
    {
        var model = new Linear(2, 2);
        string path = PathOf("ckpt.safetensors");
        Safetensors.Save(path, model.StateDict(), new Dictionary<string, string> { ["axon.epoch"] = "three" });
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model));
        Assert.Equal($"{path}: metadata 'axon.epoch' 'three' is not an integer.", ex.Message);

        Safetensors.Save(path, model.StateDict(), new Dictionary<string, string> { ["axon.generators"] = "{\"g\": [\"1\", \"2\"]}" });
        ex = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadInfo(path));
        Assert.Equal($"{path}: metadata 'axon.generators' generator 'g' must be an array of 7 words.", ex.Message);

        Safetensors.Save(path, model.StateDict(), new Dictionary<string, string> { ["axon.optimizer"] = "{not json" });
        ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, new Sgd(model.Parameters(), lr: 0.1)));
        Assert.StartsWith($"{path}: metadata 'axon.optimizer' is not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReservedNamesAreRejectedWhenSaving()
    {
        var model = new Linear(2, 2);
        var info = new CheckpointInfo();
        info.Metadata["axon.epoch"] = "1";
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("c.safetensors"), model, info: info));
        Assert.False(File.Exists(PathOf("c.safetensors")));
    }

    [Fact]
    public void ExtraTensorsRoundTripBesideTheModelAndTheCallerOwnsThem()
    {
        var run = new Run(1, 2, lr: 0.05);
        run.Train(X, Y, 2);
        string path = PathOf("extra.safetensors");
        var info = new CheckpointInfo { Epoch = 1 };
        info.Tensors["ema.0.weight"] = Tensor.FromArray([1.5f, -2f]);
        info.Tensors["count"] = Tensor.FromArray([7L]);
        Checkpoint.Save(path, run.Model, run.Optimizer, run.Scheduler, info);
        var (tensors, meta) = Safetensors.Load(path);
        Assert.Contains("extra.ema.0.weight", tensors.Select(kv => kv.Key));
        Assert.Equal("2", meta["axon.extra"]);

        var other = new Run(5, 6, lr: 0.05);
        var loaded = Checkpoint.Load(path, other.Model, other.Optimizer, other.Scheduler, extraTensors: true);
        Assert.Equal(Params(run.Model), Params(other.Model));
        Assert.Equal(["count", "ema.0.weight"], loaded.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([1.5f, -2f], loaded.Tensors["ema.0.weight"].ToFloatArray());
        Assert.Equal([7L], loaded.Tensors["count"].ToLongArray());
        foreach (var t in loaded.Tensors.Values) t.Dispose();
        // A model-only load of the same file reads the weights all the same.
        var weightsOnly = new Run(5, 6, lr: 0.05);
        Assert.Empty(Checkpoint.Load(path, weightsOnly.Model).Tensors);
        Assert.Equal(Params(run.Model), Params(weightsOnly.Model));
        // With extra tensors, a model key under their prefix would be ambiguous: refused when saving.
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("clash.safetensors"), new Holder(), info: info));
        Assert.Contains("'extra.weight'", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("clash.safetensors")));
    }

    [Fact]
    public void GeneratorStatesRoundTrip()
    {
        var g = new Generator(123);
        g.NextNormal();   // leaves a spare normal in the state
        string path = PathOf("ckpt.safetensors");
        Checkpoint.Save(path, new Linear(2, 1), info: new CheckpointInfo().CaptureGenerator("default", g).CaptureGenerator("data", new Generator(-5)));
        var info = Checkpoint.ReadInfo(path);
        var h = new Generator(0);
        info.RestoreGenerator("default", h);
        Assert.Equal(g.GetState(), h.GetState());
        Assert.Equal(g.NextNormal(), h.NextNormal());
        info.RestoreGenerator("data", h);
        Assert.Equal(-5, h.Seed);
        Assert.Contains("'missing'", Assert.Throws<KeyNotFoundException>(() => info.RestoreGenerator("missing", h)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModuleSaveAndLoadWeights()
    {
        var a = new Sequential(new Linear(3, 5, generator: new Generator(1)), new ReLU(), new Linear(5, 2, generator: new Generator(2)));
        var b = new Sequential(new Linear(3, 5, generator: new Generator(3)), new ReLU(), new Linear(5, 2, generator: new Generator(4)));
        string path = PathOf("weights.safetensors");
        a.Save(path, new Dictionary<string, string> { ["name"] = "a" });
        var meta = b.Load(path);
        Assert.Equal("a", meta["name"]);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal(Params(a), Params(b));

        // Non-strict loading into a model with an extra layer loads the common keys and leaves the rest.
        var c = new Sequential(new Linear(3, 5), new ReLU(), new Linear(5, 2), new ReLU(), new Linear(2, 2));
        var extra = c.Parameters().Skip(4).Select(p => p.ToFloatArray()).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => c.Load(path));
        Assert.Contains($"{path}: the weights do not fit Sequential: missing keys: 4.weight, 4.bias.", ex.Message, StringComparison.Ordinal);
        c.Load(path, strict: false);
        Assert.Equal(Params(a), Params(c).Take(4));
        Assert.Equal(extra, c.Parameters().Skip(4).Select(p => p.ToFloatArray()));
    }
}
