using Axon.Cuda.Runtime;

namespace Axon.Cuda.Tests;

/// <summary>A fake device: hands out disjoint address ranges, counts calls, and can be told to run out of memory.</summary>
internal sealed class FakeDeviceMemory(long capacity = long.MaxValue) : IDeviceMemory
{
    private ulong next = 0x1000_0000;
    public readonly Dictionary<ulong, long> Live = [];
    public int Mallocs, Frees;

    public string DeviceName => "cuda:9";
    public long Used => Live.Values.Sum();

    public bool TryAllocate(long bytes, out ulong address)
    {
        address = 0;
        if (Used + bytes > capacity) return false;
        address = next;
        next += (ulong)bytes + 0x10000;   // a gap, so a merge across segments would show
        Live[address] = bytes;
        Mallocs++;
        return true;
    }

    public void Free(ulong address)
    {
        Assert.True(Live.Remove(address), $"free of unknown segment 0x{address:x}");
        Frees++;
    }
}

public class CachingAllocatorTests
{
    [Fact]
    public void RoundsTo512AndPicksSegmentSizes()
    {
        Assert.Equal(512, CachingAllocator.RoundSize(0));
        Assert.Equal(512, CachingAllocator.RoundSize(1));
        Assert.Equal(1024, CachingAllocator.RoundSize(513));
        Assert.Equal(2L << 20, CachingAllocator.SegmentSize(512));
        Assert.Equal(2L << 20, CachingAllocator.SegmentSize(1 << 20));
        Assert.Equal(20L << 20, CachingAllocator.SegmentSize((1 << 20) + 512));
        Assert.Equal(12L << 20, CachingAllocator.SegmentSize((11L << 20) + 1));
    }

    [Fact]
    public void SmallBlocksAreCarvedFromOneSegmentAndReused()
    {
        var mem = new FakeDeviceMemory();
        var a = new CachingAllocator(mem);
        var b1 = a.Allocate(1000);
        var b2 = a.Allocate(3000);
        Assert.Equal(1, mem.Mallocs);
        Assert.Equal(1024, b1.Size);
        Assert.Equal(3072, b2.Size);
        Assert.Equal(b1.Address + 1024, b2.Address);   // split from the same segment, back to back
        a.Free(b1);
        var b3 = a.Allocate(700);                      // best fit: the freed 1024-byte block, not the big tail
        Assert.Equal(b1.Address, b3.Address);
        Assert.Equal(1, mem.Mallocs);
        var s = a.Stats;
        Assert.Equal(3, s.Allocations);
        Assert.Equal(2, s.CacheHits);                  // b2 from the tail of b1's segment, b3 from b1
        Assert.Equal(1024 + 3072, s.AllocatedBytes);
        Assert.Equal(2L << 20, s.ReservedBytes);
        a.CheckInvariants();
    }

    [Fact]
    public void FreedNeighboursCoalesceAndEmptyCacheReturnsTheSegment()
    {
        var mem = new FakeDeviceMemory();
        var a = new CachingAllocator(mem);
        var x = a.Allocate(4096);
        var y = a.Allocate(4096);
        var z = a.Allocate(4096);
        a.Free(x);
        a.Free(z);
        a.CheckInvariants();
        Assert.Equal(0, a.EmptyCache());               // y still pins the segment
        a.Free(y);                                     // merges with x before and z (and the tail) after
        a.CheckInvariants();
        var whole = a.Allocate(2L << 20 >> 1);         // 1 MiB fits only in the merged segment
        Assert.Equal(x.Address, whole.Address);
        a.Free(whole);
        Assert.Equal(2L << 20, a.EmptyCache());
        Assert.Empty(mem.Live);
        Assert.Equal(0, a.Stats.ReservedBytes);
        Assert.Equal(1, a.Stats.SegmentsFreed);
        a.CheckInvariants();
    }

    [Fact]
    public void LargeRequestsSplitOnlyWhenTheRestExceedsOneMiB()
    {
        var mem = new FakeDeviceMemory();
        var a = new CachingAllocator(mem);
        var big = a.Allocate(19L << 20);               // a 20 MiB segment, 1 MiB left: not split (needs > 1 MiB)
        Assert.Equal(20L << 20, big.Size);
        a.Free(big);
        var small = a.Allocate(4L << 20);              // reuses the 20 MiB segment, 16 MiB split off
        Assert.Equal(big.Address, small.Address);
        Assert.Equal(4L << 20, small.Size);
        Assert.Equal(1, mem.Mallocs);
        a.CheckInvariants();
    }

