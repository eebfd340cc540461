using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// 2-D convolution (one group) as one GEMM over a channels-last column matrix: the input is transposed to NHWC once,
/// so each row of the column matrix (one output position of the whole batch) is KH x KW contiguous copies of C
/// channels, and the product runs with the batch's positions as its long dimension. For strided convolutions with
/// small outputs (DCGAN's 4x4 stride-2 layers, 14x14 to 7x7) the NCHW gathers of the implicit GEMM and of im2col read
/// one or two elements per run; here every copy is C elements long and the GEMM's rows number N x Ho x Wo.
/// </summary>
/// <remarks>
/// Forward: y [N, K, Ho, Wo] = (cols [P, R] x Wt [K, R]ᵀ)ᵀ per sample, P = N Ho Wo positions, R = KH KW C with the
/// weights permuted to [K, KH, KW, C]. Input gradient: dcols [P, R] = gYt [P, K] x Wt [K, R], folded back onto an
/// NHWC gradient (per sample, taps in a fixed order) and transposed to NCHW. Weight gradient: gWt [K, R] = gYtᵀ x cols,
/// accumulated over chunks of samples in order. The partitions are fixed by the sizes and the thread budget, so a given
/// budget gives bit-identical results.
/// </remarks>
public static unsafe class ConvChannelsLast
{
    /// <summary>Column-matrix elements per chunk of samples: 4 Mi (16 MiB of float).</summary>
    internal static long ColumnBudget { get; set; } = 4L << 20;

