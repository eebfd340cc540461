using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// Batch normalisation over [N, C, S] (S = product of the trailing dimensions), fused forward and backward.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void BatchNorm(Tensor input, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor y, Tensor saveMean, Tensor saveInvStd) => BatchNormAct(input, weight, bias, runningMean, runningVar, training, momentum, eps, null, false, y, saveMean, saveInvStd);

    /// <inheritdoc/>
    /// <remarks>Fused: the residual add and the ReLU happen in the affine pass, plane by plane, with the composite's arithmetic.</remarks>
    public void BatchNormAct(Tensor input, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor? residual, bool relu, Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        var x = input.ContiguousData();
        var (n, c, s) = NcS(x);
        var mean = saveMean.AsSpan<double>();
        var invstd = saveInvStd.AsSpan<double>();
        var r = residual?.ContiguousData();
        if (training && s > 1)
        {
            // Statistics and affine pass channel by channel (CpuBackend.NormalizationChannels.cs).
            var bm = new double[c];
            var bv = new double[c];
            var bi = new double[c];
            double[]? w = weight?.ToDoubleArray(), b = bias?.ToDoubleArray();
            if (x.DType == DType.Float32)
                ChannelForward<float>(x.Data<float>(), x.Offset, r?.Data<float>(), r?.Offset ?? 0, y.Data<float>(), y.Offset, n, c, s, w, b, eps, relu, bm, bv, bi);
            else
                ChannelForward<double>(x.Data<double>(), x.Offset, r?.Data<double>(), r?.Offset ?? 0, y.Data<double>(), y.Offset, n, c, s, w, b, eps, relu, bm, bv, bi);
            long count = (long)n * s;
            bm.CopyTo(mean);
            bi.CopyTo(invstd);
            if (runningMean is not null) UpdateRunning(runningMean, bm, momentum, 1);
            if (runningVar is not null) UpdateRunning(runningVar, bv, momentum, (double)count / (count - 1));
        }
        else if (training)
        {
            var bm = new double[c];
            var bv = new double[c];
            if (x.DType == DType.Float32) BatchStats<float>(x.Data<float>(), x.Offset, n, c, s, bm, bv);
            else BatchStats<double>(x.Data<double>(), x.Offset, n, c, s, bm, bv);
            long m = (long)n * s;
            bm.CopyTo(mean);
            for (int ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.Sqrt(bv[ch] + eps);
            if (runningMean is not null) UpdateRunning(runningMean, bm, momentum, 1);
            if (runningVar is not null) UpdateRunning(runningVar, bv, momentum, (double)m / (m - 1));
        }
        else
        {
            runningMean!.ToDoubleArray().CopyTo(mean);
            var rv = runningVar!.ToDoubleArray();
            for (int ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.Sqrt(rv[ch] + eps);
        }
        if (!training || s == 1) BatchNormApply(x, mean, invstd, weight, bias, r, relu, y);
        if (!ReferenceEquals(x, input)) x.Dispose();
        if (r is not null && !ReferenceEquals(r, residual)) r.Dispose();
    }

    // running = (1 - momentum) running + momentum stat factor, in double, rounded to the running tensor's type.
    private static void UpdateRunning(Tensor running, double[] stat, double momentum, double factor)
    {
        if (running.DType == DType.Float32)
        {
            var r = running.Data<float>();
            for (int i = 0; i < stat.Length; i++) r[running.Offset + i * running.StrideArray[0]] = (float)((1 - momentum) * r[running.Offset + i * running.StrideArray[0]] + momentum * stat[i] * factor);
        }
        else
        {
            var r = running.Data<double>();
            for (int i = 0; i < stat.Length; i++) r[running.Offset + i * running.StrideArray[0]] = (1 - momentum) * r[running.Offset + i * running.StrideArray[0]] + momentum * stat[i] * factor;
        }
    }

    private static (int N, int C, int S) NcS(Tensor x)
    {
        int s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.ShapeArray[i];
        return (x.ShapeArray[0], x.ShapeArray[1], s);
    }

    // [N, C] rows (S = 1); planes go channel by channel with their affine pass (ChannelForward).
    private void BatchStats<T>(T[] x, int off, int n, int c, int s, double[] mean, double[] var) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s != 1) throw new InvalidOperationException($"BatchStats: expected rows (S = 1), got planes of {s}.");
        RowStats(x, off, n, c, mean, var);
    }

    /// <summary>y = (x - mean[c]) * invstd[c] * weight[c] + bias[c] for contiguous x [N, C, *].</summary>
    private void BatchNormApply(Tensor x, ReadOnlySpan<double> mean, ReadOnlySpan<double> invstd, Tensor? weight, Tensor? bias, Tensor? residual, bool relu, Tensor y)
    {
        var (n, c, s) = NcS(x);
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
        if (x.DType == DType.Float32) Affine<float>(x.Data<float>(), x.Offset, n, c, s, scale, shift, residual?.Data<float>(), residual?.Offset ?? 0, relu, y.Data<float>());
        else Affine<double>(x.Data<double>(), x.Offset, n, c, s, scale, shift, residual?.Data<double>(), residual?.Offset ?? 0, relu, y.Data<double>());
    }

    private void Affine<T>(T[] x, int off, int n, int c, int s, double[] scale, double[] shift, T[]? r, int ro, bool relu, T[] y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s == 1)
        {
            // [N, C]: one fused multiply-add per row with the per-channel scale and shift as vectors.
            var sc = new T[c];
            var sh = new T[c];
            for (int ch = 0; ch < c; ch++) (sc[ch], sh[ch]) = (T.CreateTruncating(scale[ch]), T.CreateTruncating(shift[ch]));
            for (int i = 0; i < n; i++)
            {
                var row = y.AsSpan(i * c, c);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<T>(x.AsSpan(off + i * c, c), sc, sh, row);
                if (r is not null) System.Numerics.Tensors.TensorPrimitives.Add<T>(row, r.AsSpan(ro + i * c, c), row);
                if (relu) Elementwise.Relu<T>(row, row);
            }
            return;
        }
        var body = new AffineBody<T>(x, off, n * c, c, s, scale, shift, r, ro, relu, y, PlaneParts(n * c, s));
        KernelThreads.For(body.Parts, ref body);
    }

    /// <summary>Parts for per-plane work over <paramref name="planes"/> planes of <paramref name="s"/> elements: as the element-wise ops split.</summary>
    private int PlaneParts(int planes, int s) => Math.Min(ParallelParts((int)Math.Min(int.MaxValue, (long)planes * s)), Math.Max(planes, 1));

    // Planes [count * part / parts, count * (part + 1) / parts) of y = x scale[c] + shift[c]; every element is computed
    // the same way in any partition.
    private readonly struct AffineBody<T>(T[] x, int off, int count, int c, int s, double[] scale, double[] shift, T[]? r, int ro, bool relu, T[] y, int parts) : IPartitionBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            for (int pl = count * part / parts, end = count * (part + 1) / parts; pl < end; pl++)
            {
                int ch = pl % c;
                var dst = y.AsSpan(pl * s, s);
                T sc = T.CreateTruncating(scale[ch]), sh = T.CreateTruncating(shift[ch]);
                if (r is null) BatchNormPlane.Apply<T>(x.AsSpan(off + pl * s, s), sc, sh, relu, dst);
                else BatchNormPlane.ApplyResidual<T>(x.AsSpan(off + pl * s, s), r.AsSpan(ro + pl * s, s), sc, sh, relu, dst);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With <paramref name="training"/> the statistics depend on x: gx = w invstd / M (M gy - sum gy - xhat sum(gy xhat));
    /// otherwise gx = gy w invstd. Always gw = sum(gy xhat), gb = sum(gy).
    /// </remarks>
    public void BatchNormBackward(Tensor input, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, Tensor? gx, Tensor? gw, Tensor? gb) =>
        BatchNormActBackward(input, null, gy, saveMean, saveInvStd, weight, training, false, gx, gw, gb, null);

    /// <inheritdoc/>
    /// <remarks>
    /// Fused for planes (S &gt; 1): the ReLU's mask is applied to gy plane by plane inside the gradient-sum and input-gradient
    /// passes (the masked plane written once, to the residual's gradient, when that is asked for), with the composite's arithmetic.
    /// </remarks>
    public void BatchNormActBackward(Tensor input, Tensor? y, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, bool relu,
        Tensor? gx, Tensor? gw, Tensor? gb, Tensor? gResidual)
    {
        if (!relu && gResidual is not null) Copy(gy, gResidual);
        if (relu && (y is null || NcS(input).S == 1))
        {
            // [N, C] rows (or no saved output): the composite, masking gy first.
            ArgumentNullException.ThrowIfNull(y);
            var gz = gResidual ?? gy.EmptyLike(gy.GetShape());
            ActivationBackward(ActivationGrad.Relu, y, gy, gz);
            BatchNormActBackward(input, null, gz, saveMean, saveInvStd, weight, training, false, gx, gw, gb, null);
            if (gResidual is null) gz.Dispose();
            return;
        }
        var x = input.ContiguousData();
        var (n, c, s) = NcS(x);
        var mean = saveMean.ToDoubleArray();
        var invstd = saveInvStd.ToDoubleArray();
        var g = gy.ContiguousData();
        var yc = relu ? y!.ContiguousData() : null;
        var gr = relu ? gResidual : null;
        var sumG = new double[c];
        var sumGx = new double[c];
        var w = weight?.ToDoubleArray();
        if (s > 1)
        {
            // Sums and input gradient channel by channel (CpuBackend.NormalizationChannels.cs).
            if (x.DType == DType.Float32)
                ChannelBackward<float>(x.Data<float>(), x.Offset, g.Data<float>(), g.Offset, yc?.Data<float>(), yc?.Offset ?? 0, gr?.Data<float>(), gr?.Offset ?? 0,
                    gx?.Data<float>(), gx?.Offset ?? 0, n, c, s, mean, invstd, w, training, sumG, sumGx);
            else
                ChannelBackward<double>(x.Data<double>(), x.Offset, g.Data<double>(), g.Offset, yc?.Data<double>(), yc?.Offset ?? 0, gr?.Data<double>(), gr?.Offset ?? 0,
                    gx?.Data<double>(), gx?.Offset ?? 0, n, c, s, mean, invstd, w, training, sumG, sumGx);
        }
        else if (x.DType == DType.Float32) RowBackward<float>(x.Data<float>(), x.Offset, g.Data<float>(), g.Offset, gx?.Data<float>(), n, c, mean, invstd, w, training, sumG, sumGx);
        else RowBackward<double>(x.Data<double>(), x.Offset, g.Data<double>(), g.Offset, gx?.Data<double>(), n, c, mean, invstd, w, training, sumG, sumGx);
        if (gw is not null) FromDoubles(sumGx, gw);
        if (gb is not null) FromDoubles(sumG, gb);
        if (!ReferenceEquals(x, input)) x.Dispose();
        if (!ReferenceEquals(g, gy)) g.Dispose();
        if (yc is not null && !ReferenceEquals(yc, y)) yc.Dispose();
    }

    private static void FromDoubles(double[] v, Tensor t)
    {
        if (t.DType == DType.Float32) { var d = t.AsSpan<float>(); for (int i = 0; i < v.Length; i++) d[i] = (float)v[i]; }
        else v.CopyTo(t.AsSpan<double>());
    }

    // [N, C] rows (S = 1, unmasked): the gradient sums, then gx = a * gy + b * x + d per channel. Planes go channel by
    // channel (ChannelBackward).
    private void RowBackward<T>(T[] x, int xo, T[] g, int go, T[]? gx, int n, int c, double[] mean, double[] invstd, double[]? w, bool training,
        double[] sumG, double[] sumGx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        RowGradientSums(x, xo, g, go, n, c, mean, invstd, sumG, sumGx);
        if (gx is null) return;
        var a = new T[c];
        var b = new T[c];
        var d = new T[c];
        for (int ch = 0; ch < c; ch++)
        {
            double k = invstd[ch] * (w?[ch] ?? 1), cb = 0, cd = 0;
            if (training)
            {
                // xhat = (x - mean) invstd; gx = k (gy - sumG/M - xhat sumGx/M)
                double t = invstd[ch] * sumGx[ch] / n;
                cb = -k * t;
                cd = -k * sumG[ch] / n + k * t * mean[ch];
            }
            (a[ch], b[ch], d[ch]) = (T.CreateTruncating(k), T.CreateTruncating(cb), T.CreateTruncating(cd));
        }
        for (int i = 0; i < n; i++)
        {
            var dst = gx.AsSpan(i * c, c);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<T>(x.AsSpan(xo + i * c, c), b, d, dst);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<T>(g.AsSpan(go + i * c, c), a, dst, dst);
        }
    }

    // Sums over one plane in double. float planes are widened to double vectors (the order of the additions differs from
    // a sequential loop, by a few units in the last place of a double); double planes are summed in order.
    private static double PlaneSum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float))
        {
            double t = 0;
            foreach (var v in x) t += double.CreateTruncating(v);
            return t;
        }
        var f = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
        var acc = Vector<double>.Zero;
        int i = 0;
        for (; i + Vector<float>.Count <= f.Length; i += Vector<float>.Count)
        {
            Vector.Widen(new Vector<float>(f[i..]), out var lo, out var hi);
            acc += lo + hi;
        }
        double sum = Vector.Sum(acc);
        for (; i < f.Length; i++) sum += f[i];
        return sum;
    }

    private static double PlaneCentredSquares<T>(ReadOnlySpan<T> x, double mu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float))
        {
            double t = 0;
            foreach (var v in x) { double d = double.CreateTruncating(v) - mu; t += d * d; }
            return t;
        }
        var f = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
        var acc = Vector<double>.Zero;
        var m = new Vector<double>(mu);
        int i = 0;
        for (; i + Vector<float>.Count <= f.Length; i += Vector<float>.Count)
        {
            Vector.Widen(new Vector<float>(f[i..]), out var lo, out var hi);
            lo -= m;
            hi -= m;
            acc += lo * lo + hi * hi;
        }
        double sum = Vector.Sum(acc);
        for (; i < f.Length; i++) { double d = f[i] - mu; sum += d * d; }
        return sum;
    }

    private static (double SumG, double SumGCentred) PlaneGradientSums<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, double mu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sg = 0, sgx = 0;
        if (typeof(T) != typeof(float))
        {
            for (int j = 0; j < x.Length; j++)
            {
                double gv = double.CreateTruncating(g[j]);
                sg += gv;
                sgx += gv * (double.CreateTruncating(x[j]) - mu);
            }
            return (sg, sgx);
        }
        var xf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
        var gf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(g);
        Vector<double> a = Vector<double>.Zero, b = Vector<double>.Zero, m = new(mu);
        int i = 0;
        for (; i + Vector<float>.Count <= xf.Length; i += Vector<float>.Count)
        {
            Vector.Widen(new Vector<float>(xf[i..]), out var xlo, out var xhi);
            Vector.Widen(new Vector<float>(gf[i..]), out var glo, out var ghi);
            a += glo + ghi;
            b += glo * (xlo - m) + ghi * (xhi - m);
        }
        sg = Vector.Sum(a);
        sgx = Vector.Sum(b);
        for (; i < xf.Length; i++)
        {
            sg += gf[i];
            sgx += gf[i] * (xf[i] - mu);
        }
        return (sg, sgx);
    }

    // A plane-sized scratch per thread (the masked gradient of one plane).
    private static class PlaneScratch<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? buffer;

        public static T[] Get(int length) => buffer is not null && buffer.Length >= length ? buffer : buffer = new T[Math.Max(length, 1024)];
    }
}
