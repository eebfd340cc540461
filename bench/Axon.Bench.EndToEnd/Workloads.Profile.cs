using System.Diagnostics;
using Axon;
using Axon.Models;
using Axon.Models.Vision;
using Axon.Nn;
using Axon.Optim;

// The layer-by-layer workloads (profile, profile-infer).
internal static partial class Workloads
{
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

    /// <summary>The model as a flat list of layers applied in order (the zoo's models are Sequentials, or features + flatten + classifier; ResNet and DenseNet as their Forward runs them).</summary>
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
            case SmallVgg c: AddAll(c.Features); list.Add(c.Pool); AddAll(c.Classifier); break;
            case ResNet c:
                // Stem, its ReLU, every BasicBlock of every stage (the children layer1, layer2, ...), pooling, Flatten, fc.
                list.Add(c.Conv1);
                list.Add(c.Bn1);
                list.Add(new ReLU());
                foreach (var (_, child) in c.NamedChildren())
                    if (child is Sequential stage) AddAll(stage);
                list.Add(c.Pool);
                list.Add(new Flatten());
                list.Add(c.Fc);
                break;
            case DenseNet c:
                AddAll(c.Features);
                list.Add(new ReLU());
                list.Add(new AdaptiveAvgPool2d(1));
                list.Add(new Flatten());
                list.Add(c.Classifier);
                break;
            default: throw new ArgumentException($"profile: no layer list for {model.GetType().Name}");
        }
        return list;
    }
}
