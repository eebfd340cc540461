using Axon.Kernels;

namespace Axon.Backends;

// A convolution followed by ReLU and max pooling, fused where a direct kernel computes the convolution.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// Float convolutions that <see cref="UseConvFlat"/> or <see cref="UseConvDirect"/> give to the direct kernels run
    /// as <see cref="ConvDirect.ForwardMaxPool"/>: whole samples per thread, each sample's convolution pooled from a
    /// one-sample scratch while it is in cache (a Siamese network's first layer writes 25.7 MB per batch of 256 otherwise,
    /// and its pooling reads them back). Each convolution output is computed whole, by the same kernel, so the values
    /// are the composite's bits. Convolutions that <see cref="UseConvWinograd"/> gives to Winograd run as
    /// <see cref="ConvWinograd.ForwardMaxPool"/> when the pooling is 2x2 with stride 2 (its windows are the 2x2 output
    /// tiles, pooled as they are transformed). Other convolutions, and <see cref="CpuOptions.ConvPoolFusion"/> off, run
    /// the composite.
    /// </remarks>
    public Tensor? Conv2dReluMaxPool2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dParams p, in Window2d pool, Tensor y, bool withArgmax)
    {
        int[] xs = x.ShapeArray, ws = weight.ShapeArray;
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
        var win = ConvWindow(c, h, wd, kh, kw, p, p.OutH(h, kh), p.OutW(wd, kw));
        // Winograd computes the convolution (the composite's too) where its rule picks it: fused when the pooling's
        // windows are its output tiles.
        bool winograd = x.DType == DType.Float32 && UseConvWinograd<float>(win, p.Groups, o);
        bool flat = !winograd && UseConvFlat<float>(win, p.Groups);
        bool direct = winograd ? ConvWinograd.FusesPool(win, pool with { Channels = o }) : flat || UseConvDirect<float>(win, p.Groups, o, weightGrad: false);
        if (!Options.ConvPoolFusion || x.DType != DType.Float32 || !direct)
        {
            var conv = x.EmptyLike([n, o, pool.Height, pool.Width]);
            Conv2d(x, weight, bias, p, conv);
            var pooledArgmax = MaxPool2d(conv, pool, y, withArgmax);
            Unary(UnaryOp.Relu, y, y);
            conv.Dispose();
            return pooledArgmax;
        }
        var xc = x.ContiguousData();
        var wc = weight.ContiguousData();
        var argmax = withArgmax ? Tensor.Empty([(y.NumEl + 1) / 2], DType.Int64, Device) : null;
        var xdata = xc.Data<float>().AsSpan(xc.Offset, n * c * h * wd);
        var wdata = wc.Data<float>().AsSpan(wc.Offset, o * win.ColRows);
        var ydata = y.Data<float>().AsSpan(y.Offset, y.NumEl);
        var indices = argmax is null ? default : Int32s(argmax.Data<long>())[..y.NumEl];
        if (winograd) ConvWinograd.ForwardMaxPool(xdata, n, win, wdata, o, bias?.ToArray<float>(), pool with { Channels = o }, ydata, indices, Threads);
        else ConvDirect.ForwardMaxPool(xdata, n, win, wdata, o, bias?.ToArray<float>(), flat, pool with { Channels = o }, ydata, indices, Threads);
        if (!ReferenceEquals(xc, x)) xc.Dispose();
        if (!ReferenceEquals(wc, weight)) wc.Dispose();
        return argmax;
    }
}
