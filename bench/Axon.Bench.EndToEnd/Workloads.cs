using System.Diagnostics;
using Axon;
using Axon.Data;
using Axon.Kernels;
using Axon.Models;
using Axon.Nn;
using Axon.Optim;

/// <summary>The workloads; each fills <c>result</c> with its figures.</summary>
internal static partial class Workloads
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
        double minSeconds = o.Double("min-seconds", 0);
        var gc = Gc.Now();
        var sw = Stopwatch.StartNew();
        int done = 0;
        while (done < steps || sw.Elapsed.TotalSeconds < minSeconds)
        {
            Step();
            done++;
        }
        double secs = sw.Elapsed.TotalSeconds;
        steps = done;
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
        // A square n x n x n product by default; --m, --n, --k for other shapes (C [m, n] = A [m, k] x B [k, n]).
        int size = o.Int("size", 256), m = o.Int("m", size), n = o.Int("n", size), k = o.Int("k", size);
        var rnd = new Random(42);
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rnd.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rnd.NextDouble() - 0.5f;
        void Call() => Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, Device.Backend is Axon.Backends.CpuBackend cpu ? cpu.Options.Threads : 1);
        WarmUp(o, Call, minSteps: 3, defaultSeconds: 0.3);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || total.Elapsed.TotalSeconds < 1.0)
        {
            long t0 = Stopwatch.GetTimestamp();
            Call();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double flops = 2.0 * m * n * k;
        r["size"] = size;
        r["m"] = m;
        r["n"] = n;
        r["k"] = k;
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
