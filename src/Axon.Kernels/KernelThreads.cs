using System.Runtime.ExceptionServices;

namespace Axon.Kernels;

/// <summary>A unit of partitioned kernel work, run once per partition by <see cref="KernelThreads.For{TBody}(int, ref TBody)"/>.</summary>
public interface IPartitionBody
{
    /// <summary>Runs partition <paramref name="part"/>. Partitions must be independent (write disjoint outputs).</summary>
    void Run(int part);
}

/// <summary>
/// The one place that runs kernel work in parallel. Work is split into fixed partitions that depend only on the
/// problem size and the thread budget the caller passes to the kernel (its <c>threads</c> argument), so a given budget
/// gives bit-identical results: which thread runs a partition never changes what the partition computes. There is no
/// process-wide thread count: the budget belongs to whoever calls the kernel (the CPU backend's options).
/// </summary>
/// <remarks>
/// Uses a small pool of dedicated background threads (created on first use, one fewer than the most partitions
/// asked for at once; the calling thread runs partitions too). A dispatch allocates nothing. Only one parallel
/// region runs at a time: a call made while another is in flight (nested, or from another thread) runs its
/// partitions serially on the caller, which gives the same results.
/// </remarks>
public static class KernelThreads
{
    /// <summary>The most partitions run at once; more are still run, by the same threads in turn.</summary>
    public const int MaxThreads = 256;

    /// <summary>Returns <paramref name="threads"/> when it is a valid thread budget (1 to <see cref="MaxThreads"/>), else throws.</summary>
    public static int CheckThreads(int threads) => threads is >= 1 and <= MaxThreads
        ? threads
        : throw new ArgumentOutOfRangeException(nameof(threads), threads, $"A kernel's thread count must be between 1 and {MaxThreads}.");

    /// <summary>Runs body(p) for each partition p in [0, parts), in parallel when there is more than one.</summary>
    public static void For(int parts, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var wrapper = new ActionBody(body);
        For(parts, ref wrapper);
    }

