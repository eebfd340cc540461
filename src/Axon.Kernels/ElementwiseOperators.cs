// Each operator's three vector overloads are the same expression over Vector128, Vector256 and Vector512;
// keep them identical when editing one.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

// Operator structs for SimdDriver. Each scalar Invoke is the exact element-wise reference of its vector
// Invoke: both use the same operations in the same order (no FMA contraction), so results agree bit for bit
// (NaN payloads aside) except where a transcendental (Exp, Log) is involved.
// The activations are here; the other unary maps, the comparisons and the gradients are in the
// ElementwiseOperators.*.cs files beside it.

/// <summary>max(x, 0) with NaN kept and -0 mapped to +0: x &lt;= 0 ? +0 : x.</summary>
internal readonly struct ReluOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x <= T.Zero ? T.Zero : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => Vector128.AndNot(x, Vector128.LessThanOrEqual(x, Vector128<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.AndNot(x, Vector256.LessThanOrEqual(x, Vector256<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.AndNot(x, Vector512.LessThanOrEqual(x, Vector512<T>.Zero));
}

/// <summary>x &gt; 0 ? x : y * x, where y is the slope (used with a broadcast slope).</summary>
internal readonly struct LeakyReluOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x > T.Zero ? x : y * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, y * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, y * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, y * x);
}

/// <summary>x &gt; 0 ? x : alpha * (e^x - 1).</summary>
internal readonly struct EluOperator<T>(T alpha) : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha = alpha;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x > T.Zero ? x : _alpha * (T.Exp(x) - T.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, Vector128.Create(_alpha) * (VectorMath.Exp(x) - Vector128<T>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, Vector256.Create(_alpha) * (VectorMath.Exp(x) - Vector256<T>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, Vector512.Create(_alpha) * (VectorMath.Exp(x) - Vector512<T>.One));
}

/// <summary>z = beta * x; z &gt; threshold ? x : (max(z, 0) + log1p(e^-|z|)) / beta (the overflow-free form of log(1 + e^z) / beta).</summary>
internal readonly struct SoftplusOperator<T>(T beta, T threshold) : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta = beta, _threshold = threshold;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => SoftplusScalar(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => SoftplusVector(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => SoftplusVector(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => SoftplusVector(x);

    // log1p(v) for v in [0, 1] without a log1p primitive: with u = 1 + v rounded, log(u) * (v / (u - 1)) cancels
    // the rounding of u (Goldberg's trick); when u rounds to 1, log1p(v) = v to working precision.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T SoftplusScalar(T x)
    {
        T z = _beta * x;
        if (z > _threshold) return x;
        T v = T.Exp(-T.Abs(z));
        T u = T.One + v;
        T d = u - T.One;
        T log1p = d == T.Zero ? v : T.Log(u) * (v / d);
        return (T.Max(z, T.Zero) + log1p) / _beta;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<T> SoftplusVector(Vector128<T> x)
    {
        Vector128<T> z = Vector128.Create(_beta) * x;
        Vector128<T> v = VectorMath.Exp(-Vector128.Abs(z));
        Vector128<T> u = Vector128<T>.One + v;
        Vector128<T> d = u - Vector128<T>.One;
        Vector128<T> log1p = Vector128.ConditionalSelect(Vector128.Equals(d, Vector128<T>.Zero), v, VectorMath.Log(u) * (v / d));
        Vector128<T> soft = (Vector128.Max(z, Vector128<T>.Zero) + log1p) / Vector128.Create(_beta);
        return Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128.Create(_threshold)), x, soft);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<T> SoftplusVector(Vector256<T> x)
    {
        Vector256<T> z = Vector256.Create(_beta) * x;
        Vector256<T> v = VectorMath.Exp(-Vector256.Abs(z));
        Vector256<T> u = Vector256<T>.One + v;
        Vector256<T> d = u - Vector256<T>.One;
        Vector256<T> log1p = Vector256.ConditionalSelect(Vector256.Equals(d, Vector256<T>.Zero), v, VectorMath.Log(u) * (v / d));
        Vector256<T> soft = (Vector256.Max(z, Vector256<T>.Zero) + log1p) / Vector256.Create(_beta);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256.Create(_threshold)), x, soft);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<T> SoftplusVector(Vector512<T> x)
    {
        Vector512<T> z = Vector512.Create(_beta) * x;
        Vector512<T> v = VectorMath.Exp(-Vector512.Abs(z));
        Vector512<T> u = Vector512<T>.One + v;
        Vector512<T> d = u - Vector512<T>.One;
        Vector512<T> log1p = Vector512.ConditionalSelect(Vector512.Equals(d, Vector512<T>.Zero), v, VectorMath.Log(u) * (v / d));
        Vector512<T> soft = (Vector512.Max(z, Vector512<T>.Zero) + log1p) / Vector512.Create(_beta);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512.Create(_threshold)), x, soft);
    }

}

/// <summary>
/// tanh for float as one rational function, x * P(x^2) / Q(x^2), with P of degree 6 and Q of degree 3 in x^2: a
/// relative-error minimax fit on [0, 9] (<c>tools/fit_tanh.py 6 3 9 14</c>: Lawson-weighted least squares at 40
/// digits; 7e-9 before float rounding), so small |x| keeps full relative accuracy (no cancellation, unlike
/// 1 - 2/(e^2x + 1)). From 13 ln 2 = 9.0109 on,
/// tanh rounds to +-1 in float and that is what it returns; the result is also clamped to [-1, 1]. An exhaustive
/// check of every float from 2^-30 to 10 against the correctly rounded tanh gave at most 5 ulps, mean 0.27 (below
/// 2^-30 the result is x itself). Compared with <c>TensorPrimitives.Tanh</c>, which widens to double for its
/// exponential, this is ten FMAs and one division per vector. NaN stays NaN and tanh(-0) = -0.
/// </summary>
internal readonly struct TanhFloatOperator : IUnaryOperator<float>
{
    private const float Saturation = 9.0109134f;
    private const float P0 = 0.99999999384149412f, P1 = 0.13084165968976288f, P2 = 3.1041242144479303e-3f;
    private const float P3 = 1.1155895395552770e-5f, P4 = -2.0230650557799940e-8f, P5 = 5.2800218868563226e-11f;
    private const float P6 = -8.4927103398081750e-14f;
    private const float Q1 = 0.46417493324105169f, Q2 = 2.4495864231957570e-2f, Q3 = 2.5463798421550968e-4f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x)
    {
        if (Math.Abs(x) >= Saturation) return float.CopySign(1f, x);
        float t = x * x;
        float p = float.FusedMultiplyAdd(float.FusedMultiplyAdd(float.FusedMultiplyAdd(float.FusedMultiplyAdd(
            float.FusedMultiplyAdd(float.FusedMultiplyAdd(P6, t, P5), t, P4), t, P3), t, P2), t, P1), t, P0);
        float q = float.FusedMultiplyAdd(float.FusedMultiplyAdd(float.FusedMultiplyAdd(Q3, t, Q2), t, Q1), t, 1f);
        return Math.Clamp(x * p / q, -1f, 1f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> t = x * x;
        Vector128<float> p = Vector128.FusedMultiplyAdd(Vector128.Create(P6), t, Vector128.Create(P5));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(P4));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(P0));
        Vector128<float> q = Vector128.FusedMultiplyAdd(Vector128.Create(Q3), t, Vector128.Create(Q2));
        q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q1));
        q = Vector128.FusedMultiplyAdd(q, t, Vector128<float>.One);
        Vector128<float> y = Vector128.Min(Vector128.Max(x * p / q, -Vector128<float>.One), Vector128<float>.One);
        return Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(Vector128.Abs(x), Vector128.Create(Saturation)), Vector128.CopySign(Vector128<float>.One, x), y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> t = x * x;
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(P6), t, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P0));
        Vector256<float> q = Vector256.FusedMultiplyAdd(Vector256.Create(Q3), t, Vector256.Create(Q2));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q1));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256<float>.One);
        Vector256<float> y = Vector256.Min(Vector256.Max(x * p / q, -Vector256<float>.One), Vector256<float>.One);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(Vector256.Abs(x), Vector256.Create(Saturation)), Vector256.CopySign(Vector256<float>.One, x), y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> t = x * x;
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(P6), t, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P0));
        Vector512<float> q = Vector512.FusedMultiplyAdd(Vector512.Create(Q3), t, Vector512.Create(Q2));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q1));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512<float>.One);
        Vector512<float> y = Vector512.Min(Vector512.Max(x * p / q, -Vector512<float>.One), Vector512<float>.One);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(Vector512.Abs(x), Vector512.Create(Saturation)), Vector512.CopySign(Vector512<float>.One, x), y);
    }
}
