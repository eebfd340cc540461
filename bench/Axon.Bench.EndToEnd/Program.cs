using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Axon;
using Axon.Benchmarks;
using Axon.Data;
using Axon.Kernels;
using Axon.Models;
using Axon.Nn;
using Axon.Optim;

// One workload per process; one JSON line on stdout. bench/pytorch/baseline.py does the same work in PyTorch with
// the same arguments and prints the same fields; bench/compare.sh runs the two interleaved. Definitions shared by
// both (keep them identical):
//   train            synthetic N(0,1) inputs [B,1,28,28] and uniform labels 0..9, one fixed batch; SGD momentum 0.9,
//                    lr 0.01; zero_grad (grads kept, zeroed), forward, cross-entropy, backward, step. Warm-up: at least
//                    --warmup steps and at least --warmup-seconds; then --steps timed steps. img/s = steps*B/seconds.
//   infer-latency    eval mode, no grad, one image [1,1,28,28]; warm-up as above; each of --iters forward passes timed
//                    on its own; median, p99 (nearest rank) and mean in microseconds.
//   infer-batch      eval mode, no grad, [B,1,28,28]; warm-up as above; --iters timed passes; img/s.
//   epoch            one epoch of real Fashion-MNIST training (batch 64, shuffled, last batch of 32 kept, pixels kept as
//                    bytes and normalised per batch); GC counts from the end of step --warmup to the end of the epoch;
//                    peak RSS = VmHWM at the end.
//   time-to-accuracy the same training with the test set evaluated (1000-image batches, eval mode, no grad) after every
//                    --eval-every steps (469 = half an epoch); seconds from the first step to the first evaluation at or
//                    above --target, evaluations included, file loading excluded; gives up after --max-epochs.
//   gemm             C = A B, square float32 N, row-major; warm-up as above, then timed calls until >= 1 s and >= 5
//                    calls; median GFLOP/s = 2 N^3 / median call time.
//   profile          a training step (as train) cut at every layer: each layer's input is a detached leaf (unless no
//                    gradient flows there: the data, or a Flatten of it), so forward and backward can be timed layer by layer with Backward(grad);
//                    mean milliseconds per step of each phase over --steps steps (default 50) after the warm-up.
//   profile-infer    an inference pass (as infer-latency, --batch 1 by default) run layer by layer: mean microseconds of
//                    each layer over --iters passes, and the median of the whole model's pass (where Sequential fuses a
//                    ReLU followed by MaxPool2d, which the layer-by-layer run does not).
//   peak             the FMA peak of --threads cores (float), as the GEMM micro-benchmarks measure it.
var opts = Options.Parse(args);
int threads = opts.Int("threads", 2);
var device = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
Workloads.Device = device;
var result = new Dictionary<string, object?>
{
    ["impl"] = "axon",
    ["workload"] = opts.Workload,
    ["threads"] = threads,
};

switch (opts.Workload)
{
    case "train": Workloads.Train(opts, result); break;
    case "infer-latency": Workloads.InferLatency(opts, result); break;
    case "infer-batch": Workloads.InferBatch(opts, result); break;
    case "epoch": Workloads.Epoch(opts, result); break;
    case "profile-infer": Workloads.ProfileInfer(opts, result); break;
    case "time-to-accuracy": Workloads.TimeToAccuracy(opts, result); break;
    case "gemm": Workloads.GemmRun(opts, result); break;
    case "profile": Workloads.Profile(opts, result); break;
    case "peak": result["gflops"] = PeakFlops.Measure(isDouble: false, threads); break;
    default:
        Console.Error.WriteLine($"unknown workload '{opts.Workload}'; expected train, infer-latency, infer-batch, epoch, time-to-accuracy, gemm, profile, profile-infer or peak");
        return 2;
}

result["peak_rss_mib"] = Proc.PeakRssMiB();
result["gc_total"] = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;

/// <summary>The workloads; each fills <c>result</c> with its figures.</summary>
internal static class Workloads
{
    /// <summary>The CPU device of the --threads budget, set once at start-up.</summary>
    public static Device Device { get; set; } = Device.Cpu;

    private const double Lr = 0.01, Momentum = 0.9;

