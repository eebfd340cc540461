namespace Axon.Models.Training;

/// <summary>Classification metrics on a batch of scores.</summary>
public static class Metrics
{
    /// <summary>
    /// The number of rows of <paramref name="logits"/> [N, C] whose int64 <paramref name="target"/> class is among the
    /// <paramref name="k"/> highest scores: fewer than k classes score strictly higher than the target (ties count in the
    /// target's favour). With k = 1 and no ties this is the number of arg-max hits.
    /// </summary>
    public static long TopKCorrect(Tensor logits, Tensor target, int k)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        if (logits.Rank != 2 || target.Rank != 1 || target.Size(0) != logits.Size(0))
            throw new ArgumentException($"TopK: expected logits [N, C] and targets [N], got [{string.Join(", ", logits.GetShape())}] and [{string.Join(", ", target.GetShape())}].", nameof(target));
        int n = logits.Size(0), c = logits.Size(1);
        var scores = logits.ToDoubleArray();
        var truth = target.ToLongArray();
        long hits = 0;
        for (int i = 0; i < n; i++)
        {
            long t = truth[i];
            if (t < 0 || t >= c) throw new ArgumentOutOfRangeException(nameof(target), t, $"TopK: target {t} is not a class index in [0, {c}).");
            double s = scores[i * c + t];
            if (double.IsNaN(s)) continue;  // a NaN score is never a hit
            int higher = 0;
            for (int j = 0; j < c && higher < k; j++)
                if (scores[i * c + j] > s) higher++;
            if (higher < k) hits++;
        }
        return hits;
    }

    /// <summary>The fraction of rows whose target is among the <paramref name="k"/> highest scores (see <see cref="TopKCorrect"/>); 0 for an empty batch.</summary>
    public static double TopKAccuracy(Tensor logits, Tensor target, int k)
    {
        long hits = TopKCorrect(logits, target, k);
        return logits.Size(0) == 0 ? 0 : (double)hits / logits.Size(0);
    }
}
