using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// The vector operations the pooling folds need, for one vector width: float lanes and int32 index lanes of the
/// same count. A struct per width lets one generic fold serve Vector512, Vector256 and Vector128.
/// </summary>
internal interface IPoolLanes<TF, TI> where TF : struct where TI : struct
{
    static abstract int Count { get; }
    static abstract TF Load(ref float source, int offset);
    static abstract void Store(TF value, ref float destination, int offset);
    static abstract TF Broadcast(float value);
    static abstract TF Add(TF x, TF y);
    static abstract TF Divide(TF x, TF y);

    /// <summary>Lane mask of v &gt; best or v NaN: where the scalar max loop would take v.</summary>
    static abstract TF Takes(TF v, TF best);
    static abstract TF Select(TF mask, TF x, TF y);
    static abstract TI SelectIndex(TF mask, TI x, TI y);

    /// <summary>start + lane * step.</summary>
    static abstract TI Sequence(int start, int step);
    static abstract TI Add(TI x, int y);

    /// <summary>Loads int32 lanes.</summary>
    static abstract TI LoadIndex(ref int source, int offset);

    /// <summary>Stores the int32 lanes as int32 or, widened, as int64 (<typeparamref name="TIdx"/> is int or long).</summary>
    static abstract void StoreIndex<TIdx>(TI value, ref TIdx destination, int offset) where TIdx : unmanaged;

    static abstract TI Subtract(TI x, TI y);

    /// <summary>Lane l takes lane table[l] of v (a one-source permute; needs AVX-512F, AVX2 and AVX for 512, 256 and 128 bits).</summary>
    static abstract TF Spread(TF v, TI table);

    /// <summary><see cref="Spread"/> of int32 lanes.</summary>
    static abstract TI SpreadIndex(TI v, TI table);

    /// <summary>g where x == expected, +0 elsewhere.</summary>
    static abstract TF Match(TI x, TI expected, TF g);
}

internal readonly struct Lanes512 : IPoolLanes<Vector512<float>, Vector512<int>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Load(ref float source, int offset) => Vector512.LoadUnsafe(ref Unsafe.Add(ref source, offset));
    public static void Store(Vector512<float> value, ref float destination, int offset) => value.StoreUnsafe(ref Unsafe.Add(ref destination, offset));
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
    public static Vector512<float> Divide(Vector512<float> x, Vector512<float> y) => x / y;
    public static Vector512<float> Takes(Vector512<float> v, Vector512<float> best) => Vector512.GreaterThan(v, best) | Vector512.IsNaN(v);
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(mask, x, y);
    public static Vector512<int> SelectIndex(Vector512<float> mask, Vector512<int> x, Vector512<int> y) => Vector512.ConditionalSelect(mask.AsInt32(), x, y);
    public static Vector512<int> Sequence(int start, int step) => Vector512<int>.Indices * step + Vector512.Create(start);
    public static Vector512<int> Add(Vector512<int> x, int y) => x + Vector512.Create(y);
    public static Vector512<int> LoadIndex(ref int source, int offset) => Vector512.LoadUnsafe(ref Unsafe.Add(ref source, offset));
    public static Vector512<int> Subtract(Vector512<int> x, Vector512<int> y) => x - y;
    public static Vector512<float> Spread(Vector512<float> v, Vector512<int> table) => Avx512F.PermuteVar16x32(v, table);
    public static Vector512<int> SpreadIndex(Vector512<int> v, Vector512<int> table) => Avx512F.PermuteVar16x32(v, table);
    public static Vector512<float> Match(Vector512<int> x, Vector512<int> expected, Vector512<float> g) => Vector512.ConditionalSelect(Vector512.Equals(x, expected).AsSingle(), g, Vector512<float>.Zero);
    public static void StoreIndex<TIdx>(Vector512<int> value, ref TIdx destination, int offset) where TIdx : unmanaged
    {
        if (typeof(TIdx) == typeof(int))
        {
            value.StoreUnsafe(ref Unsafe.Add(ref Unsafe.As<TIdx, int>(ref destination), offset));
            return;
        }
        var (lower, upper) = Vector512.Widen(value);
        ref long d = ref Unsafe.As<TIdx, long>(ref destination);
        lower.StoreUnsafe(ref Unsafe.Add(ref d, offset));
        upper.StoreUnsafe(ref Unsafe.Add(ref d, offset + Vector512<long>.Count));
    }
}

