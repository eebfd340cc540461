using Axon.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace Axon.Benchmarks;

/// <summary>
/// SGEMM / DGEMM C = A * B on square row-major matrices, 1 and 2 kernel threads.
/// Extra columns: GFLOP/s (2 n^3 flops over the best and the median iteration), the machine's FMA peak for
/// the same precision and thread count (measured by <see cref="PeakFlops"/>), and the fraction of it reached.
/// Run: dotnet run -c Release --project bench/Axon.Benchmarks -- --filter '*Gemm*'
/// </summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private float[] af = [], bf = [], cf = [];
    private double[] ad = [], bd = [], cd = [];

    /// <summary>Matrix size (m = n = k).</summary>
    [Params(64, 128, 256, 512, 1024, 2048)]
    public int N { get; set; }

    /// <summary>The thread budget passed to each GEMM call.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Random operands, allocated once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        // The thread budget is the Threads argument of each call.
        var rnd = new Random(42);
        int len = N * N;
        (af, bf, cf) = (new float[len], new float[len], new float[len]);
        (ad, bd, cd) = (new double[len], new double[len], new double[len]);
        for (int i = 0; i < len; i++)
        {
            af[i] = (float)(ad[i] = rnd.NextDouble() - 0.5);
            bf[i] = (float)(bd[i] = rnd.NextDouble() - 0.5);
        }
    }

    /// <summary>Single precision.</summary>
    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(false, false, N, N, N, 1f, af, N, bf, N, 0f, cf, N, Threads);

    /// <summary>Double precision.</summary>
    [Benchmark]
    public void Dgemm() => Gemm.Dgemm(false, false, N, N, N, 1.0, ad, N, bd, N, 0.0, cd, N, Threads);
}

/// <summary>Short job (the whole GEMM suite runs in a few minutes) plus the GFLOP/s and peak columns.</summary>
public sealed class GemmConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GemmConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(200)));
        AddColumn(new GflopsColumn(best: true), new GflopsColumn(best: false), new PeakColumn(), new FractionColumn());
    }
}

/// <summary>Helpers shared by the GEMM columns.</summary>
internal static class GemmColumns
{
    public static int Param(BenchmarkCase c, string name) => (int)c.Parameters[name];

    public static bool IsDouble(BenchmarkCase c) => c.Descriptor.WorkloadMethod.Name.StartsWith('D');

    // Achieved GFLOP/s: 2 n^3 flops over the best (minimum) or median iteration time.
    public static double Gflops(Summary s, BenchmarkCase c, bool best)
    {
        var stats = s[c]?.ResultStatistics;
        if (stats is null) return double.NaN;
        double n = Param(c, "N");
        return 2 * n * n * n / (best ? stats.Min : stats.Median);
    }

    public static double Peak(BenchmarkCase c) => PeakFlops.Measure(IsDouble(c), Param(c, "Threads"));
}

/// <summary>Base for the numeric GEMM columns.</summary>
internal abstract class GemmColumn(string id, string name, string legend) : IColumn
{
    public string Id => id;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase);
}

internal sealed class GflopsColumn(bool best) : GemmColumn(best ? "GflopsBest" : "GflopsMedian", best ? "GFLOP/s best" : "GFLOP/s median",
    $"2 n^3 / {(best ? "fastest" : "median")} iteration time")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GemmColumns.Gflops(summary, benchmarkCase, best).ToString("F1");
}

internal sealed class PeakColumn() : GemmColumn("PeakGflops", "Peak GFLOP/s", "Measured FMA peak for this precision and thread count (PeakFlops)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GemmColumns.Peak(benchmarkCase).ToString("F1");
}

internal sealed class FractionColumn() : GemmColumn("PeakFraction", "% of peak", "GFLOP/s best / Peak GFLOP/s")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        => (100 * GemmColumns.Gflops(summary, benchmarkCase, true) / GemmColumns.Peak(benchmarkCase)).ToString("F1") + "%";
}
