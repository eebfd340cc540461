using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Benchmarks;

/// <summary>
/// Machine FMA peak: 12 independent fused multiply-add chains per thread (enough to cover FMA latency times
/// the number of FMA pipes), on the widest vectors the CPU has (Vector512, else Vector256 with FMA3).
/// Measured in the BenchmarkDotNet host process by the GEMM columns (<see cref="GemmBenchmarks"/>), which print
/// it next to the achieved GFLOP/s.
/// </summary>
public static class PeakFlops
{
    private const int Chains = 12;
    private static readonly Dictionary<(bool Double, int Threads), double> cache = [];

    /// <summary>Best measured GFLOP/s over several short runs for the given precision and thread count (cached).</summary>
    public static double Measure(bool isDouble, int threads)
    {
        lock (cache)
        {
            if (cache.TryGetValue((isDouble, threads), out double known)) return known;
            double best = 0;
            const long iters = 1_000_000;
            // Many short runs (a few ms each): on a shared machine the best one is the one that ran undisturbed.
            for (int run = 0; run < 60; run++)
            {
                var sw = Stopwatch.StartNew();
                if (threads == 1)
                {
                    Loop(isDouble, iters);
                }
                else
                {
                    var workers = new Thread[threads];
                    for (int t = 0; t < threads; t++) (workers[t] = new Thread(() => Loop(isDouble, iters))).Start();
                    foreach (var w in workers) w.Join();
                }
                sw.Stop();
                best = Math.Max(best, threads * iters * FlopsPerIteration(isDouble) / sw.Elapsed.TotalSeconds / 1e9);
            }
            cache[(isDouble, threads)] = best;
            return best;
        }
    }

    private static double FlopsPerIteration(bool isDouble)
    {
        int bytes = Avx512F.IsSupported ? 64 : 32;
        return Chains * 2.0 * bytes / (isDouble ? 8 : 4);
    }

    private static double Loop(bool isDouble, long iters)
    {
        if (Avx512F.IsSupported)
            return isDouble ? Chains512(Vector512.Create(1.0000001), Vector512.Create(1e-9), iters).GetElement(0) : Chains512(Vector512.Create(1.0000001f), Vector512.Create(1e-9f), iters).GetElement(0);
        if (Fma.IsSupported)
            return isDouble ? Chains256(Vector256.Create(1.0000001), Vector256.Create(1e-9), iters).GetElement(0) : Chains256(Vector256.Create(1.0000001f), Vector256.Create(1e-9f), iters).GetElement(0);
        return double.NaN;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<T> Chains512<T>(Vector512<T> x, Vector512<T> y, long iters)
    {
        Vector512<T> c0 = y, c1 = y, c2 = y, c3 = y, c4 = y, c5 = y, c6 = y, c7 = y, c8 = y, c9 = y, c10 = y, c11 = y;
        for (long i = 0; i < iters; i++)
        {
            c0 = F(c0, x, y); c1 = F(c1, x, y); c2 = F(c2, x, y); c3 = F(c3, x, y); c4 = F(c4, x, y); c5 = F(c5, x, y);
            c6 = F(c6, x, y); c7 = F(c7, x, y); c8 = F(c8, x, y); c9 = F(c9, x, y); c10 = F(c10, x, y); c11 = F(c11, x, y);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;

        static Vector512<T> F(Vector512<T> a, Vector512<T> b, Vector512<T> c) => typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<T> Chains256<T>(Vector256<T> x, Vector256<T> y, long iters)
    {
        Vector256<T> c0 = y, c1 = y, c2 = y, c3 = y, c4 = y, c5 = y, c6 = y, c7 = y, c8 = y, c9 = y, c10 = y, c11 = y;
        for (long i = 0; i < iters; i++)
        {
            c0 = F(c0, x, y); c1 = F(c1, x, y); c2 = F(c2, x, y); c3 = F(c3, x, y); c4 = F(c4, x, y); c5 = F(c5, x, y);
            c6 = F(c6, x, y); c7 = F(c7, x, y); c8 = F(c8, x, y); c9 = F(c9, x, y); c10 = F(c10, x, y); c11 = F(c11, x, y);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;

        static Vector256<T> F(Vector256<T> a, Vector256<T> b, Vector256<T> c) => typeof(T) == typeof(float)
            ? Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }
}
