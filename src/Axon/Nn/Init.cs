using System.Globalization;

namespace Axon.Nn;

/// <summary>Which fan Kaiming initialisation preserves: fan-in keeps forward variance, fan-out backward variance.</summary>
public enum FanMode
{
    /// <summary>Number of inputs to a unit.</summary>
    FanIn,
    /// <summary>Number of outputs of a unit.</summary>
    FanOut,
}

/// <summary>
/// Parameter initialisers (torch.nn.init). Each fills a tensor in place, unrecorded, from a seeded
/// <see cref="Generator"/> (the default generator when none is given).
/// </summary>
public static class Init
{
    /// <summary>
    /// The recommended gain for a nonlinearity: 1 for linear/sigmoid/conv, 5/3 for tanh, sqrt(2) for relu,
    /// sqrt(2 / (1 + slope^2)) for leaky_relu, 3/4 for selu.
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity.ToLowerInvariant() switch
    {
        "linear" or "identity" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 0.75,
        _ => throw new ArgumentException($"Unsupported nonlinearity '{nonlinearity}' (expected linear, sigmoid, tanh, relu, leaky_relu, selu, conv1d/2d/3d).", nameof(nonlinearity)),
    };

    /// <summary>Fan-in and fan-out of a weight: [out, in, *kernel] gives (in * k, out * k).</summary>
    public static (int FanIn, int FanOut) CalculateFans(Tensor weight)
    {
        if (weight.Rank < 2) throw new ArgumentException($"Fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape [{string.Join(", ", weight.GetShape())}]).", nameof(weight));
        int receptive = 1;
        for (int i = 2; i < weight.Rank; i++) receptive *= weight.Size(i);
        return (weight.Size(1) * receptive, weight.Size(0) * receptive);
    }

    private static Tensor FillFrom(Tensor t, Tensor values)
    {
        using (GradMode.NoGrad()) t.CopyFrom(values);
        values.Dispose();
        return t;
    }

    /// <summary>Fills with U(a, b).</summary>
    public static Tensor Uniform(Tensor t, double a = 0, double b = 1, Generator? generator = null)
        => FillFrom(t, Tensor.Rand(t.GetShape(), generator, t.DType, a, b, t.Device));

    /// <summary>Fills with N(mean, std^2).</summary>
    public static Tensor Normal(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
        => FillFrom(t, Tensor.Randn(t.GetShape(), generator, t.DType, mean, std, t.Device));

    /// <summary>Fills with a constant.</summary>
    public static Tensor Constant(Tensor t, double value)
    {
        using (GradMode.NoGrad()) t.Fill(value);
        return t;
    }

    /// <summary>Fills with zeros.</summary>
    public static Tensor Zeros(Tensor t) => Constant(t, 0);

    /// <summary>Fills with ones.</summary>
    public static Tensor Ones(Tensor t) => Constant(t, 1);

    /// <summary>Glorot/Xavier uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).</summary>
    public static Tensor XavierUniform(Tensor t, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = CalculateFans(t);
        double a = gain * Math.Sqrt(6.0 / (fi + fo));
        return Uniform(t, -a, a, generator);
    }

    /// <summary>Glorot/Xavier normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Tensor t, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = CalculateFans(t);
        return Normal(t, 0, gain * Math.Sqrt(2.0 / (fi + fo)), generator);
    }

