using System.Numerics;
using System.Runtime.CompilerServices;

namespace Axon;

/// <summary>
/// An n-dimensional array with a shape, strides (in elements) and an offset into a shared storage,
/// so that views (reshape, transpose, slice, expand) never copy. Float32 by default; Float64 and
/// Int64 are supported. Differentiable operations and autograd live in other partial files
/// (<c>Autograd/</c>, <c>Ops/</c>); this file knows only storage and layout.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] shape;
    private readonly int[] strides;
    private Storage storage;
    private bool disposed;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        Offset = offset;
        NumEl = ShapeUtil.Product(shape);
        TensorScope.Register(this);
    }

    /// <summary>Creates an uninitialised contiguous tensor (contents unspecified unless <paramref name="clear"/>).</summary>
    internal static Tensor Empty(int[] shape, DType dtype, bool clear = false)
    {
        ShapeUtil.Validate(shape);
        return new Tensor(Storage.Allocate(dtype, ShapeUtil.Product(shape), clear), shape, ShapeUtil.ContiguousStrides(shape), 0);
    }

    /// <summary>Element type.</summary>
    public DType DType => storage.DType;

    /// <summary>Sizes of the dimensions.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Strides of the dimensions, in elements.</summary>
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements.</summary>
    public int NumEl { get; }

    /// <summary>Offset of the first element in the storage, in elements.</summary>
    public int Offset { get; }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => shape[ShapeUtil.NormDim(dim, Rank, "Size")];

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    public bool IsContiguous => ShapeUtil.IsContiguous(shape, strides);

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => disposed;

    internal int[] ShapeArray => shape;

    internal int[] StrideArray => strides;

    internal Storage Storage => disposed ? throw new ObjectDisposedException(nameof(Tensor), $"This tensor {ShapeUtil.Format(shape)} was disposed (by Dispose or its TensorScope) and can no longer be used.") : storage;

    /// <summary>A copy of the shape.</summary>
    public int[] GetShape() => (int[])shape.Clone();

    /// <summary>The contiguous data as a span (throws if the tensor is not contiguous or the type differs).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType) throw new InvalidOperationException($"AsSpan<{typeof(T).Name}>: the tensor's dtype is {DType.TorchName()}.");
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan: the tensor {ShapeUtil.Format(shape)} with strides {ShapeUtil.Format(strides)} is not contiguous; call Contiguous() first.");
        return ((T[])Storage.Data).AsSpan(Offset, NumEl);
    }

    /// <summary>The whole storage array (for kernels that walk strides themselves).</summary>
    internal T[] Data<T>() where T : unmanaged => (T[])Storage.Data;

    /// <summary>Storage shared with another tensor (a view).</summary>
    internal Tensor MakeView(int[] newShape, int[] newStrides, int newOffset)
    {
        var s = Storage;
        s.AddRef();
        return new Tensor(s, newShape, newStrides, newOffset);
    }

    /// <summary>Releases the storage to the buffer pool once no other view uses it. Using the tensor afterwards throws.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        storage.Release();
        ReleaseAutograd();
    }

    partial void ReleaseAutograd();

    /// <summary>Returns this tensor if contiguous, otherwise a contiguous copy.</summary>
    public Tensor ContiguousData() => IsContiguous ? this : CloneData();

    /// <summary>A contiguous copy of the data (no autograd).</summary>
    internal Tensor CloneData()
    {
        var result = Empty((int[])shape.Clone(), DType);
        CopyStrided(this, result);
        return result;
    }

    /// <summary>Copies <paramref name="src"/> (any layout) into <paramref name="dst"/> (any layout) of the same shape and dtype.</summary>
    internal static void CopyStrided(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: CopyStrided<float>(src, dst); break;
            case DType.Float64: CopyStrided<double>(src, dst); break;
            default: CopyStrided<long>(src, dst); break;
        }
    }

    private static void CopyStrided<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        T[] s = src.Data<T>(), d = dst.Data<T>();
        var it = new RowIterator(dst.shape, [dst.strides, src.strides], [dst.Offset, src.Offset]);
        int n = it.InnerLength, ds = it.InnerStride(0), ss = it.InnerStride(1);
        while (it.Next())
        {
            int od = it.Offset(0), os = it.Offset(1);
            if (ds == 1 && ss == 1) s.AsSpan(os, n).CopyTo(d.AsSpan(od, n));
            else for (int i = 0; i < n; i++) d[od + i * ds] = s[os + i * ss];
        }
    }

    /// <summary>Reads one element as double (slow; for tests and printing).</summary>
    public double GetDouble(params int[] index)
    {
        int o = ElementOffset(index);
        return DType switch
        {
            DType.Float32 => Data<float>()[o],
            DType.Float64 => Data<double>()[o],
            _ => Data<long>()[o],
        };
    }

    /// <summary>Writes one element (slow; for tests and setup). Not recorded by autograd.</summary>
    public void SetDouble(double value, params int[] index)
    {
        int o = ElementOffset(index);
        switch (DType)
        {
            case DType.Float32: Data<float>()[o] = (float)value; break;
            case DType.Float64: Data<double>()[o] = value; break;
            default: Data<long>()[o] = (long)value; break;
        }
    }

    /// <summary>Element access as float (slow; for tests and small tensors).</summary>
    [IndexerName("At")]
    public float this[params int[] index]
    {
        get => (float)GetDouble(index);
        set => SetDouble(value, index);
    }

    private int ElementOffset(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Index has {index.Length} coordinates but the tensor {ShapeUtil.Format(shape)} has {Rank} dimensions.", nameof(index));
        int o = Offset;
        for (int i = 0; i < index.Length; i++)
        {
            int ix = index[i] < 0 ? index[i] + shape[i] : index[i];
            if ((uint)ix >= (uint)shape[i]) throw new IndexOutOfRangeException($"Index {index[i]} is out of bounds for dimension {i} with size {shape[i]}.");
            o += ix * strides[i];
        }
        return o;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        if (NumEl != 1) throw new InvalidOperationException($"Item: a tensor with {NumEl} elements {ShapeUtil.Format(shape)} cannot be converted to a scalar.");
        return GetDouble(new int[Rank]);
    }

    /// <summary>The elements in row-major order, converted to <typeparamref name="T"/> (float, double or long).</summary>
    public T[] ToArray<T>() where T : unmanaged, INumber<T>
    {
        var c = ContiguousData();
        var result = new T[NumEl];
        switch (DType)
        {
            case DType.Float32: Convert<float, T>(c.AsSpan<float>(), result); break;
            case DType.Float64: Convert<double, T>(c.AsSpan<double>(), result); break;
            default: Convert<long, T>(c.AsSpan<long>(), result); break;
        }
        return result;
    }

    /// <summary>The elements as a float array.</summary>
    public float[] ToFloatArray() => ToArray<float>();

    /// <summary>The elements as a double array.</summary>
    public double[] ToDoubleArray() => ToArray<double>();

    /// <summary>The elements as a long array.</summary>
    public long[] ToLongArray() => ToArray<long>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> src, Span<TTo> dst) where TFrom : unmanaged, INumber<TFrom> where TTo : unmanaged, INumber<TTo>
    {
        if (typeof(TFrom) == typeof(TTo)) { System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(src).CopyTo(dst); return; }
        for (int i = 0; i < src.Length; i++) dst[i] = TTo.CreateTruncating(src[i]);
    }

    /// <summary>A contiguous copy converted to <paramref name="dtype"/> (no autograd; see <c>To</c> for the differentiable version).</summary>
    internal Tensor ConvertData(DType dtype)
    {
        if (dtype == DType) return CloneData();
        var c = ContiguousData();
        var r = Empty((int[])shape.Clone(), dtype);
        switch ((DType, dtype))
        {
            case (DType.Float32, DType.Float64): Convert<float, double>(c.AsSpan<float>(), r.AsSpan<double>()); break;
            case (DType.Float32, DType.Int64): Convert<float, long>(c.AsSpan<float>(), r.AsSpan<long>()); break;
            case (DType.Float64, DType.Float32): Convert<double, float>(c.AsSpan<double>(), r.AsSpan<float>()); break;
            case (DType.Float64, DType.Int64): Convert<double, long>(c.AsSpan<double>(), r.AsSpan<long>()); break;
            case (DType.Int64, DType.Float32): Convert<long, float>(c.AsSpan<long>(), r.AsSpan<float>()); break;
            default: Convert<long, double>(c.AsSpan<long>(), r.AsSpan<double>()); break;
        }
        return r;
    }

    /// <summary>Copies the values of <paramref name="src"/> (same shape; converted if the dtype differs) into this tensor, in place and unrecorded.</summary>
    public Tensor CopyFrom(Tensor src)
    {
        if (!ShapeUtil.SameShape(shape, src.shape)) throw new ArgumentException($"CopyFrom: destination shape {ShapeUtil.Format(shape)} and source shape {ShapeUtil.Format(src.shape)} differ.", nameof(src));
        var s = src.DType == DType ? src : src.ConvertData(DType);
        CopyStrided(s, this);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/>, in place and unrecorded.</summary>
    public Tensor Fill(double value)
    {
        if (IsContiguous)
        {
            switch (DType)
            {
                case DType.Float32: Compute.ParallelFill(Data<float>(), Offset, NumEl, (float)value); break;
                case DType.Float64: Compute.ParallelFill(Data<double>(), Offset, NumEl, value); break;
                default: Compute.ParallelFill(Data<long>(), Offset, NumEl, (long)value); break;
            }
            return this;
        }
        using var full = Full(shape, value, DType);
        CopyStrided(full, this);
        return this;
    }

    /// <summary>Sets every element to zero, in place and unrecorded.</summary>
    public Tensor Zero() => Fill(0);
}
