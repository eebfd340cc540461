using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Axon.Kernels;

// One arithmetic vocabulary over four widths (512, 256 and 128-bit vectors, and a single scalar lane), so that an
// operator whose body is long (an optimiser's algorithm box) is written once, generic over the width, and the driver
// instantiates it for each. Every width does the same IEEE operations in the same order (no fused multiply-adds), so
// an element's result does not depend on which width computes it.

/// <summary>A run of lanes of <typeparamref name="T"/> with the arithmetic an element-wise update needs.</summary>
internal interface ILanes<TSelf, T> where TSelf : struct, ILanes<TSelf, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Lanes per value (1 for the scalar).</summary>
    static abstract int Count { get; }

    /// <summary>Whether this width runs accelerated here (the scalar always does).</summary>
    static abstract bool IsAccelerated { get; }

    static abstract TSelf Load(ref T source, nuint index);

    void Store(ref T destination, nuint index);

    static abstract TSelf Create(T value);

    static abstract TSelf Sqrt(TSelf x);

    static abstract TSelf Max(TSelf x, TSelf y);

    static abstract TSelf operator +(TSelf x, TSelf y);

    static abstract TSelf operator -(TSelf x, TSelf y);

    static abstract TSelf operator *(TSelf x, TSelf y);

    static abstract TSelf operator /(TSelf x, TSelf y);

    static abstract TSelf operator -(TSelf x);
}

internal readonly struct Lanes512<T>(Vector512<T> v) : ILanes<Lanes512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> v = v;

    public static int Count => Vector512<T>.Count;

    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Load(ref T source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(ref T destination, nuint index) => v.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Sqrt(Lanes512<T> x) => new(Vector512.Sqrt(x.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Max(Lanes512<T> x, Lanes512<T> y) => new(Vector512.Max(x.v, y.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator +(Lanes512<T> x, Lanes512<T> y) => new(x.v + y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator -(Lanes512<T> x, Lanes512<T> y) => new(x.v - y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator *(Lanes512<T> x, Lanes512<T> y) => new(x.v * y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator /(Lanes512<T> x, Lanes512<T> y) => new(x.v / y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator -(Lanes512<T> x) => new(-x.v);
}

internal readonly struct Lanes256<T>(Vector256<T> v) : ILanes<Lanes256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> v = v;

    public static int Count => Vector256<T>.Count;

    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Load(ref T source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(ref T destination, nuint index) => v.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Create(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Sqrt(Lanes256<T> x) => new(Vector256.Sqrt(x.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Max(Lanes256<T> x, Lanes256<T> y) => new(Vector256.Max(x.v, y.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator +(Lanes256<T> x, Lanes256<T> y) => new(x.v + y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator -(Lanes256<T> x, Lanes256<T> y) => new(x.v - y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator *(Lanes256<T> x, Lanes256<T> y) => new(x.v * y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator /(Lanes256<T> x, Lanes256<T> y) => new(x.v / y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator -(Lanes256<T> x) => new(-x.v);
}

internal readonly struct Lanes128<T>(Vector128<T> v) : ILanes<Lanes128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector128<T> v = v;

    public static int Count => Vector128<T>.Count;

    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Load(ref T source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(ref T destination, nuint index) => v.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Create(T value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Sqrt(Lanes128<T> x) => new(Vector128.Sqrt(x.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Max(Lanes128<T> x, Lanes128<T> y) => new(Vector128.Max(x.v, y.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> operator +(Lanes128<T> x, Lanes128<T> y) => new(x.v + y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> operator -(Lanes128<T> x, Lanes128<T> y) => new(x.v - y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> operator *(Lanes128<T> x, Lanes128<T> y) => new(x.v * y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> operator /(Lanes128<T> x, Lanes128<T> y) => new(x.v / y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> operator -(Lanes128<T> x) => new(-x.v);
}

/// <summary>One lane: the scalar reference every vector width must agree with.</summary>
internal readonly struct Lane1<T>(T v) : ILanes<Lane1<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T v = v;

    public static int Count => 1;

    public static bool IsAccelerated => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Load(ref T source, nuint index) => new(Unsafe.Add(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(ref T destination, nuint index) => Unsafe.Add(ref destination, index) = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Create(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Sqrt(Lane1<T> x) => new(T.Sqrt(x.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Max(Lane1<T> x, Lane1<T> y) => new(T.Max(x.v, y.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> operator +(Lane1<T> x, Lane1<T> y) => new(x.v + y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> operator -(Lane1<T> x, Lane1<T> y) => new(x.v - y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> operator *(Lane1<T> x, Lane1<T> y) => new(x.v * y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> operator /(Lane1<T> x, Lane1<T> y) => new(x.v / y.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> operator -(Lane1<T> x) => new(-x.v);
}