    private static double KaimingStd(Tensor t, double a, FanMode mode, string nonlinearity)
    {
        var (fi, fo) = CalculateFans(t);
        int fan = mode == FanMode.FanIn ? fi : fo;
        if (fan == 0) throw new ArgumentException("Kaiming initialisation of a tensor with a zero fan is undefined.", nameof(t));
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    /// <summary>He/Kaiming uniform: U(-b, b) with b = gain * sqrt(3 / fan) (gain from <paramref name="nonlinearity"/>, slope <paramref name="a"/> for leaky_relu).</summary>
    public static Tensor KaimingUniform(Tensor t, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(t, a, mode, nonlinearity);
        return Uniform(t, -bound, bound, generator);
    }

    /// <summary>He/Kaiming normal: N(0, std^2) with std = gain / sqrt(fan).</summary>
    public static Tensor KaimingNormal(Tensor t, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? generator = null)
        => Normal(t, 0, KaimingStd(t, a, mode, nonlinearity), generator);

    /// <summary>
    /// Fills with N(mean, std²) truncated to [a, b], as torch.nn.init.trunc_normal_ (PyTorch's defaults: N(0, 1) on [−2, 2]):
    /// uniform values in [2Φ(α) − 1, 2Φ(β) − 1] mapped through erfinv (inverse-CDF sampling, no rejection), scaled, shifted
    /// and clamped to [a, b]. Works best when a ≤ mean ≤ b.
    /// </summary>
    public static Tensor TruncNormal(Tensor t, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (!(std > 0) || double.IsInfinity(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "std must be finite and positive.");
        if (!double.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(mean), mean, "mean must be finite.");
        if (!(a < b)) throw new ArgumentException($"TruncNormal needs a < b, got a = {a.ToString(CultureInfo.InvariantCulture)}, b = {b.ToString(CultureInfo.InvariantCulture)}.", nameof(b));
        static double Cdf(double x) => (1.0 + Erf(x / Math.Sqrt(2.0))) / 2.0;
        double l = Cdf((a - mean) / std), u = Cdf((b - mean) / std);
        using var uniform = TensorScope.Unscoped(() => Tensor.Rand(t.GetShape(), generator, DType.Float64, 2 * l - 1, 2 * u - 1));
        var v = uniform.ToDoubleArray();
        for (int i = 0; i < v.Length; i++) v[i] = Math.Clamp(ErfInv(v[i]) * (std * Math.Sqrt(2.0)) + mean, a, b);
        return FillFrom(t, TensorScope.Unscoped(() => Tensor.FromArray(v, t.GetShape())));
    }

    /// <summary>
    /// Fills with a (semi-)orthogonal matrix times <paramref name="gain"/>, as torch.nn.init.orthogonal_ (Saxe et al. 2013): the
    /// tensor is viewed as [rows = size(0), cols = numel / rows]; a standard normal matrix of that shape (transposed when
    /// rows &lt; cols) is factored A = QR, and Q's columns are multiplied by the signs of R's diagonal so that Q is uniformly
    /// (Haar) distributed. The rows are then orthonormal when rows ≤ cols (W Wᵀ = gain² I), otherwise the columns are (Wᵀ W = gain² I).
    /// </summary>
    public static Tensor Orthogonal(Tensor t, double gain = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Rank < 2) throw new ArgumentException($"Orthogonal initialisation needs a tensor with at least 2 dimensions (shape [{string.Join(", ", t.GetShape())}]).", nameof(t));
        if (t.NumEl == 0) return t;
        int rows = t.Size(0), cols = t.NumEl / rows;
        bool transpose = rows < cols;
        int m = transpose ? cols : rows, n = transpose ? rows : cols;
        using var normal = TensorScope.Unscoped(() => Tensor.Randn([rows, cols], generator, DType.Float64));
        var flat = normal.ToDoubleArray();
        var a = new double[m * n];  // m x n, m >= n
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                a[transpose ? j * n + i : i * n + j] = flat[i * cols + j];
        var q = HouseholderQ(a, m, n, out var rDiag);
        var result = new double[rows * cols];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double value = q[i * n + j] * (rDiag[j] < 0 ? -1 : 1) * gain;
                if (transpose) result[j * cols + i] = value;
                else result[i * cols + j] = value;
            }
        return FillFrom(t, TensorScope.Unscoped(() => Tensor.FromArray(result, t.GetShape())));
    }

