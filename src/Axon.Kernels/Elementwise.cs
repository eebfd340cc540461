using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Axon.Kernels;

/// <summary>
/// Element-wise kernels over contiguous spans, generic over <see cref="float"/> and <see cref="double"/>.
/// Sources come first, then arguments, then the destination (which may alias a source).
/// Every kernel requires all spans to have the destination's length. The destination may be the very same
/// span as a source (in place) but must not partially overlap one (that throws <see cref="ArgumentException"/>).
/// Kernels not forwarded to TensorPrimitives run on the internal SIMD driver (Vector512, Vector256, Vector128, scalar tail).
/// </summary>
public static class Elementwise
{
    // ---- binary, span op span ----

    /// <summary>dst = x + y.</summary>
    public static void Add<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(x, y, dst);

    /// <summary>dst = x - y.</summary>
    public static void Subtract<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Subtract(x, y, dst);

    /// <summary>dst = x * y.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(x, y, dst);

    /// <summary>dst = x / y.</summary>
    public static void Divide<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Divide(x, y, dst);

    /// <summary>dst = max(x, y), NaN-propagating.</summary>
    public static void Maximum<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(x, y, dst);

    /// <summary>dst = min(x, y), NaN-propagating.</summary>
    public static void Minimum<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Min(x, y, dst);

    /// <summary>dst = x ^ y.</summary>
    public static void Pow<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Pow(x, y, dst);

    /// <summary>dst = x * y + z (fused where the hardware has FMA).</summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> z, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.FusedMultiplyAdd(x, y, z, dst);

    // ---- binary, span op scalar ----

    /// <summary>dst = x + s.</summary>
    public static void AddScalar<T>(ReadOnlySpan<T> x, T s, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(x, s, dst);

    /// <summary>dst = x * s.</summary>
    public static void MultiplyScalar<T>(ReadOnlySpan<T> x, T s, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(x, s, dst);

    /// <summary>dst = x ^ p.</summary>
    public static void PowScalar<T>(ReadOnlySpan<T> x, T p, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Pow(x, p, dst);

    /// <summary>dst = s - x.</summary>
    public static void ScalarSubtract<T>(T s, ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Subtract(s, x, dst);

    /// <summary>dst = s / x.</summary>
    public static void ScalarDivide<T>(T s, ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Divide(s, x, dst);

    /// <summary>dst = a * x + y (axpy), the optimiser's and accumulator's workhorse.</summary>
    public static void Axpy<T>(T a, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.MultiplyAdd(x, a, y, dst);

    // ---- unary ----

    /// <summary>dst = -x.</summary>
    public static void Negate<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Negate(x, dst);

    /// <summary>dst = |x|.</summary>
    public static void Abs<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Abs(x, dst);

    /// <summary>dst = e^x.</summary>
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Exp(x, dst);

    /// <summary>dst = ln x.</summary>
    public static void Log<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Log(x, dst);

    /// <summary>dst = sqrt x.</summary>
    public static void Sqrt<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sqrt(x, dst);

    /// <summary>
    /// dst = tanh x. Float takes a rational approximation within a few ulps (<see cref="TanhFloatOperator"/>, several
    /// times faster than TensorPrimitives' exponential-based tanh); double keeps TensorPrimitives.
    /// </summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            SimdDriver.Unary(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(dst), default(TanhFloatOperator));
        else TensorPrimitives.Tanh(x, dst);
    }

    /// <summary>dst = 1 / (1 + e^-x).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // TensorPrimitives.Sigmoid rejects empty spans; an empty tensor is valid here.
        CheckLength(x.Length, dst.Length);
        if (dst.Length != 0) TensorPrimitives.Sigmoid(x, dst);
    }

    /// <summary>dst = max(x, 0): x &lt;= 0 ? +0 : x. NaN stays NaN and -0 becomes +0.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, default(ReluOperator<T>));

    /// <summary>dst = x &gt; 0 ? g : 0 (the ReLU backward pass: g is the output gradient). A NaN x gives 0.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(x, g, dst, default(ReluBackwardOperator<T>));

    /// <summary>dst = sign(x): x &gt; 0 ? 1 : x &lt; 0 ? -1 : x. So sign(+0) = +0, sign(-0) = -0, and NaN stays NaN.</summary>
    public static void Sign<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, default(SignOperator<T>));

    /// <summary>dst = x &gt;= 0 ? 1 : 0 (Heaviside step with H(0) = H(-0) = 1, as the perceptron uses it); NaN stays NaN.</summary>
    public static void Step<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, default(StepOperator<T>));

    /// <summary>
    /// dst = min(max(x, lo), hi), evaluated as x &lt; lo ? lo : x &gt; hi ? hi : x. NaN stays NaN; a zero keeps its
    /// sign unless it is below lo; when lo &gt; hi, elements below lo give lo and the rest above hi give hi.
    /// </summary>
    public static void Clamp<T>(ReadOnlySpan<T> x, T lo, T hi, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, new ClampOperator<T>(lo, hi));

    /// <summary>dst = x &gt; 0 ? x : slope * x (NaN stays NaN).</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.BinaryScalar(x, slope, dst, default(LeakyReluOperator<T>));

    /// <summary>dst = cond != 0 ? x : y. A NaN cond counts as non-zero (selects x); -0 counts as zero (selects y).</summary>
    public static void Select<T>(ReadOnlySpan<T> cond, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Ternary(cond, x, y, dst, default(SelectOperator<T>));

    /// <summary>Comparison kinds for <see cref="Compare{T}"/>.</summary>
    public enum Comparison
    {
        /// <summary>x == y</summary>
        Equal,
        /// <summary>x != y</summary>
        NotEqual,
        /// <summary>x &lt; y</summary>
        Less,
        /// <summary>x &lt;= y</summary>
        LessOrEqual,
        /// <summary>x &gt; y</summary>
        Greater,
        /// <summary>x &gt;= y</summary>
        GreaterOrEqual,
    }

    /// <summary>
    /// dst = (x cmp y) ? 1 : 0 with IEEE comparison: every comparison with NaN is false except
    /// <see cref="Comparison.NotEqual"/>, which is true; -0 equals +0.
    /// </summary>
    public static void Compare<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Comparison cmp, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (cmp)
        {
            case Comparison.Equal: SimdDriver.Binary(x, y, dst, default(EqualOperator<T>)); break;
            case Comparison.NotEqual: SimdDriver.Binary(x, y, dst, default(NotEqualOperator<T>)); break;
            case Comparison.Less: SimdDriver.Binary(x, y, dst, default(LessOperator<T>)); break;
            case Comparison.LessOrEqual: SimdDriver.Binary(x, y, dst, default(LessOrEqualOperator<T>)); break;
            case Comparison.Greater: SimdDriver.Binary(x, y, dst, default(GreaterOperator<T>)); break;
            case Comparison.GreaterOrEqual: SimdDriver.Binary(x, y, dst, default(GreaterOrEqualOperator<T>)); break;
            default: throw new ArgumentOutOfRangeException(nameof(cmp), cmp, null);
        }
    }

    /// <summary>dst = (x cmp s) ? 1 : 0, with the NaN and signed-zero rules of <see cref="Compare{T}"/>.</summary>
    public static void CompareScalar<T>(ReadOnlySpan<T> x, T s, Comparison cmp, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (cmp)
        {
            case Comparison.Equal: SimdDriver.BinaryScalar(x, s, dst, default(EqualOperator<T>)); break;
            case Comparison.NotEqual: SimdDriver.BinaryScalar(x, s, dst, default(NotEqualOperator<T>)); break;
            case Comparison.Less: SimdDriver.BinaryScalar(x, s, dst, default(LessOperator<T>)); break;
            case Comparison.LessOrEqual: SimdDriver.BinaryScalar(x, s, dst, default(LessOrEqualOperator<T>)); break;
            case Comparison.Greater: SimdDriver.BinaryScalar(x, s, dst, default(GreaterOperator<T>)); break;
            case Comparison.GreaterOrEqual: SimdDriver.BinaryScalar(x, s, dst, default(GreaterOrEqualOperator<T>)); break;
            default: throw new ArgumentOutOfRangeException(nameof(cmp), cmp, null);
        }
    }

    // ---- more unary and backward kernels ----

    /// <summary>dst = x * x.</summary>
    public static void Square<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, default(SquareOperator<T>));

    /// <summary>dst = 1 / x (correctly rounded division: 1/+-0 = +-inf).</summary>
    public static void Reciprocal<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimdDriver.CheckSource(x, dst);
        TensorPrimitives.Reciprocal(x, dst);
    }

