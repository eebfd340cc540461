// Each operator's three vector overloads are the same expression over Vector128, Vector256 and Vector512;
// keep them identical when editing one.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

// Activation-gradient operator structs for SimdDriver (see ElementwiseOperators.cs).

/// <summary>x &gt; 0 ? g : 0, with x = x and g = y (NaN x gives 0).</summary>
internal readonly struct ReluBackwardOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x > T.Zero ? y : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => y & Vector128.GreaterThan(x, Vector128<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => y & Vector256.GreaterThan(x, Vector256<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => y & Vector512.GreaterThan(x, Vector512<T>.Zero);
}

/// <summary>lo &lt;= x &lt;= hi ? g : 0, with g = y (NaN x gives 0).</summary>
internal readonly struct ClampBackwardOperator<T>(T lo, T hi) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _lo = lo, _hi = hi;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x >= _lo && x <= _hi ? y : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => y & Vector128.GreaterThanOrEqual(x, Vector128.Create(_lo)) & Vector128.LessThanOrEqual(x, Vector128.Create(_hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => y & Vector256.GreaterThanOrEqual(x, Vector256.Create(_lo)) & Vector256.LessThanOrEqual(x, Vector256.Create(_hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => y & Vector512.GreaterThanOrEqual(x, Vector512.Create(_lo)) & Vector512.LessThanOrEqual(x, Vector512.Create(_hi));
}

/// <summary>x &gt; 0 ? g : slope * g, with g = y.</summary>
internal readonly struct LeakyReluBackwardOperator<T>(T slope) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _slope = slope;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x > T.Zero ? y : _slope * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), y, Vector128.Create(_slope) * y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), y, Vector256.Create(_slope) * y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), y, Vector512.Create(_slope) * y);
}

/// <summary>y * (x &gt; 0 ? positive : negative), with x the input and y the output gradient: leaky ReLU's backward as its composite rounds.</summary>
internal readonly struct LeakyReluGradientOperator<T>(T positive, T negative) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _positive = positive, _negative = negative;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => y * (x > T.Zero ? _positive : _negative);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => y * Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), Vector128.Create(_positive), Vector128.Create(_negative));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => y * Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256.Create(_positive), Vector256.Create(_negative));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => y * Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512.Create(_positive), Vector512.Create(_negative));
}

/// <summary>g * y * (1 - y) evaluated as (g * y) * (1 - y), with y = x (the sigmoid output) and g = y.</summary>
internal readonly struct SigmoidBackwardOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => y * x * (T.One - x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => y * x * (Vector128<T>.One - x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => y * x * (Vector256<T>.One - x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => y * x * (Vector512<T>.One - x);
}

/// <summary>g * (1 - y * y), with y = x (the tanh output) and g = y.</summary>
internal readonly struct TanhBackwardOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => y * (T.One - x * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => y * (Vector128<T>.One - x * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => y * (Vector256<T>.One - x * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => y * (Vector512<T>.One - x * x);
}

/// <summary>x &gt; 0 ? g : g * (alpha * e^x), with g = y.</summary>
internal readonly struct EluBackwardOperator<T>(T alpha) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha = alpha;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x > T.Zero ? y : y * (_alpha * T.Exp(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), y, y * (Vector128.Create(_alpha) * VectorMath.Exp(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), y, y * (Vector256.Create(_alpha) * VectorMath.Exp(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), y, y * (Vector512.Create(_alpha) * VectorMath.Exp(x)));
}

/// <summary>y * (g - d), with y = x, g = y and d = dot(g, y) of the row: the softmax backward pass from its output.</summary>
internal readonly struct SoftmaxBackwardOperator<T>(T dot) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _dot = dot;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x * (y - _dot);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x * (y - Vector128.Create(_dot));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x * (y - Vector256.Create(_dot));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x * (y - Vector512.Create(_dot));
}

/// <summary>g - e^y * s, with y = x, g = y and s = sum(g) of the row: the log-softmax backward pass from its output.</summary>
internal readonly struct LogSoftmaxBackwardOperator<T>(T sum) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _sum = sum;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => y - T.Exp(x) * _sum;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => y - VectorMath.Exp(x) * Vector128.Create(_sum);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => y - VectorMath.Exp(x) * Vector256.Create(_sum);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => y - VectorMath.Exp(x) * Vector512.Create(_sum);
}
