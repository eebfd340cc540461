using Axon.Nn;
using Axon.Tracing;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Autograd;

/// <summary>
/// Swish x·σ(x) defined outside the core with a hand-written backward. The backward recomputes σ(x) from the saved
/// input with ops (a tensor made inside Forward is not part of the graph), so it differentiates twice.
/// </summary>
public sealed class Swish : Function
{
    public int BackwardCalls { get; private set; }

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        var x = inputs[0];
        ctx.SaveForBackward(x);
        return [x * x.Sigmoid()];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
    {
        BackwardCalls++;
        var x = ctx.SavedTensors[0];
        var s = x.Sigmoid();
        // d/dx x σ(x) = σ(x) + x σ(x) (1 − σ(x))
        return [gradOutputs[0] * (s + x * s * (1.0 - s))];
    }
}

/// <summary>A two-output function: (a + b, a b), whose second output's gradient may be missing.</summary>
public sealed class SumAndProduct : Function
{
    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        ctx.SaveForBackward(inputs[0], inputs[1]);
        return [inputs[0] + inputs[1], inputs[0] * inputs[1]];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g)
    {
        var (a, b) = (ctx.SavedTensors[0], ctx.SavedTensors[1]);
        return [g[0] + g[1] * b, ctx.NeedsInputGrad(1) ? g[0] + g[1] * a : null];
    }
}

public class CustomFunctionTests
{
    [Fact]
    public void SwishIsGradientChecked()
    {
        var swish = new Swish();
        Check(x => swish.Apply(x), Leaf(1, 3, 5));
        Assert.True(swish.BackwardCalls > 0);
    }

    [Fact]
    public void SwishIsGradGradChecked() => GradGradCheck(x => new Swish().Apply(x[0]), Leaf(2, 2, 3));

    [Fact]
    public void SwishEqualsItsCompositeAndShowsInTheGraphByName()
    {
        var x = Leaf(3, 4);
        var y = new Swish().Apply(x);
        Assert.Equal((x * x.Sigmoid()).ToDoubleArray(), y.ToDoubleArray());
        Assert.Equal("Swish", y.GradFn!.Op);
        Assert.Same(x, Assert.Single(y.GradFn.Inputs));
        Assert.Equal([4], y.GradFn.OutputShapes[0]);
    }

    [Fact]
    public void SwishTrainsInsideAModule()
    {
        var g = new Generator(4);
        var l1 = new Linear(3, 8, dtype: DType.Float64, generator: g);
        var l2 = new Linear(8, 1, dtype: DType.Float64, generator: g);
        var swish = new Swish();
        var x = Tensor.Randn([16, 3], g, DType.Float64);
        var target = ((x.Sum(1, keepDim: true) * 0.5).Tanh() * 0.5 + 0.5).Square();
        var opt = new Axon.Optim.Adam([.. l1.Parameters(), .. l2.Parameters()], lr: 0.05);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            opt.ZeroGrad();
            var loss = Functional.MseLoss(l2.Forward(swish.Apply(l1.Forward(x))), target);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < 0.2 * first, $"loss {first} -> {last}");
    }

    [Fact]
    public void SeveralOutputsGetZerosForAMissingGradient()
    {
        var a = Leaf(5, 3);
        var b = Leaf(6, 3);
        var outs = new SumAndProduct().ApplyAll(a, b);
        Assert.Equal(2, outs.Length);
        Assert.Same(outs[0].GradFn, outs[1].GradFn);
        // Only the sum is used: the product's gradient arrives as zeros.
        outs[0].Sum().Backward();
        Assert.Equal([1.0, 1.0, 1.0], a.Grad!.ToDoubleArray());
        CheckMany(t => { var o = new SumAndProduct().ApplyAll(t[0], t[1]); return o[0] * o[1]; }, Leaf(7, 2, 2), Leaf(8, 2, 2));
    }

    [Fact]
    public void ACustomFunctionIsTracedAsOneOpAndReplayed()
    {
        var swish = new Swish();
        var graph = Trace.Of(x => [swish.Apply(x[0]) + 1.0], [Leaf(9, 2, 3)]);
        Assert.Equal(["Swish", "Add"], graph.Nodes.Select(n => n.Op));
        var input = Tensor.Randn([2, 3], new Generator(10), DType.Float64);
        Assert.Equal((swish.Apply(input) + 1.0).ToDoubleArray(), graph.Run(input)[0].ToDoubleArray());
    }

    [Fact]
    public void BackwardMustReturnOneGradientPerInput()
    {
        var bad = new WrongArity();
        var y = bad.Apply(Leaf(11, 2));
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("WrongArity: Backward returned 2 gradients for 1 inputs", ex.Message, StringComparison.Ordinal);
    }

    private sealed class WrongArity : Function
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * 2.0];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g) => [g[0], g[0]];
    }
}
