using System.Diagnostics;
using System.Globalization;
using Axon.Nn;

namespace Axon.Distributed;

/// <summary>Settings of <see cref="DistributedDataParallel"/>.</summary>
public sealed record DistributedDataParallelOptions
{
    /// <summary>The size at which a gradient bucket closes, in MiB (PyTorch's <c>bucket_cap_mb</c>, 25).</summary>
    public double BucketCapMiB { get; init; } = 25;

    /// <summary>The size of the first bucket, in MiB (PyTorch's 1): small, so the first all-reduce starts early in the backward pass.</summary>
    public double FirstBucketCapMiB { get; init; } = 1;

    /// <summary>
    /// Copy rank 0's buffers (batch-norm running statistics, counters) to every rank at each step, as PyTorch's
    /// <c>broadcast_buffers</c>: batch norm then normalises with each rank's own batch statistics while training
    /// (local statistics; see <see cref="SyncBatchNorm"/> for global ones) and the ranks' models stay identical.
    /// </summary>
    public bool BroadcastBuffers { get; init; } = true;
}

/// <summary>
/// Data-parallel training of a module (torch.nn.parallel.DistributedDataParallel): each rank runs the same model on its
/// own share of every batch, and the gradients are averaged over the ranks before the optimiser step, so that every rank
/// takes the same step.
/// <code>
/// using var ddp = new DistributedDataParallel(model, group);   // rank 0's weights and buffers on every rank
/// optimizer.ZeroGrad();
/// var loss = Functional.CrossEntropy(model.Forward(x), y);       // x: this rank's share of the batch
/// loss.Backward();                                               // buckets are all-reduced as their gradients arrive
/// ddp.WaitForGradients();                                        // one wait: gradients are now the average over the ranks
/// optimizer.Step();
/// </code>
/// <para>
/// <b>How.</b> At construction every rank checks that all hold the same model (names, shapes and dtypes of the
/// parameters and buffers) and takes rank 0's values. The parameters that require gradients are grouped into
/// <see cref="Buckets"/> in reverse order (the order backward produces their gradients), the first of about 1 MiB and the
/// others of about 25 MiB. A post-accumulate hook on each parameter copies its gradient into its bucket; when a bucket is
/// complete, and every bucket before it has been launched, its average over the ranks is started on the group's
/// communication thread, so the all-reduces overlap the rest of the backward pass. <see cref="WaitForGradients"/> launches
/// what is left (parameters that received no gradient contribute zeros), waits once, and writes the averages back into
/// the gradients. The group's all-reduce adds in rank order, so every rank ends with the same bits and takes the same step.
/// </para>
/// <para>
/// Unlike PyTorch's, this wrapper is not a module: the forward pass is the model's own (Axon's hooks make a wrapper
/// unnecessary), and the state dict keeps the model's keys, without a <c>module.</c> prefix.
/// </para>
/// </summary>
public sealed class DistributedDataParallel : IDisposable
{
    private readonly Dictionary<Tensor, (GradientBucket Bucket, int Slot)> slots = new(ReferenceEqualityComparer.Instance);
    private readonly List<IDisposable> hooks = [];
    private readonly PackedTensors? buffers;
    private int noSync;
    private int nextLaunch;
    private List<CollectiveWork>? bufferWorks;
    private bool stepStarted;
    private long firstGradientAt, lastGradientAt;
    private bool disposed;

    /// <summary>Wraps <paramref name="module"/>: checks that every rank has the same model, copies rank 0's parameters and buffers to every rank, and plans the buckets.</summary>
    /// <exception cref="DistributedException">The ranks' models differ (the message names the ranks and what differs).</exception>
    public DistributedDataParallel(Module module, ProcessGroup group, DistributedDataParallelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(group);
        Module = module;
        Group = group;
        Options = options ?? new DistributedDataParallelOptions();
        if (Options.BucketCapMiB <= 0 || Options.FirstBucketCapMiB <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), "DistributedDataParallel: the bucket sizes must be positive.");

        var state = module.NamedParameters().Concat(module.NamedBuffers()).ToList();
        var everything = new PackedTensors(state);
        CheckSameModel(group, everything, module);
        everything.Broadcast(group);

