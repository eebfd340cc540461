using Axon.Cuda.Native;

namespace Axon.Cuda.Runtime;

/// <summary>
/// Page-locked host memory (cuMemHostAlloc): copies between it and the device run at full bus speed and asynchronously,
/// which pageable memory does not allow. The backend stages host copies through one; a data loader can fill one while
/// the GPU computes.
/// </summary>
public sealed unsafe class PinnedHostBuffer : IDisposable
{
    private IntPtr pointer;

    /// <summary>Allocates <paramref name="bytes"/> of pinned memory usable from every context.</summary>
    public PinnedHostBuffer(CudaContext context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        Context = context ?? throw new ArgumentNullException(nameof(context));
        context.MakeCurrent();
        Driver.Check(Driver.MemHostAlloc(out pointer, (nuint)bytes, Driver.MemHostAllocPortable), "cuMemHostAlloc",
            $"allocating {CudaException.Bytes(bytes)} of pinned host memory for {context.Name}");
        Length = bytes;
    }

    /// <summary>The context it was allocated through.</summary>
    public CudaContext Context { get; }

    /// <summary>The size in bytes.</summary>
    public long Length { get; }

    /// <summary>The host address.</summary>
    public IntPtr Pointer => pointer != IntPtr.Zero ? pointer : throw new ObjectDisposedException(nameof(PinnedHostBuffer));

    /// <summary>The first <paramref name="count"/> elements as a span.</summary>
    public Span<T> AsSpan<T>(int count) where T : unmanaged
    {
        if ((long)count * sizeof(T) > Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"The pinned buffer holds {CudaException.Bytes(Length)}.");
        return new Span<T>((void*)Pointer, count);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (pointer == IntPtr.Zero) return;
        Context.MakeCurrent();
        Driver.Check(Driver.MemFreeHost(pointer), "cuMemFreeHost", $"for {Context.Name}");
        pointer = IntPtr.Zero;
    }
}
