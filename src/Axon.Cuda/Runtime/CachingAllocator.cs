namespace Axon.Cuda.Runtime;

/// <summary>A piece of device memory handed out by the <see cref="CachingAllocator"/>: give it back with <see cref="CachingAllocator.Free"/>.</summary>
public sealed class MemoryBlock
{
    internal MemoryBlock(ulong address, long size, ulong segment, IntPtr stream, bool small)
    {
        Address = address;
        Size = size;
        Segment = segment;
        Stream = stream;
        Small = small;
    }

    /// <summary>The device address of the first byte.</summary>
    public ulong Address { get; internal set; }

    /// <summary>The block's size in bytes (the request rounded up; may be larger when the rest was too small to split off).</summary>
    public long Size { get; internal set; }

    /// <summary>The bytes asked for.</summary>
    public long Requested { get; internal set; }

    /// <summary>The address of the segment (one cuMemAlloc) the block was carved from.</summary>
    public ulong Segment { get; }

    /// <summary>The stream the block belongs to: only work on this stream may reuse it once freed.</summary>
    public IntPtr Stream { get; }

    /// <summary>True when the block is handed out (not in the cache).</summary>
    public bool IsAllocated { get; internal set; }

    internal bool Small { get; }
    internal MemoryBlock? Prev, Next;
}

/// <summary>
/// PyTorch's caching allocator: device memory taken in segments and kept, so a training step that frees and
/// re-allocates the same sizes never calls cuMemAlloc/cuMemFree (each synchronises the device). Requests are rounded
/// up to 512 bytes; those of at most 1 MiB come from a small pool carved from 2 MiB segments, larger ones from a large
/// pool of segments of the request's size (20 MiB for requests under 10 MiB, else rounded to 2 MiB). A request takes the
/// smallest cached block of its stream and pool that fits (best fit), splitting off the rest when it is at least 512
/// bytes (small pool) or more than 1 MiB (large pool); a freed block merges with free neighbours of its segment.
/// When the device is out of memory, every cached segment is given back and the request retried once; a second
/// failure throws a <see cref="CudaException"/> with the statistics. <see cref="EmptyCache"/> gives back every
/// segment no tensor uses. Thread-safe.
/// </summary>
public sealed class CachingAllocator
{
    /// <summary>The rounding of every request.</summary>
    public const long MinBlockSize = 512;

    /// <summary>The largest request served by the small pool.</summary>
    public const long SmallSize = 1 << 20;

    /// <summary>The segment size of the small pool.</summary>
    public const long SmallBuffer = 2 << 20;

    /// <summary>Large requests under this size share a <see cref="LargeBuffer"/> segment.</summary>
    public const long MinLargeAlloc = 10 << 20;

    /// <summary>The segment size for large requests under <see cref="MinLargeAlloc"/>.</summary>
    public const long LargeBuffer = 20 << 20;

    /// <summary>Larger segments are rounded to a multiple of this.</summary>
    public const long RoundLarge = 2 << 20;

    private readonly IDeviceMemory memory;
    private readonly Lock gate = new();
    private readonly SortedSet<MemoryBlock> smallPool = new(BlockOrder.Instance), largePool = new(BlockOrder.Instance);
    private readonly Dictionary<ulong, MemoryBlock> segments = [];
    private long allocated, peakAllocated, reserved, peakReserved, allocations, cacheHits, frees, segmentsAllocated, segmentsFreed, oomRetries;

    /// <summary>Creates an allocator over <paramref name="memory"/>.</summary>
    public CachingAllocator(IDeviceMemory memory) => this.memory = memory ?? throw new ArgumentNullException(nameof(memory));

    /// <summary>A request's size as the allocator serves it: at least 512 bytes, a multiple of 512.</summary>
    public static long RoundSize(long bytes) => bytes < MinBlockSize ? MinBlockSize : (bytes + MinBlockSize - 1) / MinBlockSize * MinBlockSize;

