using Axon.Data;

namespace Axon.Models.Siamese;

/// <summary>The sample indices of each class of a labelled data set, restricted to some classes.</summary>
public sealed class ClassIndex
{
    private readonly Dictionary<int, int[]> byClass;

    /// <summary>Reads every label of <paramref name="data"/> once (targets are class indices) and keeps <paramref name="classes"/> (null: all).</summary>
    public ClassIndex(IDataset data, IEnumerable<int>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var keep = classes?.ToHashSet();
        var lists = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < data.Count; i++)
        {
            int c = (int)data.Get(i).Target.Item();
            if (keep is not null && !keep.Contains(c)) continue;
            if (!lists.TryGetValue(c, out var list)) lists[c] = list = [];
            list.Add(i);
        }
        foreach (int c in keep ?? [])
            if (!lists.ContainsKey(c)) throw new ArgumentException($"ClassIndex: the data set has no sample of class {c}.", nameof(classes));
        byClass = lists.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        Classes = [.. lists.Keys];
        Data = data;
    }

    /// <summary>The data set indexed.</summary>
    public IDataset Data { get; }

    /// <summary>The classes kept, ascending.</summary>
    public IReadOnlyList<int> Classes { get; }

    /// <summary>The indices of the samples of class <paramref name="c"/>.</summary>
    public IReadOnlyList<int> Of(int c) => byClass.TryGetValue(c, out var a) ? a : throw new KeyNotFoundException($"ClassIndex: no class {c} (classes {string.Join(", ", Classes)}).");

    internal int Draw(int c, Generator g) => byClass[c][(int)g.NextInt64(byClass[c].Length)];

    internal int OtherClass(int c, Generator g)
    {
        int k = (int)g.NextInt64(Classes.Count - 1);
        return Classes[k >= IndexOfClass(c) ? k + 1 : k];
    }

    private int IndexOfClass(int c)
    {
        for (int i = 0; i < Classes.Count; i++) if (Classes[i] == c) return i;
        return -1;
    }
}

/// <summary>
/// Pairs for a Siamese network's contrastive loss: sample i is two images stacked, [2, C, H, W], and target 1 when they
/// are of the same class, 0 when not; even indices are same-class pairs, odd ones different-class, so every batch is
/// balanced. Each pair is drawn from a generator seeded by (seed, epoch, index), so it is the same on every run;
/// <see cref="Epoch"/> changes the draw.
/// </summary>
public sealed class SiamesePairs(ClassIndex index, int count, long seed) : Dataset
{
    private readonly ClassIndex index = index.Classes.Count >= 2 ? index : throw new ArgumentException("SiamesePairs: pairs of different classes need at least two classes.", nameof(index));

    /// <inheritdoc/>
    public override int Count { get; } = count >= 1 ? count : throw new ArgumentOutOfRangeException(nameof(count), count, "SiamesePairs: the count must be positive.");

    /// <summary>Which draw of pairs the set gives (set it per epoch for fresh pairs).</summary>
    public int Epoch { get; set; }

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) Get(int i)
    {
        var (first, second) = Draw(i);
        return (Tensor.Stack([index.Data.Get(first).Input, index.Data.Get(second).Input]), Tensor.Scalar(i % 2 == 0 ? 1 : 0));
    }

    /// <summary>
    /// The pairs of <see cref="Get"/>, their 2N images gathered in one batch of the underlying data set (its fast path,
    /// one tensor) and viewed as [N, 2, C, H, W]: no per-pair tensors.
    /// </summary>
    public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("A batch needs at least one index.", nameof(indices));
        var images = new int[2 * indices.Count];
        var same = new float[indices.Count];
        for (int k = 0; k < indices.Count; k++)
        {
            (images[2 * k], images[2 * k + 1]) = Draw(indices[k]);
            same[k] = indices[k] % 2 == 0 ? 1 : 0;
        }
        Tensor batch;
        if (index.Data is Dataset d)
        {
            var (input, labels) = d.GetBatch(images);
            labels.Dispose();
            batch = input;
        }
        else batch = Tensor.Stack(images.Select(j => index.Data.Get(j).Input).ToArray());
        // The view holds the storage; the flat tensor lets go of it, so disposing the view frees the batch.
        using (batch) return (batch.Reshape([indices.Count, 2, .. batch.GetShape()[1..]]), Tensor.FromArray(same));
    }

    /// <summary>The two sample indices of pair <paramref name="i"/>.</summary>
    private (int First, int Second) Draw(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"SiamesePairs: index outside the {Count} pairs.");
        var g = new Generator(unchecked(seed * 1_000_003 + Epoch * 7919L + i));
        int a = index.Classes[(int)g.NextInt64(index.Classes.Count)];
        int b = i % 2 == 0 ? a : index.OtherClass(a, g);
        int first = index.Draw(a, g);
        return (first, index.Draw(b, g));
    }
}

/// <summary>
/// Triplets for the triplet margin loss: sample i is [3, C, H, W], an anchor, a positive of its class and a negative of
/// another (target 0, unused); drawn from a generator seeded by (seed, epoch, index).
/// </summary>
public sealed class SiameseTriplets(ClassIndex index, int count, long seed) : Dataset
{
    private readonly ClassIndex index = index.Classes.Count >= 2 ? index : throw new ArgumentException("SiameseTriplets: negatives need at least two classes.", nameof(index));

    /// <inheritdoc/>
    public override int Count { get; } = count >= 1 ? count : throw new ArgumentOutOfRangeException(nameof(count), count, "SiameseTriplets: the count must be positive.");

    /// <summary>Which draw of triplets the set gives.</summary>
    public int Epoch { get; set; }

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) Get(int i)
    {
        var g = new Generator(unchecked(seed * 1_000_003 + Epoch * 7919L + i));
        int a = index.Classes[(int)g.NextInt64(index.Classes.Count)];
        int n = index.OtherClass(a, g);
        int anchor = index.Draw(a, g), positive = index.Draw(a, g);
        // A positive distinct from the anchor when the class has another sample.
        for (int t = 0; t < 8 && positive == anchor && index.Of(a).Count > 1; t++) positive = index.Draw(a, g);
        var items = new[] { anchor, positive, index.Draw(n, g) }.Select(k => index.Data.Get(k).Input).ToArray();
        return (Tensor.Stack(items), Tensor.Scalar(0, DType.Int64));
    }
}
