using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.Nn;

public class ModuleTransferTests
{
    /// <summary>A body and a head held in properties (as ResNet holds its fc), so replacing the head must reach the property.</summary>
    private sealed class ToyNet : Module<Tensor, Tensor>
    {
        public ToyNet(int seed)
        {
            var g = new Generator(seed);
            Body = RegisterModule("body", new Sequential(new Linear(4, 8, generator: g), new BatchNorm1d(8), new ReLU()));
            Fc = RegisterModule("fc", new Linear(8, 3, generator: g));
        }

        public Sequential Body { get; }

        public Linear Fc { get; }

        public override Tensor Forward(Tensor input) => Fc.Call(Body.Call(input));
    }

    private static Tensor Input() => Tensor.Randn([6, 4], new Generator(11));

    private static Tensor Target() => Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2 });

    /// <summary>Takes <paramref name="steps"/> SGD steps (momentum and weight decay, which would move a parameter even at a zero gradient).</summary>
    private static void Train(Module<Tensor, Tensor> net, Optimizer opt, int steps)
    {
        net.Train();
        for (int i = 0; i < steps; i++)
        {
            opt.ZeroGrad();
            Functional.CrossEntropy(net.Forward(Input()), Target()).Backward();
            opt.Step();
        }
    }

    private static Dictionary<string, float[]> Snapshot(Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());

    [Fact]
    public void FrozenParametersAreBitIdenticalAfterStepsAndTheOthersChange()
    {
        var net = new ToyNet(1);
        // A gradient from before the freeze must not be applied either.
        Functional.CrossEntropy(net.Forward(Input()), Target()).Backward();
        net.Freeze("body.*");
        Assert.Equal(["body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias"], net.FrozenParameterNames());
        Assert.All(net.Body.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(2, net.TrainableParameters().Count());
        var before = Snapshot(net);
        Train(net, new Sgd(net.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 0.01), 3);
        var after = Snapshot(net);
        foreach (var key in new[] { "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.1.running_mean", "body.1.running_var" })
            Assert.Equal(before[key], after[key]);
        Assert.NotEqual(before["fc.weight"], after["fc.weight"]);
        Assert.NotEqual(before["fc.bias"], after["fc.bias"]);
        // The frozen batch norm stays in eval mode through Train(); its batch counter stays at the one batch before the freeze.
        Assert.False(net.Body[1].Training);
        Assert.True(net.Fc.Training);
        Assert.Equal(1, net.StateDict().Single(kv => kv.Key == "body.1.num_batches_tracked").Value.Item());
    }

    [Fact]
    public void FreezeBatchNormFalseLetsTheStatisticsTrack()
    {
        var net = new ToyNet(1);
        net.Freeze(["body"], freezeBatchNorm: false);
        var before = Snapshot(net);
        Train(net, new Sgd(net.Parameters(), lr: 0.1), 2);
        var after = Snapshot(net);
        Assert.Equal(before["body.1.weight"], after["body.1.weight"]);
        Assert.NotEqual(before["body.1.running_mean"], after["body.1.running_mean"]);
        Assert.True(net.Body[1].Training);
    }

    [Fact]
    public void UnfreezeMakesParametersTrainableAndReleasesBatchNorm()
    {
        var net = new ToyNet(2);
        net.Freeze();
        Assert.Equal(6, net.FrozenParameterNames().Count);
        net.Train();
        Assert.False(net.Body[1].Training);
        net.Unfreeze("body.1");
        Assert.Equal(["body.0.weight", "body.0.bias", "fc.weight", "fc.bias"], net.FrozenParameterNames());
        Assert.True(net.Body[1].Training);   // back to the mode Train() asked for
        net.Unfreeze();
        Assert.Empty(net.FrozenParameterNames());
        net.Freeze(n => n.EndsWith(".bias", StringComparison.Ordinal));
        Assert.Equal(["body.0.bias", "body.1.bias", "fc.bias"], net.FrozenParameterNames());
        // Its weight is still trainable, so the batch norm keeps training.
        Assert.True(net.Body[1].Training);
    }

    [Fact]
    public void APatternThatSelectsNothingIsAnErrorNamingIt()
    {
        var net = new ToyNet(3);
        var e = Assert.Throws<ArgumentException>(() => net.Freeze("fc", "layer4.*"));
        Assert.Contains("Freeze: the pattern 'layer4.*' selects no parameter of ToyNet (its modules: body, fc)", e.Message, StringComparison.Ordinal);
        Assert.Empty(net.FrozenParameterNames());   // checked before anything changed
        Assert.Throws<ArgumentException>(() => net.Unfreeze(n => n.StartsWith("head", StringComparison.Ordinal)));
        Assert.Throws<ArgumentException>(() => net.Freeze(""));
    }

    [Theory]
    [InlineData("layer4.*", "layer4.0.conv1.weight", true)]
    [InlineData("fc", "fc.weight", true)]
    [InlineData("fc", "fc2.weight", false)]
    [InlineData("fc*", "fc2.weight", true)]
    [InlineData("*.bias", "layer1.0.bn1.bias", true)]
    [InlineData("layer?.0", "layer3.0.conv2.weight", true)]
    [InlineData("layer1.0", "layer1.01.weight", false)]
    [InlineData("conv1.*", "layer1.0.conv1.weight", false)]
    [InlineData("*", "conv1.weight", true)]
    public void PatternsAreGlobsOverParameterOrModuleNames(string pattern, string name, bool selects) =>
        Assert.Equal(selects, Module.PatternSelects(pattern, name));

    [Fact]
    public void ParamGroupsByPatternGiveEachGroupItsRate()
    {
        var net = new ToyNet(4);
        var groups = ParamGroups.ByPattern(net, ("fc", 0.5), ("*", 0.01));
        Assert.Equal([2, 4], groups.Select(g => g.Parameters.Count));
        Assert.Same(net.Fc.Weight, groups[0].Parameters[0]);
        var opt = new Sgd(groups, lr: 99);
        Assert.Equal([0.5, 0.01], opt.ParamGroups.Select(g => g.Lr));
        var before = net.Parameters().Select(p => p.ToFloatArray()).ToList();
        Train(net, opt, 1);
        var grads = net.Parameters().Select(p => p.Grad!.ToFloatArray()).ToList();
        var after = net.Parameters().Select(p => p.ToFloatArray()).ToList();
        double[] rates = [0.01, 0.01, 0.01, 0.01, 0.5, 0.5];   // body.0.weight, body.0.bias, body.1.weight, body.1.bias, fc.weight, fc.bias
        for (int i = 0; i < rates.Length; i++)
        {
            Assert.Contains(grads[i], g => g != 0);
            for (int j = 0; j < after[i].Length; j++) Assert.Equal(before[i][j] - (float)rates[i] * grads[i][j], after[i][j], 6);
        }
    }

    [Fact]
    public void ParamGroupsLeaveFrozenParametersOutAndCheckTheRules()
    {
        var net = new ToyNet(5);
        net.Freeze("body.0");
        var groups = ParamGroups.ByPattern(net, ("fc.weight", 0.1), ("*", null));
        Assert.Equal([1, 3], groups.Select(g => g.Parameters.Count));   // fc.weight; body.1.weight, body.1.bias, fc.bias
        Assert.False(groups[1].Has(ParamGroup.LrKey));                 // takes the optimiser's default
        Assert.Equal(0.02, new Sgd(groups, lr: 0.02).ParamGroups[1].Lr);

        var none = Assert.Throws<ArgumentException>(() => ParamGroups.ByPattern(net, ("head.*", 0.1), ("*", 0.01)));
        Assert.Contains("the pattern 'head.*' selects no parameter of ToyNet", none.Message, StringComparison.Ordinal);
        var rest = Assert.Throws<ArgumentException>(() => ParamGroups.ByPattern(net, ("fc", 0.1)));
        Assert.Contains("no rule selects the trainable parameters body.1.weight, body.1.bias", rest.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ParamGroups.ByPattern(net, ("*", -1.0)));
    }

    [Fact]
    public void ReplacingTheHeadChangesTheStateDictAndTheForwardPass()
    {
        var net = new ToyNet(6);
        var keys = net.StateDict().Select(kv => kv.Key).ToList();
        var head = new Linear(8, 5, generator: new Generator(7));
        var old = net.ReplaceModule("fc", head);
        Assert.IsType<Linear>(old);
        Assert.Same(head, net.Fc);                          // the property the forward pass reads
        Assert.Same(head, net.GetSubmodule("fc"));
        Assert.Equal(keys, net.StateDict().Select(kv => kv.Key));
        Assert.Equal([5, 8], net.StateDict().Single(kv => kv.Key == "fc.weight").Value.GetShape());
        Assert.Equal([5], net.StateDict().Single(kv => kv.Key == "fc.bias").Value.GetShape());
        Assert.Equal(3 * 8 + 3 + 5 * 8 + 5, old.ParameterCount() + head.ParameterCount());
        net.Eval();
        var x = Input();
        Assert.Equal([6, 5], net.Forward(x).GetShape());
        Assert.Equal(head.Forward(net.Body.Forward(x)).ToFloatArray(), net.Forward(x).ToFloatArray());

        // Inside a Sequential: its layer list follows, and the new module takes the owner's mode.
        net.ReplaceModule("body.2", new Tanh());
        Assert.False(net.Body[2].Training);
        var hidden = net.Body[1].Forward(net.Body[0].Forward(x));
        Assert.Equal(hidden.Tanh().ToFloatArray(), net.Body.Forward(x).ToFloatArray());
        Assert.Equal("Tanh()", net.Body[2].ToString());
    }

    [Fact]
    public void AReplacementThatDoesNotFitIsRefusedAndChangesNothing()
    {
        var net = new ToyNet(8);
        var keys = net.StateDict().Select(kv => kv.Key).ToList();
        var field = Assert.Throws<ArgumentException>(() => net.ReplaceModule("fc", new Sequential(new Linear(8, 5))));
        Assert.Contains("ToyNet keeps the module in Fc, typed Linear, which cannot hold a Sequential", field.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentException>(() => net.ReplaceModule("head", new Linear(8, 5)));
        Assert.Contains("ToyNet has no submodule 'head' (it has submodules body, fc)", missing.Message, StringComparison.Ordinal);
        var deep = Assert.Throws<ArgumentException>(() => net.ReplaceModule("body.7", new ReLU()));
        Assert.Contains("'body' (Sequential) has no submodule '7' (it has submodules 0, 1, 2)", deep.Message, StringComparison.Ordinal);
        var types = Assert.Throws<ArgumentException>(() => net.ReplaceModule("body.2", new GRU(8, 8)));
        Assert.Contains("the module there is a Module<Tensor, Tensor> (ReLU)", types.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => net.Body.ReplaceModule("0", net.Body));
        Assert.Equal(keys, net.StateDict().Select(kv => kv.Key));
        Assert.Equal([3, 8], net.Fc.Weight.GetShape());
    }

    [Fact]
    public void MaxNormLeavesFrozenWeightsAlone()
    {
        var net = new ToyNet(9);
        net.Freeze("body");
        var before = net.Body[0].StateDict()[0].Value.ToFloatArray();
        Assert.Equal(3, MaxNormConstraint.Apply(net, 1e-3));   // fc's 3 units only
        Assert.Equal(before, net.Body[0].StateDict()[0].Value.ToFloatArray());
    }
}
