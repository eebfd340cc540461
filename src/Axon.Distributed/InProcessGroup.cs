using System.Globalization;

namespace Axon.Distributed;

/// <summary>
/// A process group whose ranks are threads of this process (PyTorch's "threads as ranks" test trick): the same
/// collectives and the same deterministic all-reduce as the MPI group, without MPI, for fast unit tests of everything
/// built on a group. <see cref="Run"/> runs one function per rank on its own thread:
/// <code>
/// var sums = InProcessGroup.Run(2, g => { var x = new float[] { g.Rank + 1 }; g.AllReduce(x); return x[0]; });   // [3, 3]
/// </code>
/// A rank whose function throws fails the group: the others' collectives throw a <see cref="DistributedException"/>
/// naming it at once; a rank that stops calling collectives makes the others' time out.
/// </summary>
public sealed class InProcessGroup : ProcessGroup
{
    private readonly Hub hub;
    private readonly int rank;

    private InProcessGroup(Hub hub, int rank, TimeSpan timeout) : base(timeout)
    {
        this.hub = hub;
        this.rank = rank;
    }

    /// <summary>The default collective timeout of in-process groups: long enough for a slow test machine, short enough to fail a test.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Creates the <paramref name="size"/> ranks of one group (use each from its own thread).</summary>
    public static InProcessGroup[] Create(int size, TimeSpan? timeout = null)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "A process group needs at least one rank.");
        var hub = new Hub(size);
        var groups = new InProcessGroup[size];
        for (int r = 0; r < size; r++) groups[r] = new InProcessGroup(hub, r, timeout ?? DefaultTimeout);
        return groups;
    }

    /// <summary>Runs <paramref name="body"/> once per rank, each on its own thread with its rank's group, and disposes the groups.</summary>
    /// <exception cref="AggregateException">Some rank threw: the exceptions, the first rank to fail first.</exception>
    public static void Run(int size, Action<ProcessGroup> body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run(size, g => { body(g); return 0; }, timeout);
    }

    /// <summary>Runs <paramref name="body"/> once per rank, each on its own thread, and returns the results in rank order.</summary>
    /// <exception cref="AggregateException">Some rank threw: the exceptions, the first rank to fail first.</exception>
    public static TResult[] Run<TResult>(int size, Func<ProcessGroup, TResult> body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var groups = Create(size, timeout);
        var results = new TResult[size];
        var failures = new List<Exception>();
        var threads = new Thread[size];
        for (int r = 0; r < size; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                var group = groups[rank];
                try { results[rank] = body(group); }
                catch (Exception e)
                {
                    lock (failures) failures.Add(e);
                    group.hub.Fail(rank, e);
                }
                finally { group.Dispose(); }
            })
            { Name = $"axon-rank-{rank}", IsBackground = true };
        }
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} of {size} ranks failed; the first: {failures[0].Message}", failures);
        return results;
    }

    /// <inheritdoc/>
    public override int Rank => rank;

    /// <inheritdoc/>
    public override int Size => hub.Size;

    /// <inheritdoc/>
    public override string Description => string.Create(CultureInfo.InvariantCulture, $"in-process group, rank {rank} of {hub.Size}");

    /// <summary>Fails the group for every rank (the in-process stand-in for MPI_Abort, which would end the process).</summary>
    public override void Abort(int exitCode) => hub.Fail(rank, new DistributedException(string.Create(CultureInfo.InvariantCulture, $"rank {rank} aborted (exit code {exitCode}).")));

    /// <inheritdoc/>
    protected override void Abandon() => hub.Fail(rank, new DistributedException($"rank {rank} left the group after a failure."));

    /// <inheritdoc/>
    protected override void BarrierCore() => hub.Exchange(rank, null);

    /// <inheritdoc/>
    protected override void BroadcastCore<T>(T[] buffer, int offset, int count, int root)
    {
        var all = hub.Exchange(rank, rank == root ? buffer.AsSpan(offset, count).ToArray() : null);
        if (rank != root) Array.Copy((T[])all[root]!, 0, buffer, offset, count);
    }

    /// <inheritdoc/>
    protected override void AllGatherCore<T>(T[] send, int offset, int count, T[] receive)
    {
        var all = hub.Exchange(rank, send.AsSpan(offset, count).ToArray());
        for (int r = 0; r < all.Length; r++) Array.Copy((T[])all[r]!, 0, receive, r * count, count);
    }

    /// <inheritdoc/>
    protected override void AllToAllCore<T>(T[] send, T[] receive, int countPerRank)
    {
        // Each rank posts a copy, so that a rank that returns first may reuse its arrays while the others still read.
        var all = hub.Exchange(rank, send.AsSpan(0, countPerRank * hub.Size).ToArray());
        for (int r = 0; r < all.Length; r++) Array.Copy((T[])all[r]!, rank * countPerRank, receive, r * countPerRank, countPerRank);
    }

    /// <summary>The meeting point of the ranks: each collective is one generation in which every rank posts a value and all read all of them.</summary>
    private sealed class Hub(int size)
    {
        private readonly object gate = new();
        private readonly object?[] posted = new object?[size];
        private object?[] last = [];
        private int arrived;
        private long generation;
        private Exception? failure;
        private int failedRank = -1;

        public int Size => size;

        public object?[] Exchange(int rank, object? value)
        {
            lock (gate)
            {
                ThrowIfFailed(rank);
                long mine = generation;
                posted[rank] = value;
                if (++arrived == size)
                {
                    last = (object?[])posted.Clone();
                    Array.Clear(posted);
                    arrived = 0;
                    generation++;
                    Monitor.PulseAll(gate);
                    return last;
                }
                // The next generation cannot complete without this rank, so `last` is still this one's when it wakes.
                while (generation == mine)
                {
                    Monitor.Wait(gate);
                    if (generation == mine) ThrowIfFailed(rank);
                }
                return last;
            }
        }

        public void Fail(int rank, Exception error)
        {
            lock (gate)
            {
                if (failure is null) (failure, failedRank) = (error, rank);
                Monitor.PulseAll(gate);
            }
        }

        private void ThrowIfFailed(int rank)
        {
            if (failure is null) return;
            throw rank == failedRank ? new DistributedException($"rank {rank}: the group failed ({failure.Message}).", failure)
                : new DistributedException($"rank {failedRank} failed, so rank {rank} stops: {failure.Message}", failure);
        }
    }
}
