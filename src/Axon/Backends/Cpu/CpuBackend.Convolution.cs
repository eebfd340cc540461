using System.Numerics;
using System.Numerics.Tensors;
using Axon.Kernels;

namespace Axon.Backends;

// 2-D convolution (cross-correlation): the direct kernel for few taps, the implicit GEMM (AVX-512), or im2col + GEMM.
// The im2col path unfolds samples side by side into one [C kh kw, B Ho Wo] matrix of at most ConvColumnBudget
// elements, so that one GEMM per group serves B samples, and chunks of samples run on different threads: 256 Ki
// elements (1 MiB of float) keeps the matrix near the L2 between im2col and the GEMM; it measured faster than both
// one sample per GEMM and the whole batch in one GEMM on the lecture CNN's layers.
public sealed partial class CpuBackend
{
    /// <summary>
    /// Whether the direct kernel computes this float convolution's forward, or with <paramref name="weightGrad"/> its
    /// weight (and bias) gradient. The rule is measured against the implicit GEMM (2 Zen 5 cores, batch 32-64): the
    /// direct kernel computes whole 16-wide chunks of output rows, so it loses where rows fill few of their lanes (7 or
    /// 8 wide: ResNet's 7x7 stage, the lecture CNN's second layer, slower by 15-60 % in the forward and 2-4x in the
    /// weight gradient, whose per-sample register flush also weighs on small planes), and it gains most where K is
    /// short (the implicit GEMM's gather then costs more than its multiply-adds): LeNet's conv1 (K = 25) 5x forward
    /// and 3x weight gradient, its conv2 (K = 150, 10-wide rows) 1.4x forward, the lecture CNN's conv1 (K = 25, 32
    /// outputs) 1.2x forward and 1.1x weight gradient. The weight gradient with long K and many output channels (K =
    /// 144, 32 outputs) is faster as dot products (<see cref="ConvWeightGrad"/>).
    /// </summary>
    internal bool UseConvDirect<T>(in Window2d win, int groups, int outChannels, bool weightGrad)
    {
        if (typeof(T) != typeof(float) || !Options.ConvDirectKernel || !Options.ConvImplicitGemm || !ConvDirect.Supports(win, groups)) return false;
        if (Options.ConvDirectEverywhere) return true;
        int k = win.ColRows, chunked = (win.OutW + 15) / 16 * 16;
        return weightGrad
            ? k <= 160 && 2 * win.OutW >= chunked && (k <= 32 || outChannels <= 16)
            : k <= 64 || (k <= 160 && 5 * win.OutW >= 3 * chunked);
    }

    /// <summary>
    /// Whether the direct kernels over flat padded planes compute this float convolution (forward, weight gradient, or
    /// the input gradient as the forward of the flipped kernel): unit stride, one group, kernels up to 3x3 with K from 64
    /// (the 3x3 layers of ResNet, VGG and DenseNet; LeNet's and the lecture CNN's layers keep the kernels tuned for them
    /// above), and rows of at least 8 (a 7-wide plane fills 49 of the grid's 96 positions; the implicit GEMM measured
    /// faster there: 2 Zen 5 cores, ResNet-small batch 64, forward 1.5x, weight gradient 1.1x). Measured against the
    /// implicit GEMM on ResNet-small's 3x3 layers (28 and 14 wide): forward 1.2x, input gradient 1.8x, weight gradient 1.6x.
    /// Stride-2 windows (<see cref="CpuOptions.ConvFlatStrided"/>) take it for the forward and the weight gradient by stride
    /// phases: ResNet-small's 32 -> 64 layer (28x28 to 14x14, batch 128, 2 Zen 5 cores) forward 4.7 against 5.5 ms, weight
    /// gradient 5.6 against 7.1; its 64 -> 128 layer (7-wide output) measured 1.15x slower, as the rows-of-8 rule says.
    /// </summary>
    internal bool UseConvFlat<T>(in Window2d win, int groups)
    {
        if (typeof(T) != typeof(float) || !Options.ConvFlatKernel || !Options.ConvImplicitGemm || !ConvDirect.SupportsFlat(win, groups)) return false;
        if (Options.ConvDirectEverywhere) return false;
        if ((win.StrideH > 1 || win.StrideW > 1) && !Options.ConvFlatStrided) return false;
        return win.KernelH * win.KernelW <= 9 && win.ColRows >= 64 && win.OutW >= 8;
    }

