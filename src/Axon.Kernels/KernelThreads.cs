namespace Axon.Kernels;

/// <summary>
/// The one place that runs kernel work in parallel. Work is split into fixed partitions that depend
/// only on the problem size and <see cref="Count"/>, so a given thread count gives bit-identical results.
/// </summary>
public static class KernelThreads
{
    private static int count = Environment.ProcessorCount;

    /// <summary>Number of threads kernels may use (1 = serial). Defaults to the processor count.</summary>
    public static int Count
    {
        get => count;
        set => count = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Thread count must be at least 1.");
    }

    /// <summary>Runs body(p) for each partition p in [0, parts), in parallel when <see cref="Count"/> &gt; 1.</summary>
    public static void For(int parts, Action<int> body)
    {
        if (parts <= 1 || count == 1) { for (int p = 0; p < parts; p++) body(p); return; }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = count }, body);
    }
}
