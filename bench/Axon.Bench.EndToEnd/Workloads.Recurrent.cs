using System.Diagnostics;
using Axon;
using Axon.Nn;
using Axon.Optim;

/// <summary>The recurrent workloads (definitions at the top of Program.cs; baseline.py has their PyTorch twins).</summary>
internal static partial class Workloads
{
    /// <summary>An image read row by row: a recurrent layer over [B, 28, 28] batch-first, its last output to 10 classes.</summary>
    private sealed class RowClassifier : Module<Tensor, Tensor>
    {
        private readonly IRecurrentLayer rnn;
        private readonly Linear head;

        public RowClassifier(string cell, int hidden, Generator g)
        {
            rnn = cell switch
            {
                "lstm" => RegisterModule("rnn", new LSTM(28, hidden, batchFirst: true, generator: g)),
                "gru" => RegisterModule("rnn", new GRU(28, hidden, batchFirst: true, generator: g)),
                _ => throw new ArgumentException($"unknown cell '{cell}'; expected lstm or gru"),
            };
            head = RegisterModule("fc", new Linear(hidden, 10, generator: g));
        }

        public override Tensor Forward(Tensor x)
        {
            var (output, _, _) = rnn.Run(x);
            return head.Forward(output.Select(1, output.Shape[1] - 1));
        }
    }

    /// <summary>The character-level language model's step: Embedding(80, 64), a 2-layer LSTM of 256, Linear(256, 80).</summary>
    private sealed class CharModel : Module<Tensor, Tensor>
    {
        private readonly Embedding embed;
        private readonly LSTM lstm;
        private readonly Linear head;

        public CharModel(Generator g)
        {
            embed = RegisterModule("embed", new Embedding(80, 64, generator: g));
            lstm = RegisterModule("lstm", new LSTM(64, 256, numLayers: 2, batchFirst: true, generator: g));
            head = RegisterModule("fc", new Linear(256, 80, generator: g));
        }

        public override Tensor Forward(Tensor tokens) => head.Forward(lstm.Forward(embed.Forward(tokens)).Output);
    }

    public static void RnnTrain(Options o, Dictionary<string, object?> r)
    {
        string cell = o.Str("cell", "lstm");
        int batch = o.Int("batch", 64), hidden = o.Int("hidden", 128);
        var g = new Generator(o.Int("seed", 0));
        var model = new RowClassifier(cell, hidden, g);
        model.To(Device);
        var x = Tensor.Randn([batch, 28, 28], g, device: Device);
        var y = Tensor.Randint(0, 10, [batch], g, device: Device);
        TimedTraining(o, r, model, x, y, batch);
        r["model"] = cell + "-rows";
        r["hidden"] = hidden;
    }

    public static void CharLmTrain(Options o, Dictionary<string, object?> r)
    {
        int batch = o.Int("batch", 64), seq = o.Int("seq", 100);
        var g = new Generator(o.Int("seed", 0));
        var model = new CharModel(g);
        model.To(Device);
        var x = Tensor.Randint(0, 80, [batch, seq], g, device: Device);
        var y = Tensor.Randint(0, 80, [batch * seq], g, device: Device);
        TimedTraining(o, r, new Flat(model), x, y, batch * seq);
        r["model"] = "char-lstm";
        r["seq"] = seq;
        r["batch"] = batch;
    }

    /// <summary>The char model's logits [B, T, 80] flattened to [B·T, 80] for the loss.</summary>
    private sealed class Flat : Module<Tensor, Tensor>
    {
        private readonly CharModel model;

        public Flat(CharModel inner) => model = RegisterModule("model", inner);

        public override Tensor Forward(Tensor x) => model.Forward(x).Reshape(-1, 80);
    }

    /// <summary>SGD steps (as train) until both --steps steps and --min-seconds have passed; items/s over that window.</summary>
    private static void TimedTraining(Options o, Dictionary<string, object?> r, Module<Tensor, Tensor> model, Tensor x, Tensor y, int itemsPerStep)
    {
        int minSteps = o.Int("steps", 20);
        double minSeconds = o.Double("min-seconds", 1.0);
        model.Train();
        var opt = new Sgd(model.Parameters(), lr: Lr, momentum: Momentum);
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
        WarmUp(o, Step, minSteps: 5);
        var gc = Gc.Now();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        int steps = 0;
        while (steps < minSteps || sw.Elapsed.TotalSeconds < minSeconds)
        {
            Step();
            steps++;
        }
        double secs = sw.Elapsed.TotalSeconds;
        r["batch"] = x.Shape[0];
        r["steps"] = steps;
        r["params"] = model.ParameterCount();
        r["seconds"] = secs;
        r["img_per_s"] = steps * (double)itemsPerStep / secs;
        r["gc_during"] = Gc.Since(gc);
        r["alloc_bytes_per_step"] = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / steps;
        r["final_loss"] = lastLoss;
    }

    public static void RnnLatency(Options o, Dictionary<string, object?> r)
    {
        string cell = o.Str("cell", "lstm");
        int iters = o.Int("iters", 2000), hidden = o.Int("hidden", 128);
        var g = new Generator(o.Int("seed", 0));
        var model = new RowClassifier(cell, hidden, g);
        model.To(Device);
        model.Eval();
        var x = Tensor.Randn([1, 28, 28], g, device: Device);
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
        r["model"] = cell + "-rows";
        r["batch"] = 1;
        r["iters"] = iters;
        r["median_us"] = Stats.Percentile(us, 50);
        r["p99_us"] = Stats.Percentile(us, 99);
        r["mean_us"] = us.Average();
        r["gc_during"] = Gc.Since(gc);
    }
}
