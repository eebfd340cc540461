using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

// The element-wise SIMD machinery, written once (in the style of System.Numerics.Tensors.TensorPrimitives):
// an operator is a struct with one scalar and three vector overloads of Invoke, and a driver walks the spans
// with the widest accelerated vector, then narrower vectors, then scalars. Because the operator is a struct
// type argument, the JIT specialises and inlines each driver instantiation; an operator may carry fields
// (a slope, clamp bounds) that the JIT keeps in registers.

/// <summary>An element-wise operator of one source: dst = f(x).</summary>
internal interface IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x);
    Vector128<T> Invoke(Vector128<T> x);
    Vector256<T> Invoke(Vector256<T> x);
    Vector512<T> Invoke(Vector512<T> x);
}

/// <summary>An element-wise operator of two sources: dst = f(x, y). Also drives span-op-scalar via <see cref="SimdDriver.BinaryScalar"/>.</summary>
internal interface IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x, T y);
    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y);
    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);
    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y);
}

/// <summary>An element-wise operator of three sources: dst = f(x, y, z).</summary>
internal interface ITernaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x, T y, T z);
    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z);
    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z);
    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z);
}

/// <summary>
/// Runs element-wise operators over spans: a Vector512 loop when Vector512 is accelerated, then Vector256,
/// then Vector128 (after a wider loop each narrower one runs at most once), then a scalar tail of at most
/// 3 floats or 1 double. Every element is read before it is written and visited exactly once, so the
/// destination may be the very same span as a source (in place); a destination that partially overlaps
/// a source is rejected, as TensorPrimitives does.
/// </summary>
internal static class SimdDriver
{
    public static void Unary<T, TOp>(ReadOnlySpan<T> x, Span<T> dst, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IUnaryOperator<T>
    {
        CheckSource(x, dst);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)dst.Length, i = 0;

        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                Vector512<T> a = Vector512.LoadUnsafe(ref xr, i);
                Vector512<T> b = Vector512.LoadUnsafe(ref xr, i + w);
                op.Invoke(a).StoreUnsafe(ref dr, i);
                op.Invoke(b).StoreUnsafe(ref dr, i + w);
            }
            for (; i + w <= n; i += w) op.Invoke(Vector512.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            for (; i + w <= n; i += w) op.Invoke(Vector256.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            for (; i + w <= n; i += w) op.Invoke(Vector128.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++) Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i));
    }

    public static void Binary<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IBinaryOperator<T>
    {
        CheckSource(x, dst);
        CheckSource(y, dst);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T dr = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)dst.Length, i = 0;

        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                Vector512<T> a = op.Invoke(Vector512.LoadUnsafe(ref xr, i), Vector512.LoadUnsafe(ref yr, i));
                Vector512<T> b = op.Invoke(Vector512.LoadUnsafe(ref xr, i + w), Vector512.LoadUnsafe(ref yr, i + w));
                a.StoreUnsafe(ref dr, i);
                b.StoreUnsafe(ref dr, i + w);
            }
            for (; i + w <= n; i += w) op.Invoke(Vector512.LoadUnsafe(ref xr, i), Vector512.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            for (; i + w <= n; i += w) op.Invoke(Vector256.LoadUnsafe(ref xr, i), Vector256.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            for (; i + w <= n; i += w) op.Invoke(Vector128.LoadUnsafe(ref xr, i), Vector128.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++) Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }

    /// <summary>dst[i] = op(x[i], s): a binary operator with its second operand broadcast.</summary>
    public static void BinaryScalar<T, TOp>(ReadOnlySpan<T> x, T s, Span<T> dst, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IBinaryOperator<T>
    {
        CheckSource(x, dst);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)dst.Length, i = 0;

        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            Vector512<T> sv = Vector512.Create(s);
            for (; i + 2 * w <= n; i += 2 * w)
            {
                Vector512<T> a = Vector512.LoadUnsafe(ref xr, i);
                Vector512<T> b = Vector512.LoadUnsafe(ref xr, i + w);
                op.Invoke(a, sv).StoreUnsafe(ref dr, i);
                op.Invoke(b, sv).StoreUnsafe(ref dr, i + w);
            }
            for (; i + w <= n; i += w) op.Invoke(Vector512.LoadUnsafe(ref xr, i), sv).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            Vector256<T> sv = Vector256.Create(s);
            for (; i + w <= n; i += w) op.Invoke(Vector256.LoadUnsafe(ref xr, i), sv).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            Vector128<T> sv = Vector128.Create(s);
            for (; i + w <= n; i += w) op.Invoke(Vector128.LoadUnsafe(ref xr, i), sv).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++) Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), s);
    }

    public static void Ternary<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> z, Span<T> dst, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, ITernaryOperator<T>
    {
        CheckSource(x, dst);
        CheckSource(y, dst);
        CheckSource(z, dst);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T zr = ref MemoryMarshal.GetReference(z);
        ref T dr = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)dst.Length, i = 0;

        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint w = (nuint)Vector512<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector512.LoadUnsafe(ref xr, i), Vector512.LoadUnsafe(ref yr, i), Vector512.LoadUnsafe(ref zr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint w = (nuint)Vector256<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector256.LoadUnsafe(ref xr, i), Vector256.LoadUnsafe(ref yr, i), Vector256.LoadUnsafe(ref zr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint w = (nuint)Vector128<T>.Count;
            for (; i + w <= n; i += w)
                op.Invoke(Vector128.LoadUnsafe(ref xr, i), Vector128.LoadUnsafe(ref yr, i), Vector128.LoadUnsafe(ref zr, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++) Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i), Unsafe.Add(ref zr, i));
    }

    /// <summary>
    /// Requires <paramref name="source"/> to have the destination's length and to be either the destination
    /// itself or disjoint from it (a shifted overlap would let the vector loop read already-written elements).
    /// </summary>
    internal static void CheckSource<T>(ReadOnlySpan<T> source, ReadOnlySpan<T> dst)
    {
        Elementwise.CheckLength(source.Length, dst.Length);
        if (source.Overlaps(dst, out int offset) && offset != 0)
            throw new ArgumentException("The destination overlaps a source without being the same span; in-place operation needs an exact alias.", nameof(dst));
    }
}

/// <summary>Vector transcendentals generic over float and double (the BCL exposes them per element type).</summary>
internal static class VectorMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp<T>(Vector512<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector512.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp<T>(Vector256<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector256.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp<T>(Vector128<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector128.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector128.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log<T>(Vector512<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector512.Log(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Log(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log<T>(Vector256<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector256.Log(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.Log(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Log<T>(Vector128<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector128.Log(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector128.Log(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }
}
