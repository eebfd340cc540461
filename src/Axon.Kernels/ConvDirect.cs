using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// Direct 2-D convolution (float, AVX-512) for layers with few input taps per output channel (K = Channels * kh * kw),
/// unit stride and dilation, no groups: LeNet's and the lecture CNN's first layers (K = 25), LeNet's second (K = 150). Each sample's input planes are copied once into a zero-padded scratch; every tap of a 16-wide chunk of an
/// output row is then one unaligned load from it, at a fixed offset. Nothing is gathered per panel, which is what the
/// implicit GEMM (<see cref="ConvGemm"/>) spends most of its time on when K is this short.
/// </summary>
/// <remarks>
/// <para>
/// The scratch has OutH + kh - 1 rows of the chunked output width (a multiple of 16) + kw - 1 columns per channel, so
/// a full vector load at any tap offset of any chunk stays inside it; the lanes past the output width read padding or
/// the next columns and are never stored (forward), or are masked to zero in both operands (weight gradient, so that
/// an infinite input there cannot turn into 0 * inf = NaN).
/// </para>
/// <para>
/// Forward tile: up to <see cref="Mr"/> output channels x 2 chunks = 16 accumulators started from the bias; per tap 2
/// loads, a broadcast of each channel's packed weight and 2 FMAs per channel; masked stores of the valid lanes. The
/// output channels are cut into blocks of balanced sizes, each compiled for its row count (LeNet's 6 channels: one
/// block of 6 rather than 8 with 2 idle). Weight-gradient tile: up to <see cref="GradRows"/> output channels x
/// <see cref="GradTaps"/> taps = 20 vector partial sums kept in registers over a sample's positions (per chunk one load
/// of gY per channel and one of x per tap, masked past the row), added into a per-part accumulator per sample and
/// reduced to scalars at the end.
/// </para>
/// <para>
/// Partitions are contiguous ranges of the batch's output rows (whole samples when the batch covers the threads).
/// Each forward output is one sum over the taps in a fixed order: bit-identical for any thread count. The weight
/// gradient sums the parts in part order: deterministic for a given thread count.
/// </para>
/// </remarks>
public static unsafe partial class ConvDirect
{
    /// <summary>Most output channels of the forward tile.</summary>
    public const int Mr = 8;

    /// <summary>Most output channels of the weight-gradient tile.</summary>
    public const int GradRows = 4;

    /// <summary>Taps of the weight-gradient tile.</summary>
    public const int GradTaps = 5;

    private const int Vw = 16;

    /// <summary>Whether this machine runs the kernel (AVX-512F).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Whether the kernel computes this convolution: AVX-512F, unit stride and dilation, one group. Any K works, but
    /// the kernel pays off for short K and wide output rows (the callers decide by measurement); the output width
    /// rounded up to 16 is what it computes.
    /// </summary>
    public static bool Supports(in Window2d win, int groups) =>
        IsSupported && groups == 1 && win.StrideH == 1 && win.StrideW == 1 && win.DilationH == 1 && win.DilationW == 1
        && win.ColRows > 0 && win.PadTop >= 0 && win.PadLeft >= 0;

    // The scratch geometry and the partition, shared by both jobs.
    private static TJob Geometry<TJob>(int batch, in Window2d win, int outChannels, int threads) where TJob : struct, IDirectJob
    {
        int chunksPerRow = (win.OutW + Vw - 1) / Vw;
        int wp = chunksPerRow * Vw + win.KernelW - 1, hp = win.OutH + win.KernelH - 1;
        long rows = (long)batch * win.OutH;
        long work = (long)batch * win.OutPlaneSize * outChannels * win.ColRows;
        int parts = (int)Math.Clamp(Math.Min(rows, work / Gemm.MinWorkPerThread), 1, KernelThreads.CheckThreads(threads));
        var job = default(TJob);
        job.Init(win, batch, outChannels, wp, hp, chunksPerRow, parts);
        return job;
    }

