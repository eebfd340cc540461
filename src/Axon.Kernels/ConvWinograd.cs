using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// The 3x3 unit-stride convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray 2016; float, AVX-512):
/// each 2x2 output tile is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A of its 4x4 input patch d, so a tile costs 16 multiply-adds per
/// (input, output) channel pair instead of the direct convolution's 36: 2.25x fewer. Summed over the input channels,
/// the 16 element-wise products become 16 independent GEMMs, M[ξ] = U[ξ] V[ξ] ([O, C] x [C, tiles]), which run on a
/// register tile like the direct kernels'. The input gradient is the forward of the flipped kernel; the weight gradient
/// the same transforms with the products summed over the batch's tiles (<see cref="WeightGrad"/>).
/// </summary>
/// <remarks>
/// <para>
/// The tiles are taken a block of whole tile rows at a time (a row: one sample's tiles at one tile height), as many
/// as a budget that keeps V in the L2 allows. A row takes 2, 4 or 8 slots when it has up to that many tiles (so 8, 4
/// or 2 rows share a vector), else its tiles rounded up to whole vectors (<see cref="SlotsPerRow"/>). Per block: each
/// sample is copied into a zero-padded scratch (<see cref="ConvDirect"/>'s), and its patches transformed vectorised
/// over the slots (Bᵀ over four padded rows, then B over the even and odd columns, split by permutes); then per
/// block of 8 output channels the 16 products and the output transform, which adds the bias and writes the two output
/// rows interleaved, or with the fused 2x2 max pooling the pooled value, its argmax and the ReLU.
/// </para>
/// <para>
/// Every output is the same sequence of operations whatever the partition, so results are bit-identical for any
/// thread count. They differ from the direct convolution's by rounding (the transforms add and halve before the
/// products): a few units in the last place of the largest partial sums. A non-finite input spreads further than in
/// the direct convolution: the transforms subtract neighbours, so an infinity can turn its tiles' outputs into NaN.
/// </para>
/// </remarks>
public static unsafe partial class ConvWinograd
{
    private const int Vw = 16, Xi = 16, Mr = 8;

    // A block's transformed input stays within this many floats (256 KiB), so that it stays in the L2 while the
    // products stream the weights over it.
    private const int VBudget = 64 * 1024;

    /// <summary>Whether this machine runs the kernel (AVX-512F).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Whether the kernel computes this convolution: AVX-512F, a 3x3 kernel, unit stride and dilation, one group, padding 0 to 2.</summary>
    public static bool Supports(in Window2d win, int groups) =>
        IsSupported && groups == 1 && win.KernelH == 3 && win.KernelW == 3 && win.StrideH == 1 && win.StrideW == 1
        && win.DilationH == 1 && win.DilationW == 1 && win.PadTop is >= 0 and <= 2 && win.PadLeft is >= 0 and <= 2
        && win.OutH > 0 && win.OutW > 0 && win.Channels > 0;

    /// <summary>Whether <paramref name="pool"/> over the convolution's output is the 2x2 stride-2 pooling that <see cref="ForwardMaxPool"/> fuses: its windows are the output tiles.</summary>
    public static bool FusesPool(in Window2d win, in Window2d pool) =>
        pool.KernelH == 2 && pool.KernelW == 2 && pool.StrideH == 2 && pool.StrideW == 2 && pool.PadTop == 0 && pool.PadLeft == 0
        && pool.DilationH == 1 && pool.DilationW == 1 && pool.Height == win.OutH && pool.Width == win.OutW
        && win.OutH % 2 == 0 && win.OutW % 2 == 0 && pool.OutH == win.OutH / 2 && pool.OutW == win.OutW / 2;

    /// <summary>
    /// y = conv(x, w) + bias. x [N, Channels, Height, Width], w [O, Channels, 3, 3], bias [O] or empty, y [N, O, OutH,
    /// OutW] (overwritten); the geometry comes from <paramref name="win"/>, which <see cref="Supports"/> must accept.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias, Span<float> y, int threads)
    {
        Check(x, batch, win, w, outChannels, bias, "Forward");
        if (y.Length < (long)batch * outChannels * win.OutPlaneSize) throw new ArgumentException("ConvWinograd.Forward: the output is shorter than the shapes need.");
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
            Run(x, batch, win, outChannels, TransformWeights(pw, outChannels, win.Channels, flipped: false), bias.IsEmpty ? null : pb, py, null, null, threads);
    }

