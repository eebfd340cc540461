using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// 2-D convolution as an implicit GEMM (AVX-512): no column matrix is ever built. Output positions of the whole
/// batch, numbered q = sample * Ho * Wo + oh * Wo + ow, are cut into panels of <see cref="PanelWidth{T}"/> (32 floats,
/// 16 doubles); for each panel the im2col values are gathered straight into the packed micro-panel layout
/// (K steps of one panel row, K = C/G * kh * kw), which stays in L1/L2, and an <see cref="Mr"/> x panel register tile
/// sweeps it against the weights packed once per call (read in place, one vector of positions at a time, when the batch
/// has at most <see cref="UnpackedPanels"/> panels).
/// </summary>
/// <remarks>
/// <para>
/// Why a separate kernel from <see cref="Gemm"/>: convolution layers have few output channels (6 to 128), which the
/// GEMM's 14-row tile pads badly (32 to 42 rows, 6 to 14); an 8-row tile fits them all. Fusing the gather with
/// packing removes the im2col buffer and the GEMM's packing pass, and storing the tile straight into NCHW (with the
/// bias) removes the copy-out and the bias pass.
/// </para>
/// <para>
/// Tile: 8 rows x (2 x Vector512) = 16 accumulators; per k step 2 vector loads and 8 broadcasts for 16 FMAs.
/// Every output element is one dot product over k in a fixed order, whatever the partition: bit-identical results
/// for any thread count in <see cref="Forward{T}"/>; <see cref="BackwardInput{T}"/> accumulates per sample and
/// partitions by samples, also fixed.
/// </para>
/// </remarks>
public static unsafe partial class ConvGemm
{
    /// <summary>Rows (output channels, or kernel taps in the input gradient) of the register tile.</summary>
    public const int Mr = 8;

    /// <summary>Panels (of the whole batch) up to which the forward reads the weights unpacked.</summary>
    internal static int UnpackedPanels { get; set; } = 4;

    /// <summary>Whether this machine runs the kernel (AVX-512F). Callers fall back to im2col + GEMM otherwise.</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Output positions per panel: two Vector512 of <typeparamref name="T"/>.</summary>
    public static int PanelWidth<T>() where T : unmanaged => 2 * Vector512<T>.Count;

