using static Axon.Tests.GradCheck;

namespace Axon.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateOverTwoBackwardCalls()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        (x * 3.0).Sum().Backward();
        Assert.Equal([3.0, 3.0], x.Grad!.ToDoubleArray());
        (x * x).Sum().Backward();
        Assert.Equal([5.0, 7.0], x.Grad.ToDoubleArray());
        x.Grad = null;
        x.Sum().Backward();
        Assert.Equal([1.0, 1.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void BackwardWithAnExplicitGradient()
    {
        var x = Tensor.FromArray([1.0, 2.0, 3.0]).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.FromArray([1.0, 0.5, -1.0]));
        Assert.Equal([2.0, 2.0, -6.0], x.Grad!.ToDoubleArray());
        // A float32 gradient for a float64 output is converted.
        var z = x.Exp();
        x.Grad = null;
        z.Backward(Tensor.FromArray([1f, 0f, 0f]));
        Assert.Equal(Math.E, x.Grad!.ToDoubleArray()[0], 6);
        var e = Assert.Throws<ArgumentException>(() => (x * 2.0).Backward(Tensor.Ones([2], DType.Float64)));
        Assert.Contains("gradient shape [2] does not match the tensor's shape [3]", e.Message);
    }

    [Fact]
    public void BackwardOnNonScalarWithoutGradientThrows()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var e = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Backward());
        Assert.Contains("only for scalar outputs", e.Message);
        Assert.Contains("[2]", e.Message);
        // One element of any rank is fine.
        var one = Tensor.FromArray([2.0], 1, 1).RequiresGrad_();
        (one * 3.0).Backward();
        Assert.Equal(3.0, one.Grad!.Item());
    }

    [Fact]
    public void BackwardOnATensorThatDoesNotRequireGradThrows()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Ones([1]).Sum().Backward());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void BackwardOnALeaf()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        x.Backward(Tensor.FromArray([3.0, 4.0]));
        Assert.Equal([3.0, 4.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var y = x * 2.0;
        var d = y.Detach();
        Assert.True(d.IsLeaf);
        Assert.False(d.RequiresGrad);
        Assert.Null(d.GradFn);
        var z = (d * x).Sum();
        z.Backward();
        Assert.Equal([2.0, 4.0], x.Grad!.ToDoubleArray());   // only through the direct use of x
        // Detach shares data.
        d.SetDouble(100, 0);
        Assert.Equal(100.0, y.GetDouble(0));
    }

    [Fact]
    public void NoGradProducesTensorsWithoutGradFn()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        Tensor y;
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            y = (x * 2.0).Exp().Sum();
            using (Tensor.NoGrad()) Assert.False(GradMode.IsEnabled);
            Assert.False(GradMode.IsEnabled);
        }
        Assert.True(GradMode.IsEnabled);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        Assert.NotNull((x * 2.0).GradFn);
        var scope = GradMode.NoGrad();
        scope.Dispose();
        scope.Dispose();   // disposing twice does not re-enable twice
        using (GradMode.NoGrad()) Assert.False(GradMode.IsEnabled);
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void RetainGradOnANonLeaf()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var h = x * 3.0;
        h.RetainGrad();
        var y = h.Square().Sum();
        y.RetainGrad();
        var other = x * 5.0;
        (y + other.Sum()).Backward();
        Assert.Equal([6.0, 12.0], h.Grad!.ToDoubleArray());
        Assert.Equal(1.0, y.Grad!.Item());
        Assert.Null(other.Grad);
        Assert.Equal([18.0 + 5, 36.0 + 5], x.Grad!.ToDoubleArray());
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Ones([1]).RetainGrad());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void ASecondBackwardThroughAFreedGraphThrows()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var y = (x.Exp() * x).Sum();
        y.Backward();
        Assert.True(y.GradFn!.IsReleased);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", e.Message);
        Assert.Contains("retainGraph", e.Message);
        // A new graph that reuses a freed intermediate also fails.
        var x2 = Tensor.FromArray([1.0]).RequiresGrad_();
        var h = x2 * 2.0;
        h.Sum().Backward();
        e = Assert.Throws<InvalidOperationException>(() => (h * 3.0).Sum().Backward());
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        Assert.False(y.GradFn!.IsReleased);
        y.Backward();
        Assert.Equal([4.0, 8.0], x.Grad!.ToDoubleArray());
        Assert.True(y.GradFn.IsReleased);
    }

    [Fact]
    public void RequiresGradRules()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var y = x * 2.0;
        Assert.False(y.IsLeaf);
        Assert.True(y.RequiresGrad);
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("leaf", e.Message);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad_());
        e = Assert.Throws<InvalidOperationException>(() => Tensor.FromArray([1L]).RequiresGrad_());
        Assert.Contains("int64", e.Message);
        var c = Tensor.FromArray([1.0]);
        Assert.Null((c * 2.0).GradFn);
        Assert.False((c * 2.0).RequiresGrad);
        x.RequiresGrad = false;
        Assert.Null((x * 2.0).GradFn);
    }

    [Fact]
    public void AnomalyModeNamesTheOpWhoseBackwardProducedNaNOrInf()
    {
        var x = Tensor.FromArray([0.0, 1.0]).RequiresGrad_();
        using (GradMode.DetectAnomaly())
        {
            Assert.True(GradMode.IsAnomalyEnabled);
            var e = Assert.Throws<InvalidOperationException>(() => x.Sqrt().Sum().Backward());
            Assert.Contains("SqrtBackward", e.Message);
            Assert.Contains("inf", e.Message);
            x.Grad = null;
            e = Assert.Throws<InvalidOperationException>(() => (x.Log() * 0.0).Sum().Backward());
            Assert.Contains("LogBackward", e.Message);
            Assert.Contains("nan", e.Message);
        }
        Assert.False(GradMode.IsAnomalyEnabled);
        x.Grad = null;
        x.Sqrt().Sum().Backward();   // no exception without anomaly mode
        Assert.Equal(double.PositiveInfinity, x.Grad!.ToDoubleArray()[0]);
        Assert.Equal(0.5, x.Grad.ToDoubleArray()[1]);
    }

    [Fact]
    public void DiamondGraphSumsGradients()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var a = x * 2.0;
        var b = x.Exp();
        var y = (a * b).Sum();   // d/dx 2x e^x = 2e^x + 2x e^x
        y.Backward();
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal(2 * Math.E + 2 * Math.E, g[0], 12);
        Assert.Equal(2 * Math.Exp(2) + 4 * Math.Exp(2), g[1], 12);
        // x used many times in one op and across branches.
        Check(t => (t * t + t.Sin2()) * t, Leaf(1, 3, 2));
        Check(t => { var h = t.Tanh(); return h.MatMul(h.T()) + h.Sum(1, keepDim: true); }, Leaf(2, 3, 4));
    }

    [Fact]
    public void GradientsSummedInPlaceLeaveSharedGradientsAlone()
    {
        // a collects five gradients (the engine adds the later ones into its own sum in place); p + q hands one
        // gradient tensor to both p and q, and p's later sum must not change what q received.
        var x = Tensor.FromArray([1.0, 2.0, 3.0]).RequiresGrad_();
        var a = x * 2.0;
        a.RetainGrad();
        var p = a * 1.0;
        var q = a * 1.0;
        p.RetainGrad();
        q.RetainGrad();
        var loss = (a + a).Sum() + (a * 3.0).Sum() + a.Square().Sum() + (p + q).Sum() + p.Sum();
        loss.Backward();
        Assert.Equal([2.0, 2.0, 2.0], p.Grad!.ToDoubleArray());
        Assert.Equal([1.0, 1.0, 1.0], q.Grad!.ToDoubleArray());
        Assert.Equal([2 + 3 + 4 + 3.0, 2 + 3 + 8 + 3.0, 2 + 3 + 12 + 3.0], a.Grad!.ToDoubleArray());   // 2 + 3 + 2a + (2 + 1)
        Assert.Equal([24.0, 32.0, 40.0], x.Grad!.ToDoubleArray());
        // A second pass starts from fresh sums: the gradients accumulate into x.Grad exactly once more.
        var b = x * 2.0;
        (b + b + b).Sum().Backward();
        Assert.Equal([30.0, 38.0, 46.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void DeepChainDoesNotOverflowTheStack()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var y = x;
        for (int i = 0; i < 20_000; i++) y = y * 1.0;
        y.Sum().Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void BackwardRunsWithoutRecording()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        (x * x).Sum().Backward();
        Assert.Null(x.Grad!.GradFn);
        Assert.False(x.Grad.RequiresGrad);
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void GradModeIsPerThread()
    {
        using (GradMode.NoGrad())
        {
            bool other = true;
            var th = new Thread(() => other = GradMode.IsEnabled);
            th.Start();
            th.Join();
            Assert.True(other);
        }
    }
}

internal static class TestExtensions
{
    /// <summary>A smooth composite used in graph tests: tanh(x)^2.</summary>
    public static Tensor Sin2(this Tensor x) => x.Tanh().Square();
}
