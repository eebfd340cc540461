using Axon.Nn;
using Axon.Tracing;

namespace Axon.Models.Tests;

/// <summary>Every zoo model traced once and re-executed from its trace on another batch, to the bit.</summary>
public class TraceTests
{
    public static TheoryData<string> Names => new(ModelZoo.Names.Select(n => n.Name));

    private static long[] Bits(Tensor t) => t.ToFloatArray().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray();

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryZooModelReplaysFromItsTraceToTheBit(string name)
    {
        var model = ModelZoo.Create(name, generator: new Generator(1));
        model.Eval();
        var example = Tensor.Randn([2, 1, 28, 28], new Generator(2));
        TracedGraph graph;
        using (GradMode.NoGrad()) graph = Trace.Of(model, example);
        Assert.Single(graph.Inputs);
        Assert.Single(graph.Outputs);
        Assert.Equal([2, 10], graph.Outputs[0].Shape);
        // Every parameter and buffer the forward reads is a named constant of the graph.
        var constants = graph.ConstantValues.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, _) in model.NamedParameters()) Assert.Contains(key, constants);

        // Another batch of the same shape: the graph computes what the model does, through the same kernels.
        var batch = Tensor.Randn([2, 1, 28, 28], new Generator(3));
        Tensor expected, replayed;
        using (GradMode.NoGrad())
        {
            expected = model.Forward(batch);
            replayed = graph.Run(batch)[0];
        }
        Assert.Equal(Bits(expected), Bits(replayed));
    }

    [Fact]
    public void TheLectureCnnTraceShowsItsLayers()
    {
        var model = new LectureCnn(generator: new Generator(4));
        model.Eval();
        var graph = Trace.Of(model, Tensor.Zeros([1, 1, 28, 28]));
        var counts = graph.OpCounts();
        // Conv2d, ReLU, MaxPool2d run as one explicit fused op, which the trace records as such.
        Assert.Equal(2, counts["Conv2dReluMaxPool2d"]);
        Assert.False(counts.ContainsKey("Conv2d"));
        Assert.False(counts.ContainsKey("ReluMaxPool2d"));
        Assert.Equal(2, counts["Linear"]);
        Assert.Equal(1, counts["Relu"]);
        Assert.False(counts.ContainsKey("MaxPool2d"));
        var conv1 = graph.Nodes.First(n => n.Op == "Conv2dReluMaxPool2d");
        Assert.Equal("features.0.weight", conv1.Inputs[1].Name);
        Assert.Equal([1, 32, 8, 8], conv1.Outputs[0].Shape);
        // Each node names the module whose Call ran it: the Sequential for the fused layers, or the model itself for
        // its own ops (the flatten).
        Assert.Equal("features (Sequential)", conv1.Module);
        Assert.Equal("LectureCnn", graph.Nodes.Single(n => n.Op == "Reshape").Module);
        var text = graph.ToString();
        Assert.Contains("= Conv2dReluMaxPool2d(%input0, %features.0.weight, %features.0.bias, stride=1, padding=[0, 0, 0, 0], dilation=1, groups=1, pool_kernel_size=3, "
            + "pool_stride=3, pool_padding=0, pool_dilation=1, pool_ceil_mode=False)  # float32[1, 32, 8, 8]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ATrainingModeTraceReplaysBatchNormWithBatchStatistics()
    {
        var model = ResNet.Small(generator: new Generator(5));
        model.Train();
        var x = Tensor.Randn([3, 1, 28, 28], new Generator(6));
        TracedGraph graph;
        using (GradMode.NoGrad()) graph = Trace.Of(model, x);
        var batch = Tensor.Randn([3, 1, 28, 28], new Generator(7));
        Tensor expected, replayed;
        using (GradMode.NoGrad())
        {
            expected = model.Forward(batch);
            replayed = graph.Run(batch)[0];
        }
        Assert.Equal(Bits(expected), Bits(replayed));
    }

    [Fact]
    public void AReplayIsDifferentiable()
    {
        var model = new Mlp([8, 6, 3], generator: new Generator(8));
        var x = Tensor.Randn([4, 8], new Generator(9));
        var graph = Trace.Of(model, x);
        model.ZeroGrad();
        graph.Run(x)[0].Sum().Backward();
        var fromTrace = model.Parameters().Select(p => p.Grad!.ToFloatArray()).ToList();
        model.ZeroGrad();
        model.Forward(x).Sum().Backward();
        Assert.Equal(model.Parameters().Select(p => p.Grad!.ToFloatArray()), fromTrace);
    }

    [Fact]
    public void RunChecksTheInputs()
    {
        var model = new Mlp([8, 3], generator: new Generator(10));
        var graph = Trace.Of(model, Tensor.Zeros([2, 8]));
        var ex = Assert.Throws<ArgumentException>(() => graph.Run(Tensor.Zeros([3, 8])));
        Assert.Contains("input 0 is float32 [3, 8], the graph was traced with float32 [2, 8]", ex.Message, StringComparison.Ordinal);
    }
}
