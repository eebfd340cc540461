// Each operator's three vector overloads are the same expression over Vector128, Vector256 and Vector512;
// keep them identical when editing one.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

// Unary operator structs for SimdDriver other than the activations (see ElementwiseOperators.cs).

/// <summary>x &gt; 0 ? 1 : x &lt; 0 ? -1 : x (so sign(+-0) = +-0 and sign(NaN) = NaN).</summary>
internal readonly struct SignOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x > T.Zero ? T.One : x < T.Zero ? -T.One : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), Vector128<T>.One, Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), -Vector128<T>.One, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.One, Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -Vector256<T>.One, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512<T>.One, Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -Vector512<T>.One, x));
}

/// <summary>x &gt;= 0 ? 1 : NaN ? x : 0 (so step(-0) = 1).</summary>
internal readonly struct StepOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x >= T.Zero ? T.One : T.IsNaN(x) ? x : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => (Vector128<T>.One & Vector128.GreaterThanOrEqual(x, Vector128<T>.Zero)) | Vector128.AndNot(x, Vector128.Equals(x, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => (Vector256<T>.One & Vector256.GreaterThanOrEqual(x, Vector256<T>.Zero)) | Vector256.AndNot(x, Vector256.Equals(x, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => (Vector512<T>.One & Vector512.GreaterThanOrEqual(x, Vector512<T>.Zero)) | Vector512.AndNot(x, Vector512.Equals(x, x));
}

/// <summary>x &lt; lo ? lo : x &gt; hi ? hi : x (NaN stays NaN).</summary>
internal readonly struct ClampOperator<T>(T lo, T hi) : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _lo = lo, _hi = hi;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x < _lo ? _lo : x > _hi ? _hi : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(_lo)), Vector128.Create(_lo), Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(_hi)), Vector128.Create(_hi), x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(_lo)), Vector256.Create(_lo), Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(_hi)), Vector256.Create(_hi), x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(_lo)), Vector512.Create(_lo), Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(_hi)), Vector512.Create(_hi), x));
}

/// <summary>x * x.</summary>
internal readonly struct SquareOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => x * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => x * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => x * x;
}
