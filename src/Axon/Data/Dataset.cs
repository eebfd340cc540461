namespace Axon.Data;

/// <summary>
/// A map-style dataset, as torch.utils.data.Dataset: <see cref="Count"/> samples, each an (input, target) pair of tensors.
/// </summary>
public interface IDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Sample <paramref name="index"/> (0 ≤ index &lt; Count).</summary>
    (Tensor Input, Tensor Target) Get(int index);
}

/// <summary>
/// Base class for datasets. Subclasses implement <see cref="Count"/> and <see cref="Get"/>; those that can assemble
/// a batch faster than sample by sample (like <see cref="TensorDataset"/>) override <see cref="GetBatch"/>.
/// Also hosts the splitting helpers (<see cref="RandomSplit"/>, <see cref="Split"/>).
/// </summary>
public abstract class Dataset : IDataset
{
    /// <inheritdoc/>
    public abstract int Count { get; }

    /// <inheritdoc/>
    public abstract (Tensor Input, Tensor Target) Get(int index);

    /// <summary>
    /// The samples at <paramref name="indices"/> stacked along a new dimension 0 (shape [indices.Count, ...sample shape]).
    /// The default stacks <see cref="Get"/>'s tensors.
    /// </summary>
    public virtual (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices) => StackSamples(this, indices);

    /// <summary>Stacks samples of any dataset into a batch (the default collation).</summary>
    internal static (Tensor Input, Tensor Target) StackSamples(IDataset dataset, IReadOnlyList<int> indices)
    {
        if (indices.Count == 0) throw new ArgumentException("A batch needs at least one index.", nameof(indices));
        var inputs = new Tensor[indices.Count];
        var targets = new Tensor[indices.Count];
        for (int i = 0; i < indices.Count; i++) (inputs[i], targets[i]) = dataset.Get(indices[i]);
        using (GradMode.NoGrad()) return (Tensor.Stack(inputs), Tensor.Stack(targets));
    }

    /// <summary>The batch at <paramref name="indices"/> of any dataset (fast path for <see cref="Dataset"/> subclasses).</summary>
    internal static (Tensor Input, Tensor Target) Batch(IDataset dataset, IReadOnlyList<int> indices) =>
        dataset is Dataset d ? d.GetBatch(indices) : StackSamples(dataset, indices);

    /// <summary>
    /// Splits <paramref name="dataset"/> into non-overlapping random subsets of the given sizes (which must add up to its
    /// <see cref="IDataset.Count"/>), as torch.utils.data.random_split. The same generator state gives the same split.
    /// </summary>
    public static Subset[] RandomSplit(IDataset dataset, IReadOnlyList<int> lengths, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        if (lengths.Any(l => l < 0)) throw new ArgumentOutOfRangeException(nameof(lengths), "RandomSplit: lengths must be non-negative.");
        if (lengths.Sum() != dataset.Count)
            throw new ArgumentException($"RandomSplit: the lengths add up to {lengths.Sum()}, but the dataset has {dataset.Count} samples.", nameof(lengths));
        var perm = (generator ?? Generator.Default).Permutation(dataset.Count);
        var result = new Subset[lengths.Count];
        int at = 0;
        for (int i = 0; i < lengths.Count; i++)
        {
            result[i] = new Subset(dataset, perm.AsSpan(at, lengths[i]).ToArray());
            at += lengths[i];
        }
        return result;
    }

    /// <summary>
    /// A random train/validation split: <paramref name="trainFraction"/> of the samples (rounded down, in [0, 1]) for
    /// training and the rest for validation.
    /// </summary>
    public static (Subset Train, Subset Validation) Split(IDataset dataset, double trainFraction, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(trainFraction >= 0 && trainFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "Split: the training fraction must be in [0, 1].");
        int train = (int)Math.Floor(trainFraction * dataset.Count);
        var parts = RandomSplit(dataset, [train, dataset.Count - train], generator);
        return (parts[0], parts[1]);
    }
}

/// <summary>The samples of another dataset at given indices (torch.utils.data.Subset).</summary>
public sealed class Subset : Dataset
{
    private readonly int[] indices;

