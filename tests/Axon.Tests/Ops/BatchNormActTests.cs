using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

/// <summary>
/// The fused batch norm + residual add + ReLU (Tensor.BatchNormAct, BatchNormBase.ForwardAct): the same bits as the
/// composite relu(bn(x) + r) forward and backward on the CPU (float32 and float64, planes and [N, C] rows, both thread
/// counts) and on the reference device, float64 gradient checks, the running statistics, and the errors.
/// </summary>
public class BatchNormActTests
{
    private static readonly Device OneThread = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = 1 });

    public static TheoryData<int[], bool, bool, DType> Cases()
    {
        var d = new TheoryData<int[], bool, bool, DType>();
        foreach (var shape in new[] { new[] { 4, 3, 5, 7 }, new[] { 6, 5 }, new[] { 3, 17, 9, 9 } })
            foreach (bool residual in new[] { false, true })
                foreach (bool relu in new[] { false, true })
                    foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                        d.Add(shape, residual, relu, dtype);
        return d;
    }

    private sealed record Run(float[] Y, float[] Gx, float[] Gw, float[] Gb, float[]? Gr, float[] RunningMean, float[] RunningVar);

    // One training forward and backward, fused or as the composite, on a device; everything it produced as float32 bits.
    private static Run Step(int[] shape, bool residual, bool relu, DType dtype, Device device, bool fused)
    {
        var g = new Generator(7);
        var x = (Tensor.Randn(shape, g, dtype) * 1.5 + 0.3).To(device).RequiresGrad_();
        var r = residual ? Tensor.Randn(shape, g, dtype).To(device).RequiresGrad_() : null;
        var gy = Tensor.Randn(shape, g, dtype).To(device);
        var bn = shape.Length == 2 ? (BatchNormBase)new BatchNorm1d(shape[1], dtype: dtype) : new BatchNorm2d(shape[1], dtype: dtype);
        using (Tensor.NoGrad())
        {
            bn.Weight!.CopyFrom(Tensor.Randn([shape[1]], g, dtype));
            bn.Bias!.CopyFrom(Tensor.Randn([shape[1]], g, dtype));
        }
        bn.To(device);
        Tensor y;
        if (fused) y = bn.ForwardAct(x, r, relu);
        else
        {
            y = bn.Forward(x);
            if (r is not null) y = y + r;
            if (relu) y = y.Relu();
        }
        y.Backward(gy);
        static float[] F(Tensor t) => t.To(Device.Cpu).To(DType.Float32).ToFloatArray();
        return new Run(F(y), F(x.Grad!), F(bn.Weight!.Grad!), F(bn.Bias!.Grad!), r is null ? null : F(r.Grad!), F(bn.RunningMean!), F(bn.RunningVar!));
    }

    private static void Same(Run a, Run b, string what)
    {
        Assert.True(a.Y.SequenceEqual(b.Y), $"{what}: outputs differ");
        Assert.True(a.Gx.SequenceEqual(b.Gx), $"{what}: input gradients differ");
        Assert.True(a.Gw.SequenceEqual(b.Gw), $"{what}: weight gradients differ");
        Assert.True(a.Gb.SequenceEqual(b.Gb), $"{what}: bias gradients differ");
        Assert.True(a.Gr is null ? b.Gr is null : a.Gr.SequenceEqual(b.Gr!), $"{what}: residual gradients differ");
        Assert.True(a.RunningMean.SequenceEqual(b.RunningMean) && a.RunningVar.SequenceEqual(b.RunningVar), $"{what}: running statistics differ");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedEqualsTheCompositeToTheBit(int[] shape, bool residual, bool relu, DType dtype)
    {
        string what = $"[{string.Join(",", shape)}] residual {residual} relu {relu} {dtype}";
        var composite = Step(shape, residual, relu, dtype, Device.Cpu, fused: false);
        Same(composite, Step(shape, residual, relu, dtype, Device.Cpu, fused: true), what + " (cpu)");
        Same(composite, Step(shape, residual, relu, dtype, OneThread, fused: true), what + " (cpu, 1 thread)");
        Same(Step(shape, residual, relu, dtype, Device.Reference, fused: false), Step(shape, residual, relu, dtype, Device.Reference, fused: true), what + " (reference)");
        // The ReLU really masks: some outputs are 0 and pass no gradient.
        if (relu) Assert.Contains(0f, composite.Y);
    }

    [Fact]
    public void GradientsPassTheFloat64Check()
    {
        var rm = Tensor.Zeros([3], DType.Float64);
        var rv = Tensor.Ones([3], DType.Float64);
        // Away from the ReLU's kink: the check's finite differences must not cross it.
        var x = AwayFrom(3, [4, 3, 2, 3], 0.0);
        var w = Leaf(4, 3);
        var b = Leaf(5, 3);
        var r = Leaf(6, 4, 3, 2, 3);
        CheckMany(t => Tensor.BatchNormAct(t[0], rm, rv, t[1], t[2], training: true, 0.1, 1e-5, t[3], relu: false), x, w, b, r);
        CheckMany(t => Tensor.BatchNormAct(t[0], rm, rv, t[1], t[2], training: false, 0.1, 1e-5, t[3], relu: true), x, w, b, r);
        // Training with the ReLU: x chosen so that bn(x) + r stays away from 0.
        var x2 = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (double)(i % 5) - 2 + 0.1 * i).ToArray()).Reshape(4, 3, 2).RequiresGrad_();
        var r2 = Tensor.Full([4, 3, 2], 0.25, DType.Float64).RequiresGrad_();
        var y = Tensor.BatchNormAct(x2.Detach(), null, null, w.Detach(), b.Detach(), training: true, 0.1, 1e-5, r2.Detach(), relu: true);
        Assert.True(y.ToDoubleArray().All(v => v == 0 || v > 1e-3) && y.ToDoubleArray().Any(v => v == 0));
        CheckMany(t => Tensor.BatchNormAct(t[0], null, null, t[1], t[2], training: true, 0.1, 1e-5, t[3], relu: true), x2, w, b, r2);
    }

    [Fact]
    public void BadInputsNameTheOpAndShapes()
    {
        var x = Tensor.Randn([2, 3, 4, 4], new Generator(1));
        var ex = Assert.Throws<ArgumentException>(() => Tensor.BatchNormAct(x, null, null, null, null, true, 0.1, 1e-5, Tensor.Zeros([2, 3, 4, 5]), relu: true));
        Assert.Contains("BatchNormAct", ex.Message);
        Assert.Contains("[2, 3, 4, 4]", ex.Message);
        Assert.Contains("[2, 3, 4, 5]", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.BatchNormAct(x, null, null, null, null, true, 0.1, 1e-5, Tensor.Zeros([2, 3, 4, 4], DType.Float64), relu: false));
        var bn = new BatchNorm2d(5);
        Assert.Contains("5 channels", Assert.Throws<ArgumentException>(() => bn.ForwardAct(x, null, relu: true)).Message);
    }

    [Fact]
    public void SequentialRunsBatchNormThenReluAsOneOp()
    {
        var g = new Generator(2);
        var seq = new Sequential(new BatchNorm2d(3), new ReLU());
        var x = Tensor.Randn([2, 3, 4, 4], g).RequiresGrad_();
        var y = seq.Forward(x);
        Assert.Equal("BatchNormAct", y.GradFn!.Name);
        var bn = new BatchNorm2d(3);
        var expected = bn.Forward(x.Detach()).Relu();
        Assert.Equal(expected.ToFloatArray(), y.ToFloatArray());
        // A hook on either module keeps the pair unfused, so the hook sees the batch norm's own output.
        Tensor? seen = null;
        using (((BatchNorm2d)seq[0]).RegisterForwardHook((_, _, o) => seen = o))
            Assert.Equal("Relu", seq.Forward(x).GradFn!.Name);
        Assert.Contains(seen!.ToFloatArray(), v => v < 0);
    }
}
