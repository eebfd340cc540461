using Axon.Cuda.Runtime;

namespace Axon.Cuda;

/// <summary>
/// Device memory behind CUDA tensors: a block of the device's <see cref="CachingAllocator"/> (its address and length).
/// When the last tensor using it is disposed the block goes back to the allocator's cache, not to the driver.
/// </summary>
public sealed class CudaStorage : Storage
{
    private readonly CachingAllocator allocator;
    private readonly MemoryBlock block;

    internal CudaStorage(Device device, DType dtype, int count, CachingAllocator allocator, MemoryBlock block) : base(device, dtype, count)
    {
        this.allocator = allocator;
        this.block = block;
    }

    /// <summary>The device address of element 0.</summary>
    public ulong Address => block.Address;

    /// <summary>The bytes the elements occupy (the block may be larger).</summary>
    public long ByteLength => (long)Count * DType.ElementSize();

    /// <inheritdoc/>
    protected override void Free() => allocator.Free(block);
}
