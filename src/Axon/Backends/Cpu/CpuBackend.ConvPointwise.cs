using System.Numerics;
using System.Numerics.Tensors;
using Axon.Kernels;

namespace Axon.Backends;

// 1x1 unit-stride unpadded convolutions (DenseNet's bottlenecks and transitions, the 1x1 layers of bottleneck ResNets) as
// one GEMM per sample: y[n] = W x[n], gx[n] = Wᵀ gy[n], gW = Σn gy[n] x[n]ᵀ. No im2col, no padded copy of the planes, and
// the input gradient overwrites gx. The samples are split over the threads, each GEMM on one.
public sealed partial class CpuBackend
{
    /// <summary>
    /// Whether this float convolution runs as per-sample GEMMs (<see cref="CpuOptions.ConvPointwiseGemm"/>): a 1x1 kernel,
    /// unit stride, no padding, one group, planes of at least 14x14 (196 positions) and at least 64 input channels.
    /// Measured on 2 Zen 5 cores, batch 64, against the flat kernel and the implicit GEMM: DenseNet-121-small's 1x1
    /// layers at 28x28 and 14x14 (BENCHMARKS.md). Smaller planes make each GEMM too narrow to pay for its packing.
    /// </summary>
    internal bool UsePointwiseGemm<T>(in Window2d win, int groups) =>
        typeof(T) == typeof(float) && Options.ConvPointwiseGemm && Options.ConvImplicitGemm && !Options.ConvDirectEverywhere && groups == 1
        && win.KernelH == 1 && win.KernelW == 1 && win.StrideH == 1 && win.StrideW == 1 && win.PadTop == 0 && win.PadLeft == 0
        && win.OutH == win.Height && win.OutW == win.Width && win.OutPlaneSize >= 196 && win.Channels >= 64;

    // y[n] = W x[n] (+ bias), overwriting y.
    private void PointwiseForward<T>(T[] x, int xOff, int n, int c, int l, T[] w, int wOff, int o, T[]? bias, T[] y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Math.Min(n, Threads);
        KernelThreads.For(parts, part =>
        {
            for (int s = n * part / parts; s < n * (part + 1) / parts; s++)
            {
                var ys = y.AsSpan(s * o * l, o * l);
                Gemm.Multiply(false, false, o, l, c, T.One, w.AsSpan(wOff, o * c), c, x.AsSpan(xOff + s * c * l, c * l), l, T.Zero, ys, l, 1);
                if (bias is not null)
                    for (int oc = 0; oc < o; oc++) TensorPrimitives.Add(ys.Slice(oc * l, l), bias[oc], ys.Slice(oc * l, l));
            }
        });
    }

    // gx[n] = Wᵀ gy[n], overwriting gx.
    private void PointwiseInputGradient<T>(T[] gy, int gyOff, int n, int c, int l, T[] w, int wOff, int o, T[] gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Math.Min(n, Threads);
        KernelThreads.For(parts, part =>
        {
            for (int s = n * part / parts; s < n * (part + 1) / parts; s++)
                Gemm.Multiply(true, false, c, l, o, T.One, w.AsSpan(wOff, o * c), c, gy.AsSpan(gyOff + s * o * l, o * l), l, T.Zero, gx.AsSpan(s * c * l, c * l), l, 1);
        });
    }

    // gw += Σn gy[n] x[n]ᵀ: each part sums its samples in order (part 0 straight into gw), then the parts are added in
    // part order, so the result depends only on the sizes and the thread count.
    private void PointwiseWeightGradient<T>(T[] x, int xOff, T[] gy, int gyOff, int n, int c, int l, int o, T[] gw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Math.Min(n, Threads);
        var partials = new T[]?[parts];
        try
        {
            KernelThreads.For(parts, part =>
            {
                var sums = part == 0 ? gw : partials[part] = BufferPool.Rent<T>(o * c, clear: true);
                for (int s = n * part / parts; s < n * (part + 1) / parts; s++)
                    Gemm.Multiply(false, true, o, c, l, T.One, gy.AsSpan(gyOff + s * o * l, o * l), l, x.AsSpan(xOff + s * c * l, c * l), l, T.One, sums.AsSpan(0, o * c), c, 1);
            });
            for (int part = 1; part < parts; part++) TensorPrimitives.Add(gw.AsSpan(0, o * c), partials[part].AsSpan(0, o * c), gw.AsSpan(0, o * c));
        }
        finally
        {
            foreach (var p in partials)
                if (p is not null) BufferPool.Return(p);
        }
    }
}
