using Axon.Nn;

namespace Axon.Tests.Nn;

public class ModuleTests
{
    private static Sequential Net() => new(new Linear(4, 8, generator: new Generator(1)), new ReLU(), new Dropout(0.5), new Linear(8, 3, generator: new Generator(2)));

    [Fact]
    public void StateDictUsesPyTorchKeysAndOrder()
    {
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias"], Net().StateDict().Select(kv => kv.Key));
        Assert.Equal([8, 4], Net().StateDict()[0].Value.GetShape());
    }

    [Fact]
    public void ReprNestsChildrenLikePyTorch()
    {
        Assert.Equal(
            "Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n  (1): ReLU()\n  (2): Dropout(p=0.5, inplace=False)\n  (3): Linear(in_features=8, out_features=3, bias=True)\n)",
            Net().ToString());
    }

    [Fact]
    public void LoadStateDictCopiesValuesAndReportsProblems()
    {
        var a = Net();
        var b = new Sequential(new Linear(4, 8, generator: new Generator(9)), new ReLU(), new Dropout(0.5), new Linear(8, 3, generator: new Generator(10)));
        b.LoadStateDict(a.StateDict());
        var x = Tensor.Randn([2, 4], new Generator(3));
        a.Eval(); b.Eval();
        Assert.Equal(a.Forward(x).ToFloatArray(), b.Forward(x).ToFloatArray());

        var missing = Assert.Throws<ArgumentException>(() => b.LoadStateDict(a.StateDict().Take(3)));
        Assert.Contains("missing keys: 3.bias", missing.Message, StringComparison.Ordinal);
        var wrong = new Sequential(new Linear(4, 8), new ReLU(), new Dropout(0.5), new Linear(8, 5));
        var before = wrong.StateDict().Select(kv => kv.Value.ToFloatArray()).ToList();
        var size = Assert.Throws<ArgumentException>(() => wrong.LoadStateDict(a.StateDict()));
        Assert.Contains("size mismatch for 3.weight: copying a tensor of shape [3, 8], the shape in the current model is [5, 8]", size.Message, StringComparison.Ordinal);
        // The check comes before any copy: 0.weight fits and 3.weight does not, and neither changed.
        Assert.Equal(before, wrong.StateDict().Select(kv => kv.Value.ToFloatArray()));
        Assert.NotEqual(a.StateDict()[0].Value.ToFloatArray(), before[0]);
    }

    [Fact]
    public void ToDTypeConvertsFloatingParametersAndBuffersInPlace()
    {
        var net = new Sequential(new Linear(4, 3, generator: new Generator(1)), new BatchNorm1d(3));
        var weight = ((Linear)net[0]).Weight;
        float[] before = weight.ToFloatArray();
        var x = Tensor.Randn([5, 4], new Generator(2));
        net.Forward(x).Sum().Backward();
        Assert.Same(net, net.To(DType.Float64));
        // The same tensor objects (an optimiser over them keeps working), their values exactly widened.
        Assert.Same(weight, ((Linear)net[0]).Weight);
        Assert.Equal(DType.Float64, weight.DType);
        Assert.Equal(Array.ConvertAll(before, v => (double)v), weight.ToDoubleArray());
        Assert.Equal(DType.Float64, weight.Grad!.DType);
        var buffers = net.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer.DType);
        Assert.Equal(DType.Float64, buffers["1.running_mean"]);
        Assert.Equal(DType.Int64, buffers["1.num_batches_tracked"]);   // integer buffers stay
        Assert.Equal(DType.Float64, net.Forward(x.To(DType.Float64)).DType);
        net.To(DType.Float32);
        Assert.Equal(before, weight.ToFloatArray());
        var e = Assert.Throws<ArgumentException>(() => net.To(DType.Int64));
        Assert.Contains("floating-point", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainEvalReachesEveryDescendant()
    {
        var net = Net();
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.Training));
        net.Train();
        Assert.All(net.NamedModules(), m => Assert.True(m.Module.Training));
    }

    [Fact]
    public void ZeroGradClearsEveryParameter()
    {
        var net = Net();
        net.Forward(Tensor.Randn([2, 4])).Sum().Backward();
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void SummaryListsOutputShapesAndParameterCounts()
    {
        var s = Net().Summary([2, 4]);
        Assert.Contains("0 (Linear)", s, StringComparison.Ordinal);
        Assert.Contains("[2, 8]", s, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", s, StringComparison.Ordinal);
        Assert.Contains("Total params: 67", s, StringComparison.Ordinal);  // 4*8+8 + 8*3+3
    }

    [Fact]
    public void InitialisersFollowTheirFormulas()
    {
        var w = Tensor.Zeros([200, 300]);
        Init.XavierUniform(w, generator: new Generator(1));
        double a = Math.Sqrt(6.0 / 500);
        Assert.All(w.ToDoubleArray(), v => Assert.InRange(v, -a, a));
        Init.KaimingNormal(w, nonlinearity: "relu", generator: new Generator(2));
        double std = Math.Sqrt(w.ToDoubleArray().Select(v => v * v).Average());
        Assert.Equal(Math.Sqrt(2.0 / 300), std, 3);
        Init.KaimingNormal(w, mode: FanMode.FanOut, nonlinearity: "relu", generator: new Generator(2));
        std = Math.Sqrt(w.ToDoubleArray().Select(v => v * v).Average());
        Assert.Equal(Math.Sqrt(2.0 / 200), std, 3);
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"), 12);
        Assert.Equal(Math.Sqrt(2.0 / (1 + 0.2 * 0.2)), Init.CalculateGain("leaky_relu", 0.2), 12);
        Assert.Equal((3 * 25, 16 * 25), Init.CalculateFans(Tensor.Zeros([16, 3, 5, 5])));
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
    }
}
