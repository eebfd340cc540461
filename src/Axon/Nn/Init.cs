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
        => FillFrom(t, Tensor.Rand(t.GetShape(), generator, t.DType, a, b));

    /// <summary>Fills with N(mean, std^2).</summary>
    public static Tensor Normal(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
        => FillFrom(t, Tensor.Randn(t.GetShape(), generator, t.DType, mean, std));

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
}
