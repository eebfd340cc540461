using Axon.Optim;

namespace Axon.Tests.Optim;

public class SgdTests
{
    // f(w) = w^2 / 2 on one float64 weight starting at 1, so the gradient is w itself.
    private static double[] RunScalar(Func<IEnumerable<Tensor>, Optimizer> make, int steps = 3, double w0 = 1.0)
    {
        var w = Tensor.FromArray([w0]).RequiresGrad_();
        var opt = make([w]);
        var result = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            opt.ZeroGrad();
            (w.Square().Sum() * 0.5).Backward();
            opt.Step();
            result[t] = w.GetDouble(0);
        }
        return result;
    }

    [Fact]
    public void PlainSgdFollowsTheUpdateRule()
    {
        // w <- w - 0.1 w = 0.9 w.
        Assert.Equal([0.9, 0.81, 0.729], RunScalar(ps => new Sgd(ps, lr: 0.1)), new Tol(1e-12));
    }

    [Fact]
    public void MomentumMatchesHandComputedValues()
    {
        // b1 = g1 = 1, w1 = 0.9; b2 = 0.9*1 + 0.9 = 1.8, w2 = 0.72; b3 = 0.9*1.8 + 0.72 = 2.34, w3 = 0.486.
        Assert.Equal([0.9, 0.72, 0.486], RunScalar(ps => new Sgd(ps, lr: 0.1, momentum: 0.9)), new Tol(1e-12));
    }

    [Fact]
    public void DampeningIsNotAppliedAtTheFirstStep()
    {
        // b1 = g1 = 1 (no dampening), w1 = 0.9; b2 = 0.9 + 0.5*0.9 = 1.35, w2 = 0.765;
        // b3 = 0.9*1.35 + 0.5*0.765 = 1.5975, w3 = 0.60525.
        Assert.Equal([0.9, 0.765, 0.60525], RunScalar(ps => new Sgd(ps, lr: 0.1, momentum: 0.9, dampening: 0.5)), new Tol(1e-12));
    }

    [Fact]
    public void NesterovMatchesHandComputedValues()
    {
        // t1: b = 1, g = 1 + 0.9*1 = 1.9, w = 0.81
        // t2: g = 0.81, b = 0.9 + 0.81 = 1.71, g = 0.81 + 0.9*1.71 = 2.349, w = 0.5751
        // t3: g = 0.5751, b = 1.539 + 0.5751 = 2.1141, g = 0.5751 + 1.90269 = 2.47779, w = 0.327321
        Assert.Equal([0.81, 0.5751, 0.327321], RunScalar(ps => new Sgd(ps, lr: 0.1, momentum: 0.9, nesterov: true)), new Tol(1e-12));
    }

    [Fact]
    public void WeightDecayIsAddedToTheGradient()
    {
        // g = w + 0.1 w, w <- w - 0.1 * 1.1 w = 0.89 w.
        Assert.Equal([0.89, 0.7921, 0.704969], RunScalar(ps => new Sgd(ps, lr: 0.1, weightDecay: 0.1)), new Tol(1e-12));
    }

    [Fact]
    public void MaximizeAscends()
    {
        Assert.Equal([1.1, 1.21, 1.331], RunScalar(ps => new Sgd(ps, lr: 0.1, maximize: true)), new Tol(1e-12));
    }

    /// <summary>PyTorch's algorithm box, written out in double for a separable quadratic with curvatures c.</summary>
    private static double[] Reference(double[] w, double[] c, int steps, double lr, double mu, double tau, double wd, bool nesterov)
    {
        w = (double[])w.Clone();
        var b = new double[w.Length];
        for (int t = 1; t <= steps; t++)
            for (int i = 0; i < w.Length; i++)
            {
                double g = c[i] * w[i];
                if (wd != 0) g += wd * w[i];
                if (mu != 0)
                {
                    b[i] = t > 1 ? mu * b[i] + (1 - tau) * g : g;
                    g = nesterov ? g + mu * b[i] : b[i];
                }
                w[i] -= lr * g;
            }
        return w;
    }

    [Theory]
    [InlineData(0.05, 0.0, 0.0, 0.0, false)]
    [InlineData(0.05, 0.9, 0.0, 0.01, false)]
    [InlineData(0.05, 0.9, 0.3, 0.01, false)]
    [InlineData(0.05, 0.5, 0.0, 0.2, true)]
    public void MatchesTheAlgorithmBoxOnAVector(double lr, double mu, double tau, double wd, bool nesterov)
    {
        // 37 elements: exercises both the SIMD body and the scalar tail.
        int n = 37;
        var w0 = Enumerable.Range(0, n).Select(i => Math.Sin(i + 1.0)).ToArray();
        var c = Enumerable.Range(0, n).Select(i => 0.5 + i % 5).ToArray();
        var w = Tensor.FromArray(w0).RequiresGrad_();
        using var ct = Tensor.FromArray(c);
        var opt = new Sgd([w], lr, mu, tau, wd, nesterov);
        for (int t = 1; t <= 3; t++)
        {
            opt.ZeroGrad();
            (ct * w.Square()).Sum().Mul(0.5).Backward();
            opt.Step();
            Assert.Equal(Reference(w0, c, t, lr, mu, tau, wd, nesterov), w.ToDoubleArray(), new Tol(1e-12));
        }
    }

    [Fact]
    public void Float32ParametersMatchTheReferenceClosely()
    {
        var w0 = Enumerable.Range(0, 19).Select(i => Math.Cos(i)).ToArray();
        var c = Enumerable.Repeat(1.0, 19).ToArray();
        var w = Tensor.FromArray(w0.Select(v => (float)v).ToArray()).RequiresGrad_();
        var opt = new Sgd([w], lr: 0.1, momentum: 0.9, weightDecay: 0.01);
        for (int t = 0; t < 3; t++)
        {
            opt.ZeroGrad();
            (w.Square().Sum() * 0.5).Backward();
            opt.Step();
        }
        Assert.Equal(Reference(w0, c, 3, 0.1, 0.9, 0, 0.01, false), w.ToDoubleArray(), new Tol(1e-6));
    }

    [Fact]
    public void ParametersWithoutGradientAreSkipped()
    {
        var a = Tensor.FromArray([1.0]).RequiresGrad_();
        var b = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Sgd([a, b], lr: 0.5, momentum: 0.9);
        (a * 2.0).Sum().Backward();
        opt.Step();
        Assert.Equal(0.0, a.GetDouble(0), 12);
        Assert.Equal(1.0, b.GetDouble(0), 12);
        Assert.Null(opt.GetState(b));
        Assert.NotNull(opt.GetState(a)!.Tensors[Sgd.MomentumBufferKey]);
    }

    [Fact]
    public void ParameterGroupsHaveTheirOwnRates()
    {
        var a = Tensor.FromArray([1.0]).RequiresGrad_();
        var b = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Sgd([new ParamGroup([a], lr: 0.5), new ParamGroup([b]).With(Sgd.MomentumKey, 0.9)], lr: 0.1);
        Assert.Equal(0.5, opt.ParamGroups[0].Lr);
        Assert.Equal(0.1, opt.ParamGroups[1].Lr);
        Assert.Equal(0.0, opt.ParamGroups[0][Sgd.MomentumKey]);
        Assert.Equal(0.9, opt.ParamGroups[1][Sgd.MomentumKey]);
        (a + b).Sum().Backward();
        opt.Step();
        Assert.Equal(0.5, a.GetDouble(0), 12);
        Assert.Equal(0.9, b.GetDouble(0), 12);
    }

    [Fact]
    public void ZeroGradClearsOrZeroes()
    {
        var a = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var opt = new Sgd([a], lr: 0.1);
        a.Sum().Backward();
        opt.ZeroGrad(setToNone: false);
        Assert.Equal([0.0, 0.0], a.Grad!.ToDoubleArray());
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void StepInsideATensorScopeKeepsTheMomentumBuffer()
    {
        var w = Tensor.FromArray([1.0f, 2.0f]).RequiresGrad_();
        var opt = new Sgd([w], lr: 0.1, momentum: 0.9);
        for (int i = 0; i < 3; i++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            w.Square().Sum().Backward();
            opt.Step();
        }
        Assert.False(opt.GetState(w)!.Tensors[Sgd.MomentumBufferKey].IsDisposed);
    }

    [Fact]
    public void SteadyStateStepAllocatesNothing()
    {
        var ps = new[] { Tensor.Randn([300], new Generator(1)).RequiresGrad_(), Tensor.Randn([17, 3], new Generator(2), DType.Float64).RequiresGrad_() };
        foreach (var p in ps) p.Grad = Tensor.OnesLike(p);
        var opt = new Sgd(ps, lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true);
        opt.Step();
        opt.Step();
        Assert.Equal(0, Allocations.SteadyStateBytes(opt.Step));
    }

    [Fact]
    public void InvalidHyperParametersAreRejectedWithTheirName()
    {
        var w = Tensor.FromArray([1.0]).RequiresGrad_();
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: -0.1)).ParamName);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: double.NaN)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: 0.1, momentum: -0.5)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: 0.1, weightDecay: -1)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: 0.1, nesterov: true)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)).ParamName);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([new ParamGroup([w], lr: -1)], lr: 0.1)).ParamName);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => new AveragedSgd([w], lr: -1)).ParamName);
        Assert.Equal("averageStart", Assert.Throws<ArgumentOutOfRangeException>(() => new AveragedSgd([w], averageStart: -1)).ParamName);
    }

    [Fact]
    public void InvalidParameterListsAreRejected()
    {
        var w = Tensor.FromArray([1.0]).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Tensor>(), lr: 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd([w, w], lr: 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd([w * 2.0], lr: 0.1));
        var opt = new Sgd([w], lr: 0.1);
        Assert.Throws<ArgumentException>(() => opt.AddParamGroup(new ParamGroup([w])));
        var v = Tensor.FromArray([2.0]).RequiresGrad_();
        opt.AddParamGroup(new ParamGroup([v], lr: 0.5));
        Assert.Equal(2, opt.ParamGroups.Count);
        Assert.Equal(0.0, opt.ParamGroups[1][Sgd.MomentumKey]);
    }

    // A parameter large enough to be split over the kernel threads (200_003 elements: three grains of 65536, and a
    // scalar tail), updated for three steps: every thread count must give the bits of the scalar formula.
    [Theory]
    [InlineData(DType.Float32, 0.9, 0.0, true, 0.01, false)]
    [InlineData(DType.Float32, 0.9, 0.3, false, 0.01, true)]
    [InlineData(DType.Float32, 0.0, 0.0, false, 0.05, false)]
    [InlineData(DType.Float64, 0.9, 0.0, true, 0.01, false)]
    [InlineData(DType.Float64, 0.5, 0.25, false, 0.0, true)]
    public void ALargeParameterGetsTheScalarFormulasBitsWithAnyThreadCount(DType dtype, double momentum, double dampening, bool nesterov, double weightDecay, bool maximize)
    {
        if (dtype == DType.Float32) CheckLargeUpdate<float>(momentum, dampening, nesterov, weightDecay, maximize);
        else CheckLargeUpdate<double>(momentum, dampening, nesterov, weightDecay, maximize);
    }

    private static void CheckLargeUpdate<T>(double momentum, double dampening, bool nesterov, double weightDecay, bool maximize)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int n = 200_003, steps = 3;
        const double lr = 0.05;
        var dtype = typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;
        var p0 = Tensor.Randn([n], new Generator(1), dtype).ToArray<T>();
        var grads = Enumerable.Range(0, steps).Select(t => Tensor.Randn([n], new Generator(10 + t), dtype).ToArray<T>()).ToArray();

        // The algorithm box element by element, with the coefficients rounded to T as Sgd rounds them.
        var expected = (T[])p0.Clone();
        var buf = new T[n];
        T wd = T.CreateChecked(weightDecay), mu = T.CreateChecked(momentum), damp = T.CreateChecked(1 - dampening);
        T step = maximize ? T.CreateChecked(lr) : -T.CreateChecked(lr);
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < n; i++)
            {
                var g = grads[t][i];
                if (weightDecay != 0) g += wd * expected[i];
                if (momentum != 0)
                {
                    var b = t == 0 ? g : mu * buf[i] + damp * g;
                    buf[i] = b;
                    g = nesterov ? g + mu * b : b;
                }
                expected[i] += step * g;
            }

        foreach (int threads in new[] { 1, 2, 3 })
        {
            var device = Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
            var w = FromArray((T[])p0.Clone()).To(device).RequiresGrad_();
            var opt = new Sgd([w], lr, momentum, dampening, weightDecay, nesterov, maximize);
            for (int t = 0; t < steps; t++)
            {
                w.Grad = FromArray(grads[t]).To(device);
                opt.Step();
            }
            var got = w.ToArray<T>();
            for (int i = 0; i < n; i++)
                if (!got[i].Equals(expected[i]))
                    Assert.Fail($"{threads} thread(s): element {i} is {got[i]:r}, the scalar formula gives {expected[i]:r}.");
        }
    }

    private static Tensor FromArray<T>(T[] a) => a switch
    {
        float[] f => Tensor.FromArray(f),
        double[] d => Tensor.FromArray(d),
        _ => throw new ArgumentException(typeof(T).Name),
    };

    private static void QuadraticRun(double lr, int steps, out double finalNorm)
    {
        // F(x) = 1/2 sum(c_i x_i^2), Hessian diag(c), L = max c = 4: gradient descent converges iff lr < 2/L = 0.5.
        using var c = Tensor.FromArray([1.0, 4.0]);
        var x = Tensor.FromArray([1.0, 1.0]).RequiresGrad_();
        var opt = new Sgd([x], lr);
        for (int t = 0; t < steps; t++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            (c * x.Square()).Sum().Mul(0.5).Backward();
            opt.Step();
        }
        finalNorm = Math.Sqrt(x.ToDoubleArray().Sum(v => v * v));
    }

    [Fact]
    public void GradientDescentConvergesBelowTwoOverLAndDivergesAbove()
    {
        QuadraticRun(0.45, 200, out double below);
        QuadraticRun(0.55, 200, out double above);
        Assert.True(below < 1e-6, $"lr 0.45 < 2/L should converge, |x| = {below}");
        Assert.True(above > 1e3, $"lr 0.55 > 2/L should diverge, |x| = {above}");
    }

    [Fact]
    public void StepWithClosureReturnsTheLoss()
    {
        var w = Tensor.FromArray([2.0]).RequiresGrad_();
        var opt = new Sgd([w], lr: 0.25);
        var loss = opt.Step(() =>
        {
            opt.ZeroGrad();
            var l = w.Square().Sum();
            l.Backward();
            return l;
        });
        Assert.Equal(4.0, loss.Item(), 12);
        Assert.Equal(1.0, w.GetDouble(0), 12);
    }
}

internal sealed class Tol(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(y));

    public int GetHashCode(double obj) => 0;
}