    /// <summary>
    /// Whether Winograd's F(2x2, 3x3) (<see cref="ConvWinograd"/>) computes this float convolution's forward, weight
    /// gradient and (for the flipped window) input gradient: 3x3, unit stride, one group, at least 16 input and 16
    /// output channels and 96 together (the products are [O, C] x [C, tiles] GEMMs, and each tile's transforms are paid
    /// once per input and once per output channel: with fewer channels they cost more than the 2.25x fewer
    /// multiply-adds save), and at most 128 x 128 channel pairs (the transformed weights, 64 bytes a pair, are streamed
    /// once per block of tiles and must stay in the L2: ResNet-18's 256 x 256 and 512 x 512 layers at 7x7 and 4x4 measured
    /// 1.2-1.7x slower in the forward). Measured against the flat kernels and the implicit GEMM on 2 Zen 5 cores
    /// (BENCHMARKS.md, "Winograd"): the Siamese network's 32 -> 64 layer at 14x14 forward 1.2-1.4x, input gradient
    /// 1.3-1.4x, weight gradient 1.1-1.3x; ResNet's 64 -> 64 and 128 -> 128 layers at 28x28, 14x14 and 7x7 1.2-1.7x in
    /// each pass; ResNet-small's 32 -> 32 at 28x28 even in the forward and slower in the weight gradient.
    /// </summary>
    internal bool UseConvWinograd<T>(in Window2d win, int groups, int outChannels) =>
        typeof(T) == typeof(float) && Options.ConvWinograd && Options.ConvImplicitGemm && !Options.ConvDirectEverywhere
        && ConvWinograd.Supports(win, groups) && win.Channels >= 16 && outChannels >= 16 && win.Channels + outChannels >= 96
        && (long)win.Channels * outChannels <= 128 * 128;

    // Whether the input gradient takes Winograd (as the forward of the flipped kernel).
    private bool WinogradInputGradient<T>(int[] xs, int[] ws, in Conv2dParams p)
    {
        int kh = ws[2], kw = ws[3];
        var win = ConvWindow(xs[1], xs[2], xs[3], kh, kw, p, p.OutH(xs[2], kh), p.OutW(xs[3], kw));
        return p.PadBottom == p.PadTop && p.PadRight == p.PadLeft && UseConvWinograd<T>(win, p.Groups, ws[0])
            && UseConvWinograd<T>(ConvDirect.FlippedWindow(win, ws[0]), p.Groups, xs[1]);
    }

    // Whether the input gradient takes the flat kernel (as the forward of the flipped kernel).
    private bool FlatInputGradient<T>(int[] xs, int[] ws, in Conv2dParams p)
    {
        int kh = ws[2], kw = ws[3];
        var win = ConvWindow(xs[1], xs[2], xs[3], kh, kw, p, p.OutH(xs[2], kh), p.OutW(xs[3], kw));
        return p.StrideH == 1 && p.StrideW == 1 && win.PadTop < kh && win.PadLeft < kw && p.PadBottom == p.PadTop && p.PadRight == p.PadLeft
            && UseConvFlat<T>(win, p.Groups) && UseConvFlat<T>(ConvDirect.FlippedWindow(win, ws[0]), p.Groups);
    }

