using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Kernels;

/// <summary>
/// Element-wise kernels over contiguous spans, generic over <see cref="float"/> and <see cref="double"/>.
/// Sources come first, then arguments, then the destination (which may alias a source).
/// Every kernel requires all spans to have the destination's length.
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

    /// <summary>dst = tanh x.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(x, dst);

    /// <summary>dst = 1 / (1 + e^-x).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(x, dst);

    /// <summary>dst = max(x, 0); NaN stays NaN.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length);
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] > T.Zero ? x[i] : (T.IsNaN(x[i]) ? x[i] : T.Zero);
    }

    /// <summary>dst = x &gt; 0 ? g : 0 (the ReLU backward pass: g is the output gradient).</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length); CheckLength(g.Length, dst.Length);
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] > T.Zero ? g[i] : T.Zero;
    }

    /// <summary>dst = sign(x) in {-1, 0, 1}; NaN stays NaN.</summary>
    public static void Sign<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length);
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : x[i];
    }

    /// <summary>dst = x &gt;= 0 ? 1 : 0 (Heaviside step with H(0) = 1, as the perceptron uses it).</summary>
    public static void Step<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length);
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] >= T.Zero ? T.One : T.IsNaN(x[i]) ? x[i] : T.Zero;
    }

    /// <summary>dst = min(max(x, lo), hi).</summary>
    public static void Clamp<T>(ReadOnlySpan<T> x, T lo, T hi, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length);
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
    }

    /// <summary>dst = x &gt; 0 ? x : slope * x.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length);
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] > T.Zero ? x[i] : slope * x[i];
    }

    /// <summary>dst = cond != 0 ? x : y.</summary>
    public static void Select<T>(ReadOnlySpan<T> cond, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(cond.Length, dst.Length); CheckLength(x.Length, dst.Length); CheckLength(y.Length, dst.Length);
        for (int i = 0; i < dst.Length; i++) dst[i] = cond[i] != T.Zero ? x[i] : y[i];
    }

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

    /// <summary>dst = (x cmp y) ? 1 : 0.</summary>
    public static void Compare<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Comparison cmp, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length); CheckLength(y.Length, dst.Length);
        for (int i = 0; i < dst.Length; i++) dst[i] = Cmp(x[i], y[i], cmp) ? T.One : T.Zero;
    }

    /// <summary>dst = (x cmp s) ? 1 : 0.</summary>
    public static void CompareScalar<T>(ReadOnlySpan<T> x, T s, Comparison cmp, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(x.Length, dst.Length);
        for (int i = 0; i < dst.Length; i++) dst[i] = Cmp(x[i], s, cmp) ? T.One : T.Zero;
    }

    private static bool Cmp<T>(T a, T b, Comparison cmp) where T : IFloatingPointIeee754<T> => cmp switch
    {
        Comparison.Equal => a == b,
        Comparison.NotEqual => a != b,
        Comparison.Less => a < b,
        Comparison.LessOrEqual => a <= b,
        Comparison.Greater => a > b,
        _ => a >= b,
    };

    internal static void CheckLength(int length, int expected)
    {
        if (length != expected) throw new ArgumentException($"Span length {length} does not match the destination length {expected}.");
    }
}
