using Axon.Nn;
using Axon.Tests.Optim;

namespace Axon.Tests.Nn;

/// <summary>Orthogonal, truncated normal, eye and Dirac initialisers, and every layer's default initialisation.</summary>
public class InitTests
{
    // W W^T (rows) or W^T W (cols) of the tensor viewed as [size(0), numel / size(0)].
    private static double[,] Gram(Tensor t, bool rows)
    {
        int r = t.Size(0), c = t.NumEl / r;
        var v = t.ToDoubleArray();
        int n = rows ? r : c;
        var g = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < (rows ? c : r); k++)
                    s += rows ? v[i * c + k] * v[j * c + k] : v[k * c + i] * v[k * c + j];
                g[i, j] = s;
            }
        return g;
    }

    private static void AssertScaledIdentity(double[,] g, double scale, double tol)
    {
        for (int i = 0; i < g.GetLength(0); i++)
            for (int j = 0; j < g.GetLength(1); j++)
                Assert.True(Math.Abs(g[i, j] - (i == j ? scale : 0)) <= tol, $"Gram[{i}, {j}] = {g[i, j]}, expected {(i == j ? scale : 0)}");
    }

    [Theory]
    [InlineData(new[] { 6, 6 }, 1.0)]
    [InlineData(new[] { 3, 8 }, 1.0)]   // wide: orthonormal rows
    [InlineData(new[] { 10, 4 }, 1.0)]  // tall: orthonormal columns
    [InlineData(new[] { 4, 2, 3, 3 }, 1.0)]  // conv weight flattened to [4, 18]
    [InlineData(new[] { 5, 5 }, 1.4142135623730951)]
    public void OrthogonalGivesOrthonormalRowsOrColumnsTimesTheGain(int[] shape, double gain)
    {
        var w = Tensor.Zeros(shape);
        Init.Orthogonal(w, gain, new Generator(7));
        int rows = shape[0], cols = w.NumEl / rows;
        AssertScaledIdentity(Gram(w, rows: rows <= cols), gain * gain, 1e-5);
    }

    [Fact]
    public void OrthogonalIsSeededAndSignCorrected()
    {
        var a = Init.Orthogonal(Tensor.Zeros([4, 4], DType.Float64), generator: new Generator(11));
        var b = Init.Orthogonal(Tensor.Zeros([4, 4], DType.Float64), generator: new Generator(11));
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        AssertScaledIdentity(Gram(a, rows: true), 1, 1e-12);
        // Q R = A with R's diagonal positive: Q^T A is upper triangular with a positive diagonal.
        var g = new Generator(11);
        var normal = Tensor.Randn([4, 4], g, DType.Float64).ToDoubleArray();
        var q = a.ToDoubleArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j <= i; j++)
            {
                double r = 0;
                for (int k = 0; k < 4; k++) r += q[k * 4 + i] * normal[k * 4 + j];
                if (i == j) Assert.True(r > 0);
                else Assert.True(Math.Abs(r) < 1e-12, $"R[{i}, {j}] = {r}");
            }
        Assert.Throws<ArgumentException>(() => Init.Orthogonal(Tensor.Zeros([3])));
    }

    [Fact]
    public void ErfAndErfInvMatchPythonAndTorch()
    {
        // math.erf and torch.special.erfinv (float64), PyTorch 1.13.
        double[] xs = [-3.0, -0.5, 0.1, 1.2, 4.0];
        double[] erf = [-0.9999779095030014, -0.5204998778130465, 0.1124629160182849, 0.9103139782296353, 0.9999999845827421];
        for (int i = 0; i < xs.Length; i++) Assert.Equal(erf[i], Init.Erf(xs[i]), 14);
        double[] ys = [-0.999, -0.5, 0.1, 0.9, 0.999999];
        double[] erfinv = [-2.3267537655135153, -0.4769362762044699, 0.08885599049425769, 1.1630871536766743, 3.458910737283175];
        for (int i = 0; i < ys.Length; i++) Assert.Equal(erfinv[i], Init.ErfInv(ys[i]), new Tol(1e-9));
    }

    [Fact]
    public void TruncNormalStaysInTheBoundsWithTheTruncatedMoments()
    {
        var t = Init.TruncNormal(Tensor.Zeros([200, 200], DType.Float64), mean: 0, std: 1, a: -1, b: 2, generator: new Generator(5));
        var v = t.ToDoubleArray();
        Assert.All(v, x => Assert.InRange(x, -1, 2));
        // Truncated standard normal on [-1, 2]: mean (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)), variance from the same formula.
        static double Phi(double x) => (1 + Init.Erf(x / Math.Sqrt(2))) / 2;
        static double Pdf(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
        double z = Phi(2) - Phi(-1);
        double mean = (Pdf(-1) - Pdf(2)) / z;
        double variance = 1 + (-1 * Pdf(-1) - 2 * Pdf(2)) / z - mean * mean;
        double m = v.Average(), var = v.Select(x => (x - m) * (x - m)).Average();
        Assert.Equal(mean, m, 2);
        Assert.Equal(variance, var, 2);
        var s = Init.TruncNormal(Tensor.Zeros([1000]), mean: 0.5, std: 0.02, a: 0.48, b: 0.6, generator: new Generator(1)).ToDoubleArray();
        Assert.All(s, x => Assert.InRange(x, 0.48, 0.6));
        Assert.Throws<ArgumentException>(() => Init.TruncNormal(Tensor.Zeros([3]), a: 1, b: 1));
    }

    [Fact]
    public void EyeAndDiracPreserveTheirInputs()
    {
        var e = Init.Eye(Tensor.Full([2, 3], 5.0));
        Assert.Equal([1f, 0, 0, 0, 1, 0], e.ToFloatArray());
        var w = Init.Dirac(Tensor.Full([3, 3, 3, 3], 5.0));
        var x = Tensor.Randn([1, 3, 5, 5], new Generator(2));
        var y = Tensor.Conv2d(x, w, null, padding: 1);
        Assert.Equal(x.ToFloatArray(), y.ToFloatArray(), new FloatTol(1e-6f));
        var grouped = Init.Dirac(Tensor.Zeros([4, 1, 3]), groups: 2);
        Assert.Equal(1f, grouped[0, 0, 1]);
        Assert.Equal(1f, grouped[2, 0, 1]);
        Assert.Equal(2.0, grouped.Sum().Item());
        Assert.Throws<ArgumentException>(() => Init.Dirac(Tensor.Zeros([3, 3])));
    }

    private sealed class FloatTol(float tol) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tol;

        public int GetHashCode(float obj) => 0;
    }

    /// <summary>(layer, parameter name, low, high, expected variance or NaN): every value in [low, high]; constants have low == high.</summary>
    public static TheoryData<string, string, double, double, double> Defaults()
    {
        double lin = 1 / Math.Sqrt(300), conv = 1 / Math.Sqrt(16 * 3 * 3);
        return new()
        {
            // PyTorch: Linear/Conv weight kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias the same bound.
            { "Linear", "weight", -lin, lin, lin * lin / 3 },
            { "Linear", "bias", -lin, lin, double.NaN },
            { "Conv2d", "weight", -conv, conv, conv * conv / 3 },
            { "Conv2d", "bias", -conv, conv, double.NaN },
            { "BatchNorm1d", "weight", 1, 1, 0 },
            { "BatchNorm1d", "bias", 0, 0, 0 },
            { "BatchNorm1d", "running_mean", 0, 0, 0 },
            { "BatchNorm1d", "running_var", 1, 1, 0 },
            { "BatchNorm2d", "weight", 1, 1, 0 },
            { "BatchNorm2d", "bias", 0, 0, 0 },
            { "PReLU", "weight", 0.25, 0.25, 0 },
        };
    }

    private static Module Make(string layer) => layer switch
    {
        "Linear" => new Linear(300, 200, generator: new Generator(1)),
        "Conv2d" => new Conv2d(16, 128, 3, generator: new Generator(1)),
        "BatchNorm1d" => new BatchNorm1d(10),
        "BatchNorm2d" => new BatchNorm2d(10),
        "PReLU" => new PReLU(),
        _ => throw new ArgumentException(layer, nameof(layer)),
    };

    [Theory]
    [MemberData(nameof(Defaults))]
    public void EveryLayerDefaultMatchesPyTorchsDistribution(string layer, string name, double low, double high, double variance)
    {
        var m = Make(layer);
        var t = m.StateDict().Single(kv => kv.Key == name).Value;
        var v = t.ToDoubleArray();
        const double Eps = 1e-7;
        Assert.All(v, x => Assert.InRange(x, low - Eps, high + Eps));
        if (low < high)
        {
            // Uses the range: the extremes are near the bounds, and the variance is (2 bound)^2 / 12.
            Assert.True(v.Max() > high * 0.8 && v.Min() < low * 0.8, $"{layer}.{name} does not span [{low}, {high}]");
            if (!double.IsNaN(variance)) Assert.Equal(1, v.Select(x => x * x).Average() / variance, 1);
        }
        // Re-initialisation draws the same distribution again.
        m.ResetParameters(new Generator(9));
        Assert.All(m.StateDict().Single(kv => kv.Key == name).Value.ToDoubleArray(), x => Assert.InRange(x, low - Eps, high + Eps));
    }
}