    public static void Train(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int batch = o.Int("batch", 64), steps = o.Int("steps", 200);
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        model.Train();
        var opt = new Sgd(model.Parameters(), lr: Lr, momentum: Momentum);
        var x = Tensor.Randn([batch, 1, 28, 28], g, device: Device);
        var y = Tensor.Randint(0, 10, [batch], g, device: Device);
        double lastLoss = 0;
        void Step()
        {
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            lastLoss = loss.Item();
        }
        WarmUp(o, Step);
        var gc = Gc.Now();
        var sw = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) Step();
        double secs = sw.Elapsed.TotalSeconds;
        r["model"] = name;
        r["batch"] = batch;
        r["steps"] = steps;
        r["params"] = model.ParameterCount();
        r["seconds"] = secs;
        r["img_per_s"] = steps * (double)batch / secs;
        r["gc_during"] = Gc.Since(gc);
        r["final_loss"] = lastLoss;
    }

    public static void InferLatency(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int iters = o.Int("iters", 2000);
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        model.Eval();
        var x = Tensor.Randn([1, 1, 28, 28], g, device: Device);
        using var noGrad = GradMode.NoGrad();
        void Pass()
        {
            using var scope = new TensorScope();
            model.Forward(x);
        }
        WarmUp(o, Pass);
        var gc = Gc.Now();
        var us = new double[iters];
        for (int i = 0; i < iters; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Pass();
            us[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        r["model"] = name;
        r["batch"] = 1;
        r["iters"] = iters;
        r["median_us"] = Stats.Percentile(us, 50);
        r["p99_us"] = Stats.Percentile(us, 99);
        r["mean_us"] = us.Average();
        r["gc_during"] = Gc.Since(gc);
    }

    public static void InferBatch(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int batch = o.Int("batch", 256), iters = o.Int("iters", 50);
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        model.Eval();
        var x = Tensor.Randn([batch, 1, 28, 28], g, device: Device);
        using var noGrad = GradMode.NoGrad();
        void Pass()
        {
            using var scope = new TensorScope();
            model.Forward(x);
        }
        WarmUp(o, Pass);
        var gc = Gc.Now();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) Pass();
        double secs = sw.Elapsed.TotalSeconds;
        r["model"] = name;
        r["batch"] = batch;
        r["iters"] = iters;
        r["img_per_s"] = iters * (double)batch / secs;
        r["gc_during"] = Gc.Since(gc);
    }

    public static void Epoch(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int batch = o.Int("batch", 64), warmup = o.Int("warmup", 20);
        var train = FashionMnist.Load(o.Str("data-dir", FashionMnist.DefaultDirectory), train: true);
        r["peak_rss_after_load_mib"] = Proc.PeakRssMiB();
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        var opt = new Sgd(model.Parameters(), lr: Lr, momentum: Momentum);
        var loader = new DataLoader(train, batch, shuffle: true, generator: new Generator(o.Int("seed", 0) + 1), device: Device);
        model.Train();
        int step = 0;
        double lossSum = 0;
        (int, int, int) gc = default;
        double warmSecs = 0;
        var sw = Stopwatch.StartNew();
        foreach (var (x, y) in loader)
        {
            using (var scope = new TensorScope())
            {
                opt.ZeroGrad(setToNone: false);
                var loss = Functional.CrossEntropy(model.Forward(x), y);
                loss.Backward();
                opt.Step();
                lossSum += loss.Item();
            }
            // The batch was made outside the step's scope: hand its buffers back to the pool.
            x.Dispose();
            y.Dispose();
            if (++step == warmup)
            {
                gc = Gc.Now();
                warmSecs = sw.Elapsed.TotalSeconds;
            }
        }
        double secs = sw.Elapsed.TotalSeconds;
        r["model"] = name;
        r["batch"] = batch;
        r["steps"] = step;
        r["seconds"] = secs;
        r["img_per_s"] = train.Count / secs;
        r["steady_img_per_s"] = (train.Count - warmup * batch) / (secs - warmSecs);
        r["mean_loss"] = lossSum / step;
        r["gc_during"] = Gc.Since(gc);
    }

    public static void TimeToAccuracy(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int batch = o.Int("batch", 64), evalEvery = o.Int("eval-every", 469), maxEpochs = o.Int("max-epochs", 10);
        double target = o.Double("target", 0.90);
        string dir = o.Str("data-dir", FashionMnist.DefaultDirectory);
        var train = FashionMnist.Load(dir, train: true);
        var test = FashionMnist.Load(dir, train: false);
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        var opt = new Sgd(model.Parameters(), lr: Lr, momentum: Momentum);
        var loader = new DataLoader(train, batch, shuffle: true, generator: new Generator(o.Int("seed", 0) + 1), device: Device);
        var evals = new List<double[]>();
        int step = 0;
        double acc = 0;
        bool reached = false;
        var sw = Stopwatch.StartNew();
        for (int epoch = 0; epoch < maxEpochs && !reached; epoch++)
        {
            model.Train();
            foreach (var (x, y) in loader)
            {
                using (var scope = new TensorScope())
                {
                    opt.ZeroGrad(setToNone: false);
                    var loss = Functional.CrossEntropy(model.Forward(x), y);
                    loss.Backward();
                    opt.Step();
                }
                x.Dispose();
                y.Dispose();
                if (++step % evalEvery != 0) continue;
                acc = Accuracy(model, test);
                model.Train();
                evals.Add([step, sw.Elapsed.TotalSeconds, acc]);
                if (acc >= target)
                {
                    reached = true;
                    break;
                }
            }
        }
        double secs = sw.Elapsed.TotalSeconds;
        r["model"] = name;
        r["batch"] = batch;
        r["target"] = target;
        r["reached"] = reached;
        r["seconds"] = secs;
        r["steps"] = step;
        r["epochs"] = step * (double)batch / train.Count;
        r["accuracy"] = acc;
        r["evals"] = evals;
    }

    public static void ProfileInfer(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int batch = o.Int("batch", 1), iters = o.Int("iters", 2000);
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        model.Eval();
        var layers = Layers(model);
        var names = layers.Select((m, i) => $"{i} {m.GetType().Name}").ToArray();
        var x = Tensor.Randn([batch, 1, 28, 28], g, device: Device);
        var us = new double[layers.Count];
        var whole = new double[iters];
        bool timing = false;
        using var noGrad = GradMode.NoGrad();
        void Pass(int iter)
        {
            using (var scope = new TensorScope())
            {
                var h = x;
                for (int i = 0; i < layers.Count; i++)
                {
                    long t = Stopwatch.GetTimestamp();
                    h = layers[i].Forward(h);
                    if (timing) us[i] += Stopwatch.GetElapsedTime(t).TotalMicroseconds;
                }
            }
            using (var scope = new TensorScope())
            {
                long t = Stopwatch.GetTimestamp();
                model.Forward(x);
                if (timing) whole[iter] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
            }
        }
        WarmUp(o, () => Pass(0));
        timing = true;
        for (int i = 0; i < iters; i++) Pass(i);
        r["model"] = name;
        r["batch"] = batch;
        r["iters"] = iters;
        r["model_median_us"] = Stats.Percentile(whole, 50);
        r["layers_us"] = names.Select((n, i) => (n, us[i] / iters)).ToDictionary(p => p.n, p => p.Item2);
    }

    public static void Profile(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "lecture-cnn");
        int batch = o.Int("batch", 64), steps = o.Int("steps", 50);
        var g = new Generator(o.Int("seed", 0));
        var model = ModelZoo.Create(name, 10, g);
        model.To(Device);
        model.Train();
        var layers = Layers(model);
        var opt = new Sgd(model.Parameters(), lr: Lr, momentum: Momentum);
        var x = Tensor.Randn([batch, 1, 28, 28], g, device: Device);
        var y = Tensor.Randint(0, 10, [batch], g, device: Device);
        var phases = new Dictionary<string, double>();
        var names = layers.Select((m, i) => $"{i} {m.GetType().Name}").ToArray();
        bool timing = false;
        void Add(string key, long t0)
        {
            if (timing) phases[key] = phases.GetValueOrDefault(key) + Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        void Step()
        {
            using var scope = new TensorScope();
            long t = Stopwatch.GetTimestamp();
            opt.ZeroGrad(setToNone: false);
            Add("zero_grad", t);
            var inputs = new Tensor[layers.Count];
            var outputs = new Tensor[layers.Count];
            var h = x;
            for (int i = 0; i < layers.Count; i++)
            {
                // Cut only where gradients flow: the data (and a Flatten of it) need none, as in the real step.
                inputs[i] = h.RequiresGrad ? h.Detach().RequiresGrad_() : h;
                t = Stopwatch.GetTimestamp();
                outputs[i] = h = layers[i].Forward(inputs[i]);
                Add("fwd " + names[i], t);
            }
            var last = h.Detach().RequiresGrad_();
            t = Stopwatch.GetTimestamp();
            var loss = Functional.CrossEntropy(last, y);
            Add("loss fwd", t);
            t = Stopwatch.GetTimestamp();
            loss.Backward();
            Add("loss bwd", t);
            var grad = last.Grad!;
            for (int i = layers.Count - 1; i >= 0 && outputs[i].RequiresGrad; i--)
            {
                t = Stopwatch.GetTimestamp();
                outputs[i].Backward(grad);
                Add("bwd " + names[i], t);
                grad.Dispose();
                if (inputs[i].RequiresGrad) grad = inputs[i].Grad!;
            }
            t = Stopwatch.GetTimestamp();
            opt.Step();
            Add("optimizer", t);
        }
        WarmUp(o, Step);
        timing = true;
        var sw = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) Step();
        double total = sw.Elapsed.TotalMilliseconds / steps;
        r["model"] = name;
        r["batch"] = batch;
        r["steps"] = steps;
        r["step_ms"] = total;
        r["phases_ms"] = phases.ToDictionary(kv => kv.Key, kv => kv.Value / steps);
    }

    /// <summary>The model as a flat list of layers applied in order (the zoo's models are Sequentials, or features + flatten + classifier).</summary>
    private static List<Module<Tensor, Tensor>> Layers(Module<Tensor, Tensor> model)
    {
        var list = new List<Module<Tensor, Tensor>>();
        void AddAll(Sequential s)
        {
            for (int i = 0; i < s.Count; i++) list.Add(s[i]);
        }
        switch (model)
        {
            case Sequential s: AddAll(s); break;
            case LectureCnn c: AddAll(c.Features); list.Add(new Flatten()); AddAll(c.Classifier); break;
            case LeNet5 c: AddAll(c.Features); list.Add(new Flatten()); AddAll(c.Classifier); break;
            default: throw new ArgumentException($"profile: no layer list for {model.GetType().Name}");
        }
        return list;
    }

    private static double Accuracy(Module<Tensor, Tensor> model, FashionMnist test)
    {
        model.Eval();
        using var noGrad = GradMode.NoGrad();
        long correct = 0;
        foreach (var (x, y) in new DataLoader(test, 1000, device: Device))
        {
            using (var scope = new TensorScope())
            {
                var pred = model.Forward(x).ArgMax(1).AsSpan<long>();
                var truth = y.AsSpan<long>();
                for (int i = 0; i < truth.Length; i++) if (pred[i] == truth[i]) correct++;
            }
            x.Dispose();
            y.Dispose();
        }
        return (double)correct / test.Count;
    }

    public static void GemmRun(Options o, Dictionary<string, object?> r)
    {
        int n = o.Int("size", 256);
        var rnd = new Random(42);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (int i = 0; i < a.Length; i++) (a[i], b[i]) = ((float)rnd.NextDouble() - 0.5f, (float)rnd.NextDouble() - 0.5f);
        void Call() => Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n, Device.Backend is Axon.Backends.CpuBackend cpu ? cpu.Options.Threads : 1);
        WarmUp(o, Call, minSteps: 3, defaultSeconds: 0.3);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || total.Elapsed.TotalSeconds < 1.0)
        {
            long t0 = Stopwatch.GetTimestamp();
            Call();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double flops = 2.0 * n * n * n;
        r["size"] = n;
        r["calls"] = times.Count;
        r["gflops"] = flops / Stats.Percentile([.. times], 50) / 1e9;
        r["best_gflops"] = flops / times.Min() / 1e9;
    }

    /// <summary>Runs <paramref name="step"/> at least --warmup times and for at least --warmup-seconds (tiered JIT settles).</summary>
    private static void WarmUp(Options o, Action step, int minSteps = -1, double defaultSeconds = 1.0)
    {
        int n = o.Int("warmup", minSteps >= 0 ? minSteps : 20);
        double seconds = o.Double("warmup-seconds", defaultSeconds);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n || sw.Elapsed.TotalSeconds < seconds; i++) step();
    }
}

