using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Axon.Distributed;

/// <summary>When one bucket's gradients were all ready, and when its all-reduce ran on the communication thread (<see cref="Stopwatch"/> timestamps).</summary>
/// <param name="Bucket">The bucket's index.</param>
/// <param name="Bytes">Its size in bytes.</param>
/// <param name="ReadyAt">When its last gradient arrived (or, for a bucket with unused parameters, when the wait launched it).</param>
/// <param name="StartedAt">When the communication thread started reducing it.</param>
/// <param name="FinishedAt">When the reduction finished.</param>
public sealed record BucketTiming(int Bucket, long Bytes, long ReadyAt, long StartedAt, long FinishedAt);

/// <summary>
/// The events of one data-parallel step (<see cref="DistributedDataParallel.LastStep"/>): the first and last gradient of
/// the backward pass, each bucket's ready/start/finish, and the wait before the optimiser step. The all-reduces that
/// finish before <see cref="LastGradientAt"/> overlapped the backward; <see cref="WaitEndedAt"/> −
/// <see cref="WaitBeganAt"/> is the communication the step could not hide.
/// </summary>
/// <param name="FirstGradientAt">When the first gradient hook ran (the backward was under way).</param>
/// <param name="LastGradientAt">When the last gradient hook ran (the backward was practically over).</param>
/// <param name="WaitBeganAt">When <see cref="DistributedDataParallel.WaitForGradients"/> was called.</param>
/// <param name="WaitEndedAt">When it returned, gradients averaged and buffers synchronised.</param>
/// <param name="Buckets">One timing per bucket, in launch order.</param>
public sealed record StepTimeline(long FirstGradientAt, long LastGradientAt, long WaitBeganAt, long WaitEndedAt, IReadOnlyList<BucketTiming> Buckets)
{
    /// <summary>When the broadcast of rank 0's buffers started on the communication thread (0 when there was none).</summary>
    public long BuffersStartedAt { get; init; }

    /// <summary>When the broadcast of the buffers finished (0 when there was none).</summary>
    public long BuffersFinishedAt { get; init; }

    /// <summary>The seconds spent blocked in the wait (communication not hidden by the backward).</summary>
    public double WaitSeconds => Seconds(WaitBeganAt, WaitEndedAt);

    /// <summary>The seconds the communication thread spent reducing gradients.</summary>
    public double ReduceSeconds => Buckets.Sum(b => Seconds(b.StartedAt, b.FinishedAt));

    /// <summary>The seconds of reduction that ran before the last gradient arrived, i.e. overlapped the backward pass.</summary>
    public double OverlappedSeconds => Buckets.Sum(b => Seconds(b.StartedAt, Math.Min(b.FinishedAt, LastGradientAt)));

    private static double Seconds(long from, long to) => to > from ? (to - from) / (double)Stopwatch.Frequency : 0;

    /// <summary>
    /// The step as text, times in milliseconds from <paramref name="origin"/> (e.g. the start of the backward pass;
    /// default the first gradient), one line per bucket with a bar of <paramref name="width"/> columns: '.' waiting to be
    /// ready, 'r' ready but queued, '#' being reduced ('b' the buffers' broadcast, 'w' the wait before the optimiser step).
    /// </summary>
    public string Render(long origin = 0, int width = 60)
    {
        if (origin == 0) origin = FirstGradientAt;
        long end = Math.Max(WaitEndedAt, Buckets.Count == 0 ? WaitEndedAt : Buckets.Max(b => b.FinishedAt));
        double span = Math.Max(end - origin, 1);
        int Col(long t) => Math.Clamp((int)Math.Round((t - origin) / span * width), 0, width);
        double Ms(long t) => (t - origin) * 1000.0 / Stopwatch.Frequency;
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"gradients ready {Ms(FirstGradientAt):F1}..{Ms(LastGradientAt):F1} ms, wait {Ms(WaitBeganAt):F1}..{Ms(WaitEndedAt):F1} ms (exposed {WaitSeconds * 1000:F1} ms of {ReduceSeconds * 1000:F1} ms reducing)");
        text.Append("backward  |").Append(Bar(Col(origin), Col(origin), Col(origin), Col(LastGradientAt), width, '=', '=')).AppendLine("|");
        if (BuffersStartedAt > 0)
            text.Append("buffers   |").Append(Bar(Col(FirstGradientAt), Col(BuffersStartedAt), Col(BuffersStartedAt), Col(BuffersFinishedAt), width, ' ', 'b'))
                .AppendLine(inv, $"| rank 0's buffers broadcast, start {Ms(BuffersStartedAt):F1} end {Ms(BuffersFinishedAt):F1} ms");
        foreach (var b in Buckets)
        {
            text.Append(inv, $"bucket {b.Bucket,2} |").Append(Bar(Col(FirstGradientAt), Col(b.ReadyAt), Col(b.StartedAt), Col(b.FinishedAt), width, 'r', '#'))
                .AppendLine(inv, $"| {b.Bytes / 1048576.0:F2} MiB ready {Ms(b.ReadyAt):F1} start {Ms(b.StartedAt):F1} end {Ms(b.FinishedAt):F1} ms");
        }
        text.Append("wait      |").Append(Bar(Col(WaitBeganAt), Col(WaitBeganAt), Col(WaitBeganAt), Col(WaitEndedAt), width, ' ', 'w')).AppendLine("|");
        return text.ToString();
    }

    private static string Bar(int from, int ready, int start, int end, int width, char queued, char busy)
    {
        var row = new char[width];
        for (int i = 0; i < width; i++)
            row[i] = i < from ? ' ' : i < ready ? '.' : i < start ? queued : i < Math.Max(end, start + 1) ? busy : ' ';
        return new string(row);
    }
}
