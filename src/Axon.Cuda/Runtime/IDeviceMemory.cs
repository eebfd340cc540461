namespace Axon.Cuda.Runtime;

/// <summary>
/// Raw device memory as the caching allocator sees it: whole segments from the device (cuMemAlloc) and back
/// (cuMemFree). An interface so the allocator's bookkeeping is tested on the CPU with a fake.
/// </summary>
public interface IDeviceMemory
{
    /// <summary>The device's name for messages ("cuda:0").</summary>
    string DeviceName { get; }

    /// <summary>Allocates <paramref name="bytes"/>; false when the device is out of memory (any other failure throws).</summary>
    bool TryAllocate(long bytes, out ulong address);

    /// <summary>Gives a segment returned by <see cref="TryAllocate"/> back to the device.</summary>
    void Free(ulong address);
}

/// <summary>Device memory of a CUDA context through cuMemAlloc_v2 / cuMemFree_v2.</summary>
internal sealed class DriverMemory(CudaContext context) : IDeviceMemory
{
    /// <inheritdoc/>
    public string DeviceName => context.Name;

    /// <inheritdoc/>
    public bool TryAllocate(long bytes, out ulong address)
    {
        context.MakeCurrent();
        int r = Native.Driver.MemAlloc(out address, (nuint)bytes);
        if (r == 2) return false;   // CUDA_ERROR_OUT_OF_MEMORY: the allocator frees its cache and retries
        Native.Driver.Check(r, "cuMemAlloc_v2", $"allocating {CudaException.Bytes(bytes)} on {context.Name}");
        return true;
    }

    /// <inheritdoc/>
    public void Free(ulong address)
    {
        context.MakeCurrent();
        Native.Driver.Check(Native.Driver.MemFree(address), "cuMemFree_v2", $"on {context.Name}");
    }
}
