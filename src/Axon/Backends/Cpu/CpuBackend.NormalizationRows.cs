using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Axon.Kernels;

namespace Axon.Backends;

// Batch normalisation's sums over [N, C] rows (BatchNorm1d, S = 1): blocks of 8 channels split over the threads, each
// channel summed over its rows in order, in double, so that any partition and the vector and scalar paths give the
// reference backend's bits. These ran on one thread in scalar code: 8 % of an InfoGAN step, the other core idle.
public sealed partial class CpuBackend
{
    private const int RowBlock = 8;

    private int RowParts(int n, int c) =>
        Math.Min(ParallelParts((int)Math.Min(int.MaxValue, (long)n * c)), Math.Max(1, (c + RowBlock - 1) / RowBlock));

    /// <summary>mean[ch] and var[ch] (biased) of x [N, C] over its rows.</summary>
    private void RowStats<T>(T[] x, int off, int n, int c, double[] mean, double[] var) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new RowStatsBody<T>(x, off, n, c, mean, var, RowParts(n, c));
        KernelThreads.For(body.Parts, ref body);
    }

    /// <summary>sumG[ch] = Σ g and sumGx[ch] = invstd[ch] Σ g (x - mean[ch]) over the rows of x and g [N, C].</summary>
    private void RowGradientSums<T>(T[] x, int xo, T[] g, int go, int n, int c, double[] mean, double[] invstd, double[] sumG, double[] sumGx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new RowGradientSumsBody<T>(x, xo, g, go, n, c, mean, invstd, sumG, sumGx, RowParts(n, c));
        KernelThreads.For(body.Parts, ref body);
    }

    private static (int Start, int End) RowRange(int c, int part, int parts)
    {
        int blocks = (c + RowBlock - 1) / RowBlock;
        return (Math.Min(c, (int)((long)blocks * part / parts) * RowBlock), Math.Min(c, (int)((long)blocks * (part + 1) / parts) * RowBlock));
    }

    private readonly struct RowStatsBody<T>(T[] x, int off, int n, int c, double[] mean, double[] var, int parts) : IPartitionBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            var (ch, end) = RowRange(c, part, parts);
            double m = n;
            if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            {
                var xf = MemoryMarshal.Cast<T, float>(x.AsSpan());
                var mv = Vector256.Create(m);
                for (; ch + RowBlock <= end; ch += RowBlock)
                {
                    Vector256<double> s0 = Vector256<double>.Zero, s1 = s0;
                    for (int i = 0; i < n; i++)
                    {
                        var (lo, hi) = Vector256.Widen(Vector256.Create<float>(xf.Slice(off + i * c + ch, RowBlock)));
                        s0 += lo;
                        s1 += hi;
                    }
                    Vector256<double> m0 = s0 / mv, m1 = s1 / mv, q0 = Vector256<double>.Zero, q1 = q0;
                    for (int i = 0; i < n; i++)
                    {
                        var (lo, hi) = Vector256.Widen(Vector256.Create<float>(xf.Slice(off + i * c + ch, RowBlock)));
                        lo -= m0;
                        hi -= m1;
                        q0 += lo * lo;
                        q1 += hi * hi;
                    }
                    m0.CopyTo(mean, ch);
                    m1.CopyTo(mean, ch + 4);
                    (q0 / mv).CopyTo(var, ch);
                    (q1 / mv).CopyTo(var, ch + 4);
                }
            }
            for (; ch < end; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += double.CreateTruncating(x[off + i * c + ch]);
                double mu = sum / m, sq = 0;
                for (int i = 0; i < n; i++) { double d = double.CreateTruncating(x[off + i * c + ch]) - mu; sq += d * d; }
                mean[ch] = mu;
                var[ch] = sq / m;
            }
        }
    }

    private readonly struct RowGradientSumsBody<T>(T[] x, int xo, T[] g, int go, int n, int c, double[] mean, double[] invstd, double[] sumG, double[] sumGx, int parts)
        : IPartitionBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            var (ch, end) = RowRange(c, part, parts);
            if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            {
                var xf = MemoryMarshal.Cast<T, float>(x.AsSpan());
                var gf = MemoryMarshal.Cast<T, float>(g.AsSpan());
                for (; ch + RowBlock <= end; ch += RowBlock)
                {
                    Vector256<double> a0 = Vector256<double>.Zero, a1 = a0, b0 = a0, b1 = a0;
                    Vector256<double> m0 = Vector256.Create<double>(mean.AsSpan(ch, 4)), m1 = Vector256.Create<double>(mean.AsSpan(ch + 4, 4));
                    for (int i = 0; i < n; i++)
                    {
                        var (xlo, xhi) = Vector256.Widen(Vector256.Create<float>(xf.Slice(xo + i * c + ch, RowBlock)));
                        var (glo, ghi) = Vector256.Widen(Vector256.Create<float>(gf.Slice(go + i * c + ch, RowBlock)));
                        a0 += glo;
                        a1 += ghi;
                        b0 += glo * (xlo - m0);
                        b1 += ghi * (xhi - m1);
                    }
                    a0.CopyTo(sumG, ch);
                    a1.CopyTo(sumG, ch + 4);
                    (b0 * Vector256.Create<double>(invstd.AsSpan(ch, 4))).CopyTo(sumGx, ch);
                    (b1 * Vector256.Create<double>(invstd.AsSpan(ch + 4, 4))).CopyTo(sumGx, ch + 4);
                }
            }
            for (; ch < end; ch++)
            {
                double sg = 0, sgx = 0;
                for (int i = 0; i < n; i++)
                {
                    double gv = double.CreateTruncating(g[go + i * c + ch]);
                    sg += gv;
                    sgx += gv * (double.CreateTruncating(x[xo + i * c + ch]) - mean[ch]);
                }
                sumG[ch] = sg;
                sumGx[ch] = sgx * invstd[ch];
            }
        }
    }
}
