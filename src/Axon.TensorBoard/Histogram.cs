using Axon.TensorBoard.Protos;

namespace Axon.TensorBoard;

/// <summary>Builds TensorBoard's <see cref="HistogramProto"/>: equal buckets over the finite values' range, with their count, sum and sum of squares.</summary>
internal static class Histogram
{
    public static HistogramProto Of(ReadOnlySpan<double> values, int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "A histogram needs at least one bin.");
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, squares = 0, count = 0;
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            squares += v * v;
            count++;
        }
        var h = new HistogramProto { Num = count, Sum = sum, SumSquares = squares };
        if (count == 0) return h;
        h.Min = min;
        h.Max = max;
        if (min == max) bins = 1;
        double width = (max - min) / bins;
        var counts = new double[bins];
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) continue;
            // A value on an inner edge belongs to the bucket below it (each bucket ends at its limit).
            int i = width > 0 ? (int)Math.Ceiling((v - min) / width) - 1 : 0;
            counts[Math.Clamp(i, 0, bins - 1)]++;
        }
        for (int i = 0; i < bins; i++) h.BucketLimit.Add(i == bins - 1 ? max : min + (i + 1) * width);
        h.Bucket.Add(counts);
        return h;
    }
}
