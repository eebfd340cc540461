using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// Binary cross-entropy with logits, element-wise in one pass (LossKernels), split over the threads as the element-wise
// ops are: an autoencoder's [128, 784] reconstruction loss took a dozen recorded ops and passes before.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogits(Tensor x, Tensor target, Tensor loss)
    {
        var xc = x.ContiguousData();
        var tc = target.ContiguousData();
        int n = loss.NumEl;
        if (loss.DType == DType.Float32)
        {
            var body = new BceBody<float>(xc.Data<float>(), xc.Offset, tc.Data<float>(), tc.Offset, null, 0, 0, loss.Data<float>(), loss.Offset);
            ParallelRanges(n, ref body);
        }
        else
        {
            var body = new BceBody<double>(xc.Data<double>(), xc.Offset, tc.Data<double>(), tc.Offset, null, 0, 0, loss.Data<double>(), loss.Offset);
            ParallelRanges(n, ref body);
        }
        if (!ReferenceEquals(xc, x)) xc.Dispose();
        if (!ReferenceEquals(tc, target)) tc.Dispose();
    }

    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g, Tensor gx)
    {
        var xc = x.ContiguousData();
        var tc = target.ContiguousData();
        // A mean's or a sum's gradient arrives as one value broadcast over the shape: read it once.
        bool shared = g.StrideArray.All(s => s == 0);
        var gc = shared ? g : g.ContiguousData();
        int n = gx.NumEl;
        if (gx.DType == DType.Float32)
        {
            var body = new BceBody<float>(xc.Data<float>(), xc.Offset, tc.Data<float>(), tc.Offset, gc.Data<float>(), gc.Offset, shared ? 0 : 1, gx.Data<float>(), gx.Offset);
            ParallelRanges(n, ref body);
        }
        else
        {
            var body = new BceBody<double>(xc.Data<double>(), xc.Offset, tc.Data<double>(), tc.Offset, gc.Data<double>(), gc.Offset, shared ? 0 : 1, gx.Data<double>(), gx.Offset);
            ParallelRanges(n, ref body);
        }
        if (!ReferenceEquals(xc, x)) xc.Dispose();
        if (!ReferenceEquals(tc, target)) tc.Dispose();
        if (!ReferenceEquals(gc, g)) gc.Dispose();
    }

    /// <summary>The forward (no g) or the backward (g with stride 1, or 0 for one shared value) over a range of elements.</summary>
    private readonly struct BceBody<T>(T[] x, int xo, T[] t, int to, T[]? g, int go, int gStride, T[] d, int dOff) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int end)
        {
            int len = end - start;
            ReadOnlySpan<T> xs = x.AsSpan(xo + start, len), ts = t.AsSpan(to + start, len);
            var ds = d.AsSpan(dOff + start, len);
            if (g is null) LossKernels.BinaryCrossEntropyWithLogits(xs, ts, ds);
            else if (gStride == 0) LossKernels.BinaryCrossEntropyWithLogitsBackward(xs, ts, g[go], ds);
            else LossKernels.BinaryCrossEntropyWithLogitsBackward(xs, ts, g.AsSpan(go + start, len), ds);
        }
    }
}
