namespace Axon;

// Unary math and activations. Primitives own a backward; composites (ELU) inherit theirs. A fused backward kernel
// (tanh, sigmoid, ReLU) runs when the backward is not itself recorded; under createGraph the same formula runs as ops.
public sealed partial class Tensor
{
    private Tensor UnaryRecorded(UnaryOp op, string name, Func<Tensor, Tensor, Tensor, Tensor> backward)
    {
        var x = this;
        var y = Compute.Unary(x, op);
        return y.Record(name, [x], g => [backward(g, x, y)]);
    }

    /// <summary>e^x.</summary>
    public Tensor Exp() => UnaryRecorded(UnaryOp.Exp, "Exp", (g, _, y) => g * y);

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => UnaryRecorded(UnaryOp.Log, "Log", (g, x, _) => g / x);

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => UnaryRecorded(UnaryOp.Sqrt, "Sqrt", (g, _, y) => g / (y * 2.0));

    /// <summary>x * x.</summary>
    public Tensor Square() => UnaryRecorded(UnaryOp.Square, "Square", (g, x, _) => g * x * 2.0);

    /// <summary>1 / x.</summary>
    public Tensor Reciprocal() => UnaryRecorded(UnaryOp.Reciprocal, "Reciprocal", (g, _, y) => -g * y * y);

    /// <summary>|x|; the gradient at 0 is 0, as in PyTorch.</summary>
    public Tensor Abs() => UnaryRecorded(UnaryOp.Abs, "Abs", (g, x, _) => g * x.Sign());

    /// <summary>Hyperbolic tangent. Backward g (1 − y²).</summary>
    public Tensor Tanh() => UnaryRecorded(UnaryOp.Tanh, "Tanh", (g, _, y) =>
        Recording(g, y) ? g * (1.0 - y * y) : Compute.ActivationBackward(ActivationGrad.Tanh, y, g));

    /// <summary>Logistic sigmoid 1 / (1 + e^-x). Backward g y (1 − y).</summary>
    public Tensor Sigmoid() => UnaryRecorded(UnaryOp.Sigmoid, "Sigmoid", (g, _, y) =>
        Recording(g, y) ? g * y * (1.0 - y) : Compute.ActivationBackward(ActivationGrad.Sigmoid, y, g));

    /// <summary>max(x, 0); the gradient at 0 is 0.</summary>
    public Tensor Relu() => UnaryRecorded(UnaryOp.Relu, "Relu", (g, x, _) =>
        Recording(g, x) ? g * x.Gt(0) : Compute.ActivationBackward(ActivationGrad.Relu, x, g));

    /// <summary>Sign in {-1, 0, 1}; its gradient is zero everywhere.</summary>
    public Tensor Sign() => UnaryRecorded(UnaryOp.Sign, "Sign", (g, _, _) => ZerosLike(g));

    /// <summary>Heaviside step: 1 where x &gt;= 0, else 0 (the perceptron's activation); zero gradient.</summary>
    public Tensor Step() => UnaryRecorded(UnaryOp.Step, "Step", (g, _, _) => ZerosLike(g));

    /// <summary>x where x &gt; 0, else slope * x.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        var x = this;
        return Compute.LeakyRelu(x, negativeSlope).Record("LeakyRelu", [x], new OpAttributes(("negative_slope", negativeSlope)),
            // slope + (1 − slope)·[x > 0], differentiable again (the step has zero gradient) when the backward is
            // recorded; otherwise the one fused pass that rounds as that composite does.
            g => [Recording(g, x) ? g * (x.Gt(0) * (1.0 - negativeSlope) + negativeSlope) : Compute.LeakyReluBackward(x, g, negativeSlope)]);
    }

    /// <summary>Clamps to [min, max] (either bound may be null); the gradient flows where min &lt;= x &lt;= max.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        var x = this;
        double lo = min ?? double.NegativeInfinity, hi = max ?? double.PositiveInfinity;
        if (lo > hi) throw new ArgumentException($"Clamp: min ({lo}) is greater than max ({hi}).");
        return Compute.Clamp(x, lo, hi).Record("Clamp", [x], new OpAttributes(("min", lo), ("max", hi)), g => [g * (x.Ge(lo) * x.Le(hi))]);
    }

    /// <summary>ELU: x where x &gt; 0, else alpha * (e^x - 1).</summary>
    public Tensor Elu(double alpha = 1.0)
    {
        // exp of the clamped input keeps the unused branch finite, so its zero gradient stays zero (not 0 * inf).
        var negative = (Clamp(max: 0).Exp() - 1.0) * alpha;
        return Where(Gt(0), this, negative);
    }

    /// <summary>Softplus: (1/beta) * log(1 + e^(beta x)), linear where beta x &gt; threshold (PyTorch semantics).</summary>
    public Tensor Softplus(double beta = 1.0, double threshold = 20.0)
    {
        // A primitive rather than a composite of relu and abs: those have gradient 0 at x = 0 where softplus has 1/2.
        var x = this;
        return Compute.Softplus(x, beta, threshold).Record("Softplus", [x], new OpAttributes(("beta", beta), ("threshold", threshold)), g =>
        {
            var z = x * beta;
            return [Where(z.Gt(threshold), g, g * z.Sigmoid())];
        });
    }

    /// <summary>Element-wise cond ? a : b (cond is any tensor, non-zero meaning true); gradients flow to a and b.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var mask = condition.Ne(0);
        return Compute.Where(mask, a, b).Record("Where", [mask, a, b], g =>
        {
            var zeros = ZerosLike(g);
            return [null, a.requiresGrad ? Unbroadcast(Where(mask, g, zeros), a) : null, b.requiresGrad ? Unbroadcast(Where(mask, zeros, g), b) : null];
        });
    }
}
