using System.Globalization;
using Axon.Benchmarks.Baselines;
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
/// The pooling layers of the lecture CNN, LeNet-5, the small VGG and a ResNet stem at batch 64 (float32), forward and
/// backward, each against the kernels as they were before the float32 fast paths (<see cref="LegacyPooling"/>), run
/// the same way: planes split over one fixed partition per core, as the CPU backend does. Max pooling runs
/// the int32-index kernels autograd uses (the old ones kept int64 indices). The *Old methods include the
/// whole-gradient clear the old backward needed from its caller. GB/s counts the minimal traffic: input read and
/// output written (forward, plus the indices for max), output gradient (and indices) read and input gradient
/// written (backward). Old and new interleave in one process, so their ratio holds on a busy machine.
/// dotnet run -c Release --project bench/Axon.Benchmarks -- --filter '*Pooling*'
/// </summary>
[Config(typeof(PoolingConfig))]
public class PoolingBenchmarks
{
    private float[] _x = [], _y = [], _gy = [], _gx = [];
    private long[] _idx = [];
    private int[] _idx32 = [];
    private Window2d _w;

    /// <summary>Layer: kind, kernel/stride[/padding] and the input [N, C, H, W].</summary>
    [Params("max3s3 64x32x24x24", "max2s2 64x64x4x4", "max2s2 64x32x28x28", "avg2s2 64x6x28x28", "avg2s2 64x16x10x10", "max3s2p1 64x64x56x56")]
    public string Layer { get; set; } = "max3s3 64x32x24x24";

    internal static Window2d Geometry(string layer)
    {
        var parts = layer.Split(' ');
        int[] d = Array.ConvertAll(parts[1].Split('x'), int.Parse);
        var (k, s, p) = parts[0][3..] switch
        {
            "3s3" => (3, 3, 0),
            "2s2" => (2, 2, 0),
            "3s2p1" => (3, 2, 1),
            _ => throw new ArgumentException(layer),
        };
        int oh = (d[2] + 2 * p - k) / s + 1, ow = (d[3] + 2 * p - k) / s + 1;
        return new Window2d(d[0] * d[1], d[2], d[3], k, k, s, s, p, p, 1, 1, oh, ow);
    }

    private bool IsMax => Layer.StartsWith("max", StringComparison.Ordinal);

    [GlobalSetup]
    public void Setup()
    {
        _w = Geometry(Layer);
        var rng = new Random(42);
        int nIn = _w.Channels * _w.PlaneSize, nOut = _w.Channels * _w.OutPlaneSize;
        _x = new float[nIn];
        _gx = new float[nIn];
        _y = new float[nOut];
        _gy = new float[nOut];
        _idx = new long[nOut];
        _idx32 = new int[nOut];
        for (int i = 0; i < nIn; i++) _x[i] = (float)(rng.NextDouble() * 8 - 4);
        for (int i = 0; i < nOut; i++) _gy[i] = (float)(rng.NextDouble() * 2 - 1);
        Pooling.MaxForward<float>(_x, _w, _y, _idx);
        Pooling.MaxForwardInt32<float>(_x, _w, _y, _idx32);

        // Bring every method to tier 1 before the pilot stage (see ElementwiseBenchmarks).
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300) { ForwardOld(); Forward(); BackwardOld(); Backward(); }
    }

    private void OverPlanes(Action<int, int> body)
    {
        int planes = _w.Channels, parts = Math.Min(planes, Environment.ProcessorCount);
        KernelThreads.For(parts, part =>
        {
            int p0 = planes * part / parts, p1 = planes * (part + 1) / parts;
            body(p0, p1 - p0);
        });
    }

    [Benchmark(Baseline = true)]
    public void ForwardOld() => OverPlanes((p0, n) =>
    {
        var w = _w with { Channels = n };
        var x = _x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize);
        var y = _y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize);
        if (IsMax) LegacyPooling.MaxForward<float>(x, w, y, _idx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize));
        else LegacyPooling.AvgForward<float>(x, w, true, y);
    });

    [Benchmark]
    public void Forward() => OverPlanes((p0, n) =>
    {
        var w = _w with { Channels = n };
        var x = _x.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize);
        var y = _y.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize);
        if (IsMax) Pooling.MaxForwardInt32<float>(x, w, y, _idx32.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize));
        else Pooling.AvgForward<float>(x, w, true, y);
    });

    [Benchmark]
    public void BackwardOld()
    {
        Array.Clear(_gx);   // the old kernels accumulate: Compute cleared the whole gradient before calling them
        OverPlanes((p0, n) =>
        {
            var w = _w with { Channels = n };
            var gy = _gy.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize);
            var gx = _gx.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize);
            if (IsMax) LegacyPooling.MaxBackward<float>(gy, _idx.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), w, gx);
            else LegacyPooling.AvgBackward<float>(gy, w, true, gx);
        });
    }

    [Benchmark]
    public void Backward() => OverPlanes((p0, n) =>
    {
        var w = _w with { Channels = n };
        var gy = _gy.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize);
        var gx = _gx.AsSpan(p0 * w.PlaneSize, n * w.PlaneSize);
        if (IsMax) Pooling.MaxBackwardInt32<float>(gy, _idx32.AsSpan(p0 * w.OutPlaneSize, n * w.OutPlaneSize), w, gx);
        else Pooling.AvgBackward<float>(gy, w, true, gx);
    });
}

/// <summary>Short in-process job plus a GB/s column (the ElementwiseConfig settings, more iterations).</summary>
public sealed class PoolingConfig : ManualConfig
{
    public PoolingConfig() => Throughput.Configure(this, iterations: 15, new PoolingGigabytesColumn());
}

/// <summary>Minimal bytes moved (see <see cref="PoolingBenchmarks"/>) / mean time.</summary>
public sealed class PoolingGigabytesColumn : GigabytesPerSecondColumn
{
    public override string Legend => "Input + output (+ indices for max: int64 old, int32 new) bytes / mean time, 10^9 bytes/s";

    protected override double? Bytes(BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Parameters["Layer"] is not string layer) return null;
        var w = PoolingBenchmarks.Geometry(layer);
        double bytes = (double)w.Channels * (w.PlaneSize + w.OutPlaneSize) * sizeof(float);
        bool old = benchmarkCase.Descriptor.WorkloadMethod.Name.EndsWith("Old", StringComparison.Ordinal);
        if (layer.StartsWith("max", StringComparison.Ordinal)) bytes += (double)w.Channels * w.OutPlaneSize * (old ? sizeof(long) : sizeof(int));
        return bytes;
    }
}
