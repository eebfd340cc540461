using System.Globalization;

namespace Axon.Data;

/// <summary>
/// One rank's share of every epoch in data-parallel training (torch.utils.data.distributed.DistributedSampler): the
/// epoch's order — a permutation drawn from the loader's generator when shuffling, else 0, 1, ..., n − 1 — is made the
/// same on every rank (their loaders' generators must be seeded alike), extended to a multiple of the number of ranks
/// by repeating its first indices (or, with <see cref="DropLast"/>, cut to one), and rank r takes positions r, r + N,
/// r + 2N, ... So the ranks' shares are disjoint (apart from the repeated padding) and together cover the epoch, and
/// batch b of every rank together hold positions [b·B·N, (b + 1)·B·N) of the order: the batch a single process would
/// take with the batch size B·N.
/// </summary>
public sealed class DistributedSampler : ISampler
{
    /// <summary>Creates the sampler of one rank.</summary>
    /// <param name="rank">This rank, in [0, <paramref name="worldSize"/>).</param>
    /// <param name="worldSize">The number of ranks sharing the data.</param>
    /// <param name="shuffle">A new random order every epoch (drawn from the loader's generator), else the dataset's order.</param>
    /// <param name="dropLast">Drop the tail that does not divide evenly among the ranks instead of padding it with repeated samples.</param>
    public DistributedSampler(int rank, int worldSize, bool shuffle = true, bool dropLast = false)
    {
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "DistributedSampler: the number of ranks must be at least 1.");
        if ((uint)rank >= (uint)worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, string.Create(CultureInfo.InvariantCulture, $"DistributedSampler: the rank must be in [0, {worldSize})."));
        Rank = rank;
        WorldSize = worldSize;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    /// <summary>This rank.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int WorldSize { get; }

    /// <summary>True when every epoch has a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>True when the uneven tail is dropped rather than padded.</summary>
    public bool DropLast { get; }

    /// <summary>The samples of all ranks in one epoch: <see cref="WorldSize"/> × <see cref="Count"/>.</summary>
    public int TotalCount(int datasetCount) => checked(Count(datasetCount) * WorldSize);

    /// <inheritdoc/>
    public int Count(int datasetCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(datasetCount);
        return DropLast ? datasetCount / WorldSize : (datasetCount + WorldSize - 1) / WorldSize;
    }

    /// <inheritdoc/>
    public int[] EpochIndices(int datasetCount, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        int n = Count(datasetCount), total = TotalCount(datasetCount);
        var order = new int[Math.Max(total, datasetCount)];
        if (Shuffle) generator.Permutation(datasetCount).CopyTo(order, 0);
        else for (int i = 0; i < datasetCount; i++) order[i] = i;
        // Pad by repeating the order from its start (as often as needed when there are fewer samples than ranks).
        for (int i = datasetCount; i < total; i++) order[i] = order[i % datasetCount];
        var mine = new int[n];
        for (int k = 0; k < n; k++) mine[k] = order[Rank + k * WorldSize];
        return mine;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"DistributedSampler(num_replicas={WorldSize}, rank={Rank}, shuffle={(Shuffle ? "True" : "False")}, drop_last={(DropLast ? "True" : "False")})");
}
