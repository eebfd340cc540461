using System.Diagnostics;
using Axon;
using Axon.Models.Generative;
using Axon.Nn;

// The generative models' layer-by-layer profile (profile-gan).
internal static partial class Workloads
{
    /// <summary>
    /// The generator step of a GAN of the generative zoo (--model dcgan|gan|infogan), cut at every layer of G and D: each
    /// layer's forward and backward (input gradients included, as the generator step needs them through D), in ms per step.
    /// </summary>
    public static void ProfileGan(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "dcgan");
        int batch = o.Int("batch", 64), steps = o.Int("steps", 30);
        var g = new Generator(o.Int("seed", 0));
        var model = GenerativeZoo.Create(name, g);
        model.To(Device);
        model.Train();
        var (generator, discriminator, latent) = model switch
        {
            Gan gan => ((Sequential)gan.Generator, (Sequential)gan.Discriminator, gan.Latent),
            InfoGan info => ((Sequential)info.Generator, (Sequential)info.Trunk, info.Latent),
            _ => throw new ArgumentException($"profile-gan: {name} is not a GAN"),
        };
        var layers = Enumerable.Range(0, generator.Count).Select(i => ("G" + i + " " + generator[i].GetType().Name, generator[i]))
            .Concat(Enumerable.Range(0, discriminator.Count).Select(i => ("D" + i + " " + discriminator[i].GetType().Name, discriminator[i]))).ToList();
        var z = Tensor.Randn([batch, latent], g, device: Device).RequiresGrad_();
        var phases = new Dictionary<string, double>();
        bool timing = false;
        void Add(string key, long t0)
        {
            if (timing) phases[key] = phases.GetValueOrDefault(key) + Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        void Step()
        {
            using var scope = new TensorScope();
            foreach (var p in model.Parameters()) p.Grad = null;
            var inputs = new Tensor[layers.Count];
            var outputs = new Tensor[layers.Count];
            var h = z;
            for (int i = 0; i < layers.Count; i++)
            {
                inputs[i] = h.Detach().RequiresGrad_();
                long t = Stopwatch.GetTimestamp();
                outputs[i] = h = layers[i].Item2.Forward(inputs[i]);
                Add("fwd " + layers[i].Item1, t);
            }
            var last = h.Detach().RequiresGrad_();
            var loss = last.Square().Mean();
            loss.Backward();
            var grad = last.Grad!;
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                long t = Stopwatch.GetTimestamp();
                outputs[i].Backward(grad);
                Add("bwd " + layers[i].Item1, t);
                grad = inputs[i].Grad!;
            }
        }
        WarmUp(o, Step);
        timing = true;
        var sw = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) Step();
        r["model"] = name;
        r["batch"] = batch;
        r["steps"] = steps;
        r["step_ms"] = sw.Elapsed.TotalMilliseconds / steps;
        r["phases_ms"] = phases.ToDictionary(kv => kv.Key, kv => kv.Value / steps);
    }
}

internal static partial class Workloads
{
    /// <summary>One activation's forward and backward on [64, 32, 14, 14] (--op relu|leaky|bn2d|bce|tanh), ms per call.</summary>
    public static void MicroBackward(Options o, Dictionary<string, object?> r)
    {
        string op = o.Str("op", "relu");
        int iters = o.Int("iters", 200);
        var g = new Generator(0);
        var x = Tensor.Randn([64, 32, 14, 14], g, device: Device).RequiresGrad_();
        var grad = Tensor.Randn([64, 32, 14, 14], g, device: Device);
        var bn = new BatchNorm2d(32);
        bn.To(Device);
        var target = Tensor.Rand([64, 32, 14, 14], g, device: Device);
        Tensor F(Tensor t) => op switch
        {
            "relu" => t.Relu(),
            "leaky" => t.LeakyRelu(0.2),
            "bn2d" => bn.Forward(t),
            "bce" => Functional.BinaryCrossEntropyWithLogits(t, target),   // the mean: backward from a broadcast scalar
            _ => t.Tanh(),
        };
        double fwd = 0, bwd = 0;
        int gc0 = GC.CollectionCount(2);
        for (int i = 0; i < iters + 20; i++)
        {
            using var scope = new TensorScope();
            x.Grad = null;
            long t = Stopwatch.GetTimestamp();
            var y = F(x);
            if (i >= 20) fwd += Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            t = Stopwatch.GetTimestamp();
            if (y.NumEl == 1) y.Backward();
            else y.Backward(grad);
            if (i >= 20) bwd += Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        r["op"] = op;
        r["fwd_ms"] = fwd / iters;
        r["bwd_ms"] = bwd / iters;
        r["gen2"] = GC.CollectionCount(2) - gc0;
    }
}

internal static partial class Workloads
{
    /// <summary>
    /// Real training steps of a generative zoo model (--model dcgan|vae|…) on random images through the trainer: ms per
    /// batch, bytes allocated per batch and garbage collections.
    /// </summary>
    public static void GenerativeSteps(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "dcgan");
        int batch = o.Int("batch", 64), batches = o.Int("batches", 60);
        var g = new Generator(0);
        var model = GenerativeZoo.Create(name, g);
        model.To(Device);
        var images = Tensor.Rand([batch * batches, 1, 28, 28], g);
        var labels = Tensor.Randint(0, 10, [batch * batches], g);   // the Siamese network pairs images by class; the others ignore them
        var data = new Axon.Data.TensorDataset(images, labels);
        var setup = GenerativeZoo.Prepare(name, model, data, new Axon.Data.TensorDataset(images.Narrow(0, 0, batch), labels.Narrow(0, 0, batch)), 0);
        var trainer = new Axon.Models.Training.Trainer(setup.Task, g, GenerativeZoo.TrainingRecipe(name) with { BatchSize = batch, Prefetch = o.Int("prefetch", 0) });
        trainer.TrainEpoch(setup.Train, null);
        int[] gc0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        trainer.TrainEpoch(setup.Train, null);
        r["model"] = name;
        r["batch"] = batch;
        int steps = (setup.Train.Count + batch - 1) / batch;   // the Siamese network's pairs are not the images
        r["ms_per_batch"] = sw.Elapsed.TotalMilliseconds / steps;
        r["bytes_per_batch"] = (GC.GetTotalAllocatedBytes(precise: true) - bytes) / steps;
        r["gcs"] = new[] { GC.CollectionCount(0) - gc0[0], GC.CollectionCount(1) - gc0[1], GC.CollectionCount(2) - gc0[2] };
    }
}