    /// <summary>
    /// pooled = relu(max_pool2d(conv(x, w) + bias, 2)) with each window's argmax (its index in the convolution's
    /// output plane; empty: not kept), as <see cref="Forward"/>, <see cref="Pooling.MaxForwardInt32"/> and
    /// <see cref="Elementwise.Relu"/> give them, to the bit. <see cref="FusesPool"/> must accept the pooling.
    /// </summary>
    public static void ForwardMaxPool(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias,
        in Window2d pool, Span<float> pooled, Span<int> argmax, int threads)
    {
        Check(x, batch, win, w, outChannels, bias, "ForwardMaxPool");
        if (!FusesPool(win, pool)) throw new NotSupportedException("ConvWinograd.ForwardMaxPool: only a 2x2 stride-2 pooling of an even-sized output is fused (see FusesPool).");
        long outputs = (long)batch * outChannels * pool.OutPlaneSize;
        if (pooled.Length < outputs || (!argmax.IsEmpty && argmax.Length < outputs))
            throw new ArgumentException("ConvWinograd.ForwardMaxPool: the pooled output or the argmax is shorter than the shapes need.");
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* pp = pooled)
        fixed (int* pa = argmax)
            Run(x, batch, win, outChannels, TransformWeights(pw, outChannels, win.Channels, flipped: false), bias.IsEmpty ? null : pb, null, pp, argmax.IsEmpty ? null : pa, threads);
    }

    /// <summary>
    /// The input gradient of the unit-stride 3x3 convolution <paramref name="win"/>, gx = conv(gy, flipped wᵀ) with
    /// padding 2 - pad, by the same kernel. gy [N, O, OutH, OutW], w [O, Channels, 3, 3], gx [N, Channels, Height,
    /// Width] (overwritten).
    /// </summary>
    public static void BackwardInput(ReadOnlySpan<float> gy, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, Span<float> gx, int threads)
    {
        var flipped = ConvDirect.FlippedWindow(win, outChannels);
        if (!Supports(win, 1) || !Supports(flipped, 1)) throw new NotSupportedException("ConvWinograd.BackwardInput: the window is outside the kernel's scope (see Supports).");
        if (gy.Length < (long)batch * outChannels * win.OutPlaneSize || w.Length < (long)outChannels * win.Channels * 9 || gx.Length < (long)batch * win.Channels * win.PlaneSize)
            throw new ArgumentException("ConvWinograd.BackwardInput: a span is shorter than the shapes need.");
        fixed (float* pw = w)
        fixed (float* px = gx)
            Run(gy, batch, flipped, win.Channels, TransformWeights(pw, win.Channels, outChannels, flipped: true), null, px, null, null, threads);
    }

    private static void Check(ReadOnlySpan<float> x, int batch, in Window2d win, ReadOnlySpan<float> w, int outChannels, ReadOnlySpan<float> bias, string op)
    {
        if (!Supports(win, 1)) throw new NotSupportedException($"ConvWinograd.{op}: the window is outside the kernel's scope (see Supports).");
        if (x.Length < (long)batch * win.Channels * win.PlaneSize || w.Length < (long)outChannels * win.Channels * 9 || (!bias.IsEmpty && bias.Length < outChannels))
            throw new ArgumentException($"ConvWinograd.{op}: a span is shorter than the shapes need.");
    }

    /// <summary>
    /// U[ξ] = G g Gᵀ per (output, input) channel pair, packed for the products: [ξ][block of 8 outputs][input][8], rows
    /// past a block zero. With <paramref name="flipped"/>, the kernel of output c and input o is w[o, c] rotated by 180°
    /// (w is [inputs, outputs, 3, 3]): the input gradient's.
    /// </summary>
    private static float* TransformWeights(float* w, int outputs, int inputs, bool flipped)
    {
        int blocks = (outputs + Mr - 1) / Mr;
        nint size = (nint)Xi * blocks * inputs * Mr;
        float* u = AlignedBuffer.Get(ref weightBuffer, size);
        new Span<float>(u, (int)size).Clear();
        Span<float> g = stackalloc float[9];
        Span<double> gg = stackalloc double[12];
        for (int b = 0; b < blocks; b++)
        {
            int o0 = outputs * b / blocks, o1 = outputs * (b + 1) / blocks;
            for (int o = o0; o < o1; o++)
                for (int c = 0; c < inputs; c++)
                {
                    float* src = flipped ? w + ((nint)c * outputs + o) * 9 : w + ((nint)o * inputs + c) * 9;
                    for (int t = 0; t < 9; t++) g[t] = flipped ? src[8 - t] : src[t];
                    // G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 (each a row of three).
                    for (int j = 0; j < 3; j++)
                    {
                        double a = g[j], m = g[3 + j], z = g[6 + j];
                        gg[j] = a;
                        gg[3 + j] = 0.5 * (a + m + z);
                        gg[6 + j] = 0.5 * (a - m + z);
                        gg[9 + j] = z;
                    }
                    for (int i = 0; i < 4; i++)
                    {
                        double a = gg[3 * i], m = gg[3 * i + 1], z = gg[3 * i + 2];
                        Span<double> row = [a, 0.5 * (a + m + z), 0.5 * (a - m + z), z];
                        for (int j = 0; j < 4; j++)
                            u[(((nint)(i * 4 + j) * blocks + b) * inputs + c) * Mr + (o - o0)] = (float)row[j];
                    }
                }
        }
        return u;
    }

    // The geometry of a call and the partition of its blocks of tile rows.
    private static void Run(ReadOnlySpan<float> x, int batch, in Window2d win, int outChannels, float* u, float* bias, float* y, float* pooled, int* argmax, int threads)
    {
        if (batch == 0 || outChannels == 0) return;
        var job = new Job { Win = win, Batch = batch, O = outChannels, U = u, Bias = bias, Y = y, Pooled = pooled, Argmax = argmax };
        job.TilesX = (win.OutW + 1) / 2;
        job.TilesY = (win.OutH + 1) / 2;
        job.Slots = SlotsPerRow(job.TilesX);
        job.Wq = 2 * job.TilesX + 2;
        job.Hq = 2 * job.TilesY + 2;
        job.Plane = job.Wq * job.Hq;
        int tp = Math.Max(Vw, VBudget / (Xi * win.Channels) / Vw * Vw);
        job.Rows = Math.Max(tp / job.Slots, RowsPerVector(job.Slots));
        job.Tp = job.Rows * job.Slots;
        job.OBlocks = (outChannels + Mr - 1) / Mr;
        long tileRows = (long)batch * job.TilesY;
        job.Blocks = (tileRows + job.Rows - 1) / job.Rows;
        long work = tileRows * job.TilesX * outChannels * win.Channels * 16;
        job.Parts = (int)Math.Clamp(Math.Min(job.Blocks, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        fixed (float* px = x)
        {
            job.X = px;
            KernelThreads.For(job.Parts, ref job);
        }
    }

    private const int Half = Vw / 2;

    /// <summary>
    /// The slots a tile row takes in a block: 2, 4 or 8 for rows of up to that many tiles (8, 4 or 2 rows a vector),
    /// else the tiles rounded up to whole vectors. Either way every vector of the transforms is full and aligned; the
    /// empty slots (one of 8 for a 14-wide output, one of 4 for a 7-wide one) are computed and never stored.
    /// </summary>
    internal static int SlotsPerRow(int tilesX) => tilesX <= 2 ? 2 : tilesX <= 4 ? 4 : tilesX <= Half ? Half : (tilesX + Vw - 1) / Vw * Vw;

    /// <summary>Tile rows in a vector: 16 / slots for short rows, else 1.</summary>
    internal static int RowsPerVector(int slots) => slots < Vw ? Vw / slots : 1;

    /// <summary>
    /// Padded samples a thread keeps: a vector's tile rows span at most RowsPerVector samples, held by sample index
    /// modulo this power of two, so that loading one never evicts another of the same vector.
    /// </summary>
    internal static int PadSlots(int slots) => Math.Max(2, RowsPerVector(slots));

    private struct Job : IPartitionBody
    {
        public Window2d Win;
        public int Batch, O, TilesX, TilesY, Slots, Wq, Hq, Plane, Rows, Tp, OBlocks, Parts;
        public long Blocks;
        public float* X, U, Bias, Y, Pooled;
        public int* Argmax;

        public readonly void Run(int part)
        {
            int c = Win.Channels, tp = Tp, slots = Slots;
            // The 16 matrices of a block lie a cache line more than a multiple of 4 KiB apart: the transforms touch all
            // 16 at once, which at a multiple would all map to one set of the L1.
            nint vStride = (nint)c * tp + Vw, mStride = (nint)Mr * tp + Vw;
            float* v = AlignedBuffer.Get(ref inputBuffer, Xi * vStride + Vw);
            float* m = AlignedBuffer.Get(ref productBuffer, Xi * mStride + Vw);
            // Padded samples (a vector's tile rows may straddle several), with slack for the loads past a row's tiles.
            int group = RowsPerVector(slots), padSlots = PadSlots(slots);
            nint padSize = (nint)c * Plane, padAll = padSlots * padSize + 5 * Vw;
            float* pads = AlignedBuffer.Get(ref padBuffer, padAll);
            new Span<float>(pads, (int)padAll).Clear();
            int* held = stackalloc int[padSlots];
            new Span<int>(held, padSlots).Fill(-1);
            int* sample = stackalloc int[Rows + group], ty = stackalloc int[Rows + group];
            float** rowBase = stackalloc float*[group];
            var firsts = stackalloc Vector512<int>[tp / Vw];
            long tileRows = (long)Batch * TilesY;
            for (long blk = Blocks * part / Parts, end = Blocks * (part + 1) / Parts; blk < end; blk++)
            {
                long g0 = blk * Rows;
                int rows = (int)Math.Min(Rows, tileRows - g0), tiles = (rows * slots + Vw - 1) / Vw * Vw;
                for (int r = 0; r < rows; r++)
                {
                    sample[r] = (int)((g0 + r) / TilesY);
                    ty[r] = (int)(g0 + r - (long)sample[r] * TilesY);
                }
                // The rows past the last of a vector repeat it.
                for (int r = rows; r < rows + group; r++) (sample[r], ty[r]) = (sample[rows - 1], ty[rows - 1]);
                for (int r = 0; r < rows; r += group)
                {
                    if (slots >= Vw)
                    {
                        float* pa = Padded(pads, padSize, held, padSlots, sample[r]) + 2 * ty[r] * Wq;
                        for (int ci = 0; ci < c; ci++)
                            TransformInputRow(pa + (nint)ci * Plane, Wq, slots / Vw, v + (nint)ci * tp + r * slots, vStride);
                        continue;
                    }
                    for (int k = 0; k < group; k++) rowBase[k] = Padded(pads, padSize, held, padSlots, sample[r + k]) + 2 * ty[r + k] * Wq;
                    for (int ci = 0; ci < c; ci++)
                        TransformInputGroup(rowBase, (nint)ci * Plane, Wq, slots, v + (nint)ci * tp + r * slots, vStride);
                }
                if (Pooled is not null && slots < Vw)
                    for (int j = 0; j < tiles / Vw; j++) firsts[j] = FirstIndices(j * group, sample, ty);
                for (int b = 0; b < OBlocks; b++)
                {
                    int o0 = O * b / OBlocks, count = O * (b + 1) / OBlocks - o0;
                    for (int xi = 0; xi < Xi; xi++)
                        Products(count, c, U + ((nint)xi * OBlocks + b) * c * Mr, v + xi * vStride, tp, m + xi * mStride, tiles);
                    for (int k = 0; k < count; k++)
                        for (int j = 0; j < tiles / Vw; j++)
                            TransformOutput(m + (nint)k * tp + j * Vw, mStride, o0 + k, j, rows, sample, ty, firsts);
                }
            }
        }

        // The scratch holding sample s padded, copied there when it is not yet.
        private readonly float* Padded(float* pads, nint padSize, int* held, int padSlots, int s)
        {
            int slot = s & (padSlots - 1);
            float* pad = pads + slot * padSize;
            if (held[slot] != s)
            {
                ConvDirect.CopySample(X, Win, s, pad, Wq, Hq, Plane);
                held[slot] = s;
            }
            return pad;
        }

        // Each lane's first output (row 2 ty, column 2 tx) in its plane, for the vector whose first tile row is r.
        private readonly Vector512<int> FirstIndices(int r, int* sample, int* ty)
        {
            int* first = stackalloc int[Vw];
            for (int lane = 0; lane < Vw; lane++) first[lane] = 2 * ty[r + lane / Slots] * Win.OutW + 2 * (lane % Slots);
            return Vector512.Load(first);
        }

        // Output channel o of the block's vector j of tiles, from its products (ξ apart by stride), into y or the pooled output.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly void TransformOutput(float* m, nint stride, int o, int j, int rows, int* sample, int* ty, Vector512<int>* firsts)
        {
            float bias = Bias is null ? 0f : Bias[o];
            var (y00, y01, y10, y11) = OutputTile(m, stride, bias);
            int outW = Win.OutW, outH = Win.OutH, slots = Slots;
            nint pooledPlane = (nint)TilesY * TilesX;
            if (slots < Vw)
            {
                // Lanes k slots .. (k + 1) slots - 1: tile row group j + k of the block.
                int group = Vw / slots, r0 = group * j;
                if (Pooled is not null)
                {
                    var (value, at) = PoolTile(y00, y01, y10, y11, firsts[j], outW);
                    for (int k = 0; k < group && r0 + k < rows; k++)
                    {
                        nint a = ((nint)sample[r0 + k] * O + o) * pooledPlane + ty[r0 + k] * TilesX;
                        var shift = Shifts[k * slots];
                        StorePooled(Avx512F.PermuteVar16x32(value, shift), Avx512F.PermuteVar16x32(at, shift), Pooled + a, Argmax is null ? null : Argmax + a, TilesX);
                    }
                    return;
                }
                // Interleaved, the low vector holds the first half of the rows (2 slots columns each), the high the rest.
                var top = (Avx512F.PermuteVar16x32x2(y00, Low, y01), Avx512F.PermuteVar16x32x2(y00, High, y01));
                var bottom = (Avx512F.PermuteVar16x32x2(y10, Low, y11), Avx512F.PermuteVar16x32x2(y10, High, y11));
                for (int k = 0; k < group && r0 + k < rows; k++)
                {
                    int half = group / 2, tk = ty[r0 + k];
                    var shift = Shifts[k % half * 2 * slots];
                    float* dst = Y + ((nint)sample[r0 + k] * O + o) * Win.OutPlaneSize + (nint)2 * tk * outW;
                    Store(Avx512F.PermuteVar16x32(k < half ? top.Item1 : top.Item2, shift), dst, outW);
                    if (2 * tk + 1 < outH) Store(Avx512F.PermuteVar16x32(k < half ? bottom.Item1 : bottom.Item2, shift), dst + outW, outW);
                }
                return;
            }
            // One tile row's tiles 16 kx .. 16 kx + 15.
            int r = j * Vw / Slots, kx = j - r * (Slots / Vw), lanes = TilesX - kx * Vw;
            if (lanes <= 0) return;
            int s = sample[r], t = ty[r];
            if (Pooled is not null)
            {
                var (value, at) = PoolTile(y00, y01, y10, y11, Vector512.Create(2 * t * outW + 2 * kx * Vw) + Vector512<int>.Indices * 2, outW);
                nint a = ((nint)s * O + o) * pooledPlane + t * TilesX + kx * Vw;
                StorePooled(value, at, Pooled + a, Argmax is null ? null : Argmax + a, Math.Min(lanes, Vw));
                return;
            }
            float* row = Y + ((nint)s * O + o) * Win.OutPlaneSize + (nint)2 * t * outW + 2 * kx * Vw;
            int cols = outW - 2 * kx * Vw;
            StoreInterleaved(y00, y01, row, cols);
            if (2 * t + 1 < outH) StoreInterleaved(y10, y11, row + outW, cols);
        }
    }

    // Reused 64-byte aligned buffers: the transformed weights (calling thread); per thread the block's transformed
    // input, one output block's products, and the padded sample.
    [ThreadStatic] private static float[]? weightBuffer;
    [ThreadStatic] private static float[]? inputBuffer;
    [ThreadStatic] private static float[]? productBuffer;
    [ThreadStatic] private static float[]? padBuffer;
}
