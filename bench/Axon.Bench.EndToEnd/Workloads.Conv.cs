using System.Diagnostics;
using Axon;
using Axon.Backends;
using Axon.Models;
using Axon.Nn;

// conv-layers: every distinct convolution of a model's training step, timed on its own through the backend
// (forward, input gradient, weight gradient), with its GFLOP/s; each pass is repeated until --min-seconds.
internal static partial class Workloads
{
    public static void ConvLayers(Options o, Dictionary<string, object?> r)
    {
        string name = o.Str("model", "resnet-small");
        int batch = o.Int("batch", 64);
        double minSeconds = o.Double("min-seconds", 0.3);
        var g = new Generator(o.Int("seed", 0));
        // A GAN's convolutions are its discriminator's (the generator's transposed ones run the same shapes backwards).
        // The Siamese network's are its encoder's.
        Module<Tensor, Tensor> model = Axon.Models.Generative.GenerativeZoo.Contains(name)
            ? Axon.Models.Generative.GenerativeZoo.Create(name, g) switch
            {
                Axon.Models.Generative.Gan gan => gan.Discriminator,
                Axon.Models.Siamese.SiameseNetwork siamese => siamese.Encoder,
                var other => throw new ArgumentException($"conv-layers: {name} ({other.GetType().Name}) has no convolutions to time."),
            }
            : ModelZoo.Create(name, 10, g);
        model.To(Device);
        model.Train();
        var seen = new List<(Conv2d Conv, int[] InShape, int Count)>();
        var hooks = new List<IDisposable>();
        foreach (var (_, m) in model.NamedModules())
            if (m is Conv2d c)
                hooks.Add(c.RegisterForwardHook((mod, input, output) =>
                {
                    int i = seen.FindIndex(e => e.InShape.SequenceEqual(input.GetShape()) && e.Conv.Weight.GetShape().SequenceEqual(c.Weight.GetShape()) && e.Conv.Stride == c.Stride && e.Conv.Padding == c.Padding);
                    if (i < 0) seen.Add((c, input.GetShape(), 1));
                    else seen[i] = (seen[i].Conv, seen[i].InShape, seen[i].Count + 1);
                }));
        using (new TensorScope())
        using (GradMode.NoGrad())
            model.Forward(Tensor.Randn([batch, 1, 28, 28], g, device: Device));
        foreach (var h in hooks) h.Dispose();
        var be = Device.Backend;
        var rows = new List<Dictionary<string, object?>>();
        double totalMs = 0;
        foreach (var (conv, inShape, count) in seen)
        {
            var x = Tensor.Randn(inShape, g, device: Device);
            var w = conv.Weight.Detach();
            var p = new Conv2dParams(conv.Stride.H, conv.Stride.W, conv.Padding.H, conv.Padding.H, conv.Padding.W, conv.Padding.W, 1, 1, conv.Groups);
            int[] ws = w.GetShape();
            int oh = p.OutH(inShape[2], ws[2]), ow = p.OutW(inShape[3], ws[3]);
            var y = Tensor.Zeros([batch, ws[0], oh, ow], device: Device);
            var gy = Tensor.Randn([batch, ws[0], oh, ow], g, device: Device);
            var gx = Tensor.Zeros(inShape, device: Device);
            var gw = Tensor.Zeros(ws, device: Device);
            double flops = 2.0 * batch * ws[0] * oh * ow * ws[1] * ws[2] * ws[3];
            // --stat mean (default): the window's mean; --stat min: the fastest single call, which a busy host
            // disturbs least (for A/B runs while other work shares the cores).
            bool useMin = o.Str("stat", "mean") == "min";
            double Time(Action a)
            {
                for (int i = 0; i < 3; i++) a();
                int reps = 0;
                double best = double.MaxValue;
                var sw = Stopwatch.StartNew();
                do
                {
                    long t0 = Stopwatch.GetTimestamp();
                    a();
                    best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    reps++;
                } while (sw.Elapsed.TotalSeconds < minSeconds);
                return useMin ? best : sw.Elapsed.TotalMilliseconds / reps;
            }
            double fwd = Time(() => be.Conv2d(x, w, null, p, y));
            double bx = Time(() => be.Conv2dBackward(null, w, gy, p, gx, null, null));
            double bw = Time(() => be.Conv2dBackward(x, null, gy, p, null, gw, null));
            string key = $"{ws[1]}->{ws[0]} k{ws[2]} s{conv.Stride.H} in{inShape[2]}x{inShape[3]} x{count}";
            rows.Add(new()
            {
                ["conv"] = key,
                ["fwd_ms"] = fwd,
                ["bwd_input_ms"] = bx,
                ["bwd_weight_ms"] = bw,
                ["fwd_gflops"] = flops / fwd / 1e6,
                ["bwd_input_gflops"] = flops / bx / 1e6,
                ["bwd_weight_gflops"] = flops / bw / 1e6,
            });
            totalMs += count * (fwd + bx + bw);
            Console.Error.WriteLine($"{key,-36} fwd {fwd,7:F2} ms {flops / fwd / 1e6,6:F0} GF/s | dx {bx,7:F2} ms {flops / bx / 1e6,6:F0} | dw {bw,7:F2} ms {flops / bw / 1e6,6:F0}");
        }
        Console.Error.WriteLine($"all convolutions of one step: {totalMs:F1} ms");
        r["model"] = name;
        r["batch"] = batch;
        r["convs"] = rows;
        r["conv_step_ms"] = totalMs;
    }
}
