using System.Numerics;
using Axon.Kernels;

namespace Axon;

// Batch normalisation over [N, C, S] (S = product of the trailing dimensions), fused forward and backward, no autograd.
internal static partial class Compute
{
    /// <summary>Per-channel statistics of a batch-norm input: mean and biased variance over N and S (accumulated in double).</summary>
    public static (double[] Mean, double[] Var) BatchStats(Tensor x)
    {
        var (n, c, s) = NcS(x);
        var mean = new double[c];
        var var = new double[c];
        if (x.DType == DType.Float32) BatchStats<float>(x.Data<float>(), x.Offset, n, c, s, mean, var);
        else BatchStats<double>(x.Data<double>(), x.Offset, n, c, s, mean, var);
        return (mean, var);
    }

    private static (int N, int C, int S) NcS(Tensor x)
    {
        int s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.ShapeArray[i];
        return (x.ShapeArray[0], x.ShapeArray[1], s);
    }

    private static void BatchStats<T>(T[] x, int off, int n, int c, int s, double[] mean, double[] var) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double m = (double)n * s;
        // The part count is read once: a second read inside the body could see KernelThreads.Count changed by another
        // thread meanwhile and walk channels past c (the suite's one intermittent failure, under parallel test classes).
        int parts = Math.Min(c, KernelThreads.Count);
        KernelThreads.For(parts, part =>
        {
            for (int ch = c * part / parts; ch < c * (part + 1) / parts; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                    foreach (var v in x.AsSpan(off + (i * c + ch) * s, s)) sum += double.CreateTruncating(v);
                double mu = sum / m, sq = 0;
                for (int i = 0; i < n; i++)
                    foreach (var v in x.AsSpan(off + (i * c + ch) * s, s)) { double d = double.CreateTruncating(v) - mu; sq += d * d; }
                mean[ch] = mu;
                var[ch] = sq / m;
            }
        });
    }

    /// <summary>y = (x - mean[c]) * invstd[c] * weight[c] + bias[c] for contiguous x [N, C, *].</summary>
    public static Tensor BatchNormApply(Tensor x, double[] mean, double[] invstd, Tensor? weight, Tensor? bias)
    {
        var (n, c, s) = NcS(x);
        var y = Tensor.Empty(x.GetShape(), x.DType);
        // Fold the affine map into one scale and shift per channel.
        var scale = new double[c];
        var shift = new double[c];
        var w = weight?.ToDoubleArray();
        var b = bias?.ToDoubleArray();
        for (int ch = 0; ch < c; ch++)
        {
            scale[ch] = invstd[ch] * (w?[ch] ?? 1);
            shift[ch] = (b?[ch] ?? 0) - mean[ch] * scale[ch];
        }
        if (x.DType == DType.Float32) Affine<float>(x.Data<float>(), x.Offset, n, c, s, scale, shift, y.Data<float>());
        else Affine<double>(x.Data<double>(), x.Offset, n, c, s, scale, shift, y.Data<double>());
        return y;
    }

    private static void Affine<T>(T[] x, int off, int n, int c, int s, double[] scale, double[] shift, T[] y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                var src = x.AsSpan(off + (i * c + ch) * s, s);
                var dst = y.AsSpan((i * c + ch) * s, s);
                System.Numerics.Tensors.TensorPrimitives.Multiply(src, T.CreateTruncating(scale[ch]), dst);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, T.CreateTruncating(shift[ch]), dst);
            }
    }

    /// <summary>
    /// Batch-norm gradients for contiguous x and gy [N, C, *] given the mean and invstd used in the forward.
    /// With <paramref name="training"/> the statistics depend on x: gx = w invstd / M (M gy - sum gy - xhat sum(gy xhat));
    /// otherwise gx = gy w invstd. Always gw = sum(gy xhat), gb = sum(gy).
    /// </summary>
    public static (Tensor? Gx, Tensor? Gw, Tensor? Gb) BatchNormBackward(Tensor x, Tensor gy, double[] mean, double[] invstd, Tensor? weight, bool training, bool needX, bool needW, bool needB)
    {
        var (n, c, s) = NcS(x);
        var g = gy.ContiguousData();
        var sumG = new double[c];
        var sumGx = new double[c];
        if (x.DType == DType.Float32) BnSums<float>(x.Data<float>(), x.Offset, g.Data<float>(), g.Offset, n, c, s, mean, invstd, sumG, sumGx);
        else BnSums<double>(x.Data<double>(), x.Offset, g.Data<double>(), g.Offset, n, c, s, mean, invstd, sumG, sumGx);
        Tensor? gw = needW ? FromDoubles(sumGx, x.DType) : null;
        Tensor? gb = needB ? FromDoubles(sumG, x.DType) : null;
        Tensor? gx = null;
        if (needX)
        {
            gx = Tensor.Empty(x.GetShape(), x.DType);
            var w = weight?.ToDoubleArray();
            double m = (double)n * s;
            // gx = a * gy + b * x + d per channel.
            var ca = new double[c];
            var cb = new double[c];
            var cd = new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                double k = invstd[ch] * (w?[ch] ?? 1);
                ca[ch] = k;
                if (!training) continue;
                // xhat = (x - mean) invstd; gx = k (gy - sumG/M - xhat sumGx/M)
                double t = invstd[ch] * sumGx[ch] / m;
                cb[ch] = -k * t;
                cd[ch] = -k * sumG[ch] / m + k * t * mean[ch];
            }
            if (x.DType == DType.Float32) BnGx<float>(x.Data<float>(), x.Offset, g.Data<float>(), g.Offset, n, c, s, ca, cb, cd, gx.Data<float>());
            else BnGx<double>(x.Data<double>(), x.Offset, g.Data<double>(), g.Offset, n, c, s, ca, cb, cd, gx.Data<double>());
        }
        return (gx, gw, gb);
    }

    private static Tensor FromDoubles(double[] v, DType dtype)
    {
        var t = Tensor.Empty([v.Length], dtype);
        for (int i = 0; i < v.Length; i++) t.SetDouble(v[i], i);
        return t;
    }

    private static void BnSums<T>(T[] x, int xo, T[] g, int go, int n, int c, int s, double[] mean, double[] invstd, double[] sumG, double[] sumGx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                var xs = x.AsSpan(xo + (i * c + ch) * s, s);
                var gs = g.AsSpan(go + (i * c + ch) * s, s);
                double sg = 0, sgx = 0, mu = mean[ch];
                for (int j = 0; j < s; j++)
                {
                    double gv = double.CreateTruncating(gs[j]);
                    sg += gv;
                    sgx += gv * (double.CreateTruncating(xs[j]) - mu);
                }
                sumG[ch] += sg;
                sumGx[ch] += sgx * invstd[ch];
            }
    }

    private static void BnGx<T>(T[] x, int xo, T[] g, int go, int n, int c, int s, double[] ca, double[] cb, double[] cd, T[] gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                int o = (i * c + ch) * s;
                var xs = x.AsSpan(xo + o, s);
                var gs = g.AsSpan(go + o, s);
                var dst = gx.AsSpan(o, s);
                double a = ca[ch], b = cb[ch], d = cd[ch];
                for (int j = 0; j < s; j++)
                    dst[j] = T.CreateTruncating(a * double.CreateTruncating(gs[j]) + b * double.CreateTruncating(xs[j]) + d);
            }
    }
}
