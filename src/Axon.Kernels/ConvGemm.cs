using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
public static unsafe class ConvGemm
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

    /// <summary>
    /// Fills panel[k * nr + j] with the value tap k (of channels c0 .. c0+cg) reads at position q0 + j: zero for padding
    /// and for j from <paramref name="count"/> to <paramref name="width"/> (default nr; lanes past it are left as they
    /// are). <paramref name="xEnd"/> is one past the last element of x: nothing at or beyond it is read.
    /// </summary>
    /// <remarks>
    /// Unit-stride windows without dilation (float) take <see cref="GatherShifted"/> one vector of positions at a time:
    /// the 16 positions of a vector sit at fixed offsets from the first one's input, the same for every tap, so each
    /// tap's vector is one two-register permute of 32 consecutive inputs (masked where it reads padding). Vectors that
    /// cross a sample, or whose positions spread over more than 32 inputs, copy runs along output rows.
    /// </remarks>
    internal static void Gather<T>(T* x, T* xEnd, in Window2d w, int c0, int cg, int l, long q0, int count, int nr, T* panel, int width = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = cg * w.KernelH * w.KernelW;
        width = width < 0 ? nr : width;
        if (count < width)
            for (int k = 0; k < taps; k++) new Span<T>(panel + k * nr + count, width - count).Clear();
        if (typeof(T) != typeof(float) || !UseShifted(w, cg))
        {
            GatherRuns(x, w, c0, cg, l, q0, 0, count, nr, panel);
            return;
        }
        for (int ja = 0; ja < count; ja += 16)
        {
            int n = Math.Min(16, count - ja);
            if (!GatherShifted((float*)x, (float*)xEnd, w, c0, cg, l, q0 + ja, n, nr, (float*)panel + ja))
                GatherRuns(x, w, c0, cg, l, q0, ja, ja + n, nr, panel);
        }
    }

    /// <summary>
    /// Stride 1 and dilation 1 (every position reads its taps at one offset from its own input, padding aside), and
    /// either short output rows (runs under a vector) or enough taps to pay for the per-vector set-up: a one-channel
    /// 5x5 layer with 24-wide rows copies its runs faster.
    /// </summary>
    internal static bool UseShifted(in Window2d w, int cg) =>
        w.StrideH == 1 && w.StrideW == 1 && w.DilationH == 1 && w.DilationW == 1 && (w.OutW < 16 || cg * w.KernelH * w.KernelW >= 64);

    /// <summary>
    /// The permute gather of <see cref="Gather{T}"/> for the n (at most 16) positions from q, into dst[k * nr + lane];
    /// false (nothing written) when the vector crosses a sample, spreads over more than 32 inputs or its 32-input
    /// windows would leave [x, xEnd). Taps that fall in the padding for some lanes are masked to zero there.
    /// </summary>
    private static bool GatherShifted(float* x, float* xEnd, in Window2d w, int c0, int cg, int l, long q, int n, int nr, float* dst)
    {
        long s = q / l;
        int r0 = (int)(q - s * l), outW = w.OutW, width = w.Width, height = w.Height, plane = w.PlaneSize, kh = w.KernelH, kw = w.KernelW;
        if (r0 + n > l) return false;
        int oh = r0 / outW, ow = r0 - oh * outW;
        // Input row and column of tap (0, 0) per lane; lanes past n get a row no tap reaches.
        int* offsets = stackalloc int[16], rows = stackalloc int[16], cols = stackalloc int[16];
        int rel0 = (oh - w.PadTop) * width + ow - w.PadLeft, rowMin = int.MaxValue, rowMax = int.MinValue, colMin = int.MaxValue, colMax = int.MinValue;
        for (int t = 0; t < 16; t++)
        {
            int ih = oh - w.PadTop, iw = ow - w.PadLeft;
            offsets[t] = t < n ? ih * width + iw - rel0 : 0;
            rows[t] = t < n ? ih : -(1 << 20);
            cols[t] = iw;
            if (t < n)
            {
                (rowMin, rowMax) = (Math.Min(rowMin, ih), Math.Max(rowMax, ih));
                (colMin, colMax) = (Math.Min(colMin, iw), Math.Max(colMax, iw));
            }
            if (++ow == outW)
            {
                ow = 0;
                oh++;
            }
        }
        if (offsets[n - 1] > 31) return false;
        float* xs = x + (s * w.Channels + c0) * plane + rel0;
        // Elements a channel's loads span from its first tap's input: the channels of a one-image batch next to the
        // ends of x (or padding before the first input) load them masked, so nothing outside [x, xEnd) is read.
        nint reach = (nint)(kh - 1) * width + kw - 1 + 32;
        var idx = Vector512.Load(offsets);
        var lanes = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n));
        bool interior = rowMin >= 0 && rowMax + kh <= height && colMin >= 0 && colMax + kw <= width;
        // Per kernel row and column, the lanes whose input row (column) lies inside the image.
        var rowOk = stackalloc Vector512<float>[kh];
        var colOk = stackalloc Vector512<float>[kw];
        var rv = Vector512.Load(rows);
        var cv = Vector512.Load(cols);
        for (int i = 0; i < kh; i++)
        {
            var r = rv + Vector512.Create(i);
            rowOk[i] = interior ? lanes.AsSingle() : (lanes & Vector512.GreaterThanOrEqual(r, Vector512<int>.Zero) & Vector512.LessThan(r, Vector512.Create(height))).AsSingle();
        }
        for (int j = 0; j < kw; j++)
        {
            var cc = cv + Vector512.Create(j);
            colOk[j] = interior ? Vector512<float>.AllBitsSet : (Vector512.GreaterThanOrEqual(cc, Vector512<int>.Zero) & Vector512.LessThan(cc, Vector512.Create(width))).AsSingle();
        }
        for (int c = 0; c < cg; c++)
        {
            float* first = xs + (nint)c * plane;
            bool inside = first >= x && first + reach <= xEnd;
            for (int i = 0; i < kh; i++)
            {
                float* row = first + i * width;
                var keepRow = rowOk[i];
                for (int j = 0; j < kw; j++, dst += nr)
                {
                    var v = inside
                        ? Avx512F.PermuteVar16x32x2(Vector512.Load(row + j), idx, Vector512.Load(row + j + 16))
                        : Avx512F.PermuteVar16x32x2(LoadWithin(row + j, x, xEnd), idx, LoadWithin(row + j + 16, x, xEnd));
                    Vector512.Store(v & keepRow & colOk[j], dst);
                }
            }
        }
        return true;
    }

    // The 16 floats from p, lanes outside [lo, hi) read as zero (and not read).
    private static Vector512<float> LoadWithin(float* p, float* lo, float* hi)
    {
        int from = (int)Math.Clamp(lo - p, 0, 16), to = (int)Math.Clamp(hi - p, 0, 16);
        var i = Vector512<int>.Indices;
        var mask = Vector512.GreaterThanOrEqual(i, Vector512.Create(from)) & Vector512.LessThan(i, Vector512.Create(to));
        return Avx512F.MaskLoad(p, mask.AsSingle(), Vector512<float>.Zero);
    }

    // The run-copying gather of lanes [ja, jb) of the panel: positions walked in runs along one output row.
    private static void GatherRuns<T>(T* x, in Window2d w, int c0, int cg, int l, long q0, int ja, int jb, int nr, T* panel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kh = w.KernelH, kw = w.KernelW, outW = w.OutW, plane = w.PlaneSize;
        int j0 = ja;
        while (j0 < jb)
        {
            long q = q0 + j0, s = q / l;
            int r = (int)(q - s * l), oh = r / outW, ow = r - oh * outW, len = Math.Min(outW - ow, jb - j0);
            T* xs = x + (s * w.Channels + c0) * plane;
            for (int c = 0; c < cg; c++)
                for (int i = 0; i < kh; i++)
                {
                    T* rowBase = panel + (nint)((c * kh + i) * kw) * nr + j0;
                    int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                    if ((uint)ih >= (uint)w.Height)
                    {
                        for (int j = 0; j < kw; j++) new Span<T>(rowBase + j * nr, len).Clear();
                        continue;
                    }
                    T* src = xs + (nint)c * plane + ih * w.Width;
                    for (int j = 0; j < kw; j++)
                    {
                        T* d = rowBase + j * nr;
                        int iw0 = ow * w.StrideW - w.PadLeft + j * w.DilationW;
                        var (lo, hi) = Window2d.ValidRange(iw0, w.StrideW, w.Width, len);
                        if (lo > 0) new Span<T>(d, lo).Clear();
                        if (hi < len) new Span<T>(d + hi, len - hi).Clear();
                        if (w.StrideW == 1) Copy(src + iw0 + lo, d + lo, hi - lo);
                        else for (int o = lo, iw = iw0 + lo * w.StrideW; o < hi; o++, iw += w.StrideW) d[o] = src[iw];
                    }
                }
            j0 += len;
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Gather{T}"/>: adds panel[k * nr + j] onto the input value it was read from. Writes
    /// touch only those values (unit-stride windows use masked stores), so threads may fold into different samples of
    /// one tensor at once.
    /// </summary>
    internal static void Fold<T>(T* panel, T* gx, in Window2d w, int c0, int cg, int l, long q0, int count, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Padded windows keep the runs: most of their vectors touch the border, where the permute fold does not apply.
        bool padded = w.PadTop > 0 || w.PadLeft > 0 || w.OutH + w.KernelH - 1 > w.Height || w.OutW + w.KernelW - 1 > w.Width;
        if (typeof(T) != typeof(float) || !UseShifted(w, cg) || padded)
        {
            FoldRuns(panel, gx, w, c0, cg, l, q0, 0, count, nr);
            return;
        }
        for (int ja = 0; ja < count; ja += 16)
        {
            int n = Math.Min(16, count - ja);
            if (!FoldShifted((float*)panel + ja, (float*)gx, w, c0, cg, l, q0 + ja, n, nr))
                FoldRuns(panel, gx, w, c0, cg, l, q0, ja, ja + n, nr);
        }
    }

    /// <summary>
    /// The adjoint of <see cref="GatherShifted"/>: each tap's vector is spread over the 32 inputs it was read from by two
    /// permutes and added there with masked loads and stores. Channels are the inner loop, so consecutive stores never
    /// overlap (an overlapping load right after a store would wait for it).
    /// </summary>
    private static bool FoldShifted(float* src, float* gx, in Window2d w, int c0, int cg, int l, long q, int n, int nr)
    {
        long s = q / l;
        int r0 = (int)(q - s * l), outW = w.OutW, width = w.Width, plane = w.PlaneSize, kh = w.KernelH, kw = w.KernelW, taps = kh * kw;
        if (r0 + n > l) return false;
        int oh = r0 / outW, ow = r0 - oh * outW, rel0 = (oh - w.PadTop) * width + ow - w.PadLeft;
        int* inverse = stackalloc int[32];
        for (int m = 0; m < 32; m++) inverse[m] = -1;
        for (int t = 0; t < n; t++)
        {
            // Only vectors whose every tap lies inside the image (no masks on the adds).
            int ih = oh - w.PadTop, iw = ow - w.PadLeft, offset = ih * width + iw - rel0;
            if (offset > 31 || ih < 0 || ih + kh > w.Height || iw < 0 || iw + kw > width) return false;
            inverse[offset] = t;
            if (++ow == outW)
            {
                ow = 0;
                oh++;
            }
        }
        var invLo = Vector512.Load(inverse);
        var invHi = Vector512.Load(inverse + 16);
        var maskLo = Vector512.GreaterThanOrEqual(invLo, Vector512<int>.Zero).AsSingle();
        var maskHi = Vector512.GreaterThanOrEqual(invHi, Vector512<int>.Zero).AsSingle();
        bool hi = maskHi != Vector512<float>.Zero;
        float* xs = gx + (s * w.Channels + c0) * plane + rel0;
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
            {
                float* d = src + (nint)(i * kw + j) * nr;
                float* dst = xs + i * width + j;
                for (int c = 0; c < cg; c++, d += (nint)taps * nr, dst += plane)
                {
                    var v = Vector512.Load(d);
                    Avx512F.MaskStore(dst, maskLo, Avx512F.MaskLoad(dst, maskLo, Vector512<float>.Zero) + Avx512F.PermuteVar16x32(v, invLo));
                    if (hi) Avx512F.MaskStore(dst + 16, maskHi, Avx512F.MaskLoad(dst + 16, maskHi, Vector512<float>.Zero) + Avx512F.PermuteVar16x32(v, invHi));
                }
            }
        return true;
    }

    // The run-adding fold of lanes [ja, jb) of the panel.
    private static void FoldRuns<T>(T* panel, T* gx, in Window2d w, int c0, int cg, int l, long q0, int ja, int jb, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kh = w.KernelH, kw = w.KernelW, outW = w.OutW, plane = w.PlaneSize;
        int j0 = ja;
        while (j0 < jb)
        {
            long q = q0 + j0, s = q / l;
            int r = (int)(q - s * l), oh = r / outW, ow = r - oh * outW, len = Math.Min(outW - ow, jb - j0);
            T* xs = gx + (s * w.Channels + c0) * plane;
            for (int c = 0; c < cg; c++)
                for (int i = 0; i < kh; i++)
                {
                    int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                    if ((uint)ih >= (uint)w.Height) continue;
                    T* rowBase = panel + (nint)((c * kh + i) * kw) * nr + j0;
                    T* dst = xs + (nint)c * plane + ih * w.Width;
                    for (int j = 0; j < kw; j++)
                    {
                        T* src = rowBase + j * nr;
                        int iw0 = ow * w.StrideW - w.PadLeft + j * w.DilationW;
                        var (lo, hi) = Window2d.ValidRange(iw0, w.StrideW, w.Width, len);
                        if (w.StrideW == 1) AddTo(src + lo, dst + iw0 + lo, hi - lo);
                        else for (int o = lo, iw = iw0 + lo * w.StrideW; o < hi; o++, iw += w.StrideW) dst[iw] += src[o];
                    }
                }
            j0 += len;
        }
    }

    // dst[0..n) = src[0..n); short runs (one output row) are the common case.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(T* src, T* dst, int n) where T : unmanaged
    {
        if (n <= 0) return;
        int w = Vector512<T>.Count;
        if (n >= w)
        {
            int i = 0;
            for (; i + w <= n; i += w) Vector512.Store(Vector512.Load(src + i), dst + i);
            if (i < n) Vector512.Store(Vector512.Load(src + n - w), dst + n - w);
            return;
        }
        int h = Vector256<T>.Count;
        if (n >= h)
        {
            Vector256.Store(Vector256.Load(src), dst);
            Vector256.Store(Vector256.Load(src + n - h), dst + n - h);
            return;
        }
        for (int i = 0; i < n; i++) dst[i] = src[i];
    }

    // dst[0..n) += src[0..n).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<T>(T* src, T* dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count, i = 0;
        for (; i + w <= n; i += w) Vector512.Store(Vector512.Load(dst + i) + Vector512.Load(src + i), dst + i);
        int h = Vector256<T>.Count;
        if (i + h <= n)
        {
            Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
            i += h;
        }
        for (; i < n; i++) dst[i] += src[i];
    }

    /// <summary>
    /// The register tile: acc[r] = sum over p &lt; kc of a[p * 8 + r] * b[p * ldb .. + 2 Vector512]; rows r &lt;
    /// <paramref name="rows"/> of c (row stride ldc) get acc[r] + bias[r] (bias may be null). c must hold two full vectors per row.
    /// </summary>
    internal static void Tile<T>(int kc, T* a, T* b, nint ldb, T* c, nint ldc, int rows, T* bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        int w = Vector512<T>.Count;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            Vector512<T> x;
            x = Vector512.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            a += Mr;
            b += ldb;
        }
        StoreRow(c, w, c00, c01, bias, 0);
        if (rows <= 1) return;
        StoreRow(c + ldc, w, c10, c11, bias, 1);
        if (rows <= 2) return;
        StoreRow(c + 2 * ldc, w, c20, c21, bias, 2);
        if (rows <= 3) return;
        StoreRow(c + 3 * ldc, w, c30, c31, bias, 3);
        if (rows <= 4) return;
        StoreRow(c + 4 * ldc, w, c40, c41, bias, 4);
        if (rows <= 5) return;
        StoreRow(c + 5 * ldc, w, c50, c51, bias, 5);
        if (rows <= 6) return;
        StoreRow(c + 6 * ldc, w, c60, c61, bias, 6);
        if (rows <= 7) return;
        StoreRow(c + 7 * ldc, w, c70, c71, bias, 7);
    }

    /// <summary>
    /// The tile on one vector of positions with the weights read in place: acc[r] = sum over p &lt; kc of a[r * lda + p]
    /// * b[p * ldb .. + Vector512]; rows r &lt; <paramref name="rows"/> of c (row stride ldc) get acc[r] + bias[r].
    /// Rows past <paramref name="rows"/> read row 0 (in bounds) and are dropped.
    /// </summary>
    internal static void TileRows<T>(int kc, T* a, nint lda, int rows, T* b, nint ldb, T* c, nint ldc, T* bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* a0 = a, a1 = rows > 1 ? a + lda : a, a2 = rows > 2 ? a + 2 * lda : a, a3 = rows > 3 ? a + 3 * lda : a;
        T* a4 = rows > 4 ? a + 4 * lda : a, a5 = rows > 5 ? a + 5 * lda : a, a6 = rows > 6 ? a + 6 * lda : a, a7 = rows > 7 ? a + 7 * lda : a;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++, b += ldb)
        {
            var v = Vector512.Load(b);
            c0 = Fma(Vector512.Create(a0[p]), v, c0);
            c1 = Fma(Vector512.Create(a1[p]), v, c1);
            c2 = Fma(Vector512.Create(a2[p]), v, c2);
            c3 = Fma(Vector512.Create(a3[p]), v, c3);
            c4 = Fma(Vector512.Create(a4[p]), v, c4);
            c5 = Fma(Vector512.Create(a5[p]), v, c5);
            c6 = Fma(Vector512.Create(a6[p]), v, c6);
            c7 = Fma(Vector512.Create(a7[p]), v, c7);
        }
        ReadOnlySpan<Vector512<T>> acc = [c0, c1, c2, c3, c4, c5, c6, c7];
        for (int r = 0; r < rows; r++) (bias == null ? acc[r] : acc[r] + Vector512.Create(bias[r])).Store(c + r * ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* dst, int w, Vector512<T> r0, Vector512<T> r1, T* bias, int r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (bias != null)
        {
            var vb = Vector512.Create(bias[r]);
            r0 += vb;
            r1 += vb;
        }
        r0.Store(dst);
        r1.Store(dst + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    // Reused 64-byte aligned buffers per thread: the packed weights (calling thread), a panel and an auxiliary panel.
    private static class Buffers<T> where T : unmanaged
    {
        [ThreadStatic] public static T[]? Weights, Panel, Aux;
    }
}
