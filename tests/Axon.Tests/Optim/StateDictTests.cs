using Axon.Optim;

namespace Axon.Tests.Optim;

public class StateDictTests
{
    // A small least-squares problem on two float32 parameters, deterministic given the parameters.
    // Instance fields, created outside any TensorScope (a static initialiser could run inside a step's scope).
    private readonly Tensor X = Tensor.Randn([8, 3], new Generator(5));
    private readonly Tensor Y = Tensor.Randn([8, 2], new Generator(6));

    private static Tensor[] MakeParams() =>
        [Tensor.Randn([3, 2], new Generator(7)).RequiresGrad_(), Tensor.Randn([2], new Generator(8)).RequiresGrad_()];

    private void Train(Optimizer opt, Tensor[] ps, int steps, LrScheduler? sched = null)
    {
        for (int t = 0; t < steps; t++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            (X.MatMul(ps[0]) + ps[1] - Y).Square().Mean().Backward();
            opt.Step();
            sched?.Step();
        }
    }

    private static Tensor[] Copy(Tensor[] ps) => ps.Select(p => p.Detach().Clone().RequiresGrad_()).ToArray();

    [Fact]
    public void SgdResumesExactly()
    {
        var ps = MakeParams();
        var opt = new Sgd([new ParamGroup([ps[0]]), new ParamGroup([ps[1]], lr: 0.02)], lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true);
        Train(opt, ps, 4);
        var saved = opt.StateDict();
        var savedParams = Copy(ps);
        Train(opt, ps, 5);

        // Different hyper-parameters on purpose: the state dict must restore them.
        var resumed = new Sgd([new ParamGroup([savedParams[0]]), new ParamGroup([savedParams[1]])], lr: 0.5, momentum: 0.1);
        resumed.LoadStateDict(saved);
        Assert.Equal(0.02, resumed.ParamGroups[1].Lr);
        Assert.Equal(1.0, resumed.ParamGroups[0][Sgd.NesterovKey]);
        Train(resumed, savedParams, 5);

        for (int i = 0; i < ps.Length; i++) Assert.Equal(ps[i].ToFloatArray(), savedParams[i].ToFloatArray());
        Assert.Contains("state.0.momentum_buffer", saved.Tensors.Keys);
        Assert.Contains("state.1.momentum_buffer", saved.Tensors.Keys);
        Assert.Equal(0.05, saved.Scalars["param_groups.0.lr"]);
    }

    [Fact]
    public void StateDictIsASnapshot()
    {
        var ps = MakeParams();
        var opt = new Sgd(ps, lr: 0.05, momentum: 0.9);
        Train(opt, ps, 2);
        var saved = opt.StateDict();
        var before = saved.Tensors["state.0.momentum_buffer"].ToFloatArray();
        Train(opt, ps, 2);
        Assert.Equal(before, saved.Tensors["state.0.momentum_buffer"].ToFloatArray());
    }

    [Fact]
    public void AveragedSgdResumesExactly()
    {
        var ps = MakeParams();
        var opt = new AveragedSgd(ps, lr: 0.05, averageStart: 2);
        Train(opt, ps, 4);
        var saved = opt.StateDict();
        var savedParams = Copy(ps);
        Train(opt, ps, 5);

        var resumed = new AveragedSgd(savedParams, lr: 0.3);
        resumed.LoadStateDict(saved);
        Train(resumed, savedParams, 5);
        for (int i = 0; i < ps.Length; i++)
        {
            Assert.Equal(ps[i].ToFloatArray(), savedParams[i].ToFloatArray());
            Assert.Equal(opt.GetAverage(ps[i])!.ToFloatArray(), resumed.GetAverage(savedParams[i])!.ToFloatArray());
        }
    }

    [Fact]
    public void SchedulerAndOptimizerResumeExactly()
    {
        var ps = MakeParams();
        var opt = new Sgd(ps, lr: 0.1, momentum: 0.5);
        var sched = new StepLR(opt, stepSize: 2, gamma: 0.5);
        Train(opt, ps, 3, sched);
        var savedOpt = opt.StateDict();
        var savedSched = sched.StateDict();
        var savedParams = Copy(ps);
        Train(opt, ps, 4, sched);

        var opt2 = new Sgd(savedParams, lr: 0.1, momentum: 0.5);
        var sched2 = new StepLR(opt2, stepSize: 2, gamma: 0.5);
        opt2.LoadStateDict(savedOpt);
        sched2.LoadStateDict(savedSched);
        Assert.Equal(3, sched2.LastEpoch);
        Train(opt2, savedParams, 4, sched2);
        Assert.Equal(sched.LastLr, sched2.LastLr);
        for (int i = 0; i < ps.Length; i++) Assert.Equal(ps[i].ToFloatArray(), savedParams[i].ToFloatArray());
    }

    [Fact]
    public void MismatchedStateDictsAreRejected()
    {
        var ps = MakeParams();
        var opt = new Sgd(ps, lr: 0.1, momentum: 0.9);
        Train(opt, ps, 1);
        var saved = opt.StateDict();
        var other = new Sgd([new ParamGroup([ps[0]]), new ParamGroup([ps[1]])], lr: 0.1);
        Assert.Throws<ArgumentException>(() => other.LoadStateDict(saved));
        var fewer = new Sgd([ps[0]], lr: 0.1);
        Assert.Throws<ArgumentException>(() => fewer.LoadStateDict(saved));
        saved.Scalars["bogus"] = 1;
        Assert.Throws<ArgumentException>(() => opt.LoadStateDict(saved));
    }
}