    /// <summary>Whether the kernel <see cref="Conv2dBackward{T}"/> picks for the input gradient writes every element of it.</summary>
    private bool InputGradientOverwrites<T>(int[] xs, int[] ws, in Conv2dParams p)
    {
        int kh = ws[2], kw = ws[3];
        var win = ConvWindow(xs[1], xs[2], xs[3], kh, kw, p, p.OutH(xs[2], kh), p.OutW(xs[3], kw));
        return UsePointwiseGemm<T>(win, p.Groups) || WinogradInputGradient<T>(xs, ws, p) || FlatInputGradient<T>(xs, ws, p) || UseConvChannelsLast<T>(win, p.Groups, ws[0])
            || FlippedInputGradient<T>(xs, ws, p);
    }

    // Whether the input gradient that neither Winograd nor the flat kernel takes runs as the implicit GEMM's forward of the
    // flipped kernel (CpuOptions.ConvFlippedInputGradient). Measured on 2 Zen 5 cores, batch 64, against the column
    // gradient and fold: DenseNet-121-small's 48 -> 12 3x3 layers at 7x7 and 3x3 and its 1x1 bottlenecks (BENCHMARKS.md).
    // ResNet-18's 256 -> 256 at 7x7 gained 1.1x; its 512 -> 512 at 4x4 lost 1.1x, so channel pairs stop at 256 x 256. A
    // stem's one or three input channels would fill one 8-row tile of the flipped forward poorly (8x slower measured).
    // The flipped forward must gather by permutes (rows under 16 or at least 64 taps): DenseNet's 24..60 -> 48 1x1
    // layers at 28x28, whose gather would copy runs, measured 1.1-2x slower than the fold.
    private bool FlippedInputGradient<T>(int[] xs, int[] ws, in Conv2dParams p) =>
        Options.ConvFlippedInputGradient && UseConvGemm<T>() && !Options.ConvDirectEverywhere && p.Groups == 1
        && xs[1] >= 8 && (long)xs[1] * ws[0] <= 256 * 256 && (xs[3] < 16 || ws[0] * ws[2] * ws[3] >= 64)
        && p.StrideH == 1 && p.StrideW == 1 && p.DilationH == 1 && p.DilationW == 1 && ws[2] * ws[3] <= 9
        && p.PadBottom == p.PadTop && p.PadRight == p.PadLeft && p.PadTop < ws[2] && p.PadLeft < ws[3];

    // flipped[c, o, kh-1-i, kw-1-j] = w[o, c, i, j]: the kernel of the input gradient as a forward convolution.
    private static void FlipKernel<T>(ReadOnlySpan<T> w, int o, int c, int kh, int kw, Span<T> flipped)
    {
        int taps = kh * kw;
        for (int oc = 0; oc < o; oc++)
            for (int ci = 0; ci < c; ci++)
            {
                var src = w.Slice((oc * c + ci) * taps, taps);
                var dst = flipped.Slice((ci * o + oc) * taps, taps);
                for (int t = 0; t < taps; t++) dst[taps - 1 - t] = src[t];
            }
    }

