using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class ReductionsTests
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Ops = new()
    {
        ["Sum"] = x => x.Sum(),
        ["Sum(1)"] = x => x.Sum(1),
        ["Sum(-1,keep)"] = x => x.Sum(-1, keepDim: true),
        ["Sum([0,2])"] = x => x.Sum([0, 2]),
        ["Sum([2,0],keep)"] = x => x.Sum([2, 0], keepDim: true),
        ["Mean"] = x => x.Mean(),
        ["Mean(0)"] = x => x.Mean(0),
        ["Mean([1,2],keep)"] = x => x.Mean([1, 2], keepDim: true),
        ["Var([0])"] = x => x.Var([0]),
        ["Var([0,2],c0)"] = x => x.Var([0, 2], correction: 0),
        ["Var(-1,keep)"] = x => x.Var(-1, keepDim: true),
        ["Var()"] = x => x.Var(),
        ["Std([0])"] = x => x.Std([0]),
        ["Std(2,keep)"] = x => x.Std(2, keepDim: true),
        ["Std()"] = x => x.Std(),
        ["Max(0)"] = x => x.Max(0).Values,
        ["Max(1,keep)"] = x => x.Max(1, keepDim: true).Values,
        ["Min(-1)"] = x => x.Min(-1).Values,
        ["Min(2,keep)"] = x => x.Min(2, keepDim: true).Values,
        ["Max()"] = x => x.Max(),
        ["Min()"] = x => x.Min(),
        ["LogSumExp(0)"] = x => x.LogSumExp(0),
        ["LogSumExp(1,keep)"] = x => x.LogSumExp(1, keepDim: true),
        ["LogSumExp(-1)"] = x => x.LogSumExp(-1),
        ["Softmax(0)"] = x => x.Softmax(0),
        ["Softmax(1)"] = x => x.Softmax(1),
        ["Softmax(-1)"] = x => x.Softmax(-1),
        ["LogSoftmax(0)"] = x => x.LogSoftmax(0),
        ["LogSoftmax(1)"] = x => x.LogSoftmax(1),
        ["LogSoftmax(-1)"] = x => x.LogSoftmax(-1),
    };

    public static TheoryData<string> OpNames => new(Ops.Keys);

    [Theory]
    [MemberData(nameof(OpNames))]
    public void Gradients(string op)
    {
        var f = Ops[op];
        Check(f, Leaf(1, 3, 4, 5));
        Check(f, Leaf(2, 2, 1, 3));        // a size-1 dim
        Check(f, NonContiguous(3, 3, 5, 4));
        Check(f, Strided(4, 3, 2, 3));
        var p = Tensor.Randn([4, 3, 5], new Generator(5), DType.Float64).Permute(1, 2, 0);  // [3, 5, 4], non-contiguous
        Check(f, p.RequiresGrad_());
    }

    [Fact]
    public void LogSumExpAndSoftmaxGradientsWithLargeValues()
    {
        var x = Tensor.FromArray([1000.0, 999.0, 998.5, -1000.0, -1001.0, -999.5], 2, 3).RequiresGrad_();
        Check(t => t.LogSumExp(1), x);
        Check(t => t.Softmax(1), x);
        Check(t => t.LogSoftmax(1), x);
    }

    [Fact]
    public void SumAndMeanValuesWithKeepDim()
    {
        var x = Tensor.Arange(0, 24, 1, DType.Float32).Reshape(2, 3, 4);
        Assert.Equal(276.0, x.Sum().Item());
        Assert.Empty(x.Sum().GetShape());
        var s1 = x.Sum(1);
        Assert.Equal([2, 4], s1.GetShape());
        Assert.Equal([12f, 15f, 18f, 21f, 48f, 51f, 54f, 57f], s1.ToFloatArray());
        var s1k = x.Sum(1, keepDim: true);
        Assert.Equal([2, 1, 4], s1k.GetShape());
        Assert.Equal(s1.ToFloatArray(), s1k.ToFloatArray());
        var s02 = x.Sum([0, 2], keepDim: true);
        Assert.Equal([1, 3, 1], s02.GetShape());
        Assert.Equal([60f, 92f, 124f], s02.ToFloatArray());
        Assert.Equal([3], x.Sum([2, 0]).GetShape());
        Assert.Equal(11.5, x.Mean().Item());
        Assert.Equal([5.5f, 17.5f], x.Mean([1, 2]).ToFloatArray());
        Assert.Equal([1, 3, 1], x.Mean([0, -1], keepDim: true).GetShape());
        // Reducing a transposed view.
        Assert.Equal(x.Sum(1).ToFloatArray(), x.Transpose(1, 2).Sum(2).ToFloatArray());
        var e = Assert.Throws<ArgumentException>(() => x.Sum([1, 1]));
        Assert.Contains("repeats", e.Message);
    }

    [Fact]
    public void MaxMinReturnFirstIndexOnTies()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 0f, 2f, 2f, 2f, 5f], 2, 4);
        var (v, i) = x.Max(1);
        Assert.Equal([3f, 5f], v.ToFloatArray());
        Assert.Equal([1L, 3L], i.ToLongArray());
        Assert.Equal(DType.Int64, i.DType);
        var (mv, mi) = x.Min(1, keepDim: true);
        Assert.Equal([2, 1], mv.GetShape());
        Assert.Equal([0f, 2f], mv.ToFloatArray());
        Assert.Equal([3L, 0L], mi.ToLongArray());
        // Ties along dim 0 of a column layout (inner > 1).
        var c = Tensor.FromArray([4f, 1f, 4f, 7f, 1f, 7f], 3, 2);
        Assert.Equal([0L, 1L], c.Max(0).Indices.ToLongArray());
        Assert.Equal([2L, 0L], c.Min(0).Indices.ToLongArray());
        Assert.Equal([0L, 1L], c.ArgMax(0).ToLongArray());
        Assert.Equal([2L, 0L], c.ArgMin(0).ToLongArray());
        Assert.Equal(3L, c.ArgMax().ToLongArray()[0]);
        Assert.Empty(c.ArgMax().GetShape());
        Assert.Equal([3, 1], c.ArgMax(1, keepDim: true).GetShape());
        Assert.Equal(7.0, c.Max().Item());
        Assert.Equal(1.0, c.Min().Item());
    }

    [Fact]
    public void MaxOfAllSharesTheGradientAmongTies()
    {
        var x = Tensor.FromArray([1.0, 3.0, 3.0, 2.0]).RequiresGrad_();
        x.Max().Backward();
        Assert.Equal([0.0, 0.5, 0.5, 0.0], x.Grad!.ToDoubleArray());
        var y = Tensor.FromArray([1.0, 3.0, 3.0, 2.0], 2, 2).RequiresGrad_();
        y.Max(1).Values.Sum().Backward();
        // Max over a dim routes the whole gradient to the first maximum, like PyTorch's max(dim).
        Assert.Equal([0.0, 1.0, 1.0, 0.0], y.Grad!.ToDoubleArray());
    }

    [Fact]
    public void ArgMaxOnInt64()
    {
        var l = Tensor.FromArray([3L, 9L, 9L, 1L, 0L, 2L], 2, 3);
        Assert.Equal([1L, 2L], l.ArgMax(1).ToLongArray());
        Assert.Equal([9L, 2L], l.Max(1).Values.ToLongArray());
        Assert.Equal(DType.Int64, l.Max(1).Values.DType);
    }

    [Fact]
    public void VarAndStdAreUnbiasedByDefault()
    {
        var x = Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0], 2, 4);
        Assert.Equal([5.0 / 3, 500.0 / 3], x.Var([1]).ToDoubleArray(), new ToleranceComparer(1e-12));
        Assert.Equal([1.25, 125.0], x.Var([1], correction: 0).ToDoubleArray(), new ToleranceComparer(1e-12));
        Assert.Equal([Math.Sqrt(5.0 / 3), Math.Sqrt(500.0 / 3)], x.Std([1]).ToDoubleArray(), new ToleranceComparer(1e-12));
        double mean = 13.75, ss = new[] { 1.0, 2, 3, 4, 10, 20, 30, 40 }.Sum(v => (v - mean) * (v - mean));
        Assert.Equal(ss / 7, x.Var().Item(), 10);
        Assert.Equal(Math.Sqrt(ss / 8), x.Std(correction: 0).Item(), 10);
        Assert.Equal([1, 4], x.Var([0], keepDim: true).GetShape());
        Assert.Equal([1, 1], x.Var(keepDim: true).GetShape());
        Assert.Equal(ss / 8, x.Var(correction: 0).Item(), 10);
        // One sample: 0/0 with the default correction, as torch gives nan.
        Assert.True(double.IsNaN(Tensor.FromArray([3.0]).Var().Item()));
    }

    [Fact]
    public void VarWithAPositionalIntReducesThatDimensionLikeTorch()
    {
        // torch: x.var(1) is the variance along dim 1, not a correction.
        var x = Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0], 2, 4);
        Assert.Equal([2], x.Var(1).GetShape());
        Assert.Equal([2], x.Std(1).GetShape());
        Assert.Equal([4], x.Var(0).GetShape());
    }

    [Fact]
    public void LogSumExpIsStable()
    {
        var x = Tensor.FromArray([1000f, 1000f, 1000f, -1000f, -1000f, -1000f], 2, 3);
        var r = x.LogSumExp(1).ToFloatArray();
        Assert.Equal(1000 + MathF.Log(3), r[0], 3);
        Assert.Equal(-1000 + MathF.Log(3), r[1], 3);
        var inf = Tensor.FromArray([float.NegativeInfinity, float.NegativeInfinity, 0f, 1f], 2, 2);
        var ri = inf.LogSumExp(1, keepDim: true);
        Assert.Equal([2, 1], ri.GetShape());
        Assert.Equal(float.NegativeInfinity, ri.ToFloatArray()[0]);
        Assert.Equal(MathF.Log(1 + MathF.E), ri.ToFloatArray()[1], 5);
        var mixed = Tensor.FromArray([float.NegativeInfinity, 2f]);
        Assert.Equal(2f, mixed.LogSumExp(0).Item(), 6);
    }

    [Fact]
    public void SoftmaxOfLargeValues()
    {
        var x = Tensor.FromArray([1000f, 1001f, 1002f, -1000f, -1000f, -1000f], 2, 3);
        var s = x.Softmax(1).ToFloatArray();
        float z = 1 + MathF.Exp(1) + MathF.Exp(2);
        Assert.Equal(1 / z, s[0], 5);
        Assert.Equal(MathF.Exp(2) / z, s[2], 5);
        Assert.Equal(1f / 3, s[3], 6);
        var ls = x.LogSoftmax(1).ToFloatArray();
        Assert.Equal(-MathF.Log(z), ls[0], 4);
        Assert.All(ls, v => Assert.True(float.IsFinite(v)));
        // Softmax over dim 0 of a column layout sums to 1 per column.
        var col = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2).Softmax(0);
        Assert.Equal([1f, 1f], col.Sum(0).ToFloatArray(), new ToleranceComparerF(1e-6f));
        // Int64 input is converted to float.
        Assert.Equal(DType.Float32, Tensor.FromArray([1L, 2L]).Softmax(0).DType);
    }

    [Fact]
    public void ReductionErrors()
    {
        var x = Tensor.Zeros([2, 3]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(2));
        Assert.Contains("Sum", e.Message);
        Assert.Contains("dimension 2 is out of range", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Max(-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Softmax(5));
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([0]).Max());
        Assert.Contains("empty", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 0]).Max(1));
        // A 0-d tensor has no dimensions: a clear error, never IndexOutOfRangeException.
        var s = Tensor.Scalar(2);
        foreach (var f in new Func<object>[] { () => s.Sum(0), () => s.Softmax(0), () => s.Max(0), () => s.ArgMax(-1), () => s.Size(0), () => s.Transpose(0, 0), () => s.Squeeze(0), () => s.Gather(0, Tensor.Zeros([], DType.Int64)), () => s.Select(0, 0) })
        {
            var se = Assert.Throws<ArgumentOutOfRangeException>(f);
            Assert.Contains("0 dimensions", se.Message);
        }
        Assert.Equal([1], s.Unsqueeze(0).GetShape());
        Assert.Equal([1], s.Unsqueeze(-1).GetShape());
        Assert.Equal([2], Tensor.Stack([s, s]).GetShape());
    }
}

internal sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tol * Math.Max(1, Math.Abs(y));

    public int GetHashCode(double obj) => 0;
}

internal sealed class ToleranceComparerF(float tol) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tol * Math.Max(1, Math.Abs(y));

    public int GetHashCode(float obj) => 0;
}
