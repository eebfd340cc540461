using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// Batch normalisation in training over planes (S > 1), one channel at a time: the statistics and the affine pass of a
// channel (forward), or its gradient sums and input gradient (backward), run back to back, so the second pass reads the
// channel's planes from cache rather than memory. Channels split over the threads; each channel sums its samples in
// order, so the results are those of the separate passes, bit for bit, for any thread count.
public sealed partial class CpuBackend
{
    private void ChannelForward<T>(T[] x, int xo, T[]? r, int ro, T[] y, int yo, int n, int c, int s, double[]? w, double[]? b, double eps, bool relu,
        double[] mean, double[] var, double[] invstd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new ChannelForwardBody<T>(x, xo, r, ro, y, yo, n, c, s, w, b, eps, relu, mean, var, invstd, PlaneParts(c, n * s));
        KernelThreads.For(body.Parts, ref body);
    }

    private readonly struct ChannelForwardBody<T>(T[] x, int xo, T[]? r, int ro, T[] y, int yo, int n, int c, int s, double[]? w, double[]? b, double eps,
        bool relu, double[] mean, double[] var, double[] invstd, int parts) : IPartitionBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            double m = (double)n * s;
            for (int ch = c * part / parts, end = c * (part + 1) / parts; ch < end; ch++)
            {
                // In double throughout: the statistics are sums of many values (and must match the reference backend's).
                double sum = 0;
                for (int i = 0; i < n; i++) sum += PlaneSum(x.AsSpan(xo + (i * c + ch) * s, s));
                double mu = sum / m, sq = 0;
                for (int i = 0; i < n; i++) sq += PlaneCentredSquares(x.AsSpan(xo + (i * c + ch) * s, s), mu);
                double v = sq / m, inv = 1 / Math.Sqrt(v + eps);
                (mean[ch], var[ch], invstd[ch]) = (mu, v, inv);
                // The affine map folded into one scale and shift, as BatchNormApply folds it.
                double scale = inv * (w?[ch] ?? 1), shift = (b?[ch] ?? 0) - mu * scale;
                T sc = T.CreateTruncating(scale), sh = T.CreateTruncating(shift);
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * s;
                    if (r is null) BatchNormPlane.Apply<T>(x.AsSpan(xo + o, s), sc, sh, relu, y.AsSpan(yo + o, s));
                    else BatchNormPlane.ApplyResidual<T>(x.AsSpan(xo + o, s), r.AsSpan(ro + o, s), sc, sh, relu, y.AsSpan(yo + o, s));
                }
            }
        }
    }

    // With y, gy is masked by y > 0 plane by plane (into gr when the residual's gradient is asked for, else into a
    // per-thread scratch of the channel's planes), and the input gradient reads the masked planes back.
    private void ChannelBackward<T>(T[] x, int xo, T[] g, int go, T[]? y, int yo, T[]? gr, int gro, T[]? gx, int gxo, int n, int c, int s,
        double[] mean, double[] invstd, double[]? w, bool training, double[] sumG, double[] sumGx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new ChannelBackwardBody<T>(x, xo, g, go, y, yo, gr, gro, gx, gxo, n, c, s, mean, invstd, w, training, sumG, sumGx, PlaneParts(c, n * s));
        KernelThreads.For(body.Parts, ref body);
    }

    private readonly struct ChannelBackwardBody<T>(T[] x, int xo, T[] g, int go, T[]? y, int yo, T[]? gr, int gro, T[]? gx, int gxo, int n, int c, int s,
        double[] mean, double[] invstd, double[]? w, bool training, double[] sumG, double[] sumGx, int parts) : IPartitionBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            var temp = y is not null && gr is null ? PlaneScratch<T>.Get(n * s) : null;
            double m = (double)n * s;
            for (int ch = c * part / parts, end = c * (part + 1) / parts; ch < end; ch++)
            {
                double sg = 0, sgx = 0;
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * s;
                    ReadOnlySpan<T> gp = Masked(temp, i, o);
                    // In double, as the reference backend sums.
                    var (a, d) = PlaneGradientSums(x.AsSpan(xo + o, s), gp, mean[ch]);
                    sg += a;
                    sgx += d * invstd[ch];
                }
                (sumG[ch], sumGx[ch]) = (sg, sgx);
                if (gx is null) continue;
                // gx = a gy + b x + d, with xhat = (x - mean) invstd: gx = k (gy - sumG/M - xhat sumGx/M).
                double k = invstd[ch] * (w?[ch] ?? 1), cb = 0, cd = 0;
                if (training)
                {
                    double t = invstd[ch] * sgx / m;
                    cb = -k * t;
                    cd = -k * sg / m + k * t * mean[ch];
                }
                T ta = T.CreateTruncating(k), tb = T.CreateTruncating(cb), td = T.CreateTruncating(cd);
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * s;
                    ReadOnlySpan<T> gp = y is null ? g.AsSpan(go + o, s) : gr is not null ? gr.AsSpan(gro + o, s) : temp.AsSpan(i * s, s);
                    BatchNormPlane.InputGradient<T>(x.AsSpan(xo + o, s), gp, ta, tb, td, gx.AsSpan(gxo + o, s));
                }
            }
        }

        private ReadOnlySpan<T> Masked(T[]? temp, int i, int o)
        {
            ReadOnlySpan<T> gp = g.AsSpan(go + o, s);
            if (y is null) return gp;
            var masked = gr is not null ? gr.AsSpan(gro + o, s) : temp.AsSpan(i * s, s);
            Elementwise.ReluBackward<T>(y.AsSpan(yo + o, s), gp, masked);
            return masked;
        }
    }
}
