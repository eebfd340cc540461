// Each operator's three vector overloads are the same expression over Vector128, Vector256 and Vector512;
// keep them identical when editing one.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

// Comparison and selection operator structs for SimdDriver (see ElementwiseOperators.cs).

/// <summary>x != 0 ? y : z (NaN counts as non-zero, -0 as zero).</summary>
internal readonly struct SelectOperator<T> : ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y, T z) => x != T.Zero ? y : z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z) => Vector128.ConditionalSelect(Vector128.Equals(x, Vector128<T>.Zero), z, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z) => Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<T>.Zero), z, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z) => Vector512.ConditionalSelect(Vector512.Equals(x, Vector512<T>.Zero), z, y);
}

/// <summary>(x == y) ? 1 : 0.</summary>
internal readonly struct EqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x == y ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128<T>.One & Vector128.Equals(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256<T>.One & Vector256.Equals(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512<T>.One & Vector512.Equals(x, y);
}

/// <summary>(x != y) ? 1 : 0.</summary>
internal readonly struct NotEqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x != y ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.AndNot(Vector128<T>.One, Vector128.Equals(x, y));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.AndNot(Vector256<T>.One, Vector256.Equals(x, y));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.AndNot(Vector512<T>.One, Vector512.Equals(x, y));
}

/// <summary>(x &lt; y) ? 1 : 0.</summary>
internal readonly struct LessOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x < y ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128<T>.One & Vector128.LessThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256<T>.One & Vector256.LessThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512<T>.One & Vector512.LessThan(x, y);
}

/// <summary>(x &lt;= y) ? 1 : 0.</summary>
internal readonly struct LessOrEqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x <= y ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128<T>.One & Vector128.LessThanOrEqual(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256<T>.One & Vector256.LessThanOrEqual(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512<T>.One & Vector512.LessThanOrEqual(x, y);
}

/// <summary>(x &gt; y) ? 1 : 0.</summary>
internal readonly struct GreaterOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x > y ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128<T>.One & Vector128.GreaterThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256<T>.One & Vector256.GreaterThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512<T>.One & Vector512.GreaterThan(x, y);
}

/// <summary>(x &gt;= y) ? 1 : 0.</summary>
internal readonly struct GreaterOrEqualOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y) => x >= y ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128<T>.One & Vector128.GreaterThanOrEqual(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256<T>.One & Vector256.GreaterThanOrEqual(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512<T>.One & Vector512.GreaterThanOrEqual(x, y);
}