    /// <summary>Fills a 2-D tensor with the identity (ones on the main diagonal, zeros elsewhere), as torch.nn.init.eye_.</summary>
    public static Tensor Eye(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Rank != 2) throw new ArgumentException($"Eye initialisation needs a 2-D tensor (shape [{string.Join(", ", t.GetShape())}]).", nameof(t));
        using (GradMode.NoGrad())
        {
            t.Fill(0);
            for (int i = 0; i < Math.Min(t.Size(0), t.Size(1)); i++) t.SetDouble(1, i, i);
        }
        return t;
    }

    /// <summary>
    /// Fills a 3-, 4- or 5-D convolution weight with the Dirac delta, as torch.nn.init.dirac_: output channel d of each of the
    /// <paramref name="groups"/> groups copies input channel d (a 1 at the kernel's centre), so the convolution is the identity
    /// on as many channels as possible.
    /// </summary>
    public static Tensor Dirac(Tensor t, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Rank is < 3 or > 5) throw new ArgumentException($"Dirac initialisation needs a 3-, 4- or 5-D tensor (shape [{string.Join(", ", t.GetShape())}]).", nameof(t));
        if (groups < 1 || t.Size(0) % groups != 0) throw new ArgumentException($"Dirac initialisation: dimension 0 ({t.Size(0)}) must be divisible by groups ({groups}).", nameof(groups));
        int outPerGroup = t.Size(0) / groups, minDim = Math.Min(outPerGroup, t.Size(1));
        using (GradMode.NoGrad())
        {
            t.Fill(0);
            var index = new int[t.Rank];
            for (int k = 2; k < t.Rank; k++) index[k] = t.Size(k) / 2;
            for (int g = 0; g < groups; g++)
                for (int d = 0; d < minDim; d++)
                {
                    index[0] = g * outPerGroup + d;
                    index[1] = d;
                    t.SetDouble(1, index);
                }
        }
        return t;
    }

    // Thin Q (m x n, m >= n) of the Householder QR of a (row-major m x n, overwritten), and R's diagonal.
    private static double[] HouseholderQ(double[] a, int m, int n, out double[] rDiag)
    {
        rDiag = new double[n];
        var vs = new double[n][];
        for (int k = 0; k < n; k++)
        {
            double norm = 0;
            for (int i = k; i < m; i++) norm += a[i * n + k] * a[i * n + k];
            norm = Math.Sqrt(norm);
            var v = new double[m - k];
            if (norm == 0) { vs[k] = v; continue; }  // zero column: H = I, R_kk = 0
            double alpha = a[k * n + k] > 0 ? -norm : norm;
            for (int i = k; i < m; i++) v[i - k] = a[i * n + k];
            v[0] -= alpha;
            double vnorm = 0;
            foreach (double x in v) vnorm += x * x;
            vnorm = Math.Sqrt(vnorm);
            for (int i = 0; i < v.Length; i++) v[i] /= vnorm;
            for (int j = k; j < n; j++)
            {
                double dot = 0;
                for (int i = k; i < m; i++) dot += v[i - k] * a[i * n + j];
                for (int i = k; i < m; i++) a[i * n + j] -= 2 * v[i - k] * dot;
            }
            rDiag[k] = a[k * n + k];
            vs[k] = v;
        }
        var q = new double[m * n];
        for (int j = 0; j < n; j++) q[j * n + j] = 1;
        for (int k = n - 1; k >= 0; k--)
        {
            var v = vs[k];
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int i = k; i < m; i++) dot += v[i - k] * q[i * n + j];
                for (int i = k; i < m; i++) q[i * n + j] -= 2 * v[i - k] * dot;
            }
        }
        return q;
    }

    /// <summary>The error function, to about 1e-15 absolute (series erf(x) = 2/√π e^(−x²) Σ 2ⁿ x^(2n+1) / (2n+1)!!, all terms positive).</summary>
    internal static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) >= 6) return Math.Sign(x);
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 500 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
    }

    /// <summary>The inverse error function on [−1, 1] (Giles' approximation refined by two Newton steps; ±∞ at ±1).</summary>
    internal static double ErfInv(double y)
    {
        if (double.IsNaN(y) || y < -1 || y > 1) return double.NaN;
        if (y == 1) return double.PositiveInfinity;
        if (y == -1) return double.NegativeInfinity;
        double w = -Math.Log((1.0 - y) * (1.0 + y)), p;
        if (w < 5)
        {
            w -= 2.5;
            p = 2.81022636e-08;
            p = 3.43273939e-07 + p * w;
            p = -3.5233877e-06 + p * w;
            p = -4.39150654e-06 + p * w;
            p = 0.00021858087 + p * w;
            p = -0.00125372503 + p * w;
            p = -0.00417768164 + p * w;
            p = 0.246640727 + p * w;
            p = 1.50140941 + p * w;
        }
        else
        {
            w = Math.Sqrt(w) - 3;
            p = -0.000200214257;
            p = 0.000100950558 + p * w;
            p = 0.00134934322 + p * w;
            p = -0.00367342844 + p * w;
            p = 0.00573950773 + p * w;
            p = -0.0076224613 + p * w;
            p = 0.00943887047 + p * w;
            p = 1.00167406 + p * w;
            p = 2.83297682 + p * w;
        }
        double x = p * y;
        for (int i = 0; i < 2; i++)
        {
            double deriv = 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x);
            if (deriv == 0) break;
            x -= (Erf(x) - y) / deriv;
        }
        return x;
    }
}
