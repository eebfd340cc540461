using Axon.Nn;
using Axon.Tracing;

namespace Axon.Tests.Nn;

/// <summary>A step that returns an output and a state (h, c), as an LSTM cell does.</summary>
internal sealed class ToyRecurrentStep : Module<Tensor, (Tensor Output, (Tensor H, Tensor C) State)>
{
    public ToyRecurrentStep(Generator g)
    {
        Gates = RegisterModule("gates", new Linear(3, 8, generator: g));
        Head = RegisterModule("head", new Linear(4, 2, generator: g));
    }

    public Linear Gates { get; }

    public Linear Head { get; }

    public override (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input)
    {
        var z = Gates.Call(input);
        var c = z.Narrow(1, 0, 4).Sigmoid() * z.Narrow(1, 4, 4).Tanh();
        var h = c.Tanh();
        return (Head.Call(h), (h, c));
    }
}

/// <summary>A Siamese network: one shared encoder on both inputs, the distance of the codes.</summary>
internal sealed class ToySiamese : Module<(Tensor Left, Tensor Right), Tensor>
{
    public ToySiamese(Generator g) => Encoder = RegisterModule("encoder", new Sequential(new Linear(5, 4, generator: g), new Tanh()));

    public Sequential Encoder { get; }

    public override Tensor Forward((Tensor Left, Tensor Right) input) =>
        (Encoder.Call(input.Left) - Encoder.Call(input.Right)).Square().Sum(1).Sqrt();
}

public class GenericModuleTests
{
    [Fact]
    public void AModuleReturningAnOutputAndAStateHasTypedHooksASummaryAndATrace()
    {
        var step = new ToyRecurrentStep(new Generator(1));
        var x = Tensor.Randn([2, 3], new Generator(2));
        (Tensor Output, (Tensor H, Tensor C) State)? seen = null;
        using (step.RegisterForwardHook((m, input, output) => seen = output))
        {
            var (y, (h, c)) = step.Call(x);
            Assert.Equal([2, 2], y.GetShape());
            Assert.Same(h, seen!.Value.State.H);
        }

        var summary = step.Summary(x);
        Assert.Contains("(model) (ToyRecurrentStep)  ([2, 2], ([2, 4], [2, 4]))", summary, StringComparison.Ordinal);
        Assert.Contains("gates (Linear)", summary, StringComparison.Ordinal);
        Assert.Contains("Total params: 42", summary, StringComparison.Ordinal);

        var graph = Trace.Of(step, x);
        Assert.Equal(3, graph.Outputs.Count);
        var batch = Tensor.Randn([2, 3], new Generator(3));
        var (ey, (eh, ec)) = step.Forward(batch);
        var got = graph.Run(batch);
        Assert.Equal(ey.ToFloatArray(), got[0].ToFloatArray());
        Assert.Equal(eh.ToFloatArray(), got[1].ToFloatArray());
        Assert.Equal(ec.ToFloatArray(), got[2].ToFloatArray());
    }

    [Fact]
    public void AModuleTakingTwoTensorsHasTypedHooksASummaryAndATrace()
    {
        var net = new ToySiamese(new Generator(4));
        var (a, b) = (Tensor.Randn([3, 5], new Generator(5)), Tensor.Randn([3, 5], new Generator(6)));
        int calls = 0;
        using (net.RegisterForwardHook((m, input, output) => { calls++; Assert.Same(a, input.Left); }))
            Assert.Equal([3], net.Call((a, b)).GetShape());
        Assert.Equal(1, calls);

        // The shared encoder runs twice: the summary lists it twice.
        var summary = net.Summary((a, b));
        Assert.Equal(2, summary.Split('\n').Count(l => l.StartsWith("encoder (Sequential)", StringComparison.Ordinal)));
        Assert.Contains("Input shape: ([3, 5], [3, 5])", summary, StringComparison.Ordinal);

        var graph = Trace.Of(net, (a, b));
        Assert.Equal(2, graph.Inputs.Count);
        Assert.Equal(2, graph.OpCounts()["Linear"]);
        var (c, d) = (Tensor.Randn([3, 5], new Generator(7)), Tensor.Randn([3, 5], new Generator(8)));
        Assert.Equal(net.Forward((c, d)).ToFloatArray(), graph.Run(c, d)[0].ToFloatArray());

        // Gradients flow to the shared weights from both branches.
        net.Forward((a, b)).Sum().Backward();
        Assert.NotNull(net.Encoder.Parameters().First().Grad);
    }

    [Fact]
    public void EvalAndTrainKeepTheModulesType()
    {
        var linear = new Linear(2, 2, generator: new Generator(9));
        Module<Tensor, Tensor> same = linear.Eval();
        Assert.Same(linear, same);
        Assert.False(linear.Training);
        Assert.Same(linear, linear.Train());
        Assert.Equal([1, 2], linear.Eval().Forward(Tensor.Zeros([1, 2])).GetShape());
    }
}
