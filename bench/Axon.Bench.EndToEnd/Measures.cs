using System.Globalization;

/// <summary>GC collection counts per generation.</summary>
internal static class Gc
{
    public static (int, int, int) Now() => (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public static int[] Since((int G0, int G1, int G2) start) =>
        [GC.CollectionCount(0) - start.G0, GC.CollectionCount(1) - start.G1, GC.CollectionCount(2) - start.G2];
}

/// <summary>Facts about this process.</summary>
internal static class Proc
{
    /// <summary>VmHWM (peak resident set) from /proc/self/status, in MiB; NaN off Linux.</summary>
    public static double PeakRssMiB()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return double.NaN;
        foreach (string line in File.ReadLines(path))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            string kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
            return double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
        }
        return double.NaN;
    }
}

/// <summary>Order statistics.</summary>
internal static class Stats
{
    /// <summary>Nearest-rank percentile (p in (0, 100]): the smallest value with at least p % of the values at or below it.</summary>
    public static double Percentile(double[] values, double p)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