internal readonly struct Lanes256 : IPoolLanes<Vector256<float>, Vector256<int>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Load(ref float source, int offset) => Vector256.LoadUnsafe(ref Unsafe.Add(ref source, offset));
    public static void Store(Vector256<float> value, ref float destination, int offset) => value.StoreUnsafe(ref Unsafe.Add(ref destination, offset));
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
    public static Vector256<float> Divide(Vector256<float> x, Vector256<float> y) => x / y;
    public static Vector256<float> Takes(Vector256<float> v, Vector256<float> best) => Vector256.GreaterThan(v, best) | Vector256.IsNaN(v);
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(mask, x, y);
    public static Vector256<int> SelectIndex(Vector256<float> mask, Vector256<int> x, Vector256<int> y) => Vector256.ConditionalSelect(mask.AsInt32(), x, y);
    public static Vector256<int> Sequence(int start, int step) => Vector256<int>.Indices * step + Vector256.Create(start);
    public static Vector256<int> Add(Vector256<int> x, int y) => x + Vector256.Create(y);
    public static Vector256<int> LoadIndex(ref int source, int offset) => Vector256.LoadUnsafe(ref Unsafe.Add(ref source, offset));
    public static Vector256<int> Subtract(Vector256<int> x, Vector256<int> y) => x - y;
    public static Vector256<float> Spread(Vector256<float> v, Vector256<int> table) => Avx2.PermuteVar8x32(v, table);
    public static Vector256<int> SpreadIndex(Vector256<int> v, Vector256<int> table) => Avx2.PermuteVar8x32(v, table);
    public static Vector256<float> Match(Vector256<int> x, Vector256<int> expected, Vector256<float> g) => Vector256.ConditionalSelect(Vector256.Equals(x, expected).AsSingle(), g, Vector256<float>.Zero);
    public static void StoreIndex<TIdx>(Vector256<int> value, ref TIdx destination, int offset) where TIdx : unmanaged
    {
        if (typeof(TIdx) == typeof(int))
        {
            value.StoreUnsafe(ref Unsafe.Add(ref Unsafe.As<TIdx, int>(ref destination), offset));
            return;
        }
        var (lower, upper) = Vector256.Widen(value);
        ref long d = ref Unsafe.As<TIdx, long>(ref destination);
        lower.StoreUnsafe(ref Unsafe.Add(ref d, offset));
        upper.StoreUnsafe(ref Unsafe.Add(ref d, offset + Vector256<long>.Count));
    }
}

internal readonly struct Lanes128 : IPoolLanes<Vector128<float>, Vector128<int>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Load(ref float source, int offset) => Vector128.LoadUnsafe(ref Unsafe.Add(ref source, offset));
    public static void Store(Vector128<float> value, ref float destination, int offset) => value.StoreUnsafe(ref Unsafe.Add(ref destination, offset));
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;
    public static Vector128<float> Divide(Vector128<float> x, Vector128<float> y) => x / y;
    public static Vector128<float> Takes(Vector128<float> v, Vector128<float> best) => Vector128.GreaterThan(v, best) | Vector128.IsNaN(v);
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(mask, x, y);
    public static Vector128<int> SelectIndex(Vector128<float> mask, Vector128<int> x, Vector128<int> y) => Vector128.ConditionalSelect(mask.AsInt32(), x, y);
    public static Vector128<int> Sequence(int start, int step) => Vector128<int>.Indices * step + Vector128.Create(start);
    public static Vector128<int> Add(Vector128<int> x, int y) => x + Vector128.Create(y);
    public static Vector128<int> LoadIndex(ref int source, int offset) => Vector128.LoadUnsafe(ref Unsafe.Add(ref source, offset));
    public static Vector128<int> Subtract(Vector128<int> x, Vector128<int> y) => x - y;
    public static Vector128<float> Spread(Vector128<float> v, Vector128<int> table) => Avx.PermuteVar(v, table);
    public static Vector128<int> SpreadIndex(Vector128<int> v, Vector128<int> table) => Avx.PermuteVar(v.AsSingle(), table).AsInt32();
    public static Vector128<float> Match(Vector128<int> x, Vector128<int> expected, Vector128<float> g) => Vector128.ConditionalSelect(Vector128.Equals(x, expected).AsSingle(), g, Vector128<float>.Zero);
    public static void StoreIndex<TIdx>(Vector128<int> value, ref TIdx destination, int offset) where TIdx : unmanaged
    {
        if (typeof(TIdx) == typeof(int))
        {
            value.StoreUnsafe(ref Unsafe.Add(ref Unsafe.As<TIdx, int>(ref destination), offset));
            return;
        }
        var (lower, upper) = Vector128.Widen(value);
        ref long d = ref Unsafe.As<TIdx, long>(ref destination);
        lower.StoreUnsafe(ref Unsafe.Add(ref d, offset));
        upper.StoreUnsafe(ref Unsafe.Add(ref d, offset + Vector128<long>.Count));
    }
}
