using Axon;
using BenchmarkDotNet.Attributes;

namespace Axon.Benchmarks;

/// <summary>
/// The convolutions of the lecture CNN, LeNet-5 and the small ResNet at batch 64 (float32), forward and backward.
/// Layer names read input channels x size -> output channels, kernel, stride, padding; "(dW)" layers are first layers
/// whose input needs no gradient (backward = weight and bias gradients only).
/// Run: dotnet run -c Release --project bench/Axon.Benchmarks -- --filter '*Conv*'
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Tensor x = null!, w = null!, b = null!, r = null!, y = null!;

    [Params("1x28->32 k5 (dW)", "32x8->64 k5", "1x28->6 k5 p2 (dW)", "6x14->16 k5", "32x28->32 k3 p1", "32x28->64 k3 s2 p1", "32x28->64 k1 s2", "64x14->128 k3 s2 p1", "128x7->128 k3 p1")]
    public string Layer { get; set; } = "1x28->32 k5 (dW)";

    private int stride, padding;

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        var (c, size, o, k, s, p) = Layer switch
        {
            "1x28->32 k5 (dW)" => (1, 28, 32, 5, 1, 0),
            "32x8->64 k5" => (32, 8, 64, 5, 1, 0),
            "1x28->6 k5 p2 (dW)" => (1, 28, 6, 5, 1, 2),
            "6x14->16 k5" => (6, 14, 16, 5, 1, 0),
            "32x28->32 k3 p1" => (32, 28, 32, 3, 1, 1),
            "32x28->64 k3 s2 p1" => (32, 28, 64, 3, 2, 1),
            "32x28->64 k1 s2" => (32, 28, 64, 1, 2, 0),
            "64x14->128 k3 s2 p1" => (64, 14, 128, 3, 2, 1),
            _ => (128, 7, 128, 3, 1, 1),
        };
        stride = s;
        padding = p;
        x = Tensor.Randn([64, c, size, size], g);
        if (!Layer.EndsWith("(dW)", StringComparison.Ordinal)) x.RequiresGrad_();
        w = Tensor.Randn([o, c, k, k], g).RequiresGrad_();
        b = Tensor.Randn([o], g).RequiresGrad_();
        r = Tensor.Randn(Tensor.Conv2d(x, w, b, stride: s, padding: p).GetShape(), g);
    }

    [Benchmark]
    public void Forward()
    {
        using var scope = new TensorScope();
        using var noGrad = Tensor.NoGrad();
        Tensor.Conv2d(x, w, b, stride: stride, padding: padding);
    }

    /// <summary>Backward only: the forward that records the graph runs in the iteration setup.</summary>
    [IterationSetup(Target = nameof(Backward))]
    public void RecordForward()
    {
        x.Grad = w.Grad = b.Grad = null;
        y = Tensor.Conv2d(x, w, b, stride: stride, padding: padding);
    }

    [Benchmark]
    public void Backward() => y.Backward(r);
}
