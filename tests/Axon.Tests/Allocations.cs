namespace Axon.Tests;

/// <summary>Measures what a step allocates once it is warm.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes this thread allocated over any of <paramref name="windows"/> runs of <paramref name="steps"/> steps.
    /// An allocation the step makes shows in every window; a one-off the runtime makes on this thread (tiering a hot
    /// method up while other tests load the process) shows in one, so the smallest window is the step's own.
    /// </summary>
    public static long SteadyStateBytes(Action step, int steps = 50, int windows = 5)
    {
        long fewest = long.MaxValue;
        for (int w = 0; w < windows && fewest > 0; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < steps; i++) step();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
