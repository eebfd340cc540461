using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;

namespace Axon.Distributed;

/// <summary>How <see cref="ProcessGroup.AllReduce{T}(T[], ReduceOp)"/> combines the ranks' values.</summary>
public enum ReduceOp
{
    /// <summary>The sum over the ranks.</summary>
    Sum,

    /// <summary>The sum over the ranks divided by their number (what gradients of a data-parallel step need).</summary>
    Average,
}

/// <summary>
/// The processes that train together (PyTorch's process group): each has a <see cref="Rank"/> in [0, <see cref="Size"/>)
/// and they exchange arrays through collectives — barrier, broadcast, all-reduce (blocking or not), all-gather. Every
/// rank must call the same collectives in the same order.
/// <para>
/// <b>One communication thread.</b> Every collective, blocking or not, is queued to one thread of the group and run there
/// in the order it was issued: a non-blocking all-reduce started during the backward pass proceeds while the backward
/// continues, and the order on the wire is the order of the calls, on every rank. A blocking call is a queued one
/// followed by <see cref="CollectiveWork.Wait"/>. Issue the collectives of one group from one thread at a time.
/// </para>
/// <para>
/// <b>Deterministic all-reduce.</b> MPI does not promise that <c>MPI_Allreduce</c> adds the ranks' values in the same
/// order on every rank, nor the same order from one run to the next (the algorithm depends on the message size and the
/// topology). Here the buffer is cut into one chunk per rank; an all-to-all sends chunk r of every rank to rank r, which
/// adds them in rank order 0, 1, ..., N − 1 (and divides by N for an average); an all-gather hands every rank all the
/// chunks. Each element is thus computed once, by one rank, in a fixed order: the result is bit-identical on every rank,
/// the same in every run with the same ranks and inputs, and independent of the MPI library. It moves as many bytes as
/// a ring all-reduce (2 (N − 1)/N of the buffer per rank).
/// </para>
/// </summary>
public abstract partial class ProcessGroup : IDisposable
{
    private readonly BlockingCollection<CollectiveWork> queue = [];
    private readonly Thread worker;
    private readonly Dictionary<Type, object> scratch = [];
    private long issued;
    private volatile Exception? broken;
    private bool disposed;

    /// <summary>Starts the communication thread.</summary>
    /// <param name="timeout">How long a collective may take before <see cref="CollectiveWork.Wait"/> gives up (<see cref="Timeout"/>).</param>
    protected ProcessGroup(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The collective timeout must be positive.");
        Timeout = timeout;
        worker = new Thread(Loop) { IsBackground = true, Name = "axon-collectives" };
        worker.Start();
    }

    /// <summary>This process's rank, in [0, <see cref="Size"/>).</summary>
    public abstract int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public abstract int Size { get; }

    /// <summary>True on rank 0, the one that writes files and prints progress.</summary>
    public bool IsPrimary => Rank == 0;

    /// <summary>
    /// How long a collective may take: past it, <see cref="CollectiveWork.Wait"/> throws a
    /// <see cref="CollectiveTimeoutException"/> instead of waiting forever for a rank that died or hangs.
    /// </summary>
    public TimeSpan Timeout { get; }

    /// <summary>What the group is, for messages (e.g. "Open MPI v4.1.4, rank 0 of 2").</summary>
    public abstract string Description { get; }