    /// <summary>The segment size taken from the device for a (rounded) request.</summary>
    public static long SegmentSize(long rounded) =>
        rounded <= SmallSize ? SmallBuffer : rounded < MinLargeAlloc ? LargeBuffer : (rounded + RoundLarge - 1) / RoundLarge * RoundLarge;

    /// <summary>The counters now.</summary>
    public AllocatorStats Stats
    {
        get
        {
            lock (gate) return new(allocated, peakAllocated, reserved, peakReserved, allocations, cacheHits, frees, segmentsAllocated, segmentsFreed, oomRetries);
        }
    }

    /// <summary>Resets the peaks to the current values (as torch.cuda.reset_peak_memory_stats).</summary>
    public void ResetPeaks()
    {
        lock (gate) (peakAllocated, peakReserved) = (allocated, reserved);
    }

    /// <summary>A block of at least <paramref name="bytes"/> for work on <paramref name="stream"/>.</summary>
    public MemoryBlock Allocate(long bytes, IntPtr stream = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long size = RoundSize(bytes);
        bool small = size <= SmallSize;
        lock (gate)
        {
            allocations++;
            var pool = small ? smallPool : largePool;
            var block = BestFit(pool, stream, size);
            if (block is not null)
            {
                pool.Remove(block);
                cacheHits++;
            }
            else block = NewSegment(bytes, size, small, stream);
            Split(block, size, pool);
            block.IsAllocated = true;
            block.Requested = bytes;
            allocated += block.Size;
            peakAllocated = Math.Max(peakAllocated, allocated);
            return block;
        }
    }

    /// <summary>Returns <paramref name="block"/> to the cache (merged with free neighbours). Freeing twice throws.</summary>
    public void Free(MemoryBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        lock (gate)
        {
            if (!block.IsAllocated) throw new InvalidOperationException($"CachingAllocator.Free: the block at 0x{block.Address:x} ({CudaException.Bytes(block.Size)}) on {memory.DeviceName} was already freed.");
            block.IsAllocated = false;
            allocated -= block.Size;
            frees++;
            var pool = block.Small ? smallPool : largePool;
            block = Merge(block, block.Prev, pool);
            block = Merge(block, block.Next, pool);
            pool.Add(block);
        }
    }

    /// <summary>Gives every cached segment that no tensor uses back to the device; returns the bytes released.</summary>
    public long EmptyCache()
    {
        lock (gate) return ReleaseCached();
    }

    private long ReleaseCached()
    {
        long released = 0;
        foreach (var pool in (SortedSet<MemoryBlock>[])[smallPool, largePool])
            foreach (var b in pool.Where(b => b.Prev is null && b.Next is null).ToList())
            {
                pool.Remove(b);
                segments.Remove(b.Address);
                memory.Free(b.Address);
                reserved -= b.Size;
                released += b.Size;
                segmentsFreed++;
            }
        return released;
    }

    private static MemoryBlock? BestFit(SortedSet<MemoryBlock> pool, IntPtr stream, long size)
    {
        var lower = new MemoryBlock(0, size, 0, stream, false);
        var upper = new MemoryBlock(ulong.MaxValue, long.MaxValue, 0, stream, false);
        if (BlockOrder.Instance.Compare(lower, upper) > 0) return null;
        foreach (var b in pool.GetViewBetween(lower, upper)) return b;
        return null;
    }