    /// <summary>y = conv(x, w) + bias (overwritten). x [N, C, H, W], w [K, C, KH, KW], bias [K] or empty, y [N, K, Ho, Wo].</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int batch, in Window2d win, ReadOnlySpan<T> w, int outChannels, ReadOnlySpan<T> bias, Span<T> y, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = Job<T>.Create(batch, win, outChannels, threads);
        Check(job, x.Length, w.Length, y.Length, "Forward");
        if (!bias.IsEmpty && bias.Length < outChannels) throw new ArgumentException("ConvChannelsLast.Forward: the bias is shorter than the output channels.");
        if (job.Empty) return;
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        {
            job.Prepare(px, pw, withInput: true);
            job.Bias = bias.IsEmpty ? null : pb;
            job.Out = py;
            for (int n0 = 0; n0 < batch; n0 += job.Chunk)
            {
                int count = Math.Min(job.Chunk, batch - n0), rows = count * job.L;
                job.Run(Phase.Unfold, n0, count);
                Gemm.Multiply(false, true, rows, outChannels, job.R, T.One, new ReadOnlySpan<T>(job.Cols, rows * job.R), job.R,
                    new ReadOnlySpan<T>(job.Wt, outChannels * job.R), job.R, T.Zero, new Span<T>(job.Gt, rows * outChannels), outChannels, threads);
                job.Run(Phase.StoreOutput, n0, count);
            }
        }
    }

    /// <summary>gx = the input gradient (overwritten). gy [N, K, Ho, Wo], w [K, C, KH, KW], gx [N, C, H, W].</summary>
    public static void BackwardInput<T>(ReadOnlySpan<T> gy, int batch, in Window2d win, ReadOnlySpan<T> w, int outChannels, Span<T> gx, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = Job<T>.Create(batch, win, outChannels, threads);
        Check(job, gx.Length, w.Length, gy.Length, "BackwardInput");
        if (job.Empty) { gx[..(batch * win.Channels * win.PlaneSize)].Clear(); return; }
        fixed (T* pgy = gy)
        fixed (T* pw = w)
        fixed (T* pgx = gx)
        {
            job.Prepare(null, pw, withInput: true);
            job.Gy = pgy;
            job.Out = pgx;
            for (int n0 = 0; n0 < batch; n0 += job.Chunk)
            {
                int count = Math.Min(job.Chunk, batch - n0), rows = count * job.L;
                job.Run(Phase.LoadGradient, n0, count);
                Gemm.Multiply(false, false, rows, job.R, outChannels, T.One, new ReadOnlySpan<T>(job.Gt, rows * outChannels), outChannels,
                    new ReadOnlySpan<T>(job.Wt, outChannels * job.R), job.R, T.Zero, new Span<T>(job.Cols, rows * job.R), job.R, threads);
                job.Run(Phase.Fold, n0, count);
            }
        }
    }

    /// <summary>gw = the weight gradient (overwritten). x [N, C, H, W], gy [N, K, Ho, Wo], gw [K, C, KH, KW].</summary>
    public static void WeightGrad<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, int batch, in Window2d win, int outChannels, Span<T> gw, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = Job<T>.Create(batch, win, outChannels, threads);
        Check(job, x.Length, gw.Length, gy.Length, "WeightGrad");
        if (job.Empty) { gw[..(outChannels * job.R)].Clear(); return; }
        fixed (T* px = x)
        fixed (T* pgy = gy)
        fixed (T* pgw = gw)
        {
            job.Prepare(px, null, withInput: true);
            job.Gy = pgy;
            for (int n0 = 0; n0 < batch; n0 += job.Chunk)
            {
                int count = Math.Min(job.Chunk, batch - n0), rows = count * job.L;
                job.Run(Phase.Unfold | Phase.LoadGradient, n0, count);
                Gemm.Multiply(true, false, outChannels, job.R, rows, T.One, new ReadOnlySpan<T>(job.Gt, rows * outChannels), outChannels,
                    new ReadOnlySpan<T>(job.Cols, rows * job.R), job.R, n0 == 0 ? T.Zero : T.One, new Span<T>(job.Wt, outChannels * job.R), job.R, threads);
            }
            // gWt [K, KH, KW, C] back to [K, C, KH, KW].
            int taps = win.KernelH * win.KernelW, c = win.Channels;
            for (int k = 0; k < outChannels; k++)
                for (int t = 0; t < taps; t++)
                    for (int ci = 0; ci < c; ci++)
                        pgw[((nint)k * c + ci) * taps + t] = job.Wt[((nint)k * taps + t) * c + ci];
        }
    }

    private static void Check<T>(in Job<T> job, int inputLength, int weightLength, int outputLength, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (job.Win.DilationH < 1 || job.Win.DilationW < 1 || job.Win.StrideH < 1 || job.Win.StrideW < 1)
            throw new ArgumentException($"ConvChannelsLast.{name}: strides and dilations must be at least 1 ({job.Win}).");
        if (inputLength < (long)job.Batch * job.Win.Channels * job.Win.PlaneSize || weightLength < (long)job.K * job.R || outputLength < (long)job.Batch * job.K * job.L)
            throw new ArgumentException($"ConvChannelsLast.{name}: a span is shorter than the shapes need ({job.Win}, batch {job.Batch}, {job.K} output channels).");
    }

    [Flags]
    private enum Phase { Unfold = 1, LoadGradient = 2, StoreOutput = 4, Fold = 8 }

    private struct Job<T> : IPartitionBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static T[]? xtBuffer, wtBuffer, colsBuffer, gtBuffer;

        public Window2d Win;
        public int Batch, K, L, R, Chunk, Threads, N0, Count, Parts;
        public Phase Phases;
        public T* X, Xt, Wt, Cols, Gt, Gy, Out, Bias;

        public readonly bool Empty => Batch == 0 || K == 0 || L == 0 || R == 0;

        public static Job<T> Create(int batch, in Window2d win, int outChannels, int threads)
        {
            int r = win.Channels * win.KernelH * win.KernelW, l = win.OutH * win.OutW;
            int chunk = (int)Math.Clamp(ColumnBudget / Math.Max((long)r * l, 1), 1, Math.Max(batch, 1));
            return new Job<T> { Win = win, Batch = batch, K = outChannels, L = l, R = r, Chunk = chunk, Threads = KernelThreads.CheckThreads(threads) };
        }

        // Scratch in the calling thread's buffers (the workers only read and write through these pointers); the input
        // is transposed to NHWC once for the whole batch, the weights to [K, KH, KW, C].
        public void Prepare(T* x, T* w, bool withInput)
        {
            int c = Win.Channels, taps = Win.KernelH * Win.KernelW;
            Wt = AlignedBuffer.Get(ref wtBuffer, (nint)K * R);
            if (w is not null)
                for (int k = 0; k < K; k++)
                    for (int ci = 0; ci < c; ci++)
                        for (int t = 0; t < taps; t++)
                            Wt[((nint)k * taps + t) * c + ci] = w[((nint)k * c + ci) * taps + t];
            Cols = AlignedBuffer.Get(ref colsBuffer, (nint)Chunk * L * R);
            Gt = AlignedBuffer.Get(ref gtBuffer, (nint)Chunk * L * K);
            if (!withInput) return;
            Xt = AlignedBuffer.Get(ref xtBuffer, (nint)Batch * c * Win.PlaneSize);
            if (x is null) return;
            X = x;
            Phases = 0;
            N0 = 0;
            Count = Batch;
            Parts = Math.Min(Batch, Threads);
            KernelThreads.For(Parts, ref this);
        }

        public void Run(Phase phases, int n0, int count)
        {
            Phases = phases;
            N0 = n0;
            Count = count;
            Parts = Math.Min(count, Threads);
            KernelThreads.For(Parts, ref this);
        }

        public readonly void Run(int part)
        {
            int s0 = N0 + (int)((long)Count * part / Parts), s1 = N0 + (int)((long)Count * (part + 1) / Parts);
            for (int s = s0; s < s1; s++)
            {
                if (Phases == 0) Transpose(X + (nint)s * Win.Channels * Win.PlaneSize, Xt + (nint)s * Win.Channels * Win.PlaneSize, Win.Channels, Win.PlaneSize);
                if ((Phases & Phase.Unfold) != 0) Unfold(s);
                if ((Phases & Phase.LoadGradient) != 0) Transpose(Gy + (nint)s * K * L, Gt + (nint)(s - N0) * L * K, K, L);
                if ((Phases & Phase.StoreOutput) != 0) StoreOutput(s);
                if ((Phases & Phase.Fold) != 0) Fold(s);
            }
        }

        // dst [cols, rows] = src [rows, cols]ᵀ, in 8 x 8 blocks (whole float blocks with AVX shuffles, the edges and
        // other types element by element).
        private static void Transpose(T* src, T* dst, int rows, int cols)
        {
            const int B = 8;
            for (int r0 = 0; r0 < rows; r0 += B)
                for (int c0 = 0; c0 < cols; c0 += B)
                {
                    int r1 = Math.Min(rows, r0 + B), c1 = Math.Min(cols, c0 + B);
                    if (typeof(T) == typeof(float) && Avx.IsSupported && r1 - r0 == B && c1 - c0 == B)
                    {
                        Transpose8x8((float*)src + (nint)r0 * cols + c0, cols, (float*)dst + (nint)c0 * rows + r0, rows);
                        continue;
                    }
                    for (int r = r0; r < r1; r++)
                        for (int c = c0; c < c1; c++) dst[(nint)c * rows + r] = src[(nint)r * cols + c];
                }
        }

        // The 8 x 8 float block at src (row stride ls) written transposed at dst (row stride ld): unpack pairs of rows,
        // shuffle pairs of pairs, then swap 128-bit halves.
        private static void Transpose8x8(float* src, int ls, float* dst, int ld)
        {
            var r0 = Avx.LoadVector256(src);
            var r1 = Avx.LoadVector256(src + ls);
            var r2 = Avx.LoadVector256(src + 2 * (nint)ls);
            var r3 = Avx.LoadVector256(src + 3 * (nint)ls);
            var r4 = Avx.LoadVector256(src + 4 * (nint)ls);
            var r5 = Avx.LoadVector256(src + 5 * (nint)ls);
            var r6 = Avx.LoadVector256(src + 6 * (nint)ls);
            var r7 = Avx.LoadVector256(src + 7 * (nint)ls);
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(dst + ld, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(dst + 2 * (nint)ld, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(dst + 3 * (nint)ld, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(dst + 4 * (nint)ld, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(dst + 5 * (nint)ld, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(dst + 6 * (nint)ld, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(dst + 7 * (nint)ld, Avx.Permute2x128(u3, u7, 0x31));
        }

        // Rows s*L .. s*L + L - 1 of the chunk's column matrix: per output position, KH x KW runs of C channels (zeros
        // where the tap falls in the padding).
        private readonly void Unfold(int s)
        {
            int c = Win.Channels, taps = Win.KernelH * Win.KernelW;
            uint bytes = (uint)(c * sizeof(T));
            T* xs = Xt + (nint)s * c * Win.PlaneSize;
            T* row = Cols + (nint)(s - N0) * L * R;
            for (int oh = 0; oh < Win.OutH; oh++)
                for (int ow = 0; ow < Win.OutW; ow++, row += R)
                    for (int t = 0; t < taps; t++)
                    {
                        int kh = t / Win.KernelW, kw = t - kh * Win.KernelW;
                        int ih = oh * Win.StrideH - Win.PadTop + kh * Win.DilationH, iw = ow * Win.StrideW - Win.PadLeft + kw * Win.DilationW;
                        T* dst = row + (nint)t * c;
                        if ((uint)ih < (uint)Win.Height && (uint)iw < (uint)Win.Width) Unsafe.CopyBlockUnaligned(dst, xs + ((nint)ih * Win.Width + iw) * c, bytes);
                        else Unsafe.InitBlockUnaligned(dst, 0, bytes);
                    }
        }

        // y[s] [K, L] = the chunk's output rows [L, K]ᵀ, plus the bias.
        private readonly void StoreOutput(int s)
        {
            T* ys = Out + (nint)s * K * L;
            Transpose(Gt + (nint)(s - N0) * L * K, ys, L, K);
            if (Bias is null) return;
            for (int k = 0; k < K; k++)
            {
                var plane = new Span<T>(ys + (nint)k * L, L);
                TensorPrimitives.Add(plane, Bias[k], plane);
            }
        }

        // The chunk's column gradient rows of sample s added onto its NHWC input gradient (positions in order, taps in
        // order), then transposed into gx [C, H, W].
        private readonly void Fold(int s)
        {
            int c = Win.Channels, taps = Win.KernelH * Win.KernelW;
            T* gxs = Xt + (nint)s * c * Win.PlaneSize;
            new Span<T>(gxs, c * Win.PlaneSize).Clear();
            T* row = Cols + (nint)(s - N0) * L * R;
            for (int oh = 0; oh < Win.OutH; oh++)
                for (int ow = 0; ow < Win.OutW; ow++, row += R)
                    for (int t = 0; t < taps; t++)
                    {
                        int kh = t / Win.KernelW, kw = t - kh * Win.KernelW;
                        int ih = oh * Win.StrideH - Win.PadTop + kh * Win.DilationH, iw = ow * Win.StrideW - Win.PadLeft + kw * Win.DilationW;
                        if ((uint)ih >= (uint)Win.Height || (uint)iw >= (uint)Win.Width) continue;
                        var acc = new Span<T>(gxs + ((nint)ih * Win.Width + iw) * c, c);
                        TensorPrimitives.Add(acc, new ReadOnlySpan<T>(row + (nint)t * c, c), acc);
                    }
            Transpose(gxs, Out + (nint)s * c * Win.PlaneSize, Win.PlaneSize, c);
        }
    }
}
