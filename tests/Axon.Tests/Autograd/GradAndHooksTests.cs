using Axon.Nn;
using Axon.Tests.Ops;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Autograd;

/// <summary>Autograd.Grad (gradients as values), the graph as data, and the post-accumulate hooks on every accumulation path.</summary>
public class GradAndHooksTests
{
    [Fact]
    public void GradReturnsWhatBackwardAccumulatesAndLeavesGradAlone()
    {
        var a = Leaf(1, 3, 4);
        var b = Leaf(2, 4, 2);
        var loss = a.MatMul(b).Tanh().Sum();
        var grads = Axon.Autograd.Grad([loss], [a, b], retainGraph: true);
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
        loss.Backward();
        Assert.Equal(a.Grad!.ToDoubleArray(), grads[0]!.ToDoubleArray());
        Assert.Equal(b.Grad!.ToDoubleArray(), grads[1]!.ToDoubleArray());
    }

    [Fact]
    public void GradWithRespectToAnIntermediateTensor()
    {
        var x = Leaf(3, 5);
        var h = x.Exp();
        var y = (h * h).Sum();
        var dh = Axon.Autograd.Grad(y, h);
        Assert.Equal((h * 2.0).ToDoubleArray(), dh.ToDoubleArray());
    }

    [Fact]
    public void AnUnusedInputIsAnErrorUnlessAllowed()
    {
        var x = Leaf(4, 3);
        var unused = Leaf(5, 3);
        var y = x.Square().Sum();
        var ex = Assert.Throws<InvalidOperationException>(() => Axon.Autograd.Grad([y], [x, unused], retainGraph: true));
        Assert.Contains("input 1 [3] was not used", ex.Message, StringComparison.Ordinal);
        var grads = Axon.Autograd.Grad([y], [x, unused], allowUnused: true);
        Assert.NotNull(grads[0]);
        Assert.Null(grads[1]);
    }

    [Fact]
    public void TheGraphCanBeReadNodeByNode()
    {
        var x = Leaf(6, 1, 3, 6, 6);
        var w = Leaf(7, 2, 3, 3, 3);
        var y = Tensor.MaxPool2d(Tensor.Conv2d(x, w, stride: 1, padding: 1).Relu(), 2).Sum();
        var node = y.GradFn!;
        var ops = new List<string>();
        while (true)
        {
            ops.Add(node.Op);
            var next = node.Inputs.Select(i => i.GradFn).FirstOrDefault(n => n is not null);
            if (next is null) break;
            node = next;
        }
        Assert.Equal(["Sum", "MaxPool2d", "Relu", "Conv2d"], ops);
        Assert.Equal(new Size2(1), node.Attributes.Get<Size2>("stride"));
        Assert.Equal(new[] { 1, 1, 1, 1 }, node.Attributes.Get<int[]>("padding"));
        Assert.Equal(1, node.Attributes.Get<int>("groups"));
        Assert.Equal([1, 2, 6, 6], node.OutputShapes[0]);
        Assert.Same(w, node.Inputs[1]);
        Assert.Equal("stride=1, padding=[1, 1, 1, 1], dilation=1, groups=1", node.Attributes.ToString());
    }

    [Fact]
    public void PostAccumulateHooksFireOnceAfterTheLastContribution()
    {
        // w is used twice (two contributions), b once; the Linear weight takes the fused in-place accumulation.
        var g = new Generator(8);
        var lin = new Linear(4, 3, generator: g);
        var w = Tensor.Randn([3], g).RequiresGrad_();
        var x = Tensor.Randn([5, 4], g);
        var fired = new List<(string Name, double[] Grad)>();
        using var h1 = lin.Weight.RegisterPostAccumulateGradHook(t => fired.Add(("weight", t.Grad!.ToDoubleArray())));
        using var h2 = lin.Bias!.RegisterPostAccumulateGradHook(t => fired.Add(("bias", t.Grad!.ToDoubleArray())));
        using var h3 = w.RegisterPostAccumulateGradHook(t => fired.Add(("w", t.Grad!.ToDoubleArray())));
        var y = lin.Forward(x);
        ((y * w).Sum() + (y.Detach() * w).Sum()).Backward();
        Assert.Equal(3, fired.Count);
        Assert.Equal(["bias", "w", "weight"], fired.Select(f => f.Name).Order(StringComparer.Ordinal));
        // Each hook saw the final gradient, the weight's too (written by the GEMM into the buffer the engine handed out).
        foreach (var (name, grad) in fired)
            Assert.Equal((name switch { "weight" => lin.Weight, "bias" => lin.Bias!, _ => w }).Grad!.ToDoubleArray(), grad);
        // A second pass accumulates and fires again; a removed hook does not.
        h2.Dispose();
        fired.Clear();
        (lin.Forward(x) * w).Sum().Backward();
        Assert.Equal(["w", "weight"], fired.Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void HooksFireForEveryParameterOfAModelStep()
    {
        var model = new Sequential(new Linear(6, 5, generator: new Generator(9)), new ReLU(), new Linear(5, 2, generator: new Generator(10)));
        int count = 0;
        var hooks = model.Parameters().Select(p => p.RegisterPostAccumulateGradHook(_ => count++)).ToList();
        Functional.CrossEntropy(model.Forward(Tensor.Randn([4, 6], new Generator(11))), Tensor.FromArray(new long[] { 0, 1, 1, 0 })).Backward();
        Assert.Equal(4, count);
        foreach (var h in hooks) h.Dispose();
    }

    [Fact]
    public void BackwardWithCreateGraphKeepsTheGraphAndGivesDifferentiableGradients()
    {
        var x = Leaf(12, 3);
        var y = x.Exp().Sum();
        y.Backward(createGraph: true);
        Assert.True(x.Grad!.RequiresGrad);
        Assert.False(y.GradFn!.IsReleased);
        // A second Backward through the retained graph accumulates.
        var first = x.Grad.ToDoubleArray();
        y.Backward();
        Assert.Equal(first.Select(v => 2 * v).ToArray(), x.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
    }
}