    /// <summary>
    /// y = conv(x, w) + bias. x [N, Channels, Height, Width], w [O, Channels/groups, kh, kw] (as [O, K]), bias [O]
    /// or empty, y [N, O, OutH, OutW]; the geometry comes from <paramref name="win"/>.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int batch, in Window2d win, int groups, ReadOnlySpan<T> w, int outChannels, ReadOnlySpan<T> bias, Span<T> y, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsSupported || (typeof(T) != typeof(float) && typeof(T) != typeof(double))) throw new PlatformNotSupportedException("ConvGemm needs AVX-512 and float or double.");
        var job = Job<T>.Create(batch, win, groups, outChannels);
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * job.K || y.Length < (long)batch * outChannels * job.L
            || (!bias.IsEmpty && bias.Length < outChannels))
            throw new ArgumentException("ConvGemm.Forward: a span is shorter than the shapes need.");
        if (batch == 0 || outChannels == 0 || job.L == 0) return;
        int tiles = (job.Og + Mr - 1) / Mr;
        long panels = ((long)batch * job.L + job.Nr - 1) / job.Nr;
        // Packing the weights costs about one panel's multiply-adds; with few panels (one image) the tiles read the
        // weight rows in place instead.
        bool pack = panels > UnpackedPanels;
        T* packed = pack ? AlignedBuffer.Get(ref Buffers<T>.Weights, (nint)groups * tiles * job.K * Mr) : null;
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        {
            // Packed weights: per group and tile of 8 output channels, K steps of 8 values (rows past the group zero).
            for (int gi = 0; pack && gi < groups; gi++)
                for (int t = 0; t < tiles; t++)
                {
                    T* dst = packed + ((nint)gi * tiles + t) * job.K * Mr;
                    int rows = Math.Min(Mr, job.Og - t * Mr);
                    for (int r = 0; r < Mr; r++)
                    {
                        if (r >= rows)
                        {
                            for (int p = 0; p < job.K; p++) dst[p * Mr + r] = T.Zero;
                            continue;
                        }
                        T* src = pw + (nint)(gi * job.Og + t * Mr + r) * job.K;
                        for (int p = 0; p < job.K; p++) dst[p * Mr + r] = src[p];
                    }
                }
            job.W = pw;
            job.X = px;
            job.XEnd = px + (nint)batch * win.Channels * win.PlaneSize;
            job.Y = py;
            job.Bias = bias.IsEmpty ? null : pb;
            job.PackedW = packed;
            job.Tiles = tiles;
            long work = (long)batch * job.L * outChannels * job.K;
            job.Parts = Parts(panels, work, threads);
            // Fewer panels than threads (one image): the threads share each panel's tiles instead, each gathering
            // the panel itself.
            int byTiles = Parts(groups * tiles, work, threads);
            job.SplitTiles = groups == 1 && job.Parts < byTiles;
            if (job.SplitTiles) job.Parts = byTiles;
            job.Panels = panels;
            KernelThreads.For(job.Parts, ref job);
        }
    }

    /// <summary>
    /// The input gradient: gx += col2im(W^T gy). gy [N, O, OutH, OutW], w [O, Channels/groups, kh, kw], gx [N, Channels,
    /// Height, Width] (accumulated into: the caller clears it). Each panel's column gradient is computed in a tile
    /// buffer and folded back at once.
    /// </summary>
    public static void BackwardInput<T>(ReadOnlySpan<T> gy, int batch, in Window2d win, int groups, ReadOnlySpan<T> w, int outChannels, Span<T> gx, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsSupported || (typeof(T) != typeof(float) && typeof(T) != typeof(double))) throw new PlatformNotSupportedException("ConvGemm needs AVX-512 and float or double.");
        var job = Job<T>.Create(batch, win, groups, outChannels);
        if (gx.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * job.K || gy.Length < (long)batch * outChannels * job.L)
            throw new ArgumentException("ConvGemm.BackwardInput: a span is shorter than the shapes need.");
        if (batch == 0 || outChannels == 0 || job.L == 0 || job.K == 0) return;
        int tiles = (job.K + Mr - 1) / Mr;
        T* packed = AlignedBuffer.Get(ref Buffers<T>.Weights, (nint)groups * tiles * job.Og * Mr);
        fixed (T* pgy = gy)
        fixed (T* pw = w)
        fixed (T* pgx = gx)
        {
            // Packed W^T: per group and tile of 8 taps, Og steps of 8 values (taps past K zero).
            for (int gi = 0; gi < groups; gi++)
                for (int t = 0; t < tiles; t++)
                {
                    T* dst = packed + ((nint)gi * tiles + t) * job.Og * Mr;
                    int rows = Math.Min(Mr, job.K - t * Mr);
                    for (int o = 0; o < job.Og; o++)
                    {
                        T* src = pw + (nint)(gi * job.Og + o) * job.K + t * Mr;
                        for (int r = 0; r < Mr; r++) dst[o * Mr + r] = r < rows ? src[r] : T.Zero;
                    }
                }
            job.X = pgx;
            job.Y = pgy;
            job.PackedW = packed;
            job.Tiles = tiles;
            job.Backward = true;
            // Partitions are whole samples: a panel folds into the input of its samples only.
            job.Parts = Parts(batch, (long)batch * job.L * outChannels * job.K, threads);
            KernelThreads.For(job.Parts, ref job);
        }
    }

    private static int Parts(long units, long work, int threads) =>
        (int)Math.Clamp(Math.Min(units, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));

    private struct Job<T> : IPartitionBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Window2d Win;
        public int Batch, Groups, O, Og, K, L, Nr, Tiles, Parts;
        public long Panels;
        public bool Backward, SplitTiles;
        public T* X, XEnd, Y, Bias, PackedW, W;

        public static Job<T> Create(int batch, in Window2d win, int groups, int outChannels) => new()
        {
            Win = win,
            Batch = batch,
            Groups = groups,
            O = outChannels,
            Og = outChannels / groups,
            K = win.Channels / groups * win.KernelH * win.KernelW,
            L = win.OutPlaneSize,
            Nr = PanelWidth<T>(),
        };

        public readonly void Run(int part)
        {
            if (Backward)
            {
                long s0 = (long)Batch * part / Parts, s1 = (long)Batch * (part + 1) / Parts;
                RunBackward(s0 * L, s1 * L);
            }
            else
            {
                if (SplitTiles)
                {
                    RunForward(0, (long)Batch * L, Tiles * part / Parts, Tiles * (part + 1) / Parts);
                    return;
                }
                long p0 = Panels * part / Parts, p1 = Panels * (part + 1) / Parts;
                RunForward(p0 * Nr, Math.Min(p1 * Nr, (long)Batch * L), 0, Tiles);
            }
        }

        // Positions qa .. qb, tiles t0 .. t1 of each group.
        private readonly void RunForward(long qa, long qb, int t0, int t1)
        {
            int nr = Nr, cg = Win.Channels / Groups;
            T* panel = AlignedBuffer.Get(ref Buffers<T>.Panel, (nint)K * nr);
            T* tile = stackalloc T[Mr * nr];
            for (long q0 = qa; q0 < qb; q0 += nr)
            {
                int count = (int)Math.Min(nr, qb - q0);
                long s = q0 / L;
                int l0 = (int)(q0 - s * L);
                bool direct = count == nr && l0 + nr <= L;
                // Unpacked tiles read whole vectors up to count only.
                int width = PackedW == null ? (count + Vector512<T>.Count - 1) / Vector512<T>.Count * Vector512<T>.Count : nr;
                for (int gi = 0; gi < Groups; gi++)
                {
                    Gather(X, XEnd, Win, gi * cg, cg, L, q0, count, nr, panel, width);
                    for (int t = t0; t < t1; t++)
                    {
                        int o0 = gi * Og + t * Mr, rows = Math.Min(Mr, Og - t * Mr);
                        T* bias = Bias == null ? null : Bias + o0;
                        if (PackedW == null)
                        {
                            // One vector of positions at a time, only as many as hold valid ones.
                            int vw = Vector512<T>.Count;
                            for (int h = 0; h < count; h += vw) TileRows(K, W + (nint)o0 * K, K, rows, panel + h, nr, tile + h, nr, bias);
                            Scatter(tile, nr, rows, q0, count, o0);
                            continue;
                        }
                        T* a = PackedW + ((nint)gi * Tiles + t) * K * Mr;
                        if (direct)
                        {
                            Tile(K, a, panel, nr, Y + (s * O + o0) * L + l0, L, rows, bias);
                        }
                        else
                        {
                            Tile(K, a, panel, nr, tile, nr, rows, bias);
                            Scatter(tile, nr, rows, q0, count, o0);
                        }
                    }
                }
            }
        }

        // Copies the valid columns of a tile (rows output channels from o0, positions q0 .. q0+count) into NCHW y.
        private readonly void Scatter(T* tile, int ldt, int rows, long q0, int count, int o0)
        {
            int j = 0;
            while (j < count)
            {
                long q = q0 + j, s = q / L;
                int l = (int)(q - s * L), len = Math.Min(count - j, L - l);
                for (int r = 0; r < rows; r++) Copy(tile + r * ldt + j, Y + (s * O + o0 + r) * L + l, len);
                j += len;
            }
        }

        private readonly void RunBackward(long qa, long qb)
        {
            int nr = Nr, cg = Win.Channels / Groups;
            int kPad = Tiles * Mr;
            T* dcols = AlignedBuffer.Get(ref Buffers<T>.Panel, (nint)kPad * nr);
            T* gpanel = AlignedBuffer.Get(ref Buffers<T>.Aux, (nint)Og * nr);
            for (long q0 = qa; q0 < qb; q0 += nr)
            {
                int count = (int)Math.Min(nr, qb - q0);
                long s = q0 / L;
                int l0 = (int)(q0 - s * L);
                bool direct = count == nr && l0 + nr <= L;
                for (int gi = 0; gi < Groups; gi++)
                {
                    // gy of the panel, [Og, nr]: read in place when the panel lies in one sample, else gathered.
                    T* b;
                    nint ldb;
                    if (direct)
                    {
                        b = Y + (s * O + gi * Og) * L + l0;
                        ldb = L;
                    }
                    else
                    {
                        PackGy(gpanel, nr, q0, count, gi * Og);
                        b = gpanel;
                        ldb = nr;
                    }
                    for (int t = 0; t < Tiles; t++)
                        Tile(Og, PackedW + ((nint)gi * Tiles + t) * Og * Mr, b, ldb, dcols + (nint)t * Mr * nr, nr, Mr, null);
                    Fold(dcols, X, Win, gi * cg, cg, L, q0, count, nr);
                }
            }
        }

        private readonly void PackGy(T* dst, int nr, long q0, int count, int o0)
        {
            int j = 0;
            while (j < count)
            {
                long q = q0 + j, s = q / L;
                int l = (int)(q - s * L), len = Math.Min(count - j, L - l);
                for (int r = 0; r < Og; r++) Copy(Y + (s * O + o0 + r) * L + l, dst + r * nr + j, len);
                j += len;
            }
            if (count < nr)
                for (int r = 0; r < Og; r++) new Span<T>(dst + r * nr + count, nr - count).Clear();
        }
    }

    // Reused 64-byte aligned buffers per thread: the packed weights (calling thread), a panel and an auxiliary panel.
    private static class Buffers<T> where T : unmanaged
    {
        [ThreadStatic] public static T[]? Weights, Panel, Aux;
    }
}