/// <summary>GC collection counts per generation.</summary>
internal static class Gc
{
    public static (int, int, int) Now() => (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public static int[] Since((int G0, int G1, int G2) start) =>
        [GC.CollectionCount(0) - start.G0, GC.CollectionCount(1) - start.G1, GC.CollectionCount(2) - start.G2];
}

/// <summary>Facts about this process.</summary>
internal static class Proc
{
    /// <summary>VmHWM (peak resident set) from /proc/self/status, in MiB; NaN off Linux.</summary>
    public static double PeakRssMiB()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return double.NaN;
        foreach (string line in File.ReadLines(path))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            string kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
            return double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
        }
        return double.NaN;
    }
}

/// <summary>Order statistics.</summary>
internal static class Stats
{
    /// <summary>Nearest-rank percentile (p in (0, 100]): the smallest value with at least p % of the values at or below it.</summary>
    public static double Percentile(double[] values, double p)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>The command line: a workload name, then --key value pairs.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    private Options(string workload) => Workload = workload;

    public string Workload { get; }

    public static Options Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException("usage: Axon.Bench.EndToEnd <train|infer-latency|infer-batch|epoch|time-to-accuracy|gemm|profile|profile-infer|peak> [--key value ...]");
        var o = new Options(args[0]);
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --key value, got '{args[i]}'");
            o.values[args[i][2..]] = args[i + 1];
        }
        return o;
    }

    public string Str(string key, string fallback) => values.GetValueOrDefault(key, fallback);

    public int Int(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string key, double fallback) => values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
