using Axon.Kernels;

namespace Axon.Tests.Ops;

/// <summary>
/// Large contiguous element-wise ops are split over the kernel threads; every element must still be exactly what
/// the one-thread kernel computes, at sizes that do not divide evenly and across the partition boundaries.
/// </summary>
public class ParallelElementwiseTests
{
    public static TheoryData<int> Sizes => new() { 131_077, 300_001, 1 << 20 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void UnaryOpsEqualTheSerialKernel(int n)
    {
        var x = Tensor.Randn([n], new Generator(1));
        var xs = x.ToFloatArray();
        var expected = new float[n];
        Elementwise.Relu<float>(xs, expected);
        Assert.Equal(expected, x.Relu().ToFloatArray());
        Elementwise.Tanh<float>(xs, expected);
        Assert.Equal(expected, x.Tanh().ToFloatArray());
        Elementwise.Exp<float>(xs, expected);
        Assert.Equal(expected, x.Exp().ToFloatArray());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BinaryOpsEqualTheSerialKernel(int n)
    {
        var a = Tensor.Randn([n], new Generator(2), DType.Float64);
        var b = Tensor.Randn([n], new Generator(3), DType.Float64);
        double[] av = a.ToDoubleArray(), bv = b.ToDoubleArray(), expected = new double[n];
        Elementwise.Add<double>(av, bv, expected);
        Assert.Equal(expected, (a + b).ToDoubleArray());
        Elementwise.Multiply<double>(av, bv, expected);
        Assert.Equal(expected, (a * b).ToDoubleArray());
        Elementwise.Divide<double>(av, bv, expected);
        Assert.Equal(expected, (a / b).ToDoubleArray());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ReluBackwardEqualsTheSerialKernel(int n)
    {
        var x = Tensor.Randn([n], new Generator(4)).RequiresGrad_();
        var g = Tensor.Randn([n], new Generator(5));
        x.Relu().Backward(g);
        var expected = new float[n];
        Elementwise.ReluBackward<float>(x.ToFloatArray(), g.ToFloatArray(), expected);
        Assert.Equal(expected, x.Grad!.ToFloatArray());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void TanhAndSigmoidBackwardEqualTheSerialKernelAndTheComposite(int n)
    {
        var x = Tensor.Randn([n], new Generator(6)).RequiresGrad_();
        var g = Tensor.Randn([n], new Generator(7));
        var y = x.Tanh();
        y.Backward(g);
        var expected = new float[n];
        Elementwise.TanhBackward<float>(y.ToFloatArray(), g.ToFloatArray(), expected);
        Assert.Equal(expected, x.Grad!.ToFloatArray());
        // The fused pass rounds as g * (1 - y * y) does, op by op.
        Assert.Equal((g * (1.0 - y.Detach() * y.Detach())).ToFloatArray(), x.Grad!.ToFloatArray());

        x.Grad = null;
        var s = x.Sigmoid();
        s.Backward(g);
        Elementwise.SigmoidBackward<float>(s.ToFloatArray(), g.ToFloatArray(), expected);
        Assert.Equal(expected, x.Grad!.ToFloatArray());
        Assert.Equal((g * s.Detach() * (1.0 - s.Detach())).ToFloatArray(), x.Grad!.ToFloatArray());
    }
}
