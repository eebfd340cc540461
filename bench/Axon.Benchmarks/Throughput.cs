using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Axon.Benchmarks;

/// <summary>The short in-process job the memory-bound suites share (they must finish in minutes on a shared 2-core machine).</summary>
public static class Throughput
{
    /// <summary>Adds the short job with <paramref name="iterations"/> measured iterations of 100 ms and the GB/s column.</summary>
    public static void Configure(ManualConfig config, int iterations, GigabytesPerSecondColumn column)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(5)
            .WithIterationCount(iterations)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)));
        config.AddColumn(column);
        config.HideColumns(Column.Error, Column.Median);
    }
}

/// <summary>A GB/s column: the bytes a case moves (defined by the suite) over its mean time.</summary>
public abstract class GigabytesPerSecondColumn : IColumn
{
    public string Id => GetType().Name;
    public string ColumnName => "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public abstract string Legend { get; }

    /// <summary>Bytes one invocation of the case moves, or null when the case does not say.</summary>
    protected abstract double? Bytes(BenchmarkCase benchmarkCase);

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var stats = summary[benchmarkCase]?.ResultStatistics;
        double? bytes = Bytes(benchmarkCase);
        return stats is null || bytes is null ? "NA" : (bytes.Value / stats.Mean).ToString("F1", CultureInfo.InvariantCulture); // bytes per ns = GB/s
    }
}
