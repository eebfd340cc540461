using System.Collections;

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
/// With <c>shuffle</c>, every epoch visits the samples in a fresh random order drawn from the generator when the
/// enumeration starts, so the same seed gives the same sequence of epochs. Batches are the samples stacked along
/// dimension 0 (<see cref="Dataset.GetBatch"/>); the last one is smaller unless <c>dropLast</c> drops it. Batch tensors
/// belong to the <see cref="TensorScope"/> current when they are produced, which is the scope around the loop, not one
/// opened inside its body: dispose them as above (or let the garbage collector take them) to recycle their buffers.
/// </summary>
public sealed class DataLoader : IEnumerable<(Tensor Input, Tensor Target)>
{
    private readonly Generator? generator;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (&gt; 0).</param>
    /// <param name="shuffle">Visit the samples in a new random order every epoch.</param>
    /// <param name="dropLast">Drop the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">Source of the shuffling (default: <see cref="Generator.Default"/>).</param>
    public DataLoader(IDataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be a positive integer.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        this.generator = generator;
    }

    /// <summary>The dataset the batches come from.</summary>
    public IDataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>True when every epoch uses a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>True when an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Number of batches per epoch.</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The order in which the next epoch will visit the samples (draws from the generator when shuffling).</summary>
    private int[] EpochOrder()
    {
        if (Shuffle) return (generator ?? Generator.Default).Permutation(Dataset.Count);
        var order = new int[Dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        return order;
    }

    /// <summary>The sample indices of each batch of one epoch (drawing the epoch's order now); useful to inspect or log the order.</summary>
    public IReadOnlyList<int[]> BatchIndices() => Split(EpochOrder());

    private List<int[]> Split(int[] order)
    {
        var batches = new List<int[]>(Count);
        int batches0 = Count;
        for (int b = 0; b < batches0; b++)
        {
            int start = b * BatchSize;
            batches.Add(order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray());
        }
        return batches;
    }

    /// <summary>Starts an epoch: yields (inputs, targets) batches stacked along dimension 0.</summary>
    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        foreach (var batch in Split(EpochOrder())) yield return Data.Dataset.Batch(Dataset, batch);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
