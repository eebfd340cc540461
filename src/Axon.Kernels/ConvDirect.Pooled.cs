using System.Runtime.CompilerServices;

namespace Axon.Kernels;

// relu(max_pool2d(conv(x))) with the convolution's output kept one sample at a time, in cache.
public static unsafe partial class ConvDirect
{
    /// <summary>
    /// pooled = relu(max_pool2d(conv(x, w) + bias)) with each window's argmax as <see cref="Pooling.MaxForwardInt32"/>
    /// gives it (empty: not kept). The convolution is <see cref="ForwardFlat"/>'s (<paramref name="flat"/>) or
    /// <see cref="Forward"/>'s, the pooling <see cref="Pooling.MaxForwardInt32"/> and the ReLU
    /// <see cref="Elementwise.Relu"/>, so the values are theirs to the bit. Each thread takes whole samples, and each
    /// sample's convolution goes into a scratch of one sample that is pooled while it is still in cache: the full
    /// convolution output (four times the pooled one for 2x2 windows) is never written to memory and read back.
    /// <paramref name="pool"/> is the pooling's geometry over one sample's convolution output (its channels are
    /// <paramref name="outChannels"/>).
    /// </summary>
    public static void ForwardMaxPool(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias,
        bool flat, in Window2d pool, Span<float> pooled, Span<int> argmax, int threads)
    {
        if (flat ? !SupportsFlat(win, 1) : !Supports(win, 1))
            throw new NotSupportedException($"ConvDirect: the window is outside the kernel's scope (see {(flat ? "SupportsFlat" : "Supports")}).");
        if (pool.Channels != outChannels || pool.Height != win.OutH || pool.Width != win.OutW)
            throw new ArgumentException($"ConvDirect.ForwardMaxPool: the pooling window is over {pool.Channels} x {pool.Height} x {pool.Width}, the convolution gives {outChannels} x {win.OutH} x {win.OutW} per sample.");
        long outputs = (long)batch * outChannels * pool.OutPlaneSize;
        if (pooled.Length < outputs || (!argmax.IsEmpty && argmax.Length < outputs))
            throw new ArgumentException("ConvDirect.ForwardMaxPool: the pooled output or the argmax is shorter than the shapes need.");
        int k = win.ColRows;
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * k || (!bias.IsEmpty && bias.Length < outChannels))
            throw new ArgumentException("ConvDirect.ForwardMaxPool: a span is shorter than the shapes need.");
        fixed (float* pp = pooled)
        fixed (int* pa = argmax)
        {
            var sink = new PoolSink { On = true, Win = pool, Values = pp, Argmax = argmax.IsEmpty ? null : pa };
            if (!flat)
            {
                ForwardInto(x, batch, win, w, outChannels, bias, default, threads, sink);
                return;
            }
            fixed (float* pw = w)
            fixed (float* pb = bias)
                RunFlat(x, batch, win, pw, outChannels, bias.IsEmpty ? null : pb, default, threads, transposedFrom: 0, sink);
        }
    }

    /// <summary>Where a pooled forward's samples go: pooled, then passed through ReLU, into the output at their offset.</summary>
    private struct PoolSink
    {
        public bool On;
        public Window2d Win;
        public float* Values;
        public int* Argmax;

        /// <summary>Samples [first, end) of <paramref name="batch"/> for this part: whole samples when pooling, so none is shared.</summary>
        public readonly (long First, long End) Samples(int batch, int part, int parts) =>
            ((long)batch * part / parts, (long)batch * (part + 1) / parts);

        /// <summary>Pools sample <paramref name="s"/>, whose convolution output is at <paramref name="y"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public readonly void Sample(int s, float* y)
        {
            int n = Win.Channels * Win.OutPlaneSize;
            var values = new Span<float>(Values + (nint)s * n, n);
            Pooling.MaxForwardInt32<float>(new ReadOnlySpan<float>(y, Win.Channels * Win.PlaneSize), Win, values, Argmax is null ? default : new Span<int>(Argmax + (nint)s * n, n));
            Elementwise.Relu<float>(values, values);
        }
    }

    // One sample's convolution output, per thread.
    [ThreadStatic] private static float[]? sampleBuffer;

    private static float* SampleScratch(int length) => AlignedBuffer.Get(ref sampleBuffer, length);
}