    /// <summary>
    /// Runs body.Run(p) for each partition p in [0, parts), in parallel (one thread per partition, up to
    /// <see cref="MaxThreads"/>) when there is more than one, without allocating. Callers size the partition count by
    /// their thread budget. Returns when every partition has finished; the first exception is rethrown.
    /// </summary>
    public static void For<TBody>(int parts, ref TBody body) where TBody : struct, IPartitionBody
    {
        int threads = Math.Min(MaxThreads, parts);
        if (threads <= 1 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) body.Run(p);
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            Slot<TBody>.Body = body;
            job = Slot<TBody>.Runner;
            jobParts = parts;
            next = 0;
            failure = null;
            pending = threads - 1;
            done.Reset();
            // 0 marks a share taken back (see below), so a generation never is.
            int gen = generation + 1 == 0 ? 1 : generation + 1;
            for (int w = 0; w < threads - 1; w++) workers[w].Assigned = gen;
            // Publishing the generation releases the job to the polling workers; sleeping ones are woken.
            Interlocked.Exchange(ref generation, gen);
            for (int w = 0; w < threads - 1; w++)
                if (Interlocked.Exchange(ref workers[w].Sleeping, 0) == 1) workers[w].Wake.Release();
            RunParts();
            // Every part has been handed out. A worker that has not yet claimed its share (descheduled by another
            // process, or still waking) is not waited for: its share is taken back, and it will find nothing to do.
            for (int w = 0; w < threads - 1; w++)
                if (Interlocked.CompareExchange(ref workers[w].Assigned, 0, gen) == gen && Interlocked.Decrement(ref pending) == 0)
                    done.Set();
            done.Wait();
            Slot<TBody>.Body = default;
            job = null;
            failure?.Throw();
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    // ---- pool internals ----

    private static class Slot<TBody> where TBody : struct, IPartitionBody
    {
        public static TBody Body;
        public static readonly Action<int> Runner = static p => Body.Run(p);
    }

    private readonly struct ActionBody(Action<int> action) : IPartitionBody
    {
        public void Run(int part) => action(part);
    }

    private static readonly ManualResetEventSlim done = new(false, 2000);
    private static Worker[] workers = [];
    private static int busy;
    private static int generation;
    private static Action<int>? job;
    private static int jobParts;
    private static int next;
    private static int pending;
    private static ExceptionDispatchInfo? failure;
    private static long idleSpinTicks = System.Diagnostics.Stopwatch.Frequency / 10_000; // 100 µs

    /// <summary>
    /// How long an idle worker keeps polling for the next parallel region before it sleeps (default 100 µs; zero
    /// sleeps at once). A training step runs its parallel regions tens of microseconds apart, and waking a sleeping
    /// thread costs about as much as a small region, so a short poll pays; a longer one only burns the core.
    /// </summary>
    public static TimeSpan IdleSpin
    {
        get => TimeSpan.FromSeconds((double)Volatile.Read(ref idleSpinTicks) / System.Diagnostics.Stopwatch.Frequency);
        set => Volatile.Write(ref idleSpinTicks, value >= TimeSpan.Zero
            ? (long)(value.TotalSeconds * System.Diagnostics.Stopwatch.Frequency)
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The idle spin cannot be negative."));
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live as long as the process.")]
    private sealed class Worker
    {
        public readonly SemaphoreSlim Wake = new(0);

        /// <summary>
        /// The generation of the region this worker is offered a share of; the worker claims it by writing its
        /// complement, the dispatcher takes an unclaimed share back by writing 0.
        /// </summary>
        public int Assigned;

        /// <summary>1 while the worker sleeps on <see cref="Wake"/> (or is about to): the dispatcher must release it.</summary>
        public int Sleeping;
    }

    private static void EnsureWorkers(int needed)
    {
        if (workers.Length >= needed) return;
        var grown = new Worker[needed];
        Array.Copy(workers, grown, workers.Length);
        for (int w = workers.Length; w < needed; w++)
        {
            // The worker starts from the generation before the region being dispatched, which it may be given.
            int start = generation;
            var worker = new Worker { Assigned = start };
            grown[w] = worker;
            var thread = new Thread(() => WorkerLoop(worker, start)) { IsBackground = true, Name = $"Axon kernel worker {w + 1}" };
            thread.Start();
        }
        workers = grown;
    }

    private static void WorkerLoop(Worker self, int seen)
    {
        while (true)
        {
            int gen = WaitForGeneration(self, seen);
            seen = gen;
            // A worker not given a share of this region (fewer parts than threads), or whose share the dispatcher took
            // back because it finished every part first, only moves on. Claiming and taking back race on one CAS.
            if (Interlocked.CompareExchange(ref self.Assigned, ~gen, gen) != gen) continue;
            RunParts();
            if (Interlocked.Decrement(ref pending) == 0) done.Set();
        }
    }

    /// <summary>Polls for a generation newer than <paramref name="seen"/> for <see cref="IdleSpin"/>, then sleeps until woken.</summary>
    private static int WaitForGeneration(Worker self, int seen)
    {
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + Volatile.Read(ref idleSpinTicks);
        int gen;
        while ((gen = Volatile.Read(ref generation)) == seen)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() >= deadline)
            {
                Interlocked.Exchange(ref self.Sleeping, 1);
                // A region published after the flag was set finds it and releases the semaphore; one published between
                // the poll and the flag is caught by this re-check. If the dispatcher already took the flag back, its
                // release is pending and must be consumed.
                if (Volatile.Read(ref generation) == seen || Interlocked.Exchange(ref self.Sleeping, 0) == 0)
                    self.Wake.Wait();
                return Volatile.Read(ref generation);
            }
            Thread.SpinWait(8);
        }
        return gen;
    }

    // Partitions are handed out first come, first served; each computes the same thing wherever it runs.
    private static void RunParts()
    {
        var body = job!;
        int parts = jobParts;
        int p;
        while ((p = Interlocked.Increment(ref next) - 1) < parts)
        {
            try
            {
                body(p);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(ex), null);
            }
        }
    }
}