    /// <summary>
    /// Whether the channels-last column matrix and one GEMM (<see cref="ConvChannelsLast"/>) compute this float
    /// convolution (forward and both gradients). Two cases, both one group and at least 16 input channels:
    /// <list type="bullet">
    /// <item>Strided windows of more than 9 taps. Measured against the implicit GEMM (1 Zen 5 core, batch 64, fastest
    /// call): DCGAN's 32 -> 64 4x4 stride-2 layer (14x14 to 7x7) 1.8-2.4 ms against 3.2-4.5 in each pass; ResNet-small's
    /// 3x3 stride-2 layers even within noise, its 1x1 stride-2 shortcuts slower (1.0 against 0.6 ms), so they keep the
    /// implicit GEMM. Inputs of fewer than 16 channels (an RGB stem: copies of 3 values per tap) keep it too.</item>
    /// <item>Windows of at least 3x3 with at least 128 input channels and output planes of at most 7x7 that Winograd
    /// does not take (its channel pairs stop at 128 x 128): there the NCHW gathers of the implicit GEMM read runs of 4 or 7,
    /// and one GEMM over the batch's positions keeps the FMA units fed. Measured on 2 Zen 5 cores, batch 64
    /// (<c>conv-layers --model resnet18</c>): the 512 -> 512 layers at 4x4 51 against 59 ms a step (input gradient 17 against
    /// 20, weight gradient 16 against 22), the 128 -> 256 and 256 -> 512 stride-2 layers 1.1-1.25x, the 256 -> 256 layers
    /// at 7x7 even; the training step 1.05-1.08x. DenseNet's 1x1 bottlenecks at 7x7 measured 1.3-2x slower this way, hence
    /// the 3x3 floor.</item>
    /// </list>
    /// </summary>
    internal bool UseConvChannelsLast<T>(in Window2d win, int groups, int outChannels) =>
        typeof(T) == typeof(float) && Options.ConvChannelsLast && Options.ConvImplicitGemm && !Options.ConvDirectEverywhere && groups == 1 && win.Channels >= 16
        && (((win.StrideH > 1 || win.StrideW > 1) && win.KernelH * win.KernelW > 9)
            || (win.KernelH * win.KernelW >= 9 && win.Channels >= 128 && win.OutPlaneSize <= 49 && !UseConvWinograd<T>(win, groups, outChannels)));

    private bool UseConvGemm<T>() => Options.ConvImplicitGemm && ConvGemm.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    private static Window2d ConvWindow(int c, int h, int w, int kh, int kw, in Conv2dParams p, int outH, int outW) =>
        new(c, h, w, kh, kw, p.StrideH, p.StrideW, p.PadTop, p.PadLeft, p.DilationH, p.DilationW, outH, outW);

    /// <summary>Samples per column matrix for a per-sample column block of <paramref name="perSample"/> elements.</summary>
    private int ConvChunk(int n, long perSample) => (int)Math.Clamp(Options.ConvColumnBudget / Math.Max(perSample, 1), 1, Math.Max(n, 1));

    /// <inheritdoc/>
    public void Conv2d(Tensor x, Tensor w, Tensor? b, in Conv2dParams p, Tensor y)
    {
        var xc = x.ContiguousData();
        var wc = w.ContiguousData();
        if (x.DType == DType.Float32) Conv2dForward(xc.Data<float>(), xc.Offset, xc.ShapeArray, wc.Data<float>(), wc.Offset, wc.ShapeArray, b?.ToArray<float>(), p, y.Data<float>());
        else Conv2dForward(xc.Data<double>(), xc.Offset, xc.ShapeArray, wc.Data<double>(), wc.Offset, wc.ShapeArray, b?.ToArray<double>(), p, y.Data<double>());
        if (!ReferenceEquals(xc, x)) xc.Dispose();
        if (!ReferenceEquals(wc, w)) wc.Dispose();
    }

