using System.Globalization;
using Axon.Data;
using Axon.Distributed;

namespace Axon.Models.Training;

/// <summary>
/// Data-parallel training for a <see cref="Trainer"/>: the ranks of <paramref name="Group"/> each train on their own
/// share of every epoch (a <see cref="DistributedSampler"/>, <see cref="TrainerOptions.BatchSize"/> samples per rank and
/// step, so the global batch is Size × BatchSize), with the gradients averaged by <see cref="DistributedDataParallel"/>.
/// </summary>
/// <param name="Group">The ranks training together.</param>
/// <param name="SyncBatchNorm">Normalise with the statistics of the global batch (<see cref="Distributed.SyncBatchNorm"/>) instead of each rank's own.</param>
/// <param name="Options">The wrapper's bucket sizes and buffer broadcasting (null: PyTorch's defaults).</param>
public sealed record DataParallel(ProcessGroup Group, bool SyncBatchNorm = false, DistributedDataParallelOptions? Options = null);

// Everything the trainer does differently when it is one rank of several.
public sealed partial class Trainer
{
    private readonly DistributedDataParallel? ddp;
    private readonly ProcessGroup? group;
    private bool sizesChecked;

    /// <summary>The data-parallel wrapper of the model (null when not distributed): bucket plan, step timeline, communication times.</summary>
    public DistributedDataParallel? DataParallel => ddp;

    /// <summary>True on the rank that writes files and prints (rank 0), and always when not distributed.</summary>
    public bool IsPrimary => group is null || group.IsPrimary;

    /// <summary>The ranks training together, or null when not distributed.</summary>
    public ProcessGroup? Group => group;

    private static DistributedDataParallel? Wrap(TrainingTask task, DataParallel? parallel)
    {
        if (parallel is null) return null;
        if (task.DataParallelUnsupported is string why)
            throw new ArgumentException($"{task.GetType().Name} cannot be trained data-parallel: {why}.", nameof(parallel));
        if (parallel.SyncBatchNorm) Distributed.SyncBatchNorm.Convert(task.Model, parallel.Group);
        return new DistributedDataParallel(task.Model, parallel.Group, parallel.Options);
    }

    /// <summary>
    /// Distributed: rank r's model and task generators run r jumps (of 2^128 draws) ahead of rank 0's, so that each rank's
    /// dropout masks and noise are its own instead of rank 0's repeated on another share of the batch. The data generator
    /// stays alike on every rank (it draws the epoch's common order). Checkpoints hold rank 0's states, and every rank
    /// jumps again after restoring them, which gives the state it had (a jump commutes with drawing).
    /// </summary>
    private void SeparateRandomStreams()
    {
        if (group is null || group.Rank == 0) return;
        ModelGenerator.Jump(group.Rank);
        foreach (var (_, g) in Task.Generators) g.Jump(group.Rank);
    }

    /// <summary>The loader of one training epoch: this rank's share when distributed, else the whole set shuffled.</summary>
    private DataLoader EpochLoader(IDataset fit) => new(fit, Options.BatchSize, shuffle: group is null, generator: dataGenerator,
        transform: Options.Augment ? Task.Augmentation(fit, Options) : null, prefetch: Options.Prefetch, device: Task.Device,
        sampler: group is null ? null : new DistributedSampler(group.Rank, group.Size));

    /// <summary>Averages the step's gradients over the ranks (between the backward pass and clipping); nothing when not distributed.</summary>
    internal void SynchronizeGradients() => ddp?.WaitForGradients();

    /// <summary>Fails, on every rank, when the ranks do not hold the same data sets (sizes of the training, validation and test sets).</summary>
    private void CheckSameData(IDataset train, IDataset fit, IDataset? validation, IDataset? test)
    {
        if (group is null || sizesChecked) return;
        long[] mine = [train.Count, fit.Count, validation?.Count ?? -1, test?.Count ?? -1];
        var all = group.AllGather(mine);
        var differ = Enumerable.Range(1, group.Size - 1).Where(r => !all.AsSpan(4 * r, 4).SequenceEqual(all.AsSpan(0, 4))).ToList();
        if (differ.Count > 0)
        {
            string Describe(int r) => string.Create(CultureInfo.InvariantCulture, $"rank {r}: {all[4 * r]} training samples ({all[4 * r + 1]} trained on, {Math.Max(all[4 * r + 2], 0)} validation), {Math.Max(all[4 * r + 3], 0)} test");
            throw new DistributedException($"The ranks hold different data: {Describe(0)}; {string.Join("; ", differ.Select(Describe))}. Every rank must load the same data sets with the same settings (--limit, --data-dir).");
        }
        sizesChecked = true;
    }

    /// <summary>
    /// This batch's loss sum, count, objective and metric sums added over the ranks (the objective averaged), so that
    /// every rank reports, and its callbacks decide on, the same global figures. Not distributed: the batch's own.
    /// </summary>
    private (double LossSum, long Count, double Objective, Dictionary<string, double>? Sums) ReduceBatch(TaskLoss loss, double objective)
    {
        double lossSum = loss.Loss.Item() * loss.Count;
        var sums = loss.MetricSums is null ? null : new Dictionary<string, double>(loss.MetricSums, StringComparer.Ordinal);
        if (group is null || group.Size == 1) return (lossSum, loss.Count, objective, sums);
        var keys = sums?.Keys.Order(StringComparer.Ordinal).ToArray() ?? [];
        double[] values = [lossSum, loss.Count, objective, .. keys.Select(k => sums![k])];
        group.AllReduce(values);
        for (int i = 0; i < keys.Length; i++) sums![keys[i]] = values[3 + i];
        return (values[0], (long)values[1], values[2] / group.Size, sums);
    }

    /// <summary>Evaluates <paramref name="data"/>: each rank its strided share, the sums added over the ranks (the same figures on every rank).</summary>
    private Score EvaluateDistributed(IDataset data, ProcessGroup g)
    {
        var share = new Subset(data, Enumerable.Range(0, data.Count).Where(i => i % g.Size == g.Rank));
        var (lossSum, count, sums) = Task.EvaluateSums(share, Math.Max(Options.BatchSize, 256), Options);
        var keys = sums.Keys.Order(StringComparer.Ordinal).ToArray();
        double[] values = [lossSum, count, .. keys.Select(k => sums[k])];
        g.AllReduce(values);
        long n = Math.Max((long)values[1], 1);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++) metrics[keys[i]] = values[2 + i] / n;
        return new Score(values[0] / n, metrics, (long)values[1]);
    }

    /// <summary>Distributed: only rank 0 writes the file, and every rank waits until it is written (so that any may read it next).</summary>
    private void OnPrimary(Action write)
    {
        if (IsPrimary) write();
        group?.Barrier();
    }

    /// <summary>After a checkpoint is loaded on every rank: fails unless all loaded the same weights (e.g. different files on different hosts).</summary>
    private void CheckReplicasAfterLoad(string path)
    {
        if (ddp is null) return;
        try { ddp.VerifyReplicas(); }
        catch (DistributedException e)
        {
            throw new DistributedException($"{path}: the ranks resumed from different checkpoints ({e.Message}); every rank must read the same file (a shared directory across hosts).", e);
        }
    }
}
