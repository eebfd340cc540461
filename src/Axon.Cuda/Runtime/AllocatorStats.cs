namespace Axon.Cuda.Runtime;

/// <summary>
/// The caching allocator's counters, as PyTorch's <c>torch.cuda.memory_stats</c>: bytes handed to tensors (allocated)
/// and bytes held from the device (reserved), current and peak; how many requests there were and how many the cache
/// served; how many segments were taken from and given back to the device.
/// </summary>
public readonly record struct AllocatorStats(
    long AllocatedBytes,
    long PeakAllocatedBytes,
    long ReservedBytes,
    long PeakReservedBytes,
    long Allocations,
    long CacheHits,
    long Frees,
    long SegmentsAllocated,
    long SegmentsFreed,
    long OutOfMemoryRetries)
{
    /// <summary>Reserved bytes not handed to any tensor (cached free blocks).</summary>
    public long CachedFreeBytes => ReservedBytes - AllocatedBytes;

    /// <inheritdoc/>
    public override string ToString() =>
        $"allocated {CudaException.Bytes(AllocatedBytes)} (peak {CudaException.Bytes(PeakAllocatedBytes)}), reserved {CudaException.Bytes(ReservedBytes)} " +
        $"(peak {CudaException.Bytes(PeakReservedBytes)}, cached free {CudaException.Bytes(CachedFreeBytes)}), {Allocations} allocations, {CacheHits} from the cache, " +
        $"{SegmentsAllocated} segments taken from the device, {SegmentsFreed} given back";
}