    /// <summary>dst[i] = value for every i.</summary>
    public static void Fill<T>(T value, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => dst.Fill(value);

    /// <summary>dst = g * y * (1 - y), evaluated as (g * y) * (1 - y): the sigmoid backward pass from its output y.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(y, g, dst, default(SigmoidBackwardOperator<T>));

    /// <summary>dst = g * (1 - y * y): the tanh backward pass from its output y.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(y, g, dst, default(TanhBackwardOperator<T>));

    /// <summary>dst = x &gt; 0 ? g : slope * g: the <see cref="LeakyRelu{T}"/> backward pass from its input x (a NaN x takes the slope branch).</summary>
    public static void LeakyReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T slope, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(x, g, dst, new LeakyReluBackwardOperator<T>(slope));

    /// <summary>
    /// dst = g * (x &gt; 0 ? positive : negative) (a NaN x takes <paramref name="negative"/>): leaky ReLU's backward with
    /// the factors its composite g · ([x &gt; 0] (1 − slope) + slope) forms, positive = (1 − slope) + slope and
    /// negative = slope, each rounded to T, so the result is the composite's to the bit.
    /// </summary>
    public static void LeakyReluGradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T positive, T negative, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(x, g, dst, new LeakyReluGradientOperator<T>(positive, negative));

    /// <summary>dst = lo &lt;= x &lt;= hi ? g : 0: the <see cref="Clamp{T}"/> backward pass from its input x (PyTorch's rule: the gradient passes at the bounds; a NaN x gives 0).</summary>
    public static void ClampBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T lo, T hi, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(x, g, dst, new ClampBackwardOperator<T>(lo, hi));

    /// <summary>dst = x &gt; 0 ? x : alpha * (e^x - 1) (ELU; NaN stays NaN, -inf gives -alpha).</summary>
    public static void EluForward<T>(ReadOnlySpan<T> x, T alpha, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, new EluOperator<T>(alpha));

    /// <summary>dst = x &gt; 0 ? g : g * alpha * e^x: the <see cref="EluForward{T}"/> backward pass from its input x.</summary>
    public static void EluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T alpha, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(x, g, dst, new EluBackwardOperator<T>(alpha));

    /// <summary>
    /// dst = x * beta &gt; threshold ? x : log(1 + e^(beta * x)) / beta (PyTorch's Softplus; the usual
    /// arguments are beta = 1, threshold = 20). Computed without overflow as (max(z, 0) + log1p(e^-|z|)) / beta
    /// with z = beta * x; -inf gives 0, +inf gives +inf, NaN stays NaN.
    /// </summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, T beta, T threshold, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Unary(x, dst, new SoftplusOperator<T>(beta, threshold));

    internal static void CheckLength(int length, int expected)
    {
        if (length != expected) throw new ArgumentException($"Span length {length} does not match the destination length {expected}.");
    }
}
