using System.Numerics;
using System.Runtime.CompilerServices;
using Axon.Backends;

namespace Axon;

/// <summary>
/// An n-dimensional array with a shape, strides (in elements) and an offset into a shared storage on a
/// <see cref="Axon.Device"/>, so that views (reshape, transpose, slice, expand) never copy. Float32 by default; Float64
/// and Int64 are supported. Differentiable operations and autograd live in other partial files (<c>Autograd/</c>,
/// <c>Ops/</c>); this file knows only storage, layout and the device's backend.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] shape;
    private int[] strides;
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

    /// <summary>Creates an uninitialised contiguous tensor on <paramref name="device"/> (the CPU when null; contents unspecified unless <paramref name="clear"/>).</summary>
    internal static Tensor Empty(int[] shape, DType dtype, Device? device = null, bool clear = false)
    {
        ShapeUtil.Validate(shape);
        var backend = (device ?? Device.Cpu).Backend;
        return new Tensor(backend.Allocate(dtype, ShapeUtil.Product(shape), clear), shape, ShapeUtil.ContiguousStrides(shape), 0);
    }

    /// <summary>A new uninitialised contiguous tensor of <paramref name="shape"/> on this tensor's device (its dtype unless given).</summary>
    internal Tensor EmptyLike(int[] shape, DType? dtype = null) => Empty(shape, dtype ?? DType, Device);

    /// <summary>Element type.</summary>
    public DType DType => storage.DType;

    /// <summary>Where the tensor's memory lives (and which backend computes on it).</summary>
    public Device Device => storage.Device;

    /// <summary>The backend of the tensor's device.</summary>
    internal IBackend Backend => Storage.Device.Backend;

    /// <summary>Sizes of the dimensions.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Strides of the dimensions, in elements.</summary>
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements.</summary>
    public int NumEl { get; }

    /// <summary>Offset of the first element in the storage, in elements.</summary>
    public int Offset { get; private set; }

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

    /// <summary>
    /// The contiguous data as a span, for host tensors (throws if the tensor is not contiguous, the type differs, or it
    /// lives on a device whose memory the host cannot read: copy it with <see cref="To(Axon.Device)"/> first).
    /// </summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType) throw new InvalidOperationException($"AsSpan<{typeof(T).Name}>: the tensor's dtype is {DType.TorchName()}.");
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan: the tensor {ShapeUtil.Format(shape)} with strides {ShapeUtil.Format(strides)} is not contiguous; call Contiguous() first.");
        return Data<T>().AsSpan(Offset, NumEl);
    }

    /// <summary>The whole storage array of a host tensor (for backends that walk strides themselves).</summary>
    internal T[] Data<T>() where T : unmanaged => Storage is HostStorage host
        ? (T[])host.Data
        : throw new InvalidOperationException($"The tensor {ShapeUtil.Format(shape)} lives on {Device}, whose memory the host cannot read; copy it with To(Device.Cpu).");

    /// <summary>True when both tensors view the same storage (a write through one may change the other).</summary>
    internal bool SharesMemoryWith(Tensor other) => ReferenceEquals(Storage, other.Storage);

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

    /// <summary>A contiguous copy of the data on the same device (no autograd).</summary>
    internal Tensor CloneData()
    {
        var result = EmptyLike((int[])shape.Clone());
        Backend.Copy(this, result);
        return result;
    }

    /// <summary>A contiguous copy on <paramref name="device"/>, converted to <paramref name="dtype"/> when given (no autograd).</summary>
    internal Tensor CloneTo(Device device, DType? dtype = null)
    {
        var src = dtype is DType d && d != DType ? ConvertData(d) : this;
        var result = Empty((int[])shape.Clone(), src.DType, device);
        CopyStrided(src, result);
        if (!ReferenceEquals(src, this)) src.Dispose();
        return result;
    }

    /// <summary>
    /// Copies <paramref name="src"/> (any layout) into <paramref name="dst"/> (any layout) of the same shape and dtype,
    /// through the host when they live on different devices.
    /// </summary>
    internal static void CopyStrided(Tensor src, Tensor dst)
    {
        if (ReferenceEquals(src.Device, dst.Device)) { dst.Backend.Copy(src, dst); return; }
        switch (src.DType)
        {
            case DType.Float32: CopyAcross<float>(src, dst); break;
            case DType.Float64: CopyAcross<double>(src, dst); break;
            default: CopyAcross<long>(src, dst); break;
        }
    }

    private static void CopyAcross<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        var host = GC.AllocateUninitializedArray<T>(src.NumEl);
        src.Backend.CopyToHost<T>(src, host);
        dst.Backend.CopyFromHost<T>(host, dst);
    }

    /// <summary>A view of the single element at <paramref name="index"/>.</summary>
    private Tensor ElementView(int[] index) => MakeView([], [], ElementOffset(index));

    /// <summary>Reads one element as double (slow; for tests and printing).</summary>
    public double GetDouble(params int[] index)
    {
        using var e = ElementView(index);
        switch (DType)
        {
            case DType.Float32: { Span<float> v = stackalloc float[1]; Backend.CopyToHost<float>(e, v); return v[0]; }
            case DType.Float64: { Span<double> v = stackalloc double[1]; Backend.CopyToHost<double>(e, v); return v[0]; }
            default: { Span<long> v = stackalloc long[1]; Backend.CopyToHost<long>(e, v); return v[0]; }
        }
    }

    /// <summary>Writes one element (slow; for tests and setup). Not recorded by autograd.</summary>
    public void SetDouble(double value, params int[] index)
    {
        using var e = ElementView(index);
        switch (DType)
        {
            case DType.Float32: Backend.CopyFromHost<float>([(float)value], e); break;
            case DType.Float64: Backend.CopyFromHost<double>([value], e); break;
            default: Backend.CopyFromHost<long>([(long)value], e); break;
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

    /// <summary>The elements in row-major order, converted to <typeparamref name="T"/> (float, double or long), copied to the host.</summary>
    public T[] ToArray<T>() where T : unmanaged, INumber<T>
    {
        var result = new T[NumEl];
        switch (DType)
        {
            case DType.Float32: Convert<float, T>(HostCopy<float>(), result); break;
            case DType.Float64: Convert<double, T>(HostCopy<double>(), result); break;
            default: Convert<long, T>(HostCopy<long>(), result); break;
        }
        return result;
    }

    /// <summary>The elements in row-major order as a host array of their own type.</summary>
    private T[] HostCopy<T>() where T : unmanaged
    {
        var host = new T[NumEl];
        Backend.CopyToHost<T>(this, host);
        return host;
    }

    /// <summary>
    /// Copies the elements, in row-major order, into <paramref name="destination"/> (exactly <see cref="NumEl"/> values of
    /// the tensor's dtype), from any layout and any device: the host side of a transfer without allocating an array per
    /// call (e.g. a data-parallel gradient bucket handed to MPI).
    /// </summary>
    public void CopyToHost<T>(Span<T> destination) where T : unmanaged
    {
        CheckHostSpan<T>(destination.Length, "CopyToHost");
        Backend.CopyToHost<T>(this, destination);
    }

    /// <summary>
    /// Overwrites the elements, in row-major order, with <paramref name="source"/> (exactly <see cref="NumEl"/> values of
    /// the tensor's dtype), in place and unrecorded, whatever the tensor's layout and device.
    /// </summary>
    public void CopyFromHost<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        CheckHostSpan<T>(source.Length, "CopyFromHost");
        Backend.CopyFromHost(source, this);
    }

    private void CheckHostSpan<T>(int length, string op) where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType) throw new InvalidOperationException($"{op}<{typeof(T).Name}>: the tensor's dtype is {DType.TorchName()}.");
        if (length != NumEl) throw new ArgumentException($"{op}: the tensor {ShapeUtil.Format(shape)} has {NumEl} elements, the span {length}.");
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

    /// <summary>A contiguous copy converted to <paramref name="dtype"/> on the same device (no autograd; see <c>To</c> for the differentiable version).</summary>
    internal Tensor ConvertData(DType dtype)
    {
        if (dtype == DType) return CloneData();
        var r = EmptyLike((int[])shape.Clone(), dtype);
        Backend.Cast(this, r);
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
        Backend.Fill(this, value);
        return this;
    }

    /// <summary>
    /// Moves this tensor's data to <paramref name="device"/> in place (a contiguous copy there), keeping the tensor
    /// object: what <see cref="Nn.Module.To(Axon.Device)"/> does to parameters and buffers, so references to them stay valid.
    /// </summary>
    internal void MoveTo(Device device)
    {
        if (ReferenceEquals(Device, device)) return;
        var moved = Empty((int[])shape.Clone(), DType, device);
        CopyStrided(this, moved);
        var old = storage;
        storage = moved.storage;
        storage.AddRef();
        strides = ShapeUtil.ContiguousStrides(shape);
        Offset = 0;
        moved.Dispose();
        old.Release();
    }

    /// <summary>
    /// Converts this tensor's data to <paramref name="dtype"/> in place (a contiguous copy, rounded as <see cref="To(DType)"/>
    /// rounds), keeping the tensor object: what <see cref="Nn.Module.To(DType)"/> does to parameters and buffers.
    /// </summary>
    internal void ConvertTo(DType dtype)
    {
        if (DType == dtype) return;
        var converted = ConvertData(dtype);
        var old = storage;
        storage = converted.storage;
        storage.AddRef();
        strides = ShapeUtil.ContiguousStrides(shape);
        Offset = 0;
        converted.Dispose();
        old.Release();
    }

    /// <summary>Sets every element to zero, in place and unrecorded.</summary>
    public Tensor Zero() => Fill(0);
}
