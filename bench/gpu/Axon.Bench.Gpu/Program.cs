using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Axon;
using Axon.Backends;
using Axon.Cuda;
using Axon.Cuda.Runtime;
using Axon.Cuda.Tests;

// Usage: Axon.Bench.Gpu [results.json]
// Runs the primitive checks against the reference backend, then times SGEMM (FP32 and TF32) and a ResNet-shaped 3x3
// convolution forward and backward, prints a table and writes JSON. Exit code 1 when a check fails or no GPU is found.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string output = args.Length > 0 ? args[0] : "gpu-results.json";
if (!CudaBackend.IsAvailable(out var why))
{
    Console.Error.WriteLine($"No CUDA device: {why}");
    return 1;
}
CudaBackend.Register();
var cuda = Device.Cuda(0);
var ctx = ((CudaBackend)cuda.Backend).Context;
Console.WriteLine($"{ctx}");

var checks = PrimitiveChecks.RunAll(cuda);
foreach (var c in checks) Console.WriteLine(c);
int failed = checks.Count(c => !c.Passed);
Console.WriteLine($"{checks.Count - failed}/{checks.Count} checks passed");

var timings = new List<Timing>();
foreach (bool tf32 in (bool[])[false, true])
{
    var dev = CudaBackend.DeviceWith(0, new CudaOptions { AllowTf32 = tf32 });
    foreach (int n in (int[])[1024, 4096, 8192])
    {
        var a = Tensor.Randn([n, n], new Generator(1), device: dev);
        var b = Tensor.Randn([n, n], new Generator(2), device: dev);
        var c = Tensor.Zeros([n, n], device: dev);
        double ms = Time(dev, () => dev.Backend.MatMul(a, b, c, 0));
        timings.Add(new($"SGEMM {n}x{n}x{n}{(tf32 ? " TF32" : "")}", ms, 2.0 * n * n * n / (ms * 1e9)));
        a.Dispose(); b.Dispose(); c.Dispose();
    }
}
foreach (bool tf32 in (bool[])[false, true])
{
    var dev = CudaBackend.DeviceWith(0, new CudaOptions { AllowTf32 = tf32 });
    // ResNet-18's second stage: 128 channels at 28x28, batch 256, 3x3, padding 1.
    int N = 256, C = 128, H = 28, K = 128;
    var p = new Conv2dParams(1, 1, 1, 1, 1, 1, 1, 1, 1);
    var x = Tensor.Randn([N, C, H, H], new Generator(3), device: dev);
    var w = Tensor.Randn([K, C, 3, 3], new Generator(4), device: dev);
    var y = Tensor.Zeros([N, K, H, H], device: dev);
    var gx = Tensor.Zeros([N, C, H, H], device: dev);
    var gw = Tensor.Zeros([K, C, 3, 3], device: dev);
    double flops = 2.0 * N * K * H * H * C * 9;
    string tag = $"[{N},{C},{H},{H}] 3x3x{K}{(tf32 ? " TF32" : "")}";
    double f = Time(dev, () => dev.Backend.Conv2d(x, w, null, p, y));
    timings.Add(new($"conv fwd {tag}", f, flops / (f * 1e9)));
    double bd = Time(dev, () => dev.Backend.Conv2dBackward(null, w, y, p, gx, null, null));
    timings.Add(new($"conv bwd-data {tag}", bd, flops / (bd * 1e9)));
    double bf = Time(dev, () => dev.Backend.Conv2dBackward(x, null, y, p, null, gw, null));
    timings.Add(new($"conv bwd-filter {tag}", bf, flops / (bf * 1e9)));
}
Console.WriteLine();
Console.WriteLine($"{"operation",-48} {"ms",10} {"TFLOP/s",9}");
foreach (var t in timings) Console.WriteLine($"{t.Name,-48} {t.Milliseconds,10:F3} {t.Tflops,9:F1}");
Console.WriteLine(ctx.Allocator.Stats);

var report = new Report(ctx.Description, DateTime.UtcNow.ToString("u"), checks.Select(c => new CheckRow(c.Name, c.MaxError, c.Tolerance, c.Passed)).ToList(), timings,
    ctx.Allocator.Stats.PeakAllocatedBytes, ctx.Allocator.Stats.PeakReservedBytes);
File.WriteAllText(output, JsonSerializer.Serialize(report, BenchJson.Default.Report));
Console.WriteLine($"wrote {output}");
return failed == 0 ? 0 : 1;

// Median of 10 timed runs after 3 warm-ups (the first also picks cuDNN's algorithm), by the host clock around a synchronised stream.
static double Time(Device dev, Action run)
{
    var backend = (CudaBackend)dev.Backend;
    for (int i = 0; i < 3; i++) run();
    backend.Synchronize();
    var ms = new List<double>();
    for (int i = 0; i < 10; i++)
    {
        var sw = Stopwatch.StartNew();
        run();
        backend.Synchronize();
        ms.Add(sw.Elapsed.TotalMilliseconds);
    }
    ms.Sort();
    return ms[ms.Count / 2];
}

internal sealed record Timing(string Name, double Milliseconds, double Tflops);

internal sealed record CheckRow(string Name, double MaxError, double Tolerance, bool Passed);

internal sealed record Report(string Device, string Date, List<CheckRow> Checks, List<Timing> Timings, long PeakAllocatedBytes, long PeakReservedBytes);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Report))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
