using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class ArithmeticTests
{
    // Shape pairs: equal, broadcast both ways, size-1 dims, 0-d scalar, odd sizes, more leading dims.
    public static TheoryData<int[], int[]> ShapePairs => new()
    {
        { [3, 4], [3, 4] },
        { [3, 1, 5], [4, 1] },
        { [1], [2, 3] },
        { [2, 3], [] },
        { [5], [3, 1] },
        { [2, 1, 3], [2, 4, 1] },
    };

    private static readonly Dictionary<string, Func<Tensor, Tensor, Tensor>> BinaryOps = new()
    {
        ["Add"] = (a, b) => a.Add(b),
        ["Sub"] = (a, b) => a.Sub(b),
        ["Mul"] = (a, b) => a.Mul(b),
        ["Div"] = (a, b) => a.Div(b),
        ["Maximum"] = (a, b) => a.Maximum(b),
        ["Minimum"] = (a, b) => a.Minimum(b),
        ["op+"] = (a, b) => a + b,
        ["op-"] = (a, b) => a - b,
        ["op*"] = (a, b) => a * b,
        ["op/"] = (a, b) => a / b,
    };

    public static TheoryData<string, int[], int[]> BinaryCases()
    {
        var data = new TheoryData<string, int[], int[]>();
        foreach (var op in BinaryOps.Keys)
            foreach (var (a, b) in ShapePairs.Select(r => ((int[])r[0], (int[])r[1])))
                data.Add(op, a, b);
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryGradients(string op, int[] sa, int[] sb)
    {
        var a = Leaf(1, sa);
        var b = op.Contains('/') || op == "Div" ? AwayFrom(2, sb, 0) : Leaf(2, sb);
        Check(BinaryOps[op], a, b);
    }

    [Theory]
    [MemberData(nameof(ShapePairs))]
    public void PowTensorGradients(int[] sa, int[] sb)
    {
        var a = Uniform(3, 0.5, 2.0, sa);
        var b = Leaf(4, sb);
        Check((x, y) => x.Pow(y), a, b);
    }

    [Fact]
    public void BinaryGradientsOnNonContiguousInputs()
    {
        foreach (var (name, f) in BinaryOps)
        {
            var a = NonContiguous(5, 3, 4);
            var b = name.Contains('/') || name == "Div" ? Transposed(Tensor.FromArray(AwayFrom(6, [4, 3], 0).ToDoubleArray(), 4, 3)) : Strided(6, 3, 4);
            Check(f, a, b);
        }
        Check((x, y) => x.Pow(y), Transposed(Tensor.Rand([4, 3], new Generator(7), DType.Float64, 0.5, 2)), Strided(8, 1, 4));
    }

    [Fact]
    public void BroadcastAgainstNonContiguousOperand()
    {
        // [3,1,2] broadcast with a transposed [4,2] (strides [1,4]).
        var a = Leaf(9, 3, 1, 2);
        var b = Transposed(Tensor.Randn([2, 4], new Generator(10), DType.Float64));
        Check((x, y) => x * y + x / (y.Abs() + 1.0), a, b);
    }

    public static TheoryData<string> ScalarOpNames => new(ScalarOps.Keys);

    private static readonly Dictionary<string, Func<Tensor, Tensor>> ScalarOps = new()
    {
        ["Neg"] = x => x.Neg(),
        ["-x"] = x => -x,
        ["Add(s)"] = x => x.Add(2.5),
        ["Mul(s)"] = x => x.Mul(-1.5),
        ["RSub"] = x => x.RSub(3.0),
        ["RDiv"] = x => x.RDiv(3.0),
        ["x+s"] = x => x + 2.0,
        ["s+x"] = x => 2.0 + x,
        ["x-s"] = x => x - 2.0,
        ["s-x"] = x => 2.0 - x,
        ["x*s"] = x => x * 3.0,
        ["s*x"] = x => 3.0 * x,
        ["x/s"] = x => x / 3.0,
        ["s/x"] = x => 3.0 / x,
        ["Pow(2)"] = x => x.Pow(2),
        ["Pow(3)"] = x => x.Pow(3),
        ["Pow(-1.5)"] = x => x.Abs().Pow(-1.5),
        ["Pow(0.5)"] = x => x.Abs().Pow(0.5),
    };

    [Theory]
    [MemberData(nameof(ScalarOpNames))]
    public void ScalarGradients(string op)
    {
        Check(ScalarOps[op], AwayFrom(11, [2, 3, 5], 0));
        Check(ScalarOps[op], Transposed(Tensor.FromArray(AwayFrom(12, [5, 3], 0).ToDoubleArray(), 5, 3)));
    }

    [Fact]
    public void BroadcastForwardValues()
    {
        var a = Tensor.FromArray([1f, 2f, 3f], 3, 1);
        var b = Tensor.FromArray([10f, 20f, 30f, 40f], 1, 4);
        var c = a + b;
        Assert.Equal([3, 4], c.GetShape());
        Assert.Equal([11f, 21f, 31f, 41f, 12f, 22f, 32f, 42f, 13f, 23f, 33f, 43f], c.ToFloatArray());
        Assert.Equal([-9f, -19f, -29f, -39f, -8f, -18f, -28f, -38f, -7f, -17f, -27f, -37f], (a - b).ToFloatArray());
        Assert.Equal([10f, 5f], (Tensor.FromArray([10f, 10f], 2, 1) / Tensor.FromArray([1f, 2f], 2, 1)).ToFloatArray());
        // Scalar on the left and right.
        Assert.Equal([9f, 8f, 7f], (10.0 - Tensor.FromArray([1f, 2f, 3f])).ToFloatArray());
        Assert.Equal([2f, 1f, 0.5f], (2.0 / Tensor.FromArray([1f, 2f, 4f])).ToFloatArray());
        Assert.Equal([0.5f, 1f, 2f], (Tensor.FromArray([1f, 2f, 4f]) / 2.0).ToFloatArray());
        Assert.Equal([1f, 8f, 27f], Tensor.FromArray([1f, 2f, 3f]).Pow(3).ToFloatArray());
        Assert.Equal([4f, 1f, 3f], Tensor.FromArray([4f, -1f, 3f]).Maximum(Tensor.FromArray([1f])).ToFloatArray());
        Assert.Equal([1f, -1f, 1f], Tensor.FromArray([4f, -1f, 3f]).Minimum(Tensor.FromArray([1f])).ToFloatArray());
    }

    [Fact]
    public void DivisionByScalarIsExactDivision()
    {
        // x / 3 must equal true division, not x * (1/3), which differs in the last bit for some values.
        var v = Enumerable.Range(1, 200).Select(i => i * 0.37).ToArray();
        var x = Tensor.FromArray(v);
        var y = (x / 3.0).ToDoubleArray();
        for (int i = 0; i < v.Length; i++) Assert.Equal(v[i] / 3.0, y[i]);
    }

    [Fact]
    public void MixedDtypesPromote()
    {
        var f = Tensor.FromArray([1f, 2f]);
        var d = Tensor.FromArray([0.5, 0.25]);
        var l = Tensor.FromArray([3L, 4L]);
        Assert.Equal(DType.Float64, (f + d).DType);
        Assert.Equal(DType.Float32, (f + l).DType);
        Assert.Equal(DType.Int64, (l + l).DType);
        Assert.Equal([4f, 6f], (f + l).ToFloatArray());
        Assert.Equal(DType.Float32, (l * 0.5).DType);
        Assert.Equal([1.5f, 2f], (l * 0.5).ToFloatArray());
        Assert.Equal(DType.Int64, (l * 2).DType);
    }

    [Fact]
    public void IntegerDivisionIsTrueDivisionLikePyTorch()
    {
        var correct = Tensor.FromArray([3L]);
        var total = Tensor.FromArray([4L]);
        var acc = correct / total;
        Assert.True(acc.DType.IsFloatingPoint());
        Assert.Equal(0.75, acc.Item(), 6);
        var l = Tensor.FromArray([1L, 2L, 4L]);
        Assert.Equal([0.5f, 1f, 2f], (l / 2.0).ToFloatArray());
        Assert.Equal([0.5f, 1f, 2f], l.Div(2).ToFloatArray());
        Assert.Equal([3f, 1.5f, 0.75f], (3.0 / l).ToFloatArray());
        Assert.Equal([1.5f, 0.5f, -1.5f], (2.5 - l).ToFloatArray());
        Assert.Equal([1L, 0L, -2L], (2.0 - l).ToLongArray());
    }

    [Fact]
    public void GradientOfMixedDtypeOpHasTheInputsDtype()
    {
        var a = Tensor.FromArray([1f, 2f, 3f]).RequiresGrad_();
        var b = Tensor.FromArray([0.5, 1.5, 2.5]).RequiresGrad_();
        (a * b).Sum().Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float64, b.Grad!.DType);
        Assert.Equal([0.5f, 1.5f, 2.5f], a.Grad.ToFloatArray());
        Assert.Equal([1.0, 2.0, 3.0], b.Grad.ToDoubleArray());
    }

    [Fact]
    public void PowGradientsAtAZeroBaseOrExponentAreNotNaN()
    {
        var x = Tensor.FromArray([0.0, 2.0]).RequiresGrad_();
        x.Pow(0).Sum().Backward();
        Assert.Equal([0.0, 0.0], x.Grad!.ToDoubleArray());
        var a = Tensor.FromArray([0.0, 2.0, 0.0]).RequiresGrad_();
        var b = Tensor.FromArray([0.0, 3.0, 2.0]).RequiresGrad_();
        var y = a.Pow(b);
        Assert.Equal([1.0, 8.0, 0.0], y.ToDoubleArray());
        y.Sum().Backward();
        Assert.Equal([0.0, 12.0, 0.0], a.Grad!.ToDoubleArray());
        Assert.Equal([0.0, 8 * Math.Log(2), 0.0], b.Grad!.ToDoubleArray(), new ToleranceComparer(1e-14));
    }

    [Fact]
    public void MaximumSplitsTheGradientOnTies()
    {
        var a = Tensor.FromArray([1.0, 2.0, 3.0]).RequiresGrad_();
        var b = Tensor.FromArray([1.0, 5.0, 0.0]).RequiresGrad_();
        a.Maximum(b).Sum().Backward();
        Assert.Equal([0.5, 0.0, 1.0], a.Grad!.ToDoubleArray());
        Assert.Equal([0.5, 1.0, 0.0], b.Grad!.ToDoubleArray());
    }

    [Fact]
    public void BroadcastMismatchNamesTheOpAndBothShapes()
    {
        var a = Tensor.Zeros([3, 4]);
        var b = Tensor.Zeros([5]);
        var e = Assert.Throws<ArgumentException>(() => a.Mul(b));
        Assert.Contains("Mul", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("[5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.StartsWith("Add", e.Message);
        e = Assert.Throws<ArgumentException>(() => a.Maximum(b));
        Assert.StartsWith("Maximum", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).Pow(Tensor.Zeros([3, 2])));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
    }
}
