using System.Globalization;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text.Json;
using Axon.Backends;
using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>
/// What the library computes, pinned to the bit: 50 seeded training steps of every zoo model, 20 steps of each
/// optimiser, and one epoch of the classifier trainer with its penalties, clipping and augmentation, on synthetic data
/// at 2 threads. The fixture (<c>tests/Fixtures/behaviour.json</c>) was written before the core-seams refactor (the
/// backend, the autograd record, the trainer) by running this test with <c>AXON_WRITE_BEHAVIOUR=1</c>; a refactor
/// must reproduce every loss and every parameter byte. A deliberate change of a kernel's arithmetic rewrites the cases it
/// moves, and says so in its commit (the batch-norm kernels' float SIMD passes rewrote vgg-small, resnet-small and
/// resnet18). The kernels round differently on another instruction set, so
/// the comparison runs only where the fixture's was made (AVX-512).
/// </summary>
[Collection("Behaviour fixture")]
public class BehaviourFixtureTests
{
    /// <summary>The fixture's device: the CPU kernels with 2 threads, whatever the machine's core count.</summary>
    private static readonly Device Cpu2 = Device.CpuWith(new CpuOptions { Threads = 2 });
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "behaviour.json");

    private static string SourceFixturePath([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "..", "Fixtures", "behaviour.json");

    private static bool Writing => Environment.GetEnvironmentVariable("AXON_WRITE_BEHAVIOUR") == "1";

    /// <summary>Losses (as exact bit patterns) and a SHA-256 of every parameter and buffer after the run.</summary>
    public sealed record Run(string[] Losses, string StateSha256);

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in ModelZoo.Names) data.Add("zoo:" + name);
        foreach (var name in OptimizerFactory.Names) data.Add("optim:" + name);
        data.Add("trainer");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingReproducesTheFixtureToTheBit(string name)
    {
        var run = Execute(name);
        if (Writing)
        {
            Record(name, run);
            return;
        }
        Assert.True(Avx512F.IsSupported, "The behaviour fixture was made with the AVX-512 kernels.");
        var expected = JsonSerializer.Deserialize<Dictionary<string, Run>>(File.ReadAllText(FixturePath))!;
        Assert.True(expected.ContainsKey(name), $"The fixture has no case {name}.");
        var want = expected[name];
        Assert.Equal(want.Losses.Length, run.Losses.Length);
        for (int i = 0; i < want.Losses.Length; i++)
            Assert.True(want.Losses[i] == run.Losses[i], $"{name}: the loss of step {i} is {Decode(run.Losses[i]):R}, the fixture's {Decode(want.Losses[i]):R}.");
        Assert.Equal(want.StateSha256, run.StateSha256);
    }

    private static readonly Lock RecordGate = new();
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static void Record(string name, Run run)
    {
        lock (RecordGate)
        {
            string path = SourceFixturePath();
            var all = File.Exists(path) ? JsonSerializer.Deserialize<SortedDictionary<string, Run>>(File.ReadAllText(path))! : new SortedDictionary<string, Run>(StringComparer.Ordinal);
            all[name] = run;
            File.WriteAllText(path, JsonSerializer.Serialize(all, Indented) + "\n");
        }
    }

    private static double Decode(string bits) => BitConverter.Int64BitsToDouble(long.Parse(bits, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    private static string Encode(double v) => BitConverter.DoubleToInt64Bits(v).ToString("x16", CultureInfo.InvariantCulture);

    private static Run Execute(string name)
    {
        if (name.StartsWith("zoo:", StringComparison.Ordinal)) return Zoo(name[4..]);
        if (name.StartsWith("optim:", StringComparison.Ordinal)) return Optimiser(name[6..]);
        return Trainer();
    }

    /// <summary>50 steps of SGD with momentum and weight decay on a fixed batch of noise.</summary>
    private static Run Zoo(string model)
    {
        var g = new Generator(11);
        var net = ModelZoo.Create(model, generator: g);
        net.To(Cpu2);
        int batch = model is "resnet18" or "resnet50-small" or "densenet121-small" or "googlenet-small" ? 4 : 16;
        var data = new Generator(12);
        var x = Tensor.Randn([batch, 1, 28, 28], data, device: Cpu2);
        var y = Tensor.Randint(0, 10, [batch], data, device: Cpu2);
        var opt = new Sgd(net.Parameters(), lr: 0.02, momentum: 0.9, weightDecay: 5e-4);
        var losses = new List<string>();
        for (int step = 0; step < 50; step++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var loss = Functional.CrossEntropy(net.Forward(x), y);
            loss.Backward();
            opt.Step();
            losses.Add(Encode(loss.Item()));
        }
        return new Run([.. losses], Digest(net));
    }

    /// <summary>20 steps of each optimiser (weight decay on, and its distinctive options) on a small MLP.</summary>
    private static Run Optimiser(string optimizer)
    {
        var g = new Generator(21);
        var net = new Sequential(new Flatten(), new Linear(784, 64, generator: g), new Tanh(), new Linear(64, 10, generator: g));
        net.To(Cpu2);
        var settings = new OptimizerSettings { Lr = optimizer is "adadelta" ? 1.0 : optimizer is "sgd" or "asgd" or "torch-asgd" ? 0.05 : 0.003, Momentum = 0.9, WeightDecay = 1e-3, Nesterov = optimizer == "sgd" };
        var opt = OptimizerFactory.Create(optimizer, net.Parameters(), settings);
        var data = new Generator(22);
        var losses = new List<string>();
        for (int step = 0; step < 20; step++)
        {
            var x = Tensor.Randn([32, 1, 28, 28], data, device: Cpu2);
            var y = Tensor.Randint(0, 10, [32], data, device: Cpu2);
            using var scope = new TensorScope();
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(net.Forward(x), y);
            loss.Backward();
            opt.Step();
            losses.Add(Encode(loss.Item()));
        }
        return new Run([.. losses], Digest(net));
    }

    /// <summary>One epoch of the trainer on a classification task: augmentation, dropout, L1 and L2 penalties, both clippings, max-norm, a one-cycle schedule.</summary>
    private static Run Trainer()
    {
        var g = new Generator(31);
        var net = new LectureCnn(numClasses: 10, dropout: 0.25, generator: g);
        net.To(Cpu2);
        var options = new TrainerOptions
        {
            Epochs = 1,
            BatchSize = 32,
            OptimizerSettings = new() { Lr = 0.05, Momentum = 0.9, WeightDecay = 5e-4, Nesterov = true },
            Schedule = "onecycle",
            Augment = true,
            Seed = 31,
            Prefetch = 0,
            L1 = 1e-5,
            L2 = 1e-4,
            GradClipNorm = 5,
            GradClipValue = 1,
            MaxNorm = 3,
        };
        var trainer = new Trainer(new ClassificationTask(net, 10), g, options);
        var data = new Generator(32);
        var images = Tensor.Randn([256, 1, 28, 28], data);
        var labels = Tensor.Randint(0, 10, [256], data);
        var losses = new List<string>();
        trainer.Fit(new TensorDataset(images, labels), null, onBatch: b => losses.Add(Encode(b.StepLoss)));
        return new Run([.. losses], Digest(net));
    }

    private static string Digest(Module net)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, t) in net.StateDict())
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(key));
            foreach (double v in t.ToDoubleArray()) sha.AppendData(BitConverter.GetBytes(v));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}

/// <summary>The behaviour runs are long and compute-bound: they run alone, so they do not slow the other tests' clocks.</summary>
[CollectionDefinition("Behaviour fixture", DisableParallelization = true)]
public sealed class BehaviourFixtureCollection;