    private void Conv2dForward<T>(T[] x, int xOff, int[] xs, T[] w, int wOff, int[] ws, T[]? bias, Conv2dParams p, T[] y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int g = p.Groups, og = o / g, outH = p.OutH(h, kh), outW = p.OutW(wd, kw), l = outH * outW, k = cg * kh * kw;
        var win = ConvWindow(c, h, wd, kh, kw, p, outH, outW);
        if (UsePointwiseGemm<T>(win, g))
        {
            PointwiseForward(x, xOff, n, c, l, w, wOff, o, bias, y);
            return;
        }
        if (UseConvWinograd<T>(win, g, o))
        {
            ConvWinograd.Forward(((float[])(object)x).AsSpan(xOff, n * c * h * wd), n, win, ((float[])(object)w).AsSpan(wOff, o * k), o, (float[]?)(object?)bias, (float[])(object)y, Threads);
            return;
        }
        if (UseConvFlat<T>(win, g))
        {
            ConvDirect.ForwardFlat(((float[])(object)x).AsSpan(xOff, n * c * h * wd), n, win, ((float[])(object)w).AsSpan(wOff, o * k), o, (float[]?)(object?)bias, (float[])(object)y, Threads);
            return;
        }
        if (UseConvChannelsLast<T>(win, g, o))
        {
            ConvChannelsLast.Forward<T>(x.AsSpan(xOff, n * c * h * wd), n, win, w.AsSpan(wOff, o * k), o, bias, y, Threads);
            return;
        }
        if (UseConvDirect<T>(win, g, o, weightGrad: false))
        {
            ConvDirect.Forward(((float[])(object)x).AsSpan(xOff, n * c * h * wd), n, win, ((float[])(object)w).AsSpan(wOff, o * k), o, (float[]?)(object?)bias, (float[])(object)y, Threads);
            return;
        }
        if (UseConvGemm<T>())
        {
            ConvGemm.Forward<T>(x.AsSpan(xOff, n * c * h * wd), n, win, g, w.AsSpan(wOff, o * k), o, bias, y, Threads);
            return;
        }
        int chunk = ConvChunk(n, (long)win.ColRows * l), chunks = (n + chunk - 1) / chunk;
        // Chunks are independent: the threads take equal sample ranges (within one sample, whatever the chunk count),
        // each cut into chunks with its own column buffer.
        int parts = chunks > 1 ? Math.Min(n, Threads) : 1;
        KernelThreads.For(parts, part =>
        {
            var cols = BufferPool.Rent<T>(win.ColRows * chunk * l, clear: false);
            var ybuf = chunk > 1 ? BufferPool.Rent<T>(o * chunk * l, clear: false) : null;
            try
            {
                int sEnd = n * (part + 1) / parts;
                for (int n0 = n * part / parts; n0 < sEnd; n0 += chunk)
                {
                    int bsz = Math.Min(chunk, sEnd - n0), ld = bsz * l;
                    UnfoldSamples(x, xOff, n0, bsz, win, cols, ld);
                    // Per group: Y_g [og, ld] = W_g [og, k] x cols_g [k, ld]; with one sample Y_g is the output itself.
                    var dst = ybuf ?? y;
                    int dstOff = ybuf is null ? n0 * o * l : 0;
                    for (int gi = 0; gi < g; gi++)
                        Gemm.Multiply(false, false, og, ld, k, T.One, w.AsSpan(wOff + gi * og * k), k, cols.AsSpan(gi * k * ld), ld, T.Zero, dst.AsSpan(dstOff + gi * og * ld), ld, Threads);
                    for (int s = 0; s < bsz; s++)
                        for (int oc = 0; oc < o; oc++)
                        {
                            var to = y.AsSpan(((n0 + s) * o + oc) * l, l);
                            if (ybuf is not null) ybuf.AsSpan(oc * ld + s * l, l).CopyTo(to);
                            if (bias is not null) TensorPrimitives.Add(to, bias[oc], to);
                        }
                }
            }
            finally
            {
                BufferPool.Return(cols);
                if (ybuf is not null) BufferPool.Return(ybuf);
            }
        });
    }

