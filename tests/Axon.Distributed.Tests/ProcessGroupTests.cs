using System.Diagnostics;

namespace Axon.Distributed.Tests;

/// <summary>The collectives of the in-process group, which shares the deterministic all-reduce with the MPI group.</summary>
public class ProcessGroupTests
{
    [Fact]
    public void AllReduceAddsInRankOrderAndGivesEveryRankTheSameBits()
    {
        // Float sums that depend on the order: left to right (rank 0, 1, 2) the first two are 0, in other orders 1.
        float[][] inputs = [[1e8f, 1f, 5f, 0.1f, 3f], [1f, -1e8f, 6f, 0.2f, 4f], [-1e8f, 1e8f, 7f, 0.3f, 5f]];
        var results = InProcessGroup.Run(3, g =>
        {
            var sum = (float[])inputs[g.Rank].Clone();
            g.AllReduce(sum);
            var mean = (float[])inputs[g.Rank].Clone();
            g.AllReduce(mean, ReduceOp.Average);
            return (sum, mean);
        });
        var expected = new float[5];
        for (int i = 0; i < 5; i++) expected[i] = inputs[0][i] + inputs[1][i] + inputs[2][i];
        Assert.Equal([0f, 0f, 18f], expected[..3]);
        Assert.Equal(1f, inputs[0][0] + inputs[2][0] + inputs[1][0]);   // another order gives another sum
        foreach (var (sum, mean) in results)
        {
            Assert.Equal(expected, sum);
            Assert.Equal(expected.Select(v => v / 3).ToArray(), mean);
        }
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(3, 7)]
    [InlineData(4, 1001)]
    public void AllReduceOfAnySliceLeavesTheRestOfTheBufferAlone(int size, int count)
    {
        var results = InProcessGroup.Run(size, g =>
        {
            var buffer = Enumerable.Range(0, count + 5).Select(i => (double)(i * 10 + g.Rank)).ToArray();
            g.AllReduceAsync(buffer, 2, count).Wait();
            return buffer;
        });
        for (int r = 0; r < size; r++)
            for (int i = 0; i < count + 5; i++)
            {
                bool reduced = i >= 2 && i < 2 + count;
                double want = reduced ? size * (i * 10.0) + size * (size - 1) / 2.0 : i * 10 + r;
                Assert.Equal(want, results[r][i]);
            }
    }

    [Fact]
    public void IntegerSumsBroadcastAllGatherAndBarrier()
    {
        var results = InProcessGroup.Run(3, g =>
        {
            var counts = new long[] { g.Rank + 1, 10L * g.Rank };
            g.AllReduce(counts);
            var fromOne = g.Rank == 1 ? new[] { 7, 8, 9 } : new int[3];
            g.Broadcast(fromOne, root: 1);
            g.Barrier();
            var gathered = g.AllGather(new[] { (float)g.Rank, -g.Rank });
            return (counts, fromOne, gathered);
        });
        foreach (var (counts, fromOne, gathered) in results)
        {
            Assert.Equal([6L, 30L], counts);
            Assert.Equal([7, 8, 9], fromOne);
            Assert.Equal([0f, -0f, 1f, -1f, 2f, -2f], gathered);
        }
    }

    [Fact]
    public void NonBlockingReductionsRunInTheOrderTheyWereIssued()
    {
        var results = InProcessGroup.Run(2, g =>
        {
            var buffers = Enumerable.Range(0, 8).Select(k => new float[] { k + g.Rank }).ToArray();
            var works = buffers.Select(b => g.AllReduceAsync(b, 0, 1)).ToArray();
            foreach (var w in works.Reverse()) w.Wait();
            Assert.All(works, w => Assert.True(w.IsCompleted && w.StartedAt > 0 && w.FinishedAt >= w.StartedAt));
            for (int k = 1; k < works.Length; k++)
            {
                Assert.Equal(works[k - 1].Sequence + 1, works[k].Sequence);
                Assert.True(works[k].StartedAt >= works[k - 1].FinishedAt);   // one communication thread, in issue order
            }
            return buffers.Select(b => b[0]).ToArray();
        });
        Assert.All(results, r => Assert.Equal(Enumerable.Range(0, 8).Select(k => 2f * k + 1).ToArray(), r));
    }

    [Fact]
    public void OneRankIsItsOwnGroup()
    {
        var result = InProcessGroup.Run(1, g =>
        {
            var x = new[] { 1.5f, -2f };
            g.AllReduce(x, ReduceOp.Average);
            g.Broadcast(x);
            return (x, g.AllGather(x), g.IsPrimary);
        })[0];
        Assert.Equal([1.5f, -2f], result.x);
        Assert.Equal([1.5f, -2f], result.Item2);
        Assert.True(result.IsPrimary);
    }

    [Fact]
    public void ARankThatThrowsStopsTheOthersAtOnceWithItsName()
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(3, g =>
        {
            if (g.Rank == 2) throw new InvalidOperationException("out of memory on rank 2");
            g.AllReduce(new float[4]);   // ranks 0 and 1 wait here for rank 2
        }, TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(3, e.InnerExceptions.Count);
        Assert.IsType<InvalidOperationException>(e.InnerExceptions[0]);
        foreach (var other in e.InnerExceptions.Skip(1))
        {
            var d = Assert.IsType<DistributedException>(other);
            Assert.Contains("rank 2 failed", d.Message);
            Assert.Contains("out of memory on rank 2", d.Message);
        }
    }

    [Fact]
    public void ARankThatHangsMakesTheOthersTimeOutWithAClearError()
    {
        using var release = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            if (g.Rank == 1) { release.Wait(TimeSpan.FromSeconds(20)); return; }   // never joins the collective
            try { g.AllReduce(new float[3]); }
            finally { release.Set(); }
        }, TimeSpan.FromSeconds(1)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var timeout = Assert.IsType<CollectiveTimeoutException>(Assert.Single(e.InnerExceptions));
        Assert.Contains("rank 0 of 2: collective #1 (AllReduce (Sum) of 3 Single) did not finish within 1 s", timeout.Message);
        Assert.Contains("Another rank has probably died", timeout.Message);
    }

    [Fact]
    public void ABrokenGroupRefusesFurtherCollectivesAndBadArgumentsAreNamed()
    {
        var groups = InProcessGroup.Create(2, TimeSpan.FromMilliseconds(200));
        try
        {
            Assert.Throws<CollectiveTimeoutException>(() => groups[0].Barrier());   // rank 1 never comes
            Assert.True(groups[0].IsBroken);
            var again = Assert.Throws<DistributedException>(() => groups[0].AllReduce(new float[1]));
            Assert.Contains("failed earlier", again.Message);
            var range = Assert.Throws<ArgumentOutOfRangeException>(() => groups[1].AllReduceAsync(new float[4], 2, 3));
            Assert.Contains("AllReduce: 3 elements from offset 2 do not fit a buffer of 4", range.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => groups[1].Broadcast(new float[1], root: 2));
        }
        finally
        {
            foreach (var g in groups) g.Dispose();
        }
    }
}
