using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Axon.Data;

/// <summary>
/// Iterates over a dataset in mini-batches, as torch.utils.data.DataLoader (single process). Each enumeration is one epoch:
/// <code>
/// var loader = new DataLoader(new TensorDataset(x, y), batchSize: 32, shuffle: true, generator: new Generator(0));
/// for (int epoch = 0; epoch &lt; 10; epoch++)
///     foreach (var (xb, yb) in loader)
///     {
///         using var scope = new TensorScope();
///         using (xb) using (yb) { /* forward, backward, step */ }
///     }
/// </code>
/// The <see cref="ISampler"/> decides the order of each epoch: with <c>shuffle</c> a <see cref="RandomSampler"/> (a fresh
/// random order drawn from the generator when the enumeration starts, so the same seed gives the same sequence of
/// epochs), else a <see cref="SequentialSampler"/>, or the caller's own <c>sampler</c>. Batches are the samples stacked along
/// dimension 0 (<see cref="Dataset.GetBatch"/>); the last one is smaller unless <c>dropLast</c> drops it. Batch tensors
/// belong to the <see cref="TensorScope"/> current when they are produced, which is the scope around the loop, not one
/// opened inside its body: dispose them as above (or let the garbage collector take them) to recycle their buffers.
/// <para>
/// <b>Augmentation.</b> With a <see cref="Data.Transform"/>, every input batch goes through it (in place) before it is
/// handed out. At the start of each epoch the generator draws the order (when shuffling) and then one seed per batch;
/// batch b is augmented with a fresh <see cref="Generator"/> seeded with seed b. So the augmentation of every batch is
/// fixed the moment the epoch starts, whatever thread prepares it and whenever.
/// </para>
/// <para>
/// <b>Prefetching.</b> With <c>prefetch</c> = k &gt; 0, a background thread prepares up to k batches ahead (gathering
/// and augmenting) while the current one trains. The batches are the same, in the same order, as without prefetching;
/// an exception thrown while preparing a batch is rethrown, unchanged, by the <c>MoveNext</c> that would have returned
/// it; leaving the loop (break, exception, disposal of the enumerator) stops the thread and disposes the batches it
/// prepared that were not handed out. The dataset's <see cref="Dataset.GetBatch"/> then runs on that thread, so it must
/// not touch state the training loop changes (the built-in datasets only read their data), and a transform must
/// return fresh tensors or modify the batch in place, never keep it.
/// </para>
/// <para>
/// <b>Device.</b> With a <c>device</c>, every batch is copied there once it is gathered and augmented (on the prefetch
/// thread when prefetching, so the copy overlaps training): the model's device, so that the loop needs no copies of its own.
/// </para>
/// </summary>
public sealed class DataLoader : IEnumerable<(Tensor Input, Tensor Target)>
{
    private static readonly ISampler Sequential = new SequentialSampler(), Random = new RandomSampler();
    private readonly Generator? generator;
    private readonly int prefetch;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (&gt; 0).</param>
    /// <param name="shuffle">Visit the samples in a new random order every epoch (a <see cref="RandomSampler"/>).</param>
    /// <param name="dropLast">Drop the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">Source of the shuffling and of the augmentation seeds (default: <see cref="Generator.Default"/>).</param>
    /// <param name="transform">Applied to every input batch (data augmentation); null for none.</param>
    /// <param name="prefetch">Batches prepared ahead on a background thread (0: none, batches are made when asked for).</param>
    /// <param name="device">The device the batches are copied to (null: they stay where the dataset makes them, the CPU).</param>
    /// <param name="sampler">The order of the samples (null: as <paramref name="shuffle"/> says); it excludes <paramref name="shuffle"/>, as in PyTorch.</param>
    public DataLoader(IDataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, Generator? generator = null,
        Transform? transform = null, int prefetch = 0, Device? device = null, ISampler? sampler = null)
    {
        if (shuffle && sampler is not null) throw new ArgumentException("DataLoader: pass either shuffle or a sampler, not both (a sampler decides the order itself).", nameof(sampler));
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be a positive integer.");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be non-negative (0 turns prefetching off).");
        Dataset = dataset;
        BatchSize = batchSize;
        Sampler = sampler ?? (shuffle ? Random : Sequential);
        DropLast = dropLast;
        this.generator = generator;
        Transform = transform;
        this.prefetch = prefetch;
        Device = device;
    }

    /// <summary>The device the batches are copied to, or null to leave them where the dataset makes them.</summary>
    public Device? Device { get; }

    /// <summary>The dataset the batches come from.</summary>
    public IDataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The order of each epoch's samples.</summary>
    public ISampler Sampler { get; }

    /// <summary>True when every epoch uses a new random order.</summary>
    public bool Shuffle => Sampler is RandomSampler;

    /// <summary>True when an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The transform applied to every input batch, or null.</summary>
    public Transform? Transform { get; }

    /// <summary>Batches prepared ahead on a background thread (0: no prefetching).</summary>
    public int Prefetch => prefetch;

    /// <summary>Number of batches per epoch.</summary>
    public int Count
    {
        get
        {
            int n = Sampler.Count(Dataset.Count);
            return DropLast ? n / BatchSize : (n + BatchSize - 1) / BatchSize;
        }
    }

    /// <summary>The order in which the next epoch will visit the samples (the sampler draws from the generator when random).</summary>
    private int[] EpochOrder()
    {
        var order = Sampler.EpochIndices(Dataset.Count, generator ?? Generator.Default);
        int n = Dataset.Count;
        foreach (int i in order)
            if ((uint)i >= (uint)n) throw new InvalidOperationException($"DataLoader: the sampler {Sampler} gave index {i} for a dataset of {n} samples.");
        return order;
    }

    /// <summary>The sample indices of each batch of one epoch (drawing the epoch's order now); useful to inspect or log the order.</summary>
    public IReadOnlyList<int[]> BatchIndices() => Split(EpochOrder());

    private List<int[]> Split(int[] order)
    {
        int count = DropLast ? order.Length / BatchSize : (order.Length + BatchSize - 1) / BatchSize;
        var batches = new List<int[]>(count);
        for (int b = 0; b < count; b++)
        {
            int start = b * BatchSize;
            batches.Add(order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray());
        }
        return batches;
    }

    /// <summary>
    /// Starts an epoch: draws its order and augmentation seeds now, then yields (inputs, targets) batches stacked along
    /// dimension 0 (prepared in the background when prefetching).
    /// </summary>
    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        var batches = Split(EpochOrder());
        long[]? seeds = null;
        if (Transform is not null)
        {
            var g = generator ?? Generator.Default;
            // Under a distributed sampler every rank draws the seeds of all ranks and keeps its own: the generators stay
            // alike on every rank, and the ranks' batches of one step get different augmentations.
            var (rank, ranks) = Sampler is DistributedSampler d ? (d.Rank, d.WorldSize) : (0, 1);
            seeds = new long[batches.Count];
            for (int b = 0; b < seeds.Length; b++)
                for (int r = 0; r < ranks; r++)
                {
                    long seed = unchecked((long)g.NextUInt64());
                    if (r == rank) seeds[b] = seed;
                }
        }
        return prefetch == 0 ? Synchronous(batches, seeds) : new PrefetchEnumerator(this, batches, seeds, prefetch);
    }

    private IEnumerator<(Tensor Input, Tensor Target)> Synchronous(List<int[]> batches, long[]? seeds)
    {
        for (int b = 0; b < batches.Count; b++) yield return MakeBatch(batches[b], seeds?[b]);
    }

    /// <summary>Gathers one batch and augments it with a generator seeded with <paramref name="seed"/>.</summary>
    private (Tensor Input, Tensor Target) MakeBatch(int[] indices, long? seed)
    {
        var (x, y) = Data.Dataset.Batch(Dataset, indices);
        if (Transform is not null && seed is long s)
        {
            Tensor augmented;
            try { augmented = Transform.Apply(x, new Generator(s)); }
            catch
            {
                x.Dispose();
                y.Dispose();
                throw;
            }
            if (!ReferenceEquals(augmented, x)) x.Dispose();
            x = augmented;
        }
        return (ToDevice(x), ToDevice(y));
    }

    private Tensor ToDevice(Tensor t)
    {
        if (Device is null || ReferenceEquals(t.Device, Device)) return t;
        var moved = t.CloneTo(Device);
        t.Dispose();
        return moved;
    }

    /// <summary>One epoch with the batches prepared by a background thread into a bounded queue.</summary>
    private sealed class PrefetchEnumerator : IEnumerator<(Tensor Input, Tensor Target)>
    {
        private readonly DataLoader loader;
        private readonly List<int[]> batches;
        private readonly long[]? seeds;
        private readonly BlockingCollection<((Tensor Input, Tensor Target) Batch, ExceptionDispatchInfo? Error)> queue;
        private readonly CancellationTokenSource cancel = new();
        private readonly Thread worker;
        private bool finished;
        private bool disposed;

        public PrefetchEnumerator(DataLoader loader, List<int[]> batches, long[]? seeds, int capacity)
        {
            this.loader = loader;
            this.batches = batches;
            this.seeds = seeds;
            queue = new(new ConcurrentQueue<((Tensor, Tensor), ExceptionDispatchInfo?)>(), capacity);
            worker = new Thread(Work) { IsBackground = true, Name = "Axon DataLoader prefetch" };
            worker.Start();
        }

        public (Tensor Input, Tensor Target) Current { get; private set; }

        object IEnumerator.Current => Current;

        private void Work()
        {
            var token = cancel.Token;
            try
            {
                for (int b = 0; b < batches.Count && !token.IsCancellationRequested; b++)
                {
                    (Tensor Input, Tensor Target) batch;
                    try { batch = loader.MakeBatch(batches[b], seeds?[b]); }
                    catch (Exception e)
                    {
                        queue.Add((default, ExceptionDispatchInfo.Capture(e)), token);
                        return;
                    }
                    try { queue.Add((batch, null), token); }
                    catch (OperationCanceledException)
                    {
                        batch.Input.Dispose();
                        batch.Target.Dispose();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
            finally { queue.CompleteAdding(); }
        }

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (finished) return false;
            if (!queue.TryTake(out var item, Timeout.Infinite))
            {
                finished = true;
                return false;
            }
            if (item.Error is not null)
            {
                finished = true;
                item.Error.Throw();
            }
            // Hand the batch to the consumer's scope, as a batch made on this thread would be.
            TensorScope.Register(item.Batch.Input);
            TensorScope.Register(item.Batch.Target);
            Current = item.Batch;
            return true;
        }

        public void Reset() => throw new NotSupportedException("A DataLoader epoch cannot be restarted; enumerate the loader again for a new epoch.");

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            cancel.Cancel();
            worker.Join();
            while (queue.TryTake(out var item))
            {
                item.Batch.Input?.Dispose();
                item.Batch.Target?.Dispose();
            }
            queue.Dispose();
            cancel.Dispose();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