    /// <summary>Blocks until every rank has called it.</summary>
    public void Barrier() => Enqueue("Barrier", BarrierCore).Wait();

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="buffer"/> into every rank's (same length everywhere).</summary>
    public void Broadcast<T>(T[] buffer, int root = 0) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer);
        BroadcastAsync(buffer, 0, buffer.Length, root).Wait();
    }

    /// <summary>Starts a broadcast of <paramref name="count"/> elements of <paramref name="buffer"/> from <paramref name="offset"/>; leave the buffer alone until the work is waited for.</summary>
    public CollectiveWork BroadcastAsync<T>(T[] buffer, int offset, int count, int root = 0) where T : unmanaged
    {
        CheckRange(buffer, offset, count, "Broadcast");
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"Broadcast: the root must be a rank in [0, {Size}).");
        return Enqueue($"Broadcast of {Count(count)} {typeof(T).Name} from rank {root}", () => BroadcastCore(buffer, offset, count, root));
    }

    /// <summary>Replaces every rank's <paramref name="buffer"/> by the element-wise sum (or average) over the ranks, the same bits on every rank.</summary>
    public void AllReduce<T>(T[] buffer, ReduceOp op = ReduceOp.Sum) where T : unmanaged, INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(buffer);
        AllReduceAsync(buffer, 0, buffer.Length, op).Wait();
    }

    /// <summary>
    /// Starts an all-reduce of <paramref name="count"/> elements of <paramref name="buffer"/> from <paramref name="offset"/>
    /// (in place; the deterministic algorithm of the class summary); leave the buffer alone until the work is waited for.
    /// </summary>
    public CollectiveWork AllReduceAsync<T>(T[] buffer, int offset, int count, ReduceOp op = ReduceOp.Sum) where T : unmanaged, INumberBase<T>
    {
        CheckRange(buffer, offset, count, "AllReduce");
        return Enqueue($"AllReduce ({op}) of {Count(count)} {typeof(T).Name}", () => AllReduceFixedOrder(buffer, offset, count, op));
    }

    /// <summary>Every rank's <paramref name="values"/> (the same length on every rank), concatenated in rank order.</summary>
    public T[] AllGather<T>(T[] values) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new T[values.Length * Size];
        Enqueue($"AllGather of {Count(values.Length)} {typeof(T).Name}", () => AllGatherCore(values, 0, values.Length, result)).Wait();
        return result;
    }

    /// <summary>
    /// Ends the whole job after an unrecoverable error (MPI_Abort for MPI: every rank is killed, so none waits forever).
    /// Called by the owner of the process, e.g. the command line after a <see cref="DistributedException"/>.
    /// </summary>
    public abstract void Abort(int exitCode);

    /// <summary>The barrier, on the communication thread.</summary>
    protected abstract void BarrierCore();

    /// <summary>The broadcast, on the communication thread.</summary>
    protected abstract void BroadcastCore<T>(T[] buffer, int offset, int count, int root) where T : unmanaged;

    /// <summary>Gathers <paramref name="count"/> elements of every rank's <paramref name="send"/> into <paramref name="receive"/> (rank r's at r × count), on the communication thread.</summary>
    protected abstract void AllGatherCore<T>(T[] send, int offset, int count, T[] receive) where T : unmanaged;

    /// <summary>Sends block r (<paramref name="countPerRank"/> elements at r × count) of <paramref name="send"/> to rank r, which stores it as its block of <paramref name="receive"/> at (this rank) × count; on the communication thread.</summary>
    protected abstract void AllToAllCore<T>(T[] send, T[] receive, int countPerRank) where T : unmanaged;

    /// <summary>Runs <paramref name="body"/> on the communication thread before any collective (MPI's initialisation must happen there).</summary>
    protected void RunOnCommunicationThread(string what, Action body) => Enqueue(what, body).Wait();

    /// <summary>Queues a collective; the returned work completes when the communication thread has run it.</summary>
    private CollectiveWork Enqueue(string what, Action body)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (broken is { } e) throw new DistributedException($"{Describe()}: the process group failed earlier ({e.Message}); no further collective can run.", e);
        var work = new CollectiveWork(this, Interlocked.Increment(ref issued), what, body);
        queue.Add(work);
        return work;
    }

    private void Loop()
    {
        foreach (var work in queue.GetConsumingEnumerable())
        {
            if (broken is { } e) { work.Fail(e); continue; }
            try { work.Run(); }
            catch (Exception error)
            {
                broken ??= error;
                work.Fail(error);
            }
        }
    }

    /// <summary>Called by <see cref="CollectiveWork.Wait"/> when a collective has not finished in time: the group is broken from now on.</summary>
    internal CollectiveTimeoutException TimedOut(CollectiveWork work)
    {
        var error = new CollectiveTimeoutException(string.Create(CultureInfo.InvariantCulture,
            $"{Describe()}: collective #{work.Sequence} ({work.What}) did not finish within {Timeout.TotalSeconds:G4} s. Another rank has probably died, hangs, or called the collectives in another order; stopping instead of waiting forever."));
        broken ??= error;
        return error;
    }

    /// <summary>
    /// Disposal of a group that failed: the other ranks can no longer be met, so end what waits on them (MPI: abort the
    /// job, which ends every rank; in-process: wake the other ranks with an error). Nothing by default.
    /// </summary>
    protected virtual void Abandon() { }

    /// <summary>True once a collective has failed or timed out.</summary>
    public bool IsBroken => broken is not null;

    /// <summary>"rank R of N" and the implementation, for messages.</summary>
    protected string Describe() => string.Create(CultureInfo.InvariantCulture, $"rank {Rank} of {Size}");

    private static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static void CheckRange<T>(T[] buffer, int offset, int count, string op)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || count < 0 || offset > buffer.Length - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"{op}: {count} elements from offset {offset} do not fit a buffer of {buffer.Length}.");
    }

    /// <summary>
    /// Finishes the queued collectives, then shuts the group down (<see cref="Shutdown"/>, MPI_Finalize for MPI); after a
    /// failure or a timeout, abandons it instead (MPI: aborts the job), since the other ranks can no longer be met.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        if (broken is null)
        {
            try { Enqueue("Shutdown", Shutdown).Wait(); }
            catch (DistributedException) { }  // broken while shutting down: fall through to the abort below
        }
        disposed = true;
        queue.CompleteAdding();
        if (broken is not null) Abandon();
        else worker.Join();
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Leaves the group cleanly, on the communication thread (MPI_Finalize). Nothing by default.</summary>
    protected virtual void Shutdown() { }

    /// <summary>Releases what the derived group holds.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <summary>Per element type, the arrays the all-reduce works in (used only on the communication thread).</summary>
    private T[] Scratch<T>(int slot, int length)
    {
        var key = typeof(T);
        if (!scratch.TryGetValue(key, out var boxed)) scratch[key] = boxed = new T[3][];
        var arrays = (T[][])boxed;
        if (arrays[slot] is null || arrays[slot].Length < length) arrays[slot] = new T[length];
        return arrays[slot];
    }
}
