namespace Axon.Data;

/// <summary>
/// The order in which a <see cref="DataLoader"/> visits a dataset's samples, one epoch at a time (as
/// torch.utils.data.Sampler): <see cref="SequentialSampler"/>, <see cref="RandomSampler"/>, or one of the caller's own (a
/// distributed sampler gives each process its own share). A sampler holds no randomness of its own: a random one draws
/// from the generator it is handed, so the loader's seed fixes every epoch's order.
/// </summary>
public interface ISampler
{
    /// <summary>The number of indices one epoch yields over a dataset of <paramref name="datasetCount"/> samples.</summary>
    int Count(int datasetCount);

    /// <summary>The indices of one epoch, each in [0, <paramref name="datasetCount"/>), drawing from <paramref name="generator"/> when random.</summary>
    int[] EpochIndices(int datasetCount, Generator generator);
}

/// <summary>Visits the samples in order, 0, 1, ..., n − 1, every epoch.</summary>
public sealed class SequentialSampler : ISampler
{
    /// <inheritdoc/>
    public int Count(int datasetCount) => datasetCount;

    /// <inheritdoc/>
    public int[] EpochIndices(int datasetCount, Generator generator)
    {
        var order = new int[datasetCount];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        return order;
    }

    /// <inheritdoc/>
    public override string ToString() => "SequentialSampler()";
}

/// <summary>
/// A fresh random order every epoch: a permutation of all the samples (the default), or, as PyTorch's
/// <c>RandomSampler(replacement=True, num_samples=k)</c>, k draws with replacement.
/// </summary>
public sealed class RandomSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    /// <param name="replacement">Draw with replacement (a sample may appear several times in an epoch, or not at all).</param>
    /// <param name="numSamples">Indices per epoch (null: the dataset's size). Only with replacement may it exceed the dataset's size.</param>
    public RandomSampler(bool replacement = false, int? numSamples = null)
    {
        if (numSamples is < 1) throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, "numSamples must be at least 1.");
        Replacement = replacement;
        NumSamples = numSamples;
    }

    /// <summary>True when drawing with replacement.</summary>
    public bool Replacement { get; }

    /// <summary>Indices per epoch, or null for the dataset's size.</summary>
    public int? NumSamples { get; }

    /// <inheritdoc/>
    public int Count(int datasetCount)
    {
        int n = NumSamples ?? datasetCount;
        if (!Replacement && n > datasetCount)
            throw new ArgumentException($"RandomSampler without replacement cannot draw {n} samples from a dataset of {datasetCount}.", nameof(datasetCount));
        return n;
    }

    /// <inheritdoc/>
    public int[] EpochIndices(int datasetCount, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        int n = Count(datasetCount);
        if (Replacement)
        {
            if (datasetCount == 0) throw new ArgumentException("RandomSampler with replacement needs at least one sample.", nameof(datasetCount));
            var draws = new int[n];
            for (int i = 0; i < n; i++) draws[i] = (int)generator.NextInt64(datasetCount);
            return draws;
        }
        var order = generator.Permutation(datasetCount);
        return n == datasetCount ? order : order[..n];
    }

    /// <inheritdoc/>
    public override string ToString() => $"RandomSampler(replacement={(Replacement ? "True" : "False")}, num_samples={(NumSamples?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None")})";
}
