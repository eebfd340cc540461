using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class MathTests
{
    // Each op with the points where it is not differentiable, which the inputs keep away from.
    private static readonly Dictionary<string, (Func<Tensor, Tensor> F, double[] Kinks, bool Positive)> Unary = new()
    {
        ["Exp"] = (x => x.Exp(), [], false),
        ["Log"] = (x => x.Log(), [], true),
        ["Sqrt"] = (x => x.Sqrt(), [], true),
        ["Square"] = (x => x.Square(), [], false),
        ["Reciprocal"] = (x => x.Reciprocal(), [0], false),
        ["Abs"] = (x => x.Abs(), [0], false),
        ["Tanh"] = (x => x.Tanh(), [], false),
        ["Sigmoid"] = (x => x.Sigmoid(), [], false),
        ["Relu"] = (x => x.Relu(), [0], false),
        ["LeakyRelu"] = (x => x.LeakyRelu(0.1), [0], false),
        ["Clamp"] = (x => x.Clamp(-0.5, 0.7), [-0.5, 0.7], false),
        ["ClampMin"] = (x => x.Clamp(min: 0.2), [0.2], false),
        ["ClampMax"] = (x => x.Clamp(max: -0.3), [-0.3], false),
        ["Elu"] = (x => x.Elu(1.3), [0], false),
        ["Softplus"] = (x => x.Softplus(), [], false),
        ["SoftplusBeta"] = (x => x.Softplus(beta: 2.0, threshold: 3.0), [1.5], false),
        ["Sign"] = (x => x.Sign(), [0], false),
        ["Step"] = (x => x.Step(), [0], false),
    };

    public static TheoryData<string> UnaryNames => new(Unary.Keys);

    private static Tensor Input(string op, int seed, int[] shape)
    {
        var (_, kinks, positive) = Unary[op];
        if (!positive) return AwayFrom(seed, shape, kinks);
        return Uniform(seed, 0.3, 3.0, shape);
    }

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnaryGradients(string op)
    {
        var f = Unary[op].F;
        Check(f, Input(op, 1, [2, 3, 5]));
        Check(f, Input(op, 2, [1]));
        Check(f, Input(op, 3, []));
        // Non-contiguous leaves: a transpose and a strided slice.
        Check(f, Transposed(Input(op, 4, [5, 3]).Detach()));
        var strided = Tensor.Zeros([4, 6], DType.Float64);
        strided.CopyFrom(Input(op, 5, [4, 6]).Detach());
        var v = strided.Narrow(1, 1, 4).Detach();
        Assert.False(v.IsContiguous);
        Check(f, v.RequiresGrad_());
    }

    [Fact]
    public void SoftplusGradientsAcrossTheThreshold()
    {
        // beta * x on both sides of the threshold (20 by default), away from it.
        var x = Tensor.FromArray([-30.0, -5.0, -0.3, 0.4, 5.0, 19.0, 21.0, 40.0]).RequiresGrad_();
        Check(t => t.Softplus(), x);
    }

    [Fact]
    public void SoftplusAtZero()
    {
        var x = Tensor.FromArray([0.0, 0.0]).RequiresGrad_();
        var y = x.Softplus();
        Assert.Equal(Math.Log(2), y.ToDoubleArray()[0], 12);
        y.Sum().Backward();
        // d softplus / dx = sigmoid(x) = 0.5 at 0.
        Assert.Equal([0.5, 0.5], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void WhereGradients()
    {
        var cond = Tensor.FromArray([1.0, 0.0, 2.0, 0.0, -1.0], 5, 1);
        Check((a, b) => Tensor.Where(cond, a, b), Leaf(1, 5, 3), Leaf(2, 5, 3));
        // Broadcast: a [1, 3], b 0-d, cond [5, 1].
        Check((a, b) => Tensor.Where(cond, a, b), Leaf(3, 1, 3), Leaf(4));
        Check((a, b) => Tensor.Where(cond, a, b), NonContiguous(5, 5, 3), Strided(6, 3));
    }

    [Fact]
    public void ForwardValues()
    {
        var x = Tensor.FromArray([-2.0, -0.5, 0.0, 0.5, 2.0]);
        Assert.Equal([0.0, 0.0, 0.0, 0.5, 2.0], x.Relu().ToDoubleArray());
        Assert.Equal([-0.2, -0.05, 0.0, 0.5, 2.0], x.LeakyRelu(0.1).ToDoubleArray());
        Assert.Equal([-1.0, -0.5, 0.0, 0.5, 1.0], x.Clamp(-1, 1).ToDoubleArray());
        Assert.Equal([-1.0, -1.0, 0.0, 1.0, 1.0], x.Sign().ToDoubleArray());
        Assert.Equal([0.0, 0.0, 1.0, 1.0, 1.0], x.Step().ToDoubleArray());
        Assert.Equal([2.0, 0.5, 0.0, 0.5, 2.0], x.Abs().ToDoubleArray());
        var elu = x.Elu().ToDoubleArray();
        Assert.Equal(Math.Exp(-2) - 1, elu[0], 14);
        Assert.Equal(2.0, elu[4]);
        var sig = x.Sigmoid().ToDoubleArray();
        Assert.Equal(0.5, sig[2], 14);
        Assert.Equal(1 / (1 + Math.Exp(-2)), sig[4], 14);
        var sp = Tensor.FromArray([-100.0, 0.0, 1.0, 30.0]).Softplus().ToDoubleArray();
        Assert.Equal(Math.Exp(-100), sp[0], Math.Exp(-100) * 1e-9);
        Assert.Equal(Math.Log(2), sp[1], 14);
        Assert.Equal(Math.Log(1 + Math.E), sp[2], 14);
        Assert.Equal(30.0, sp[3]);
        Assert.Equal([4.0, 0.25], Tensor.FromArray([2.0, 0.5]).Square().ToDoubleArray());
        Assert.Equal([0.5, 2.0], Tensor.FromArray([2.0, 0.5]).Reciprocal().ToDoubleArray());
        Assert.Equal(float.NaN, Tensor.FromArray([-1f]).Sqrt().ToFloatArray()[0]);
        Assert.Equal(float.NegativeInfinity, Tensor.FromArray([0f]).Log().ToFloatArray()[0]);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LeakyReluFusedBackwardEqualsItsCompositeToTheBit(DType dtype)
    {
        // The fused pass (a plain backward) against the composite it replaces (what a recorded backward computes).
        float[] specials = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-39f, -1e-39f];
        foreach (double slope in new[] { 0.2, 0.01, 0.1, 1.0 / 3, 0.7, 2.5, 0.0 })
        {
            var g = new Generator(7);
            var xs = Enumerable.Range(0, 3001).Select(i => i < 7 ? specials[i] : (float)(g.NextNormal() * 3)).ToArray();
            var gs = Enumerable.Range(0, 3001).Select(i => i % 97 == 3 ? specials[i % 7] : (float)g.NextNormal()).ToArray();
            var x = Tensor.FromArray(xs).To(dtype).RequiresGrad_();
            var gy = Tensor.FromArray(gs).To(dtype);
            x.LeakyRelu(slope).Backward(gy);
            var composite = (gy * (x.Detach().Gt(0) * (1.0 - slope) + slope)).ToDoubleArray();
            var fused = x.Grad!.ToDoubleArray();
            for (int i = 0; i < fused.Length; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(fused[i]) == BitConverter.DoubleToInt64Bits(composite[i]) || (double.IsNaN(fused[i]) && double.IsNaN(composite[i])),
                    $"slope {slope}, x {xs[i]:R}, g {gs[i]:R}: fused {fused[i]:R}, composite {composite[i]:R}");
        }
    }

    [Fact]
    public void UnaryOnInt64ConvertsToFloat32ExceptSignPreservingOps()
    {
        var l = Tensor.FromArray([-2L, 3L]);
        Assert.Equal(DType.Int64, l.Abs().DType);
        Assert.Equal([2L, 3L], l.Abs().ToLongArray());
        Assert.Equal([2L, -3L], l.Neg().ToLongArray());
        Assert.Equal(DType.Float32, l.Exp().DType);
        Assert.Equal([-0.02f, 3f], l.LeakyRelu(0.01).ToFloatArray());
        Assert.Equal([0f, 3f], l.Relu().ToFloatArray());
    }

    [Fact]
    public void WhereBroadcastsAndPromotes()
    {
        var cond = Tensor.FromArray([1L, 0L, 1L]);
        var r = Tensor.Where(cond, Tensor.FromArray([1f, 2f, 3f]), Tensor.Scalar(-1, DType.Float64));
        Assert.Equal(DType.Float64, r.DType);
        Assert.Equal([1.0, -1.0, 3.0], r.ToDoubleArray());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.Ones([2]), Tensor.Ones([3]), Tensor.Ones([3])));
        Assert.Contains("Where", e.Message);
    }

    [Fact]
    public void ClampWithMinAboveMaxThrows()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones([2]).Clamp(2, 1));
        Assert.Contains("min", e.Message);
    }
}
