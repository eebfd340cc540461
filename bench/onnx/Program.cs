using System.Diagnostics;
using System.Globalization;
using Axon;
using Axon.Backends;
using Axon.Models;
using Axon.Onnx;
using Microsoft.ML.OnnxRuntime;

// Latency of one evaluation forward pass of the lecture CNN: Axon's own (no gradient recording, intermediates returned
// to the buffer pool after each call) and its ONNX export in ONNX Runtime (default graph optimisations), both with the
// same thread count, at each batch size. Each figure is the median of --windows windows of at least --seconds each.
// Usage: dotnet run -c Release --project bench/onnx -- [--threads 2] [--batches 1,64] [--windows 5] [--seconds 1]
var opts = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal)).ToDictionary(p => p.a[2..], p => args[p.i + 1], StringComparer.Ordinal);
int threads = int.Parse(opts.GetValueOrDefault("threads", "2"), CultureInfo.InvariantCulture);
int[] batches = opts.GetValueOrDefault("batches", "1,64").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
int windows = int.Parse(opts.GetValueOrDefault("windows", "5"), CultureInfo.InvariantCulture);
double seconds = double.Parse(opts.GetValueOrDefault("seconds", "1"), CultureInfo.InvariantCulture);

var device = Device.CpuWith(new CpuOptions { Threads = threads });
var model = new LectureCnn(generator: new Generator(0));
model.Eval();
model.To(device);
var onnx = OnnxExport.ToBytes(model, x => [model.Call(x[0])], [Tensor.Zeros([1, 1, 28, 28]).To(device)]);

using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
using var session = new InferenceSession(onnx, sessionOptions);
Console.WriteLine($"lecture CNN, {threads} threads, median of {windows} windows of at least {seconds} s; ONNX model {onnx.Length / 1e6:F2} MB; ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
Console.WriteLine("| batch | Axon eval forward | ONNX Runtime | ONNX Runtime / Axon |");
Console.WriteLine("|---:|---:|---:|---:|");
foreach (int batch in batches)
{
    var x = Tensor.Rand([batch, 1, 28, 28], new Generator(1));
    var xd = x.To(device);
    double Axon()
    {
        using var scope = new TensorScope();
        using var noGrad = GradMode.NoGrad();
        var y = model.Forward(xd);
        return y.ToFloatArray()[0];
    }
    using var input = OrtValue.CreateTensorValueFromMemory(x.ToFloatArray(), [batch, 1, 28, 28]);
    using var run = new RunOptions();
    string[] inputNames = ["input"], outputNames = ["output"];
    OrtValue[] inputs = [input];
    double Ort()
    {
        using var outputs = session.Run(run, inputNames, inputs, outputNames);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }
    // The two must agree before their speeds mean anything.
    double a = Axon(), o = Ort();
    if (Math.Abs(a - o) > 1e-5) throw new InvalidOperationException($"batch {batch}: Axon {a}, ONNX Runtime {o}");
    double axonMs = Median(Axon), ortMs = Median(Ort);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {batch} | {axonMs:F3} ms ({batch / axonMs * 1000:F0} img/s) | {ortMs:F3} ms ({batch / ortMs * 1000:F0} img/s) | {ortMs / axonMs:F2} |"));
}

double Median(Func<double> call)
{
    for (var w = Stopwatch.StartNew(); w.Elapsed.TotalSeconds < Math.Min(1, seconds);) call();   // warm-up
    var perCall = new double[windows];
    for (int i = 0; i < windows; i++)
    {
        long calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            call();
            calls++;
        }
        perCall[i] = watch.Elapsed.TotalMilliseconds / calls;
    }
    Array.Sort(perCall);
    return perCall[windows / 2];
}
