using Axon.IO;
using Axon.Nn;
using Axon.Optim;
using Axon.Tests.Data;

namespace Axon.Tests.Optim;

/// <summary>Argument checks, composition rules and checkpoint round trips of the schedulers (the rates themselves are in GoldenScheduleTests).</summary>
public class SchedulerBehaviourTests
{
    private static Sgd MakeOpt(double lr = 0.1, double momentum = 0) => new([Tensor.FromArray([1.0f]).RequiresGrad_()], lr: lr, momentum: momentum);

    private static double[] Run(LrScheduler s, int steps)
    {
        var lrs = new double[steps + 1];
        lrs[0] = s.Optimizer.ParamGroups[0].Lr;
        for (int t = 1; t <= steps; t++)
        {
            s.Step();
            lrs[t] = s.Optimizer.ParamGroups[0].Lr;
        }
        return lrs;
    }

    [Fact]
    public void InvalidArgumentsAreRejectedWithTheirName()
    {
        string Name(Func<object> a) => Assert.ThrowsAny<ArgumentException>(a).ParamName!;
        Assert.Equal("milestones", Name(() => new MultiStepLR(MakeOpt(), [3, 2])));
        Assert.Equal("milestones", Name(() => new MultiStepLR(MakeOpt(), [0, 2])));
        Assert.Equal("tMax", Name(() => new CosineAnnealingLR(MakeOpt(), 0)));
        Assert.Equal("etaMin", Name(() => new CosineAnnealingLR(MakeOpt(), 5, -1)));
        Assert.Equal("t0", Name(() => new CosineAnnealingWarmRestarts(MakeOpt(), 0)));
        Assert.Equal("tMult", Name(() => new CosineAnnealingWarmRestarts(MakeOpt(), 3, 0)));
        Assert.Equal("startFactor", Name(() => new LinearLR(MakeOpt(), startFactor: 0)));
        Assert.Equal("endFactor", Name(() => new LinearLR(MakeOpt(), endFactor: 1.5)));
        Assert.Equal("totalIters", Name(() => new LinearLR(MakeOpt(), totalIters: 0)));
        Assert.Equal("totalSteps", Name(() => new OneCycleLR(MakeOpt(), 1.0, 0)));
        Assert.Equal("pctStart", Name(() => new OneCycleLR(MakeOpt(), 1.0, 10, pctStart: 1.5)));
        Assert.Equal("pctStart", Name(() => new OneCycleLR(MakeOpt(), 1.0, 10, pctStart: 0.1)));  // an empty first phase (PyTorch: ZeroDivisionError)
        Assert.Equal("maxLr", Name(() => new OneCycleLR(MakeOpt(), -1.0, 10)));
        Assert.Equal("maxLrs", Name(() => new OneCycleLR(MakeOpt(), [1.0, 2.0], 10)));
        Assert.Equal("factor", Name(() => new ReduceLROnPlateau(MakeOpt(), factor: 1.0)));
        Assert.Equal("patience", Name(() => new ReduceLROnPlateau(MakeOpt(), patience: -1)));
        Assert.Equal("threshold", Name(() => new ReduceLROnPlateau(MakeOpt(), threshold: 1.0)));
        Assert.Equal("minLr", Name(() => new ReduceLROnPlateau(MakeOpt(), minLr: -1)));
    }

    [Fact]
    public void OneCycleNeedsMomentumToCycleItAndRefusesToStepPastTheCycle()
    {
        var opt = new AveragedSgd([Tensor.FromArray([1.0f]).RequiresGrad_()], lr: 0.1);
        Assert.Equal("cycleMomentum", Assert.Throws<ArgumentException>(() => new OneCycleLR(opt, 1.0, 10)).ParamName);
        var s = new OneCycleLR(opt, 1.0, 10, cycleMomentum: false);
        for (int t = 0; t < 10; t++) s.Step();  // PyTorch allows total_steps steps after construction
        Assert.Throws<InvalidOperationException>(s.Step);
        Assert.Equal(10, s.LastEpoch);
    }

    [Fact]
    public void OneCycleMomentumReachesTheOptimizer()
    {
        var w = Tensor.FromArray([0.0]).RequiresGrad_();
        var opt = new Sgd([w], lr: 0.1, momentum: 0.5);
        var s = new OneCycleLR(opt, 1.0, 10, baseMomentum: 0.8, maxMomentum: 0.9);
        Assert.Equal(0.9, opt.ParamGroups[0]["momentum"]);
        Assert.Equal(0.04, opt.ParamGroups[0].Lr, 15);
        for (int t = 0; t < 2; t++) s.Step();
        Assert.Equal(0.8, opt.ParamGroups[0]["momentum"], 15);  // at the peak (step pct · total − 1 = 2)
        Assert.Equal(1.0, opt.ParamGroups[0].Lr, 15);
    }

    [Fact]
    public void PlateauNeedsTheMetricAndCompositesRejectIt()
    {
        var opt = MakeOpt();
        var plateau = new ReduceLROnPlateau(opt);
        Assert.Throws<InvalidOperationException>(plateau.Step);
        Assert.Null(opt.ParamGroups[0].InitialLr);  // like PyTorch's, it does not set initial_lr
        Assert.Equal("schedulers", Assert.Throws<ArgumentException>(() => new ChainedScheduler([plateau])).ParamName);
    }