    /// <summary>Creates the view of <paramref name="dataset"/> restricted to <paramref name="indices"/>.</summary>
    public Subset(IDataset dataset, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        Dataset = dataset;
        this.indices = [.. indices];
        foreach (int i in this.indices)
            if ((uint)i >= (uint)dataset.Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"Subset: index {i} is out of range for a dataset of {dataset.Count} samples.");
    }

    /// <summary>The underlying dataset.</summary>
    public IDataset Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/>.</summary>
    public IReadOnlyList<int> Indices => indices;

    /// <inheritdoc/>
    public override int Count => indices.Length;

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) Get(int index)
    {
        if ((uint)index >= (uint)indices.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for a subset of {indices.Length} samples.");
        return Dataset.Get(indices[index]);
    }

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var mapped = new int[indices.Count];
        for (int i = 0; i < mapped.Length; i++)
        {
            int k = indices[i];
            if ((uint)k >= (uint)this.indices.Length) throw new ArgumentOutOfRangeException(nameof(indices), k, $"Index {k} is out of range for a subset of {this.indices.Length} samples.");
            mapped[i] = this.indices[k];
        }
        return Batch(Dataset, mapped);
    }
}

/// <summary>
/// A dataset over two tensors whose first dimension indexes the samples (torch.utils.data.TensorDataset):
/// sample i is (inputs[i], targets[i]). Batches are gathered with one row copy per sample into a single tensor per side.
/// </summary>
public sealed class TensorDataset : Dataset
{
    /// <summary>Wraps <paramref name="inputs"/> [n, ...] and <paramref name="targets"/> [n, ...] (kept by reference; a contiguous copy is made if needed).</summary>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0 || targets.Rank == 0) throw new ArgumentException("TensorDataset: inputs and targets need a first (sample) dimension.");
        if (inputs.Size(0) != targets.Size(0))
            throw new ArgumentException($"TensorDataset: size mismatch between tensors: inputs have {inputs.Size(0)} samples, targets {targets.Size(0)}.", nameof(targets));
        Inputs = inputs.IsContiguous ? inputs : TensorScope.Unscoped(inputs.CloneData);
        Targets = targets.IsContiguous ? targets : TensorScope.Unscoped(targets.CloneData);
    }

    /// <summary>The inputs, [n, ...].</summary>
    public Tensor Inputs { get; }

    /// <summary>The targets, [n, ...].</summary>
    public Tensor Targets { get; }

    /// <inheritdoc/>
    public override int Count => Inputs.Size(0);

    /// <summary>Sample <paramref name="index"/> as views of row <paramref name="index"/> (no copy, no autograd).</summary>
    public override (Tensor Input, Tensor Target) Get(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for a dataset of {Count} samples.");
        return (Inputs.SelectView(0, index), Targets.SelectView(0, index));
    }

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("A batch needs at least one index.", nameof(indices));
        foreach (int i in indices)
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"Index {i} is out of range for a dataset of {Count} samples.");
        return (GatherRows(Inputs, indices), GatherRows(Targets, indices));
    }

    /// <summary>rows[indices] of a contiguous tensor as a new tensor, one span copy per row.</summary>
    internal static Tensor GatherRows(Tensor source, IReadOnlyList<int> indices)
    {
        var shape = source.GetShape();
        shape[0] = indices.Count;
        var result = Tensor.Empty(shape, source.DType);
        switch (source.DType)
        {
            case DType.Float32: Gather<float>(source, indices, result); break;
            case DType.Float64: Gather<double>(source, indices, result); break;
            default: Gather<long>(source, indices, result); break;
        }
        return result;
    }

    private static void Gather<T>(Tensor source, IReadOnlyList<int> indices, Tensor result) where T : unmanaged
    {
        ReadOnlySpan<T> src = source.AsSpan<T>();
        Span<T> dst = result.AsSpan<T>();
        int row = source.Size(0) == 0 ? 0 : src.Length / source.Size(0);
        for (int i = 0; i < indices.Count; i++) src.Slice(indices[i] * row, row).CopyTo(dst.Slice(i * row, row));
    }
}
