using Axon.Optim;

namespace Axon.Tests.Optim;

public class AveragedSgdTests
{
    private static (Tensor W, AveragedSgd Opt, List<double[]> Iterates) Run(int steps, long t0)
    {
        var w = Tensor.FromArray([1.0, -2.0, 0.5]).RequiresGrad_();
        using var c = Tensor.FromArray([1.0, 0.3, 2.0]);
        var opt = new AveragedSgd([w], lr: 0.1, averageStart: t0);
        var iterates = new List<double[]> { w.ToDoubleArray() };
        for (int t = 0; t < steps; t++)
        {
            opt.ZeroGrad();
            // A noisy-looking but deterministic gradient: c * w + sin(t).
            ((c * w.Square()).Sum() * 0.5 + w.Sum() * Math.Sin(t)).Backward();
            opt.Step();
            iterates.Add(w.ToDoubleArray());
        }
        return (w, opt, iterates);
    }

    private static double[] Mean(IEnumerable<double[]> xs)
    {
        var list = xs.ToList();
        return Enumerable.Range(0, list[0].Length).Select(i => list.Average(x => x[i])).ToArray();
    }

    [Fact]
    public void AverageIsTheMeanOfAllIteratesIncludingTheInitialOne()
    {
        var (w, opt, iterates) = Run(10, 0);
        // Lecture: W̄(n) = 1/(n+1) sum_{k=0..n} W(k).
        Assert.Equal(Mean(iterates), opt.GetAverage(w)!.ToDoubleArray(), new Tol(1e-12));
        Assert.Equal(10.0, opt.GetState(w)!.Scalars[AveragedSgd.StepKey]);
    }

    [Fact]
    public void AverageStartsAfterT0Steps()
    {
        var (w, opt, iterates) = Run(10, 4);
        Assert.Equal(Mean(iterates.Skip(4)), opt.GetAverage(w)!.ToDoubleArray(), new Tol(1e-12));
        var (w2, opt2, iterates2) = Run(3, 4);
        Assert.Equal(iterates2[^1], opt2.GetAverage(w2)!.ToDoubleArray(), new Tol(1e-15));
    }

    [Fact]
    public void ParametersFollowPlainSgd()
    {
        var w = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new AveragedSgd([w], lr: 0.1, weightDecay: 0.1);
        for (int t = 0; t < 3; t++)
        {
            opt.ZeroGrad();
            (w.Square().Sum() * 0.5).Backward();
            opt.Step();
        }
        Assert.Equal(Math.Pow(0.89, 3), w.GetDouble(0), 12);
        Assert.Equal((1 + 0.89 + 0.7921 + 0.704969) / 4, opt.GetAverage(w)!.GetDouble(0), 12);
    }

    [Fact]
    public void UseAverageSwapsInAndBack()
    {
        var (w, opt, iterates) = Run(6, 0);
        var avg = Mean(iterates);
        var last = iterates[^1];
        using (opt.UseAverage())
        {
            Assert.True(opt.IsAverageSwappedIn);
            Assert.Equal(avg, w.ToDoubleArray(), new Tol(1e-12));
            Assert.Throws<InvalidOperationException>(opt.Step);
            Assert.Throws<InvalidOperationException>(() => opt.UseAverage());
        }
        Assert.False(opt.IsAverageSwappedIn);
        Assert.Equal(last, w.ToDoubleArray());
        Assert.Equal(avg, opt.GetAverage(w)!.ToDoubleArray(), new Tol(1e-12));

        opt.SwapAverage();
        Assert.Equal(avg, w.ToDoubleArray(), new Tol(1e-12));
        opt.SwapAverage();
        Assert.Equal(last, w.ToDoubleArray());
    }

    [Fact]
    public void AverageIsNullBeforeTheFirstStep()
    {
        var w = Tensor.FromArray([1.0f]).RequiresGrad_();
        var opt = new AveragedSgd([w]);
        Assert.Null(opt.GetAverage(w));
    }

    [Fact]
    public void SteadyStateStepAllocatesNothing()
    {
        var w = Tensor.Randn([100], new Generator(3)).RequiresGrad_();
        w.Grad = Tensor.OnesLike(w);
        var opt = new AveragedSgd([w], lr: 0.01, weightDecay: 0.01);
        opt.Step();
        opt.Step();
        Assert.Equal(0, Allocations.SteadyStateBytes(opt.Step));
    }
}
