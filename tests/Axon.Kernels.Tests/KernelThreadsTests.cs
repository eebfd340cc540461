using Axon.Kernels;

namespace Axon.Kernels.Tests;

[Collection(KernelGlobalsCollection.Name)]
public sealed class KernelThreadsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void EveryPartitionRunsExactlyOnce(int parts)
    {
        for (int round = 0; round < 20; round++)
        {
            var hits = new int[parts];
            KernelThreads.For(parts, p => Interlocked.Increment(ref hits[p]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void NestedCallsRunSeriallyAndComplete()
    {
        var hits = new int[4 * 3];
        KernelThreads.For(4, outer => KernelThreads.For(3, inner => Interlocked.Increment(ref hits[outer * 3 + inner])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void ExceptionsReachTheCaller()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => KernelThreads.For(8, p =>
        {
            if (p == 5) throw new InvalidOperationException("part 5");
        }));
        Assert.Equal("part 5", ex.Message);
        // The pool is still usable afterwards.
        int sum = 0;
        KernelThreads.For(8, p => Interlocked.Add(ref sum, p));
        Assert.Equal(28, sum);
    }

    [Theory]
    [InlineData(0)] // workers sleep after every region: exercises the wake-up handshake, and the dispatcher taking back
                    // the share of a worker still waking when the (tiny) parts are done
    [InlineData(2)] // polls that sometimes expire between regions
    [InlineData(100)] // the default: workers mostly catch the next region while polling
    public void BackToBackRegionsNeverLoseOrRepeatAPartition(int spinMicroseconds)
    {
        var savedSpin = KernelThreads.IdleSpin;
        try
        {
            KernelThreads.IdleSpin = TimeSpan.FromTicks(spinMicroseconds * TimeSpan.TicksPerMicrosecond);
            var rng = new Random(7);
            var hits = new int[8];
            for (int round = 0; round < 4000; round++)
            {
                // Fewer parts than workers leaves some workers out of a region; they must not run or count it.
                int parts = 1 + rng.Next(hits.Length);
                Array.Clear(hits);
                KernelThreads.For(parts, p => Interlocked.Increment(ref hits[p]));
                for (int p = 0; p < hits.Length; p++) Assert.Equal(p < parts ? 1 : 0, hits[p]);
                if (round % 500 == 0) Thread.Sleep(1); // let every worker fall asleep now and then
            }
        }
        finally
        {
            KernelThreads.IdleSpin = savedSpin;
        }
    }

    [Fact]
    public void IdleSpinRejectsNegativeValues() => Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.IdleSpin = TimeSpan.FromTicks(-1));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(KernelThreads.MaxThreads + 1)]
    public void ThreadBudgetsOutsideTheRangeAreRejected(int threads)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.CheckThreads(threads));
        Assert.Equal(threads, ex.ActualValue);
        Assert.Equal(5, KernelThreads.CheckThreads(5));
    }
}
