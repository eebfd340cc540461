using Axon.Optim;

namespace Axon.Tests.Optim;

/// <summary>Adagrad, RMSprop, Adam, AdamW, Adadelta and PyTorch's ASGD: validation, allocation, scopes, the factory.</summary>
public class AdaptiveOptimizerTests
{
    private static Tensor W() => Tensor.FromArray([1.0, -2.0]).RequiresGrad_();

    public static TheoryData<string, Func<Tensor, Optimizer>> InvalidCases() => new()
    {
        { "lr", w => new Adam([w], lr: -1e-3) },
        { "lr", w => new Adam([w], lr: double.NaN) },
        { "beta1", w => new Adam([w], beta1: 1.0) },
        { "beta1", w => new Adam([w], beta1: -0.1) },
        { "beta2", w => new Adam([w], beta2: 1.0) },
        { "beta2", w => new Adam([w], beta2: double.NaN) },
        { "eps", w => new Adam([w], eps: -1e-8) },
        { "weightDecay", w => new Adam([w], weightDecay: -0.1) },
        { "lr", w => new AdamW([w], lr: -1) },
        { "beta1", w => new AdamW([w], beta1: 1.5) },
        { "beta2", w => new AdamW([w], beta2: -0.5) },
        { "eps", w => new AdamW([w], eps: -1) },
        { "weightDecay", w => new AdamW([w], weightDecay: -1e-2) },
        { "lr", w => new Adagrad([w], lr: -0.1) },
        { "lrDecay", w => new Adagrad([w], lrDecay: -0.1) },
        { "weightDecay", w => new Adagrad([w], weightDecay: -0.1) },
        { "initialAccumulatorValue", w => new Adagrad([w], initialAccumulatorValue: -0.1) },
        { "eps", w => new Adagrad([w], eps: -1e-10) },
        { "lr", w => new RmsProp([w], lr: -0.1) },
        { "alpha", w => new RmsProp([w], alpha: -0.5) },
        { "eps", w => new RmsProp([w], eps: -1) },
        { "weightDecay", w => new RmsProp([w], weightDecay: -1) },
        { "momentum", w => new RmsProp([w], momentum: -0.9) },
        { "lr", w => new Adadelta([w], lr: -1) },
        { "rho", w => new Adadelta([w], rho: 1.01) },
        { "rho", w => new Adadelta([w], rho: -0.01) },
        { "eps", w => new Adadelta([w], eps: -1e-6) },
        { "weightDecay", w => new Adadelta([w], weightDecay: -1) },
        { "lr", w => new Asgd([w], lr: -1) },
        { "lambd", w => new Asgd([w], lambd: -1e-4) },
        { "alpha", w => new Asgd([w], alpha: -0.75) },
        { "t0", w => new Asgd([w], t0: -1) },
        { "weightDecay", w => new Asgd([w], weightDecay: -1) },
        // Per-group values are validated too, and the message names the group.
        { "lr", w => new Adam([new ParamGroup([w], lr: -1)]) },
        { "weightDecay", w => new RmsProp([new ParamGroup([w], weightDecay: -1)]) },
        { "beta1", w => new AdamW([new ParamGroup([w]).With(Adam.Beta1Key, 1.0)]) },
        { "rho", w => new Adadelta([new ParamGroup([w]).With(Adadelta.RhoKey, 2.0)]) },
        // Through the factory.
        { "beta2", w => OptimizerFactory.Create("adam", [w], new OptimizerSettings { Beta2 = 1 }) },
        { "momentum", w => OptimizerFactory.Create("rmsprop", [w], new OptimizerSettings { Momentum = -1 }) },
        { "nesterov", w => OptimizerFactory.Create("sgd", [w], new OptimizerSettings { Momentum = 0.9, Dampening = 0.1, Nesterov = true }) },
        { "t0", w => OptimizerFactory.Create("asgd", [w], new OptimizerSettings { T0 = 1.5 }) },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void InvalidHyperParametersAreRejectedNamingTheParameter(string paramName, Func<Tensor, Optimizer> make)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => make(W()));
        Assert.Equal(paramName, ex.ParamName);
        Assert.Contains($"'{paramName}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupErrorsSayWhichGroup()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([new ParamGroup([W()]), new ParamGroup([W()], lr: -1)]));
        Assert.Contains("parameter group 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BoundaryValuesAreAccepted()
    {
        _ = new Adam([W()], lr: 0, beta1: 0, beta2: 0, eps: 0);
        _ = new Adadelta([W()], rho: 1);
        _ = new Adadelta([W()], rho: 0);
        _ = new RmsProp([W()], alpha: 0, momentum: 0);
        _ = new Asgd([W()], t0: 0, lambd: 0, alpha: 0);
    }

    /// <summary>Factory configurations exercising every state tensor (AMSGrad, centring, momentum).</summary>
    public static TheoryData<string, string> Variants() => new()
    {
        { "adam", "" }, { "adam", "amsgrad" }, { "adamw", "amsgrad" }, { "adagrad", "" },
        { "rmsprop", "" }, { "rmsprop", "centered+momentum" }, { "adadelta", "" }, { "torch-asgd", "" },
    };

    private static Optimizer Make(string name, string variant, IEnumerable<Tensor> ps) => OptimizerFactory.Create(name, ps, new OptimizerSettings
    {
        Lr = 0.01,
        WeightDecay = 1e-3,
        AmsGrad = variant.Contains("amsgrad", StringComparison.Ordinal) ? true : null,
        Centered = variant.Contains("centered", StringComparison.Ordinal) ? true : null,
        Momentum = variant.Contains("momentum", StringComparison.Ordinal) ? 0.9 : null,
        T0 = name == "torch-asgd" ? 3 : null,
    });

    [Theory]
    [MemberData(nameof(Variants))]
    public void SteadyStateStepAllocatesNothing(string name, string variant)
    {
        var ps = new[] { Tensor.Randn([300], new Generator(1)).RequiresGrad_(), Tensor.Randn([17, 3], new Generator(2), DType.Float64).RequiresGrad_() };
        foreach (var p in ps) p.Grad = Tensor.OnesLike(p);
        var opt = Make(name, variant, ps);
        opt.Step();
        opt.Step();
        Assert.Equal(0, Allocations.SteadyStateBytes(opt.Step));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void StateSurvivesTheStepsTensorScope(string name, string variant)
    {
        var w = Tensor.FromArray([1.0f, 2.0f, -3.0f]).RequiresGrad_();
        var opt = Make(name, variant, [w]);
        for (int i = 0; i < 3; i++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            w.Square().Sum().Backward();
            opt.Step();
        }
        var state = opt.GetState(w)!;
        Assert.NotEmpty(state.Tensors);
        Assert.All(state.Tensors.Values, t => Assert.False(t.IsDisposed));
        Assert.Equal(3.0, state.Scalars["step"]);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ParametersWithoutGradientAreSkipped(string name, string variant)
    {
        var a = Tensor.FromArray([1.0]).RequiresGrad_();
        var b = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = Make(name, variant, [a, b]);
        (a * 2.0).Sum().Backward();
        opt.Step();
        Assert.NotEqual(1.0, a.GetDouble(0));
        Assert.Equal(1.0, b.GetDouble(0));
        Assert.Null(opt.GetState(b));
    }

    [Fact]
    public void StateTensorsHavePyTorchsNames()
    {
        string[] Keys(Optimizer opt, Tensor w)
        {
            opt.ZeroGrad();
            w.Square().Sum().Backward();
            opt.Step();
            return [.. opt.GetState(w)!.Tensors.Keys.Order(StringComparer.Ordinal)];
        }
        var w = W();
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], Keys(new Adam([w], amsGrad: true), w));
        Assert.Equal(["exp_avg", "exp_avg_sq"], Keys(new AdamW([w]), w));
        Assert.Equal(["sum"], Keys(new Adagrad([w]), w));
        Assert.Equal(["grad_avg", "momentum_buffer", "square_avg"], Keys(new RmsProp([w], momentum: 0.5, centered: true), w));
        Assert.Equal(["acc_delta", "square_avg"], Keys(new Adadelta([w]), w));
        var asgd = new Asgd([w]);
        Assert.Equal(["ax"], Keys(asgd, w));
        Assert.Equal(["eta", "mu", "step"], asgd.GetState(w)!.Scalars.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AdagradStartsTheAccumulatorAtItsInitialValue()
    {
        // One step on f = w²/2 from w = 1: g = 1, sum = τ + 1, w = 1 − γ / (√(τ + 1) + ε).
        var w = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Adagrad([w], lr: 0.5, initialAccumulatorValue: 3, eps: 0);
        (w.Square().Sum() * 0.5).Backward();
        opt.Step();
        Assert.Equal(1 - 0.5 / 2, w.GetDouble(0), 15);
        Assert.Equal(4.0, opt.GetState(w)!.Tensors[Adagrad.SumKey].GetDouble(0));
    }

    [Fact]
    public void AdamWithoutDecayIsAdamW()
    {
        double[] Run(Func<Tensor, Optimizer> make)
        {
            var w = Tensor.FromArray(Enumerable.Range(0, 23).Select(i => Math.Sin(i)).ToArray()).RequiresGrad_();
            var opt = make(w);
            for (int t = 0; t < 5; t++)
            {
                opt.ZeroGrad();
                w.Pow(4).Sum().Backward();
                opt.Step();
            }
            return w.ToDoubleArray();
        }
        Assert.Equal(Run(w => new Adam([w], lr: 0.1)), Run(w => new AdamW([w], lr: 0.1, weightDecay: 0)));
        Assert.NotEqual(Run(w => new Adam([w], lr: 0.1, weightDecay: 0.5)), Run(w => new AdamW([w], lr: 0.1, weightDecay: 0.5)));
    }

    [Fact]
    public void FactoryKnowsTheNames()
    {
        Assert.Equal(["sgd", "asgd", "torch-asgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta"], OptimizerFactory.Names);
        var types = new[] { typeof(Sgd), typeof(AveragedSgd), typeof(Asgd), typeof(Adagrad), typeof(RmsProp), typeof(Adam), typeof(AdamW), typeof(Adadelta) };
        for (int i = 0; i < types.Length; i++)
        {
            Assert.IsType(types[i], OptimizerFactory.Create(OptimizerFactory.Names[i], [W()], new OptimizerSettings()));
            Assert.Contains(nameof(OptimizerSettings.Lr), OptimizerFactory.SettingsOf(OptimizerFactory.Names[i]));
        }
        Assert.IsType<AdamW>(OptimizerFactory.Create(" AdamW ", [W()]));
        var ex = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create("lbfgs", [W()]));
        Assert.Equal("name", ex.ParamName);
        foreach (var n in OptimizerFactory.Names) Assert.Contains(n, ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OptimizerFactory.SettingsOf("nope"));
    }

    [Fact]
    public void FactoryDefaultsAreTheConstructorsDefaults()
    {
        var w = W();
        var pairs = new (string Name, Optimizer Direct)[]
        {
            ("sgd", new Sgd([w])), ("asgd", new AveragedSgd([w])), ("torch-asgd", new Asgd([w])), ("adagrad", new Adagrad([w])),
            ("rmsprop", new RmsProp([w])), ("adam", new Adam([w])), ("adamw", new AdamW([w])), ("adadelta", new Adadelta([w])),
        };
        foreach (var (name, direct) in pairs)
        {
            var made = OptimizerFactory.Create(name, [w]);
            Assert.Equal(direct.ParamGroups[0].Options.OrderBy(kv => kv.Key, StringComparer.Ordinal), made.ParamGroups[0].Options.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        }
        // PyTorch's defaults where they differ between optimisers.
        Assert.Equal(0.01, OptimizerFactory.Create("adamw", [w]).ParamGroups[0].WeightDecay);
        Assert.Equal(1.0, OptimizerFactory.Create("adadelta", [w]).ParamGroups[0].Lr);
        Assert.Equal(1e-10, OptimizerFactory.Create("adagrad", [w]).ParamGroups[0][Adagrad.EpsKey]);
        Assert.Equal(0.99, OptimizerFactory.Create("rmsprop", [w]).ParamGroups[0][RmsProp.AlphaKey]);
        Assert.Equal(0.75, OptimizerFactory.Create("torch-asgd", [w]).ParamGroups[0][Asgd.AlphaKey]);
        Assert.Equal(1e6, OptimizerFactory.Create("torch-asgd", [w]).ParamGroups[0][Asgd.T0Key]);
    }

    [Fact]
    public void FactorySettingsReachTheGroups()
    {
        var opt = OptimizerFactory.Create("adam", [W()], new OptimizerSettings { Lr = 0.2, Beta1 = 0.5, Beta2 = 0.6, Eps = 1e-3, WeightDecay = 0.1, AmsGrad = true, Maximize = true, Momentum = 0.9 });
        var g = opt.ParamGroups[0];
        Assert.Equal((0.2, 0.5, 0.6, 1e-3, 0.1, 1.0, 1.0), (g.Lr, g[Adam.Beta1Key], g[Adam.Beta2Key], g[Adam.EpsKey], g.WeightDecay, g[Adam.AmsGradKey], g[Adam.MaximizeKey]));
        Assert.False(g.Has("momentum"));  // settings an optimiser does not take are ignored
        var asgd = OptimizerFactory.Create("asgd", [W()], new OptimizerSettings { T0 = 4 });
        Assert.Equal(4.0, asgd.ParamGroups[0][AveragedSgd.AverageStartKey]);
    }
}