    [Fact]
    public void SequentialChecksItsSchedulersAndMilestones()
    {
        var opt = MakeOpt();
        var a = new LinearLR(opt, 0.5, totalIters: 2);
        var b = new ExponentialLR(opt, 0.9);
        Assert.Equal("milestones", Assert.Throws<ArgumentException>(() => new SequentialLR(opt, [a, b], [])).ParamName);
        Assert.Equal("milestones", Assert.ThrowsAny<ArgumentException>(() => new SequentialLR(opt, [a, b], [0])).ParamName);
        Assert.Equal("schedulers", Assert.Throws<ArgumentException>(() => new SequentialLR(MakeOpt(), [a, b], [3])).ParamName);
        Assert.Equal("schedulers", Assert.Throws<ArgumentException>(() => new SequentialLR(opt, [a, a], [3])).ParamName);
        var chained = new ChainedScheduler([a, b]);
        Assert.Equal("schedulers", Assert.Throws<ArgumentException>(() => new SequentialLR(opt, [chained, b], [3])).ParamName);
    }

    [Fact]
    public void WarmupThenCosineRisesLinearlyThenAnnealsFromThePeak()
    {
        var opt = MakeOpt(1.0);
        var schedule = new SequentialLR(opt, [new LinearLR(opt, startFactor: 0.25, totalIters: 3), new CosineAnnealingLR(opt, tMax: 4)], milestones: [3]);
        Assert.Equal([0.25, 0.5, 0.75, 1.0, 0.5 * (1 + Math.Cos(Math.PI / 4)), 0.5, 0.5 * (1 + Math.Cos(3 * Math.PI / 4)), 0.0], Run(schedule, 7), new Tol(1e-12));
        Assert.Equal(schedule.LastLr, [opt.ParamGroups[0].Lr]);
    }

    [Fact]
    public void WarmRestartsStepsByFractionalEpochs()
    {
        var s = new CosineAnnealingWarmRestarts(MakeOpt(1.0), t0: 2, tMult: 2);
        s.Step(1.0);
        Assert.Equal(0.5, s.LastLr[0], 15);
        s.Step(2.0);  // restart: T_i becomes 4
        Assert.Equal(1.0, s.LastLr[0], 15);
        Assert.Equal(4.0, s.TI);
        s.Step(4.0);
        Assert.Equal(0.5, s.LastLr[0], 15);
        Assert.Equal(4, s.LastEpoch);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(-1.0));
    }

    [Fact]
    public void AFailedLoadChangesNothing()
    {
        var opt = MakeOpt();
        var warm = new LinearLR(opt, 0.5, totalIters: 2);
        var cos = new CosineAnnealingWarmRestarts(opt, 3);
        var seq = new SequentialLR(opt, [warm, cos], [2]);
        for (int t = 0; t < 4; t++) seq.Step();
        var before = seq.StateDict();
        var broken = new Dictionary<string, double>(before);
        broken.Remove("_schedulers.1.T_cur");
        Assert.Throws<ArgumentException>(() => seq.LoadStateDict(broken));
        Assert.Equal(before, seq.StateDict());
        // An unstarted scheduler of a sequence has last_epoch −1, which must load back.
        var fresh = new SequentialLR(opt, [new LinearLR(opt, 0.5, totalIters: 2), new ExponentialLR(opt, 0.9)], [5]);
        var state = fresh.StateDict();
        Assert.Equal(-1.0, state["_schedulers.1.last_epoch"]);
        fresh.LoadStateDict(state);
    }

    public static TheoryData<string> CheckpointedKinds() => ["warmup+cosine", "warm-restarts", "plateau", "one-cycle", "chained"];

    private static LrScheduler Make(string kind, Sgd opt) => kind switch
    {
        "warmup+cosine" => new SequentialLR(opt, [new LinearLR(opt, 0.1, totalIters: 3), new CosineAnnealingLR(opt, 10)], [3]),
        "warm-restarts" => new CosineAnnealingWarmRestarts(opt, 2, 2, 1e-4),
        "plateau" => new ReduceLROnPlateau(opt, patience: 1, factor: 0.5),
        "one-cycle" => new OneCycleLR(opt, 0.5, 20),
        _ => new ChainedScheduler([new LinearLR(opt, 0.5, totalIters: 4), new MultiStepLR(opt, [2, 5])]),
    };

    private static void Advance(LrScheduler s, int from, int steps)
    {
        for (int t = from; t < from + steps; t++)
        {
            if (s is ReduceLROnPlateau p) p.Step(t % 3 == 0 ? 1.0 / (t + 1) : 1.0);
            else s.Step();
        }
    }

    [Theory]
    [MemberData(nameof(CheckpointedKinds))]
    public void CheckpointRestoresTheScheduleExactly(string kind)
    {
        Sgd NewOpt(Module m) => new(m.Parameters(), lr: 0.1, momentum: 0.9);
        var model = new Linear(3, 2, generator: new Generator(1));
        var opt = NewOpt(model);
        var s = Make(kind, opt);
        Advance(s, 0, 5);
        using var dir = new TempDir();
        string path = dir.File("ckpt.safetensors");
        Checkpoint.Save(path, model, opt, s);
        Advance(s, 5, 8);

        var model2 = new Linear(3, 2, generator: new Generator(2));
        var opt2 = NewOpt(model2);
        var s2 = Make(kind, opt2);
        Checkpoint.Load(path, model2, opt2, s2);
        Advance(s2, 5, 8);
        Assert.Equal(s.StateDict(), s2.StateDict());
        Assert.Equal(opt.ParamGroups[0].Options.OrderBy(kv => kv.Key), opt2.ParamGroups[0].Options.OrderBy(kv => kv.Key));
    }
}
