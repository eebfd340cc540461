using Axon.Backends;

namespace Axon.Tests.Backends;

// The optimisers' updates: both backends evaluate each algorithm box in the parameter's type with the same rounded
// coefficients, so they agree to the bit. 51 elements: whole vectors and a scalar tail on the CPU.
public partial class ReferenceBackendTests
{
    /// <summary>A parameter, its gradient and <paramref name="states"/> state tensors (non-negative, as squared averages are) on <paramref name="d"/>.</summary>
    private static Tensor[] OptimState(Device d, DType dtype, int states, int seed)
    {
        var list = new List<Tensor> { On(d, Randn([17, 3], dtype, seed)), On(d, Randn([17, 3], dtype, seed + 1)) };
        for (int i = 0; i < states; i++) list.Add(On(d, Tensor.Rand([17, 3], new Generator(seed + 2 + i), dtype, 0, 0.5)));
        return [.. list];
    }

    public static TheoryData<DType, bool> OptimCases()
    {
        var data = new TheoryData<DType, bool>();
        foreach (var d in Floats)
            foreach (bool maximize in new[] { false, true }) data.Add(d, maximize);
        return data;
    }

    [Theory]
    [MemberData(nameof(OptimCases))]
    [Covers(nameof(IBackend.SgdStep))]
    public void SgdStep(DType dtype, bool maximize)
    {
        foreach (var (wd, momentum, dampening, nesterov) in new[] { (0.0, 0.0, 0.0, false), (1e-2, 0.9, 0.0, false), (1e-2, 0.9, 0.1, false), (0.0, 0.9, 0.0, true) })
            Exact($"SgdStep {dtype} wd {wd} momentum {momentum} dampening {dampening} nesterov {nesterov} maximize {maximize}", d =>
            {
                var s = OptimState(d, dtype, 1, 130);
                var buffer = momentum == 0 ? null : s[2];
                // Two steps: the first sets the buffer, the second uses it.
                d.Backend.SgdStep(s[0], s[1], buffer, new SgdUpdate(0.05, wd, momentum, dampening, First: true, nesterov, maximize));
                d.Backend.SgdStep(s[0], s[1], buffer, new SgdUpdate(0.05, wd, momentum, dampening, First: false, nesterov, maximize));
                return s;
            });
    }

    [Theory]
    [MemberData(nameof(OptimCases))]
    [Covers(nameof(IBackend.AdamStep))]
    public void AdamStep(DType dtype, bool maximize)
    {
        // Adam with L2 decay, AdamW with decoupled decay (shrink = 1 − γλ), each with and without AMSGrad; step 3.
        double lr = 1e-3, b1 = 0.9, b2 = 0.999, t = 3;
        double stepSize = lr / (1 - Math.Pow(b1, t)), bc2Sqrt = Math.Sqrt(1 - Math.Pow(b2, t));
        foreach (var (l2, shrink) in new[] { (0.0, 1.0), (1e-2, 1.0), (0.0, 1 - lr * 1e-2) })
            foreach (bool amsgrad in new[] { false, true })
                Exact($"AdamStep {dtype} l2 {l2} shrink {shrink} amsgrad {amsgrad} maximize {maximize}", d =>
                {
                    var s = OptimState(d, dtype, 3, 131);
                    d.Backend.AdamStep(s[0], s[1], s[2], s[3], amsgrad ? s[4] : null, new AdamUpdate(b1, b2, 1e-8, l2, shrink, stepSize, bc2Sqrt, maximize));
                    return s;
                });
    }

    [Theory]
    [MemberData(nameof(OptimCases))]
    [Covers(nameof(IBackend.AdagradStep), nameof(IBackend.AdadeltaStep))]
    public void AdagradAndAdadeltaSteps(DType dtype, bool maximize)
    {
        foreach (double wd in new[] { 0.0, 1e-2 })
        {
            Exact($"AdagradStep {dtype} wd {wd} maximize {maximize}", d =>
            {
                var s = OptimState(d, dtype, 1, 132);
                d.Backend.AdagradStep(s[0], s[1], s[2], new AdagradUpdate(0.01 / (1 + 2 * 0.1), wd, 1e-10, maximize));
                return s;
            });
            Exact($"AdadeltaStep {dtype} wd {wd} maximize {maximize}", d =>
            {
                var s = OptimState(d, dtype, 2, 133);
                d.Backend.AdadeltaStep(s[0], s[1], s[2], s[3], new AdadeltaUpdate(1.0, 0.9, 1e-6, wd, maximize));
                return s;
            });
        }
    }

    [Theory]
    [MemberData(nameof(OptimCases))]
    [Covers(nameof(IBackend.RmsPropStep))]
    public void RmsPropStep(DType dtype, bool maximize)
    {
        foreach (bool centered in new[] { false, true })
            foreach (double momentum in new[] { 0.0, 0.9 })
                Exact($"RmsPropStep {dtype} centered {centered} momentum {momentum} maximize {maximize}", d =>
                {
                    var s = OptimState(d, dtype, 3, 134);
                    // A centred average a with a² below the squared average, as the algorithm keeps it.
                    d.Backend.ScaleInPlace(s[4], 0.1);
                    d.Backend.RmsPropStep(s[0], s[1], s[2], momentum == 0 ? null : s[3], centered ? s[4] : null, new RmsPropUpdate(0.01, 0.99, 1e-8, 1e-2, momentum, maximize));
                    return s;
                });
    }

    [Theory]
    [MemberData(nameof(OptimCases))]
    [Covers(nameof(IBackend.AsgdStep), nameof(IBackend.AveragedSgdStep))]
    public void AveragingSteps(DType dtype, bool maximize)
    {
        foreach (double mu in new[] { 1.0, 0.3 })
        {
            Exact($"AsgdStep {dtype} mu {mu} maximize {maximize}", d =>
            {
                var s = OptimState(d, dtype, 1, 135);
                double eta = 0.01, lambda = 1e-4;
                d.Backend.AsgdStep(s[0], s[1], s[2], new AsgdUpdate(1e-2, 1 - lambda * eta, eta, mu, maximize));
                return s;
            });
            if (maximize) continue;   // the lecture's averaged SGD has no maximise switch
            Exact($"AveragedSgdStep {dtype} mu {mu}", d =>
            {
                var s = OptimState(d, dtype, 1, 136);
                d.Backend.AveragedSgdStep(s[0], s[1], s[2], new AveragedSgdUpdate(0.05, 1e-2, mu));
                return s;
            });
        }
    }
}