    /// <summary>Unfolds samples n0..n0+count of x side by side into cols (sample s at column s * Ho * Wo), in parallel over samples.</summary>
    private void UnfoldSamples<T>(T[] x, int xOff, int n0, int count, Window2d win, T[] cols, int ld) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int sampleSize = win.Channels * win.PlaneSize, l = win.OutPlaneSize;
        int parts = Math.Min(count, Threads);
        KernelThreads.For(parts, part =>
        {
            int s0 = (int)((long)count * part / parts), s1 = (int)((long)count * (part + 1) / parts);
            for (int s = s0; s < s1; s++)
                Im2Col.Unfold<T>(x.AsSpan(xOff + (n0 + s) * sampleSize, sampleSize), win, cols.AsSpan(s * l), ld);
        });
    }

    /// <inheritdoc/>
    /// <remarks>gx = col2im(Wᵀ gY), gw = the sum over samples of gY colsᵀ, gb = the sum of gY over samples and positions.</remarks>
    public void Conv2dBackward(Tensor? x, Tensor? w, Tensor gy, in Conv2dParams p, Tensor? gx, Tensor? gw, Tensor? gb)
    {
        var g = gy.ContiguousData();
        // x is read only for the weight gradient and w only for the input gradient; otherwise their shapes come from the gradients'.
        var xc = x?.ContiguousData();
        var wc = w?.ContiguousData();
        int[] xs = x?.ShapeArray ?? gx!.ShapeArray, ws = w?.ShapeArray ?? gw!.ShapeArray;
        // The kernels accumulate into cleared destinations, except the flat and channels-last input gradients, which
        // overwrite (clearing a transposed convolution's output first cost as much as a tenth of its time).
        bool overwrittenDx = gx is not null && (gy.DType == DType.Float32 ? InputGradientOverwrites<float>(xs, ws, p) : InputGradientOverwrites<double>(xs, ws, p));
        foreach (var t in (ReadOnlySpan<Tensor?>)[overwrittenDx ? null : gx, gw, gb])
            if (t is not null) Fill(t, 0);
        if (gy.DType == DType.Float32)
            Conv2dBackward(xc?.Data<float>() ?? [], xc?.Offset ?? 0, xs, wc?.Data<float>() ?? [], wc?.Offset ?? 0, ws, g.Data<float>(), g.Offset, p, gx?.Data<float>(), gw?.Data<float>(), gb?.Data<float>());
        else
            Conv2dBackward(xc?.Data<double>() ?? [], xc?.Offset ?? 0, xs, wc?.Data<double>() ?? [], wc?.Offset ?? 0, ws, g.Data<double>(), g.Offset, p, gx?.Data<double>(), gw?.Data<double>(), gb?.Data<double>());
        if (!ReferenceEquals(g, gy)) g.Dispose();
        if (xc is not null && !ReferenceEquals(xc, x)) xc.Dispose();
        if (wc is not null && !ReferenceEquals(wc, w)) wc.Dispose();
    }

    private void Conv2dBackward<T>(T[] x, int xOff, int[] xs, T[] w, int wOff, int[] ws, T[] gy, int gyOff, Conv2dParams p, T[]? gx, T[]? gw, T[]? gb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int g = p.Groups, og = o / g, outH = p.OutH(h, kh), outW = p.OutW(wd, kw), l = outH * outW, k = cg * kh * kw;
        var win = ConvWindow(c, h, wd, kh, kw, p, outH, outW);
        // The direct kernel sums the bias gradient from gY while its weight-gradient tiles have it in cache.
        bool pointwise = UsePointwiseGemm<T>(win, g);
        bool direct = gw is not null && !pointwise && Options.ConvImplicitWeightGrad && !UseConvChannelsLast<T>(win, g, o) && UseConvDirect<T>(win, g, o, weightGrad: true);
        if (gb is not null && !direct)
        {
            // Split over the output channels, each summed over the samples in order: the serial loop's values.
            int biasParts = (long)n * o * l < 2 * Options.ElementwiseGrain ? 1 : Math.Min(o, Threads);
            KernelThreads.For(biasParts, part =>
            {
                for (int oc = o * part / biasParts; oc < o * (part + 1) / biasParts; oc++)
                    for (int s = 0; s < n; s++) gb[oc] += TensorPrimitives.Sum<T>(gy.AsSpan(gyOff + (s * o + oc) * l, l));
            });
        }
        if (gx is null && gw is null) return;
        if (pointwise)
        {
            if (gx is not null) PointwiseInputGradient(gy, gyOff, n, c, l, w, wOff, o, gx);
            if (gw is not null) PointwiseWeightGradient(x, xOff, gy, gyOff, n, c, l, o, gw);
            return;
        }
        // The input gradient's tile runs over the output channels of a group (k = og): below ConvGemmMinBackwardChannels
        // the short tiles and the fold cost more than the GEMM. Since the fold by permutes, LeNet's Conv2d(6, 16, 5)
        // backward is ~20 % faster here than through im2col + GEMM (profile --model lenet5: 0.75 -> 0.60 ms).
        if (gx is not null && WinogradInputGradient<T>(xs, ws, p))
        {
            // gx = conv(gy, flip(w)ᵀ) with padding 2 - pad, overwriting the cleared gx.
            ConvWinograd.BackwardInput(((float[])(object)gy).AsSpan(gyOff, n * o * l), n, win, ((float[])(object)w).AsSpan(wOff, o * k), o, (float[])(object)gx, Threads);
            gx = null;
            if (gw is null) return;
        }
        if (gx is not null && FlatInputGradient<T>(xs, ws, p))
        {
            // gx = conv(gy, flip(w)ᵀ) with padding k - 1 - pad: the forward kernel, overwriting the cleared gx.
            ConvDirect.BackwardInputFlat(((float[])(object)gy).AsSpan(gyOff, n * o * l), n, win, ((float[])(object)w).AsSpan(wOff, o * k), o, (float[])(object)gx, Threads);
            gx = null;
            if (gw is null) return;
        }
        if (UseConvChannelsLast<T>(win, g, o))
        {
            if (gx is not null) ConvChannelsLast.BackwardInput<T>(gy.AsSpan(gyOff, n * o * l), n, win, w.AsSpan(wOff, o * k), o, gx, Threads);
            if (gw is not null) ConvChannelsLast.WeightGrad<T>(x.AsSpan(xOff, n * c * h * wd), gy.AsSpan(gyOff, n * o * l), n, win, o, gw, Threads);
            return;
        }
        if (gx is not null && FlippedInputGradient<T>(xs, ws, p))
        {
            // gx = conv(gy, flip(w)ᵀ) with padding k - 1 - pad through the implicit GEMM's forward, overwriting the uncleared gx.
            var flipped = BufferPool.Rent<T>(o * k, clear: false);
            try
            {
                FlipKernel<T>(w.AsSpan(wOff, o * k), o, c, kh, kw, flipped);
                ConvGemm.Forward<T>(gy.AsSpan(gyOff, n * o * l), n, ConvDirect.FlippedWindow(win, o), 1, flipped.AsSpan(0, o * k), c, ReadOnlySpan<T>.Empty, gx, Threads);
            }
            finally
            {
                BufferPool.Return(flipped);
            }
            gx = null;
            if (gw is null) return;
        }
        if (gx is not null && og >= Options.ConvGemmMinBackwardChannels && UseConvGemm<T>())
        {
            ConvGemm.BackwardInput<T>(gy.AsSpan(gyOff, n * o * l), n, win, g, w.AsSpan(wOff, o * k), o, gx, Threads);
            gx = null;
            if (gw is null) return;
        }
        if (direct)
        {
            ConvDirect.WeightGrad(((float[])(object)x).AsSpan(xOff, n * c * h * wd), ((float[])(object)gy).AsSpan(gyOff, n * o * l), n, win, o, ((float[])(object)gw!).AsSpan(0, o * k),
                gb is null ? default : ((float[])(object)gb).AsSpan(0, o), Threads);
            gw = null;
            if (gx is null) return;
        }
        if (gw is not null && Options.ConvImplicitWeightGrad && UseConvWinograd<T>(win, g, o))
        {
            ConvWinograd.WeightGrad(((float[])(object)x).AsSpan(xOff, n * c * h * wd), ((float[])(object)gy).AsSpan(gyOff, n * o * l), n, win, o, ((float[])(object)gw).AsSpan(0, o * k), Threads);
            gw = null;
            if (gx is null) return;
        }
        if (gw is not null && Options.ConvImplicitWeightGrad && UseConvFlat<T>(win, g))
        {
            ConvDirect.WeightGradFlat(((float[])(object)x).AsSpan(xOff, n * c * h * wd), ((float[])(object)gy).AsSpan(gyOff, n * o * l), n, win, o, ((float[])(object)gw).AsSpan(0, o * k), Threads);
            gw = null;
            if (gx is null) return;
        }
        if (gw is not null && Options.ConvImplicitWeightGrad && UseConvGemm<T>())
        {
            ConvWeightGrad.Backward<T>(x.AsSpan(xOff, n * c * h * wd), gy.AsSpan(gyOff, n * o * l), n, win, g, o, gw.AsSpan(0, o * k), Threads);
            gw = null;
            if (gx is null) return;
        }
        int chunk = ConvChunk(n, (long)win.ColRows * l), chunks = (n + chunk - 1) / chunk;
        int parts = chunks > 1 ? Math.Min(n, Threads) : 1;
        // Each part takes an equal sample range (cut into chunks) and accumulates the weight gradient of its chunks; part 0 into gw, the others into partial sums added
        // in part order afterwards (the partition depends only on the sizes and the thread count: deterministic).
        var partials = new T[]?[parts];
        KernelThreads.For(parts, part =>
        {
            var cols = BufferPool.Rent<T>(win.ColRows * chunk * l, clear: false);
            var gbuf = chunk > 1 ? BufferPool.Rent<T>(o * chunk * l, clear: false) : null;
            var gwPart = gw is null ? null : part == 0 ? gw : partials[part] = BufferPool.Rent<T>(gw.Length, clear: true);
            bool first = true;
            try
            {
                int sEnd = n * (part + 1) / parts;
                for (int n0 = n * part / parts; n0 < sEnd; n0 += chunk)
                {
                    int bsz = Math.Min(chunk, sEnd - n0), ld = bsz * l;
                    // gY of the chunk as [O, B Ho Wo] (the layout of the forward's GEMM output).
                    T[] gm = gy;
                    int gmOff = gyOff + n0 * o * l;
                    if (gbuf is not null)
                    {
                        for (int s = 0; s < bsz; s++)
                            for (int oc = 0; oc < o; oc++)
                                gy.AsSpan(gyOff + ((n0 + s) * o + oc) * l, l).CopyTo(gbuf.AsSpan(oc * ld + s * l, l));
                        gm = gbuf;
                        gmOff = 0;
                    }
                    if (gwPart is not null)
                    {
                        UnfoldSamples(x, xOff, n0, bsz, win, cols, ld);
                        // gW_g [og, k] += gY_g [og, ld] x cols_g^T [ld, k]
                        for (int gi = 0; gi < g; gi++)
                            Gemm.Multiply(false, true, og, k, ld, T.One, gm.AsSpan(gmOff + gi * og * ld), ld, cols.AsSpan(gi * k * ld), ld, first ? T.Zero : T.One, gwPart.AsSpan(gi * og * k), k, Threads);
                        first = false;
                    }
                    if (gx is not null)
                    {
                        // dcols_g [k, ld] = W_g^T [k, og] x gY_g [og, ld], folded back onto each sample's input gradient.
                        for (int gi = 0; gi < g; gi++)
                            Gemm.Multiply(true, false, k, ld, og, T.One, w.AsSpan(wOff + gi * og * k), k, gm.AsSpan(gmOff + gi * og * ld), ld, T.Zero, cols.AsSpan(gi * k * ld), ld, Threads);
                        int sampleSize = c * h * wd;
                        for (int s = 0; s < bsz; s++)
                            Im2Col.Fold<T>(cols.AsSpan(s * l), ld, win, gx.AsSpan((n0 + s) * sampleSize, sampleSize));
                    }
                }
            }
            finally
            {
                BufferPool.Return(cols);
                if (gbuf is not null) BufferPool.Return(gbuf);
            }
        });
        if (gw is null) return;
        for (int part = 1; part < parts; part++)
        {
            TensorPrimitives.Add(gw, partials[part]!, gw);
            BufferPool.Return(partials[part]!);
        }
    }
}
