using System.Diagnostics;

namespace Axon.Distributed;

/// <summary>
/// A collective queued to a <see cref="ProcessGroup"/>'s communication thread (PyTorch's <c>Work</c>): wait for it before
/// touching its buffer. Its start and finish times (<see cref="Stopwatch"/> timestamps) show how it overlapped the
/// computation.
/// </summary>
public sealed class CollectiveWork
{
    private readonly ProcessGroup group;
    private readonly Action body;
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal CollectiveWork(ProcessGroup group, long sequence, string what, Action body)
    {
        this.group = group;
        this.body = body;
        Sequence = sequence;
        What = what;
        QueuedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>The collective's number in its group, from 1 (the same on every rank for the same collective).</summary>
    public long Sequence { get; }

    /// <summary>What it does, for messages (e.g. "AllReduce (Average) of 1,048,576 Single").</summary>
    public string What { get; }

    /// <summary>When it was queued.</summary>
    public long QueuedAt { get; }

    /// <summary>When the communication thread started it (0 before).</summary>
    public long StartedAt { get; private set; }

    /// <summary>When it finished (0 before).</summary>
    public long FinishedAt { get; private set; }

    /// <summary>True once it has finished, successfully or not.</summary>
    public bool IsCompleted => done.Task.IsCompleted;

    internal void Run()
    {
        StartedAt = Stopwatch.GetTimestamp();
        body();
        FinishedAt = Stopwatch.GetTimestamp();
        done.TrySetResult();
    }

    internal void Fail(Exception error)
    {
        FinishedAt = Stopwatch.GetTimestamp();
        done.TrySetException(error);
    }

    /// <summary>
    /// Blocks until the collective has finished, at most the group's <see cref="ProcessGroup.Timeout"/>.
    /// </summary>
    /// <exception cref="CollectiveTimeoutException">It did not finish in time (a rank died or hangs).</exception>
    /// <exception cref="DistributedException">It failed (the message says why and on which rank).</exception>
    public void Wait()
    {
        bool finished;
        try { finished = done.Task.Wait(group.Timeout); }
        catch (AggregateException e)
        {
            var cause = e.InnerException ?? e;
            if (cause is DistributedException d) throw new DistributedException(d.Message, d);
            throw new DistributedException($"{What} (collective #{Sequence}) failed: {cause.Message}", cause);
        }
        if (!finished) throw group.TimedOut(this);
    }
}