    // Offsets in the scratch of taps (c, i, j) in weight order; entries past K read tap 0 (their sums are dropped).
    private static int* TapOffsets(in Window2d win, int wp, int plane, int count)
    {
        int* taps = AlignedBuffer.Get(ref tapBuffer, count);
        int t = 0, sh = win.StrideH, sw = win.StrideW;
        // Strided windows read stride phases (CopyPhases): tap (i, j) is row i / sh, column j / sw of phase (i % sh, j % sw).
        for (int c = 0; c < win.Channels; c++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++) taps[t++] = (c * sh * sw + i % sh * sw + j % sw) * plane + i / sh * wp + j / sw;
        for (; t < count; t++) taps[t] = 0;
        return taps;
    }

    private interface IDirectJob : IPartitionBody
    {
        void Init(in Window2d win, int batch, int outChannels, int wp, int hp, int chunksPerRow, int parts);
    }

    // Copies sample s of x into the zero-padded scratch (only its interior: the border stays as cleared); a strided
    // window's into its stride phases.
    internal static void CopySample(float* x, in Window2d win, int s, float* pad, int wp, int hp, int plane)
    {
        if (win.StrideH > 1 || win.StrideW > 1)
        {
            CopyPhases(x, win, s, pad, wp, hp, plane);
            return;
        }
        int rows = Math.Min(win.Height, hp - win.PadTop), cols = Math.Min(win.Width, wp - win.PadLeft);
        float* src = x + (nint)s * win.Channels * win.PlaneSize;
        for (int c = 0; c < win.Channels; c++)
        {
            float* dst = pad + (nint)c * plane + (nint)win.PadTop * wp + win.PadLeft;
            float* from = src + (nint)c * win.PlaneSize;
            for (int ih = 0; ih < rows; ih++)
                CopyRow(from + (nint)ih * win.Width, dst + (nint)ih * wp, cols);
        }
    }

    /// <summary>
    /// Copies n floats. The rows these kernels copy are short (7 to 56 floats), where a masked load and store per 16
    /// beat a call to memmove (which was 5 % of a Siamese step).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* from, float* to, int n)
    {
        if (!Avx512F.IsSupported)
        {
            new ReadOnlySpan<float>(from, n).CopyTo(new Span<float>(to, n));
            return;
        }
        int j = 0;
        for (; j + Vw <= n; j += Vw) Vector512.Store(Vector512.Load(from + j), to + j);
        if (j < n)
        {
            var m = Mask(n - j);
            Avx512F.MaskStore(to + j, m, Avx512F.MaskLoad(from + j, m, Vector512<float>.Zero));
        }
    }

    // A cleared scratch of the call's geometry for this thread.
    private static float* Scratch(in Window2d win, int plane)
    {
        nint size = (nint)win.Channels * plane + Vw;
        float* pad = AlignedBuffer.Get(ref padBuffer, size);
        new Span<float>(pad, (int)size).Clear();
        return pad;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    /// <summary>A tile's row count as a type, so that each count compiles to its own tile without dead rows.</summary>
    private interface IRows
    {
        static abstract int Count { get; }
    }

    private struct Rows1 : IRows { public static int Count => 1; }

    private struct Rows2 : IRows { public static int Count => 2; }

    private struct Rows3 : IRows { public static int Count => 3; }

    private struct Rows4 : IRows { public static int Count => 4; }

    private struct Rows5 : IRows { public static int Count => 5; }

    private struct Rows6 : IRows { public static int Count => 6; }

    private struct Rows7 : IRows { public static int Count => 7; }

    private struct Rows8 : IRows { public static int Count => 8; }

    // Reused 64-byte aligned buffers: the packed weights, accumulators and tap offsets (calling thread), and per
    // thread the padded sample.
    [ThreadStatic] private static float[]? packedBuffer;
    [ThreadStatic] private static float[]? accBuffer;
    [ThreadStatic] private static float[]? padBuffer;
    [ThreadStatic] private static int[]? tapBuffer;
}
