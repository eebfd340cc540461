using Axon.Optim;

namespace Axon.Tests.Optim;

public class LrSchedulerTests
{
    private static Sgd MakeOpt(double lr = 0.1) => new([Tensor.FromArray([1.0f]).RequiresGrad_()], lr: lr);

    // The rate used in each epoch: the value before the first Step, then after each Step.
    private static double[] Sequence(LrScheduler s, int epochs)
    {
        var lrs = new double[epochs];
        for (int e = 0; e < epochs; e++)
        {
            lrs[e] = s.Optimizer.ParamGroups[0].Lr;
            Assert.Equal(lrs[e], s.LastLr[0]);
            s.Step();
        }
        return lrs;
    }

    [Fact]
    public void StepLRDividesEveryStepSizeEpochs()
    {
        var s = new StepLR(MakeOpt(0.1), stepSize: 2, gamma: 0.1);
        Assert.Equal([0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001], Sequence(s, 7), new Tol(1e-12));
    }

    [Fact]
    public void ExponentialLRMultipliesEveryEpoch()
    {
        var s = new ExponentialLR(MakeOpt(1.0), gamma: 0.5);
        Assert.Equal([1.0, 0.5, 0.25, 0.125], Sequence(s, 4), new Tol(1e-15));
    }

    [Fact]
    public void InverseTimeLRFollowsOneOverT()
    {
        var s = new InverseTimeLR(MakeOpt(1.0), decay: 0.5);
        Assert.Equal([1.0, 1 / 1.5, 1 / 2.0, 1 / 2.5, 1 / 3.0], Sequence(s, 5), new Tol(1e-15));
        var p = new InverseTimeLR(MakeOpt(0.2), decay: 1.0, power: 0.5);
        Assert.Equal([0.2, 0.2 / Math.Sqrt(2), 0.2 / Math.Sqrt(3)], Sequence(p, 3), new Tol(1e-15));
    }

    [Fact]
    public void EachGroupDecaysFromItsOwnRate()
    {
        var a = Tensor.FromArray([1.0f]).RequiresGrad_();
        var b = Tensor.FromArray([1.0f]).RequiresGrad_();
        var opt = new Sgd([new ParamGroup([a], lr: 1.0), new ParamGroup([b], lr: 0.1)]);
        var s = new StepLR(opt, stepSize: 1, gamma: 0.5);
        s.Step();
        Assert.Equal([0.5, 0.05], s.LastLr, new Tol(1e-15));
        Assert.Equal([1.0, 0.1], s.BaseLrs);
        Assert.Equal(1.0, opt.ParamGroups[0].InitialLr);
    }

    [Fact]
    public void TheOptimizerUsesTheScheduledRate()
    {
        var w = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Sgd([w], lr: 0.5);
        var s = new StepLR(opt, stepSize: 1, gamma: 0.5);
        s.Step();
        w.Sum().Backward();  // gradient 1
        opt.Step();
        Assert.Equal(0.75, w.GetDouble(0), 15);
    }

    [Fact]
    public void InvalidArgumentsAreRejectedWithTheirName()
    {
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(MakeOpt(), 0)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(MakeOpt(), 2, gamma: -1)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(MakeOpt(), 0)).ParamName);
        Assert.Equal("decay", Assert.Throws<ArgumentOutOfRangeException>(() => new InverseTimeLR(MakeOpt(), -0.1)).ParamName);
        Assert.Equal("power", Assert.Throws<ArgumentOutOfRangeException>(() => new InverseTimeLR(MakeOpt(), 0.1, power: 0)).ParamName);
        Assert.Throws<ArgumentNullException>(() => new ExponentialLR(null!, 0.5));
    }

    [Fact]
    public void StateDictRoundTrips()
    {
        var s = new ExponentialLR(MakeOpt(1.0), gamma: 0.5);
        s.Step();
        s.Step();
        var d = s.StateDict();
        Assert.Equal(2.0, d["last_epoch"]);
        var t = new ExponentialLR(MakeOpt(1.0), gamma: 0.5);
        t.LoadStateDict(d);
        Assert.Equal(2, t.LastEpoch);
        Assert.Equal(s.LastLr, t.LastLr);
        Assert.Throws<ArgumentException>(() => t.LoadStateDict(new Dictionary<string, double>()));
    }
}
