using Axon.Backends;
using Xunit.Sdk;
using static Axon.Tests.GradCheck;

namespace Axon.Tests;

/// <summary>The checker must catch wrong backward functions, including ones a plain sum would miss.</summary>
public class GradCheckTests
{
    /// <summary>e^x recorded with a custom (possibly wrong) backward.</summary>
    private static Tensor ExpWith(Tensor x, Func<Tensor, Tensor, Tensor> backward)
    {
        var y = Compute.Unary(x, UnaryOp.Exp);
        return y.Record("TestExp", [x], g => [backward(g, y)]);
    }

    [Fact]
    public void AcceptsACorrectBackward() => Check(x => ExpWith(x, (g, y) => g * y), Leaf(1, 3, 4));

    [Fact]
    public void RejectsAGradientOffByOnePercent()
    {
        var e = Assert.Throws<FailException>(() => Check(x => ExpWith(x, (g, y) => g * y * 1.01), Leaf(1, 3, 4)));
        Assert.Contains("relative error", e.Message);
    }

    [Fact]
    public void RejectsAGradientWrongInOneElement()
    {
        Assert.Throws<FailException>(() => Check(x => ExpWith(x, (g, y) =>
        {
            var r = (g * y).Contiguous().Clone();
            r.SetDouble(r.GetDouble(1, 2) * 1.001, 1, 2);
            return r;
        }), Leaf(2, 3, 4)));
    }

    [Fact]
    public void RejectsAPermutedGradientThatAPlainSumWouldAccept()
    {
        // With loss = sum(y) the output gradient is all ones, so a backward that scrambles positions of g
        // is invisible; the random weights R expose it. Here the backward reverses g along the row.
        var x = Leaf(3, 4);
        Assert.Throws<FailException>(() => Check(t => ExpWith(t, (g, y) => Tensor.FromArray(g.ToDoubleArray().Reverse().ToArray()) * y), x));
        // The same wrong backward passes the plain-sum check, showing why R is needed.
        var y = ExpWith(x, (g, y) => Tensor.FromArray(g.ToDoubleArray().Reverse().ToArray()) * y);
        x.Grad = null;
        y.Sum().Backward();
        Assert.Equal(x.Detach().Exp().ToDoubleArray(), x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void WorksOnNonContiguousLeavesAndRestoresThem()
    {
        var x = NonContiguous(4, 3, 5);
        var before = x.ToDoubleArray();
        Check(t => t.Exp() * t, x);
        Assert.Equal(before, x.ToDoubleArray());
        Assert.False(x.IsContiguous);
        // A leaf made from a transposed view through the public API only.
        var y = Tensor.Randn([4, 3], new Generator(5), DType.Float64).Transpose(0, 1).Detach().RequiresGrad_();
        Assert.False(y.IsContiguous);
        Check(t => t.Square(), y);
    }

    [Fact]
    public void RejectsAnUnrecordedOp()
    {
        Assert.ThrowsAny<Exception>(() => Check(t => t.Detach() * 2.0, Leaf(6, 2)));
    }
}