    [Fact]
    public void PeaksTrackTheHighWaterMark()
    {
        var a = new CachingAllocator(new FakeDeviceMemory());
        var b1 = a.Allocate(30L << 20);
        var b2 = a.Allocate(30L << 20);
        a.Free(b1);
        a.Free(b2);
        var s = a.Stats;
        Assert.Equal(0, s.AllocatedBytes);
        Assert.Equal(60L << 20, s.PeakAllocatedBytes);
        Assert.Equal(60L << 20, s.PeakReservedBytes);
        Assert.Equal(60L << 20, s.CachedFreeBytes);
        a.ResetPeaks();
        Assert.Equal(0, a.Stats.PeakAllocatedBytes);
    }

    [Fact]
    public void StreamsDoNotShareFreedBlocks()
    {
        var mem = new FakeDeviceMemory();
        var a = new CachingAllocator(mem);
        var b = a.Allocate(2048, stream: 1);
        a.Free(b);
        var c = a.Allocate(2048, stream: 2);
        Assert.NotEqual(b.Segment, c.Segment);
        Assert.Equal(2, mem.Mallocs);
        a.CheckInvariants();
    }

    [Fact]
    public void OutOfMemoryFreesTheCacheAndRetriesOnce()
    {
        var mem = new FakeDeviceMemory(capacity: 40L << 20);
        var a = new CachingAllocator(mem);
        var b = a.Allocate(30L << 20);
        a.Free(b);                                     // 30 MiB cached
        var c = a.Allocate(36L << 20);                 // does not fit beside the cache: cache released, retried
        Assert.Equal(36L << 20, c.Size);
        Assert.Equal(1, a.Stats.OutOfMemoryRetries);
        Assert.Single(mem.Live);
        var e = Assert.Throws<CudaException>(() => a.Allocate(8L << 20));
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.CodeName);
        Assert.StartsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory) allocating 20.00 MiB on cuda:9 for a request of 8.00 MiB", e.Message);
        Assert.Contains("allocated 36.00 MiB", e.Message);
        a.CheckInvariants();
    }

    [Fact]
    public void DoubleFreeIsAnError()
    {
        var a = new CachingAllocator(new FakeDeviceMemory());
        var b = a.Allocate(100);
        a.Free(b);
        var e = Assert.Throws<InvalidOperationException>(() => a.Free(b));
        Assert.Contains("already freed", e.Message);
    }

    [Fact]
    public void RandomSequencesKeepEveryInvariant()
    {
        var rng = new Random(1234);
        var mem = new FakeDeviceMemory();
        var a = new CachingAllocator(mem);
        var live = new List<MemoryBlock>();
        for (int step = 0; step < 3000; step++)
        {
            if (live.Count > 0 && rng.NextDouble() < 0.45)
            {
                int i = rng.Next(live.Count);
                a.Free(live[i]);
                live.RemoveAt(i);
            }
            else
            {
                long size = rng.Next(4) switch { 0 => rng.Next(1, 600), 1 => rng.Next(1, 1 << 20), 2 => rng.Next(1 << 20, 12 << 20), _ => rng.Next(1, 40 << 20) };
                var b = a.Allocate(size, stream: rng.Next(2));
                Assert.True(b.Size >= size && b.Size % 512 == 0);
                live.Add(b);
            }
            if (step % 500 == 0) a.EmptyCache();
            if (step % 50 == 0) a.CheckInvariants();
        }
        // No two live blocks overlap, and each lies inside a live segment.
        var sorted = live.OrderBy(b => b.Address).ToList();
        for (int i = 1; i < sorted.Count; i++) Assert.True(sorted[i - 1].Address + (ulong)sorted[i - 1].Size <= sorted[i].Address);
        foreach (var b in live)
            Assert.True(mem.Live.TryGetValue(b.Segment, out long seg) && b.Address + (ulong)b.Size <= b.Segment + (ulong)seg);
        Assert.Equal(live.Sum(b => b.Size), a.Stats.AllocatedBytes);
        Assert.Equal(mem.Used, a.Stats.ReservedBytes);
        foreach (var b in live) a.Free(b);
        a.EmptyCache();
        Assert.Empty(mem.Live);
        a.CheckInvariants();
    }
}
