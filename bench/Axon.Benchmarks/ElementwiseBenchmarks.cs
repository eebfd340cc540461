using System.Globalization;
using System.Numerics;
using System.Reflection;
using Axon.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Axon.Benchmarks;

/// <summary>
/// Element-wise and reduction kernels on float at odd sizes (so the vector tails run), reported as GB/s of
/// minimal memory traffic: every source read once plus the destination written once, divided by mean time.
/// dotnet run -c Release --project bench/Axon.Benchmarks -- --filter '*Elementwise*'
/// </summary>
[Config(typeof(ElementwiseConfig))]
public class ElementwiseBenchmarks
{
    private float[] _x = [], _y = [], _dst = [];

    [Params(1000, 4097, 65537, (1 << 20) + 3)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _x = new float[N];
        _y = new float[N];
        _dst = new float[N];
        for (int i = 0; i < N; i++)
        {
            _x[i] = (float)(rng.NextDouble() * 8 - 4);
            _y[i] = (float)(rng.NextDouble() * 8 - 4);
        }

        // In process, a kernel first reached mid-suite can still be measured at tier 0 when the shared machine
        // delays the background tier-1 compile (Exp at N=1000 read 25x slow that way); run every kernel for
        // ~0.3 s first so each is at tier 1 before the pilot stage sizes its iterations.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300)
        {
            Add(); Multiply(); Relu(); ReluScalarLoop(); ReluBackward(); Exp(); Sigmoid(); SoftmaxRows(); Sum(); ArgMax();
        }
    }

    [Benchmark, Streams(3)]
    public void Add() => Elementwise.Add<float>(_x, _y, _dst);

    [Benchmark, Streams(3)]
    public void Multiply() => Elementwise.Multiply<float>(_x, _y, _dst);

    [Benchmark, Streams(2)]
    public void Relu() => Elementwise.Relu<float>(_x, _dst);

    /// <summary>The scalar loop Relu had before the SIMD driver, kept verbatim for the speed-up.</summary>
    [Benchmark, Streams(2)]
    public void ReluScalarLoop() => ScalarRelu<float>(_x, _dst);

    [Benchmark, Streams(3)]
    public void ReluBackward() => Elementwise.ReluBackward<float>(_x, _y, _dst);

    [Benchmark, Streams(2)]
    public void Exp() => Elementwise.Exp<float>(_x, _dst);

    [Benchmark, Streams(2)]
    public void Sigmoid() => Elementwise.Sigmoid<float>(_x, _dst);

    /// <summary>Softmax over rows of 1000 (a classifier's logits); the last row is shorter when N is not a multiple.</summary>
    [Benchmark, Streams(2)]
    public void SoftmaxRows()
    {
        const int cols = 1000;
        for (int start = 0; start < N; start += cols)
        {
            int len = Math.Min(cols, N - start);
            Reductions.Softmax<float>(_x.AsSpan(start, len), _dst.AsSpan(start, len));
        }
    }

    [Benchmark, Streams(1)]
    public float Sum() => Reductions.Sum<float>(_x);

    [Benchmark, Streams(1)]
    public int ArgMax() => Reductions.ArgMax<float>(_x);

    private static void ScalarRelu<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] > T.Zero ? x[i] : (T.IsNaN(x[i]) ? x[i] : T.Zero);
    }
}

/// <summary>How many float arrays of length N a benchmark reads or writes once each.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StreamsAttribute(int count) : Attribute
{
    public int Count { get; } = count;
}

/// <summary>Short in-process job (the suite must finish in minutes on a shared 2-core machine) plus a GB/s column.</summary>
public sealed class ElementwiseConfig : ManualConfig
{
    public ElementwiseConfig() => Throughput.Configure(this, iterations: 10, new StreamsGigabytesColumn());
}

/// <summary>GB/s = Streams * N * sizeof(float) bytes / mean nanoseconds.</summary>
public sealed class StreamsGigabytesColumn : GigabytesPerSecondColumn
{
    public override string Legend => "Minimal traffic (each source read once + destination written once) / mean time, 10^9 bytes/s";

    protected override double? Bytes(BenchmarkCase benchmarkCase)
    {
        int? streams = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<StreamsAttribute>()?.Count;
        return streams is null || benchmarkCase.Parameters["N"] is not int n ? null : (double)streams * n * sizeof(float);
    }
}
