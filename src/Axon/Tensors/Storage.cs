namespace Axon;

/// <summary>
/// Device-owned memory behind one or more tensors (a tensor and its views share one storage). Each backend allocates
/// its own kind (<see cref="IBackend.Allocate"/>); only that backend (and, for host memory, IO and data loading through
/// <see cref="Tensor.AsSpan{T}"/>) reads it. Reference-counted so the memory goes back to its pool when the last
/// disposed tensor lets go of it.
/// </summary>
public abstract class Storage
{
    private int refs = 1;

    /// <summary>Creates the storage of <paramref name="count"/> elements of <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    protected Storage(Device device, DType dtype, int count)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        DType = dtype;
        Count = count;
    }

    /// <summary>The device the memory lives on.</summary>
    public Device Device { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public int Count { get; }

    /// <summary>True once the memory was given back.</summary>
    public bool IsFreed => Volatile.Read(ref refs) <= 0;

    internal void AddRef() => Interlocked.Increment(ref refs);

    internal void Release()
    {
        if (Interlocked.Decrement(ref refs) == 0) Free();
    }

    /// <summary>Gives the memory back (to a pool, or to the device). Called once, when the last tensor lets go.</summary>
    protected abstract void Free();
}

/// <summary>Host memory: a managed array of float, double or long, rented from the <see cref="BufferPool"/>.</summary>
internal sealed class HostStorage : Storage
{
    private Array data;

    private HostStorage(Device device, DType dtype, Array data) : base(device, dtype, data.Length) => this.data = data;

    /// <summary>The array (float[], double[] or long[] by <see cref="Storage.DType"/>).</summary>
    public Array Data => data;

    /// <summary>Allocates <paramref name="count"/> elements for <paramref name="device"/>, zeroed when <paramref name="clear"/>.</summary>
    public static HostStorage Allocate(Device device, DType dtype, int count, bool clear) => dtype switch
    {
        DType.Float32 => new HostStorage(device, dtype, BufferPool.Rent<float>(count, clear)),
        DType.Float64 => new HostStorage(device, dtype, BufferPool.Rent<double>(count, clear)),
        _ => new HostStorage(device, dtype, BufferPool.Rent<long>(count, clear)),
    };

    /// <inheritdoc/>
    protected override void Free()
    {
        switch (data)
        {
            case float[] f: BufferPool.Return(f); break;
            case double[] d: BufferPool.Return(d); break;
            case long[] l: BufferPool.Return(l); break;
        }
        data = Array.Empty<float>();
    }
}
