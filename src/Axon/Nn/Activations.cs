using System.Globalization;

namespace Axon.Nn;

/// <summary>Sign activation in {-1, 0, 1} (Rosenblatt's perceptron output); zero gradient.</summary>
public sealed class Sign : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sign();
}

/// <summary>Heaviside step activation: 1 where x &gt;= 0, else 0; zero gradient.</summary>
public sealed class Step : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Step();
}

/// <summary>Logistic sigmoid 1 / (1 + e^-x).</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Hyperbolic tangent.</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>Rectified linear unit max(x, 0).</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>Leaky ReLU: x where x &gt; 0, else negativeSlope * x.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"negative_slope={NegativeSlope}");
}

/// <summary>
/// Parametric ReLU: x where x &gt; 0, else a * x with a learned slope a (one shared, or one per channel,
/// channel = dimension 1 of the input). The slope starts at <c>init</c> (0.25 as in PyTorch).
/// </summary>
public sealed class PReLU : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with <paramref name="numParameters"/> slopes (1 = shared).</summary>
    public PReLU(int numParameters = 1, double init = 0.25, DType dtype = DType.Float32)
    {
        if (numParameters < 1) throw new ArgumentOutOfRangeException(nameof(numParameters), numParameters, "PReLU: numParameters must be at least 1.");
        Weight = RegisterParameter("weight", Tensor.Full([numParameters], init, dtype))!;
        InitValue = init;
    }

    /// <summary>Learned slopes [numParameters].</summary>
    public Tensor Weight { get; }

    private double InitValue { get; }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator) => Init.Constant(Weight, InitValue);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var slope = Weight;
        int n = Weight.NumEl;
        if (n > 1)
        {
            if (input.Rank < 2 || input.Size(1) != n) throw new ArgumentException($"PReLU: {n} slopes need an input with {n} channels in dimension 1, got shape [{string.Join(", ", input.GetShape())}].", nameof(input));
            var s = new int[input.Rank];
            Array.Fill(s, 1);
            s[1] = n;
            slope = Weight.Reshape(s);
        }
        return input.Relu() - slope * (-input).Relu();
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"num_parameters={Weight.NumEl}";
}

/// <summary>ELU: x where x &gt; 0, else alpha * (e^x - 1).</summary>
public sealed class ELU(double alpha = 1.0) : Module<Tensor, Tensor>
{
    /// <summary>Scale of the negative part.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Elu(Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"alpha={Alpha}");
}

/// <summary>Softplus (1/beta) log(1 + e^(beta x)), linear above the threshold, a smooth ReLU.</summary>
public sealed class Softplus(double beta = 1.0, double threshold = 20.0) : Module<Tensor, Tensor>
{
    /// <summary>Sharpness.</summary>
    public double Beta { get; } = beta;

    /// <summary>Above beta * x &gt; threshold the function is linear.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softplus(Beta, Threshold);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"beta={Beta}, threshold={Threshold}");
}

/// <summary>Softmax along <c>dim</c> (default the last).</summary>
public sealed class Softmax(int dim = -1) : Module<Tensor, Tensor>
{
    /// <summary>Dimension normalised to sum 1.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax along <c>dim</c> (default the last).</summary>
public sealed class LogSoftmax(int dim = -1) : Module<Tensor, Tensor>
{
    /// <summary>Dimension normalised.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