        var trainable = new List<(string, Tensor)>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in module.NamedParameters())
        {
            if (!p.RequiresGrad || !seen.Add(p)) continue;
            if (p.DType != DType.Float32)
                throw new NotSupportedException($"DistributedDataParallel: parameter {name} is {p.DType.TorchName()}; the gradient buckets hold float32 gradients.");
            trainable.Add((name, p));
        }
        Buckets = GradientBucket.Plan(trainable, (long)(Options.FirstBucketCapMiB * 1048576), (long)(Options.BucketCapMiB * 1048576));
        foreach (var bucket in Buckets)
        {
            for (int i = 0; i < bucket.Members.Count; i++)
            {
                var p = bucket.Members[i].Parameter;
                slots[p] = (bucket, i);
                hooks.Add(p.RegisterPostAccumulateGradHook(OnGradientReady));
            }
            bucket.Reset();
        }
        var namedBuffers = module.NamedBuffers().ToList();
        if (Options.BroadcastBuffers && namedBuffers.Count > 0 && group.Size > 1) buffers = new PackedTensors(namedBuffers);
    }

    /// <summary>The wrapped model.</summary>
    public Module Module { get; }

    /// <summary>The ranks training together.</summary>
    public ProcessGroup Group { get; }

    /// <summary>The settings.</summary>
    public DistributedDataParallelOptions Options { get; }

    /// <summary>The gradient buckets, in the order they are reduced.</summary>
    public IReadOnlyList<GradientBucket> Buckets { get; }

    /// <summary>The bytes of gradients all-reduced per step (the sum of the buckets).</summary>
    public long GradientBytes => Buckets.Sum(b => b.Bytes);

    /// <summary>The events of the last completed step (null before the first).</summary>
    public StepTimeline? LastStep { get; private set; }

    /// <summary>Steps completed by <see cref="WaitForGradients"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>Seconds spent blocked in <see cref="WaitForGradients"/> over all steps.</summary>
    public double TotalWaitSeconds { get; private set; }

    /// <summary>Seconds the communication thread spent reducing gradients over all steps.</summary>
    public double TotalReduceSeconds { get; private set; }

    /// <summary>True inside <see cref="NoSync"/>.</summary>
    public bool SyncDisabled => noSync > 0;

    /// <summary>
    /// Until disposed, backward passes only accumulate gradients locally (PyTorch's <c>no_sync()</c>): for gradient
    /// accumulation, run the first k − 1 micro-batches' backward inside it and the last one outside; the sum of all k
    /// is then averaged over the ranks in that last backward pass.
    /// </summary>
    public IDisposable NoSync()
    {
        if (stepStarted) throw new InvalidOperationException("DistributedDataParallel.NoSync: a synchronised backward pass has already started this step; enter NoSync before it.");
        noSync++;
        return new Scope(() => noSync--);
    }

    private void OnGradientReady(Tensor parameter)
    {
        if (noSync > 0 || !slots.TryGetValue(parameter, out var at)) return;
        var (bucket, slot) = at;
        long now = Stopwatch.GetTimestamp();
        if (!stepStarted)
        {
            stepStarted = true;
            firstGradientAt = now;
            // The buffers are final once the forward pass is over: their broadcast goes first, hidden by the backward.
            bufferWorks = buffers is null ? null : StartBufferBroadcast(buffers);
        }
        lastGradientAt = now;
        if (bucket.Arrived[slot])
            throw new InvalidOperationException($"DistributedDataParallel: the gradient of {bucket.Members[slot].Name} became ready twice in one step. " +
                "Call WaitForGradients after each backward pass, or run the earlier backward passes of an accumulated step inside NoSync().");
        if (bucket.Work is not null) throw new InvalidOperationException($"DistributedDataParallel: bucket {bucket.Index} was already launched when {bucket.Members[slot].Name}'s gradient arrived.");
        bucket.Arrived[slot] = true;
        var (_, p, offset) = bucket.Members[slot];
        p.Grad!.CopyToHost(bucket.Buffer.AsSpan(offset, p.NumEl));
        if (--bucket.Pending == 0) bucket.ReadyAt = now;
        LaunchReady();
    }

    /// <summary>Starts the complete buckets in index order, so every rank issues the same all-reduces in the same order.</summary>
    private void LaunchReady()
    {
        while (nextLaunch < Buckets.Count && Buckets[nextLaunch].Pending == 0)
        {
            var b = Buckets[nextLaunch++];
            b.Work = Group.AllReduceAsync(b.Buffer, 0, b.Elements, ReduceOp.Average);
        }
    }

    /// <summary>
    /// Finishes the step's gradient synchronisation (call it once after the backward pass, before clipping and the
    /// optimiser step): launches the buckets whose parameters received no gradient (they contribute zeros), waits for
    /// every all-reduce, writes the averages into the parameters' gradients, and copies rank 0's buffers to every rank.
    /// </summary>
    /// <exception cref="CollectiveTimeoutException">A rank did not take part in time (it died or hangs).</exception>
    public void WaitForGradients()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (noSync > 0) throw new InvalidOperationException("DistributedDataParallel.WaitForGradients inside NoSync(): the gradients are local there; leave NoSync for the last backward pass of the step.");
        long began = Stopwatch.GetTimestamp();
        if (!stepStarted) firstGradientAt = lastGradientAt = began;
        foreach (var bucket in Buckets)
        {
            if (bucket.Pending == 0) continue;
            for (int i = 0; i < bucket.Members.Count; i++)
                if (!bucket.Arrived[i])
                {
                    var (_, p, offset) = bucket.Members[i];
                    Array.Clear(bucket.Buffer, offset, p.NumEl);   // unused this step: contributes nothing
                }
            bucket.Pending = 0;
            bucket.ReadyAt = began;
        }
        if (buffers is not null && bufferWorks is null) bufferWorks = StartBufferBroadcast(buffers);
        LaunchReady();
        var timings = new List<BucketTiming>(Buckets.Count);
        foreach (var bucket in Buckets)
        {
            bucket.Work!.Wait();
            foreach (var (_, p, offset) in bucket.Members)
            {
                p.Grad ??= TensorScope.Unscoped(() => Tensor.ZerosLike(p));
                p.Grad.CopyFromHost<float>(bucket.Buffer.AsSpan(offset, p.NumEl));
            }
            timings.Add(new BucketTiming(bucket.Index, bucket.Bytes, bucket.ReadyAt, bucket.Work.StartedAt, bucket.Work.FinishedAt));
        }
        (long, long) bufferTiming = default;
        if (bufferWorks is not null)
        {
            foreach (var w in bufferWorks) w.Wait();
            buffers!.Unpack();
            bufferTiming = (bufferWorks[0].StartedAt, bufferWorks[^1].FinishedAt);
            bufferWorks = null;
        }
        long ended = Stopwatch.GetTimestamp();
        LastStep = new StepTimeline(firstGradientAt, lastGradientAt, began, ended, timings) { BuffersStartedAt = bufferTiming.Item1, BuffersFinishedAt = bufferTiming.Item2 };
        Steps++;
        TotalWaitSeconds += LastStep.WaitSeconds;
        TotalReduceSeconds += LastStep.ReduceSeconds;
        foreach (var bucket in Buckets) bucket.Reset();
        nextLaunch = 0;
        stepStarted = false;
    }

    private List<CollectiveWork> StartBufferBroadcast(PackedTensors packed)
    {
        packed.Pack();
        return packed.StartBroadcast(Group);
    }

    /// <summary>
    /// Checks that every rank holds exactly rank 0's parameters and buffers, bit for bit, and returns a digest of them
    /// (the same on every rank) to print. Costs one broadcast of the model.
    /// </summary>
    /// <exception cref="DistributedException">Some rank differs (the message names it and the first tensor that differs).</exception>
    public string VerifyReplicas()
    {
        var all = new PackedTensors(Module.NamedParameters().Concat(Module.NamedBuffers()));
        var (first, different) = all.CompareWithRankZero(Group);
        var counts = Group.AllGather(new[] { different });
        var bad = Enumerable.Range(0, Group.Size).Where(r => counts[r] != 0).ToList();
        if (bad.Count > 0)
        {
            string where = first is null ? "." : $"; here on rank {Group.Rank} first in {first}.";
            throw new DistributedException(string.Create(CultureInfo.InvariantCulture,
                $"The model differs from rank 0's on rank{(bad.Count > 1 ? "s" : "")} {string.Join(", ", bad)} ({string.Join(", ", bad.Select(r => counts[r].ToString("N0", CultureInfo.InvariantCulture)))} elements differ){where}"));
        }
        return all.ValueDigest();
    }

    private static void CheckSameModel(ProcessGroup group, PackedTensors state, Module module)
    {
        var mine = state.StructureDigest().Append(state.Count).Append(state.Elements).ToArray();
        var all = group.AllGather(mine);
        int width = mine.Length;
        var differ = Enumerable.Range(1, group.Size - 1).Where(r => !all.AsSpan(r * width, width).SequenceEqual(all.AsSpan(0, width))).ToList();
        if (differ.Count == 0) return;
        string Describe(int r) => string.Create(CultureInfo.InvariantCulture, $"rank {r}: {all[r * width + 4]} tensors, {all[r * width + 5]:N0} elements");
        throw new DistributedException($"DistributedDataParallel: the ranks hold different models ({module.GetType().Name} here on rank {group.Rank}): " +
            $"{Describe(0)}; {string.Join("; ", differ.Select(Describe))}{(differ.Any(r => all[r * width + 5] == all[5]) ? " (same sizes, different names or shapes)" : "")}. " +
            "Every rank must build the same model with the same settings.");
    }

    /// <summary>Removes the gradient hooks (the model trains locally again).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var h in hooks) h.Dispose();
        hooks.Clear();
    }

    private sealed class Scope(Action end) : IDisposable
    {
        private Action? end = end;

        public void Dispose() { end?.Invoke(); end = null; }
    }
}
