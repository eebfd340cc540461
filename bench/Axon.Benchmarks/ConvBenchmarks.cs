using Axon;
using BenchmarkDotNet.Attributes;

namespace Axon.Benchmarks;

/// <summary>
/// The lecture CNN's convolutions at batch 64 (float32): Conv2d(1, 32, 5) on 28x28 and Conv2d(32, 64, 5) on the
/// 12x12 maps after the first pooling. Run: dotnet run -c Release --project bench/Axon.Benchmarks -- --filter '*Conv*'
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Tensor x = null!, w = null!, b = null!, r = null!;

    [Params("1x28x28->32", "32x12x12->64")]
    public string Layer { get; set; } = "1x28x28->32";

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        (int[] xs, int[] ws) = Layer == "1x28x28->32" ? (new[] { 64, 1, 28, 28 }, new[] { 32, 1, 5, 5 }) : (new[] { 64, 32, 12, 12 }, new[] { 64, 32, 5, 5 });
        x = Tensor.Randn(xs, g).RequiresGrad_();
        w = Tensor.Randn(ws, g).RequiresGrad_();
        b = Tensor.Randn([ws[0]], g).RequiresGrad_();
        r = Tensor.Randn(Tensor.Conv2d(x, w, b).GetShape(), g);
    }

    [Benchmark]
    public void Forward()
    {
        using var scope = new TensorScope();
        using var noGrad = Tensor.NoGrad();
        Tensor.Conv2d(x, w, b);
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = new TensorScope();
        x.Grad = w.Grad = b.Grad = null;
        Tensor.Conv2d(x, w, b).Backward(r);
    }
}
