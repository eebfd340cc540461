using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

/// <summary>
/// Batch normalisation's per-plane passes (one channel of one sample, S contiguous values), each in one sweep on the
/// SIMD driver. They round exactly as the composites they replace: y = x·scale, then + shift (+ residual), then ReLU;
/// gx = g·a + (x·b + d), each operation rounded on its own (no FMA). A plane of a late CNN stage is 9 or 49 values, so
/// one sweep in place of three library calls matters there.
/// </summary>
public static class BatchNormPlane
{
    /// <summary>y = x·scale + shift, then max(·, 0) (NaN kept, -0 to +0) when <paramref name="relu"/>; y may be x.</summary>
    public static void Apply<T>(ReadOnlySpan<T> x, T scale, T shift, bool relu, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (relu) SimdDriver.Unary(x, y, new ScaleShiftReluOperator<T>(scale, shift));
        else SimdDriver.Unary(x, y, new ScaleShiftOperator<T>(scale, shift));
    }

    /// <summary>y = (x·scale + shift) + residual, then max(·, 0) when <paramref name="relu"/>; y may be x or the residual.</summary>
    public static void ApplyResidual<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> residual, T scale, T shift, bool relu, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (relu) SimdDriver.Binary(x, residual, y, new ScaleShiftAddReluOperator<T>(scale, shift));
        else SimdDriver.Binary(x, residual, y, new ScaleShiftAddOperator<T>(scale, shift));
    }

    /// <summary>gx = g·a + (x·b + d): batch norm's input gradient for one plane, with its channel's coefficients; gx may be x or g.</summary>
    public static void InputGradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T a, T b, T d, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        => SimdDriver.Binary(x, g, gx, new InputGradientOperator<T>(a, b, d));
}

internal readonly struct ScaleShiftOperator<T>(T scale, T shift) : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x * scale + shift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) => x * Vector128.Create(scale) + Vector128.Create(shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) => x * Vector256.Create(scale) + Vector256.Create(shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) => x * Vector512.Create(scale) + Vector512.Create(shift);
}

internal readonly struct ScaleShiftReluOperator<T>(T scale, T shift) : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x)
    {
        T v = x * scale + shift;
        return v <= T.Zero ? T.Zero : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x)
    {
        var v = x * Vector128.Create(scale) + Vector128.Create(shift);
        return Vector128.AndNot(v, Vector128.LessThanOrEqual(v, Vector128<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x)
    {
        var v = x * Vector256.Create(scale) + Vector256.Create(shift);
        return Vector256.AndNot(v, Vector256.LessThanOrEqual(v, Vector256<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x)
    {
        var v = x * Vector512.Create(scale) + Vector512.Create(shift);
        return Vector512.AndNot(v, Vector512.LessThanOrEqual(v, Vector512<T>.Zero));
    }
}

internal readonly struct ScaleShiftAddOperator<T>(T scale, T shift) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T r) => x * scale + shift + r;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> r) => x * Vector128.Create(scale) + Vector128.Create(shift) + r;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> r) => x * Vector256.Create(scale) + Vector256.Create(shift) + r;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> r) => x * Vector512.Create(scale) + Vector512.Create(shift) + r;
}

internal readonly struct ScaleShiftAddReluOperator<T>(T scale, T shift) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T r)
    {
        T v = x * scale + shift + r;
        return v <= T.Zero ? T.Zero : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> r)
    {
        var v = x * Vector128.Create(scale) + Vector128.Create(shift) + r;
        return Vector128.AndNot(v, Vector128.LessThanOrEqual(v, Vector128<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> r)
    {
        var v = x * Vector256.Create(scale) + Vector256.Create(shift) + r;
        return Vector256.AndNot(v, Vector256.LessThanOrEqual(v, Vector256<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> r)
    {
        var v = x * Vector512.Create(scale) + Vector512.Create(shift) + r;
        return Vector512.AndNot(v, Vector512.LessThanOrEqual(v, Vector512<T>.Zero));
    }
}

internal readonly struct InputGradientOperator<T>(T a, T b, T d) : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T g) => g * a + (x * b + d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> g) => g * Vector128.Create(a) + (x * Vector128.Create(b) + Vector128.Create(d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> g) => g * Vector256.Create(a) + (x * Vector256.Create(b) + Vector256.Create(d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> g) => g * Vector512.Create(a) + (x * Vector512.Create(b) + Vector512.Create(d));
}