    private MemoryBlock NewSegment(long requested, long size, bool small, IntPtr stream)
    {
        long segment = SegmentSize(size);
        if (!memory.TryAllocate(segment, out ulong address))
        {
            // As PyTorch: give back what the cache holds and try once more before failing.
            oomRetries++;
            ReleaseCached();
            if (!memory.TryAllocate(segment, out address))
                throw new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory",
                    $"allocating {CudaException.Bytes(segment)} on {memory.DeviceName} for a request of {CudaException.Bytes(requested)}, after giving back the cache ({Stats})");
        }
        reserved += segment;
        peakReserved = Math.Max(peakReserved, reserved);
        segmentsAllocated++;
        var block = new MemoryBlock(address, segment, address, stream, small);
        segments[address] = block;
        return block;
    }

    // Splits the tail off a block bigger than the request when the tail is worth keeping.
    private static void Split(MemoryBlock block, long size, SortedSet<MemoryBlock> pool)
    {
        long rest = block.Size - size;
        bool worth = block.Small ? rest >= MinBlockSize : rest > SmallSize;
        if (!worth) return;
        var tail = new MemoryBlock(block.Address + (ulong)size, rest, block.Segment, block.Stream, block.Small) { Prev = block, Next = block.Next };
        if (block.Next is not null) block.Next.Prev = tail;
        block.Next = tail;
        block.Size = size;
        pool.Add(tail);
    }

    // Merges a free neighbour into the block being freed; returns the merged block.
    private static MemoryBlock Merge(MemoryBlock block, MemoryBlock? neighbour, SortedSet<MemoryBlock> pool)
    {
        if (neighbour is null || neighbour.IsAllocated) return block;
        pool.Remove(neighbour);
        var (first, second) = neighbour.Address < block.Address ? (neighbour, block) : (block, neighbour);
        first.Size += second.Size;
        first.Next = second.Next;
        if (second.Next is not null) second.Next.Prev = first;
        return first;
    }

    /// <summary>
    /// Checks the bookkeeping (for tests): every segment's blocks tile it without gaps or overlaps, no two free blocks are
    /// neighbours, every free block is in its pool and nothing else is, and the counters equal the blocks' sums.
    /// </summary>
    internal void CheckInvariants()
    {
        lock (gate)
        {
            long alloc = 0, res = 0;
            int free = 0;
            foreach (var (address, head) in segments)
            {
                if (head.Prev is not null || head.Address != address) throw new InvalidOperationException($"segment 0x{address:x}: its first block is not at its start");
                ulong at = address;
                long size = 0;
                for (var b = head; b is not null; b = b.Next)
                {
                    if (b.Address != at) throw new InvalidOperationException($"segment 0x{address:x}: gap or overlap at 0x{b.Address:x} (expected 0x{at:x})");
                    if (b.Segment != address) throw new InvalidOperationException($"block 0x{b.Address:x}: wrong segment");
                    if (b.Next is not null && b.Next.Prev != b) throw new InvalidOperationException($"block 0x{b.Address:x}: broken links");
                    if (!b.IsAllocated && b.Next is { IsAllocated: false }) throw new InvalidOperationException($"block 0x{b.Address:x}: two free neighbours not merged");
                    var pool = b.Small ? smallPool : largePool;
                    if (b.IsAllocated == pool.Contains(b)) throw new InvalidOperationException($"block 0x{b.Address:x}: pool membership wrong");
                    if (b.IsAllocated) alloc += b.Size;
                    else free++;
                    at += (ulong)b.Size;
                    size += b.Size;
                }
                res += size;
            }
            if (alloc != allocated || res != reserved || free != smallPool.Count + largePool.Count)
                throw new InvalidOperationException($"counters: allocated {allocated} vs blocks {alloc}, reserved {reserved} vs segments {res}, free blocks {free} vs pools {smallPool.Count + largePool.Count}");
        }
    }

    /// <summary>Free blocks ordered by stream, then size, then address: best fit is the first at or above (stream, size).</summary>
    private sealed class BlockOrder : IComparer<MemoryBlock>
    {
        public static readonly BlockOrder Instance = new();

        public int Compare(MemoryBlock? x, MemoryBlock? y)
        {
            int c = x!.Stream.CompareTo(y!.Stream);
            if (c != 0) return c;
            c = x.Size.CompareTo(y.Size);
            return c != 0 ? c : x.Address.CompareTo(y.Address);
        }
    }
}
