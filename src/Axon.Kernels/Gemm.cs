using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// General matrix multiply on row-major operands: C = alpha * op(A) * op(B) + beta * C,
/// where op(A) is [m, k] and op(B) is [k, n]. A transposed operand is read in place, never copied.
/// </summary>
/// <remarks>
/// <para>
/// Algorithm (Goto/BLIS style): for each NC-wide column block of C and each KC-deep slice of k, op(B) is packed
/// into NR-wide micro-panels (kept in L2/L3); for each MC-tall row block, op(A) is packed into MR-tall micro-panels
/// (kept in L2); a register-tiled FMA micro-kernel then sweeps MR x NR tiles of C, streaming one B micro-panel
/// (KC x NR, L1 resident) against the A micro-panels. Tiles: AVX-512 14 x 32 floats / 14 x 16 doubles,
/// AVX2 6 x 16 / 6 x 8, portable 4 x 2 Vector&lt;T&gt; (see <see cref="GemmMicroKernel"/>). Small problems and
/// matrix-vector-like shapes (m or n at most 4) take an unpacked path (GemmSmall.cs); products with fewer than 16
/// columns and many rows are computed transposed, so the 14-row side of the tile takes the few columns.
/// </para>
/// <para>
/// Threads: m (or n, when that repacks less) is cut into at most the caller's <c>threads</c> fixed contiguous
/// ranges aligned to the tile size; each thread packs its own panels into reused per-thread buffers. Every element of C
/// is produced by the same sequence of operations whatever the partition, so results are bit-identical for a
/// given thread count (and, by construction, across thread counts).
/// </para>
/// <para>
/// Roofline (AMD EPYC, Zen 5 class, 2 cores, two 512-bit FMA pipes per core): measured FMA peak (PeakFlops
/// benchmark) is about 258-265 GFLOP/s float and 130 GFLOP/s double per core. A packed KC = 256 slice does 2 * KC
/// flops per loaded element of C, so GEMM is compute bound above n of a few dozen. Measured single thread
/// (best of 5 BenchmarkDotNet runs on a shared machine, bench/results/gemm.md): SGEMM 214-231 GFLOP/s (82-89 % of
/// peak) and DGEMM 108-117 GFLOP/s (81-88 %) for square 256..2048; 2 threads with both cores free: SGEMM
/// 389-456 GFLOP/s (75-87 % of the 2-core peak), DGEMM 201-219 GFLOP/s (75-82 %).
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>
    /// Single-precision GEMM. <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/> are row strides of the
    /// stored matrices; <paramref name="threads"/> is the most threads it may use (1 = serial), and with it the partition.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int threads)
        => Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);

    /// <summary>Double-precision GEMM, same contract as <see cref="Sgemm"/>.</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc, int threads)
        => Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);

    /// <summary>Generic entry point used by the tensor layer.</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            Sgemm(transA, transB, m, n, k, float.CreateTruncating(alpha), MemoryMarshal.Cast<T, float>(a), lda, MemoryMarshal.Cast<T, float>(b), ldb, float.CreateTruncating(beta), MemoryMarshal.Cast<T, float>(c), ldc, threads);
        else if (typeof(T) == typeof(double))
            Dgemm(transA, transB, m, n, k, double.CreateTruncating(alpha), MemoryMarshal.Cast<T, double>(a), lda, MemoryMarshal.Cast<T, double>(b), ldb, double.CreateTruncating(beta), MemoryMarshal.Cast<T, double>(c), ldc, threads);
        else
            Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    // ---- tuning knobs (internal so tests and tuning harnesses can force paths) ----

    /// <summary>Which micro-kernel family runs. <see cref="GemmPath.Auto"/> picks the widest the CPU supports.</summary>
    internal static GemmPath Path { get; set; } = GemmPath.Auto;

    /// <summary>Depth of a packed k slice (B micro-panel KC x NR stays in L1).</summary>
    internal static int Kc { get; set; } = 256;

    /// <summary>Rows of a packed A block, in bytes of the block (MC x KC stays in L2); rounded to the tile height.</summary>
    internal static int McBytes { get; set; } = 448 * 1024;

    /// <summary>Columns of a packed float B block (KC x NC, 4 MiB, stays in L3); halved for double; rounded to the tile width.</summary>
    internal static int Nc { get; set; } = 4096;

    /// <summary>Problems with m * n * k at or below this take the unpacked path.</summary>
    internal static long SmallWork { get; set; } = 32 * 32 * 32;

    /// <summary>Problems with m (or n, when A is not transposed) at or below this take the unpacked path.</summary>
    internal static int SkinnyMax { get; set; } = 4;

    /// <summary>
    /// Minimum multiply-adds per thread before work is split across threads. With workers polling between regions a
    /// hand-off costs a few microseconds, so even a 64^3 product (about 2 µs of work per thread) gains from a split.
    /// </summary>
    internal static long MinWorkPerThread { get; set; } = 48 * 48 * 48;

    /// <summary>Problems with fewer columns than this (and at least twice as many rows) are computed transposed.</summary>
    internal static int SwapMaxN { get; set; } = 16;

    /// <summary>Partitions per thread when work is split (more pieces balance better but repack more).</summary>
    internal static int PartsPerThread { get; set; } = 1;

    /// <summary>
    /// A row-major B (not transposed) is read in place, without packing, when a part has at most this many rows of C
    /// (AVX-512 path, full 32-column panels; a last narrower panel is still packed). With few A tiles to reuse a
    /// packed B panel, packing B cost more than it saved: at 128 x 128 x 128 each thread copied all of B for five tiles.
    /// 0 always packs.
    /// </summary>
    internal static int DirectBMaxRows { get; set; } = 128;

    internal static GemmPath ResolvePath()
    {
        if (Path != GemmPath.Auto) return Path;
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) return GemmPath.Avx512;
        if (Avx2.IsSupported && Fma.IsSupported) return GemmPath.Avx2;
        return GemmPath.Portable;
    }

    private static unsafe void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelThreads.CheckThreads(maxThreads);
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == T.Zero)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        // Types other than float and double (e.g. Half) have no vector micro-kernel: unpacked path. So do tiny
        // problems and matrix-vector-like shapes, where packing would cost more than it saves.
        if ((long)m * n * k <= SmallWork || m <= SkinnyMax || (typeof(T) != typeof(float) && typeof(T) != typeof(double)))
        {
            Small(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        if (n <= SkinnyMax && !transA)
        {
            SkinnyColumns(transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        if (n < SwapMaxN && m >= 2 * SwapMaxN)
        {
            Swapped(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxThreads);
            return;
        }

        var path = ResolvePath();
        (int mr, int nr) = Tile<T>(path);
        long work = (long)m * n * k;
        int threads = (int)Math.Clamp(work / MinWorkPerThread, 1, maxThreads);
        // Each partition packs the whole of the operand along the other dimension: splitting m repacks B,
        // splitting n repacks A. Repack the cheaper one (contiguous copies are ~3x cheaper than the strided
        // scatter that non-transposed A / transposed B need), as long as the split dimension has a tile per thread.
        bool splitN = (long)m * (transA ? 1 : 3) < (long)n * (transB ? 3 : 1) || m < threads * mr;
        int dim = splitN ? n : m, unit = splitN ? nr : mr;
        // Cut into PartsPerThread pieces per thread; the cut depends only on the sizes and the thread count.
        // One piece per thread measured best (more pieces balance a busy core but repack A or B more often).
        int pieces = threads == 1 ? 1 : threads * PartsPerThread;
        int chunk = (int)Math.Min(dim, ((dim + pieces - 1) / pieces + unit - 1) / unit * (long)unit);
        int parts = (dim + chunk - 1) / chunk;

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var job = new GemmJob<T>
            {
                A = pa,
                B = pb,
                C = pc,
                Lda = lda,
                Ldb = ldb,
                Ldc = ldc,
                TransA = transA,
                TransB = transB,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                Beta = beta,
                Path = path,
                Mr = mr,
                Nr = nr,
                SplitN = splitN,
                Chunk = chunk,
                Dim = dim,
            };
            KernelThreads.For(parts, ref job);
        }
    }

    // A few columns (a classifier's output layer): the tile's 32 columns would be mostly padding, its 14 rows less so.
    // Computes C^T = op(B)^T op(A)^T (the stored operands read with the opposite flags) into a scratch [n, m] block,
    // then C = C^T^T + beta * C with the rounding of the tile's own store (fma(c, beta, alpha * acc)).
    private static unsafe void Swapped<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* t = PackBuffers<T>.Swap((nint)n * m);
        Run(!transB, !transA, n, m, k, alpha, b, ldb, a, lda, T.Zero, new Span<T>(t, n * m), m, maxThreads);
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            T* col = t + i;
            if (beta == T.Zero)
                for (int j = 0; j < n; j++) row[j] = col[(nint)j * m];
            else
                for (int j = 0; j < n; j++) row[j] = T.FusedMultiplyAdd(row[j], beta, col[(nint)j * m]);
        }
    }

    internal static (int Mr, int Nr) Tile<T>(GemmPath path) where T : unmanaged => path switch
    {
        GemmPath.Avx512 => (GemmMicroKernel.Mr512, 2 * Vector512<T>.Count),
        GemmPath.Avx2 => (GemmMicroKernel.Mr256, 2 * Vector256<T>.Count),
        _ => (GemmMicroKernel.MrPortable, 2 * Vector<T>.Count),
    };

    private unsafe struct GemmJob<T> : IPartitionBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* A, B, C;
        public int Lda, Ldb, Ldc, M, N, K, Mr, Nr, Chunk, Dim;
        public bool TransA, TransB, SplitN;
        public T Alpha, Beta;
        public GemmPath Path;

        public readonly void Run(int part)
        {
            int start = part * Chunk, len = Math.Min(Chunk, Dim - start);
            if (SplitN)
                Blocked(0, M, start, len);
            else
                Blocked(start, len, 0, N);
        }

        // C[i0 .. i0+m, j0 .. j0+n] for the full k: the Goto loop nest over packed blocks.
        private readonly void Blocked(int i0, int m, int j0, int n)
        {
            int kcMax = Math.Min(Kc, K);
            int mcMax = Math.Max(Mr, McBytes / (kcMax * sizeof(T)) / Mr * Mr);
            mcMax = Math.Min(mcMax, (m + Mr - 1) / Mr * Mr);
            int ncMax = Math.Min(Math.Max(Nr, Nc * sizeof(float) / sizeof(T) / Nr * Nr), (n + Nr - 1) / Nr * Nr);
            T* packA = PackBuffers<T>.A((nint)mcMax * kcMax);
            T* packB = PackBuffers<T>.B((nint)ncMax * kcMax);
            bool directB = Path == GemmPath.Avx512 && !TransB && m <= DirectBMaxRows;

            for (int jc = 0; jc < n; jc += ncMax)
            {
                int nc = Math.Min(ncMax, n - jc);
                int fullCols = directB ? nc / Nr * Nr : 0;
                for (int pc = 0; pc < K; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, K - pc);
                    T beta = pc == 0 ? Beta : T.One;
                    // Read in place: the full panels straight from B; only a narrower last panel is packed (zero-padded).
                    T* bDirect = directB ? B + (nint)pc * Ldb + j0 + jc : null;
                    if (nc > fullCols)
                        GemmPacking.PackB(B, Ldb, TransB, pc, kc, j0 + jc + fullCols, nc - fullCols, Nr, packB + (nint)fullCols * kc);
                    for (int ic = 0; ic < m; ic += mcMax)
                    {
                        int mc = Math.Min(mcMax, m - ic);
                        GemmPacking.PackA(A, Lda, TransA, i0 + ic, mc, pc, kc, Mr, packA);
                        Macro(packA, packB, bDirect, mc, nc, kc, C + (nint)(i0 + ic) * Ldc + j0 + jc, beta);
                    }
                }
            }
        }

        // Sweeps the packed mc x nc block tile by tile: each B micro-panel is reused across all A micro-panels.
        // With bDirect set, full-width panels are read from B itself (row stride ldb) instead of the packed copy.
        private readonly void Macro(T* pa, T* pb, T* bDirect, int mc, int nc, int kc, T* c, T beta)
        {
            nint ldc = Ldc;
            for (int jr = 0; jr < nc; jr += Nr)
            {
                int cols = Math.Min(Nr, nc - jr);
                bool inPlace = bDirect != null && cols == Nr;
                T* b = inPlace ? bDirect + jr : pb + (nint)jr * kc;
                nint bStride = inPlace ? Ldb : Nr;
                for (int ir = 0; ir < mc; ir += Mr)
                {
                    int rows = Math.Min(Mr, mc - ir);
                    T* a = pa + (nint)ir * kc;
                    T* ct = c + ir * ldc + jr;
                    switch (Path)
                    {
                        case GemmPath.Avx512 when rows <= 8: GemmMicroKernel.Avx512Rows8(kc, a, b, bStride, ct, ldc, Alpha, beta, rows, cols); break;
                        case GemmPath.Avx512: GemmMicroKernel.Avx512(kc, a, b, bStride, ct, ldc, Alpha, beta, rows, cols); break;
                        case GemmPath.Avx2: GemmMicroKernel.Avx2(kc, a, b, ct, ldc, Alpha, beta, rows, cols); break;
                        default: GemmMicroKernel.Portable(kc, a, b, ct, ldc, Alpha, beta, rows, cols); break;
                    }
                }
            }
        }
    }

    // Reused, 64-byte aligned packing buffers, one pair per thread (kernel worker threads are long-lived).
    internal static unsafe class PackBuffers<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? a, b, swap;

        public static T* A(nint length) => AlignedBuffer.Get(ref a, length);

        public static T* B(nint length) => AlignedBuffer.Get(ref b, length);

        // The transposed result of a swapped product; the packing of the inner product uses A and B.
        public static T* Swap(nint length) => AlignedBuffer.Get(ref swap, length);
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(m < 0 ? nameof(m) : n < 0 ? nameof(n) : nameof(k), $"GEMM sizes must be non-negative, got m={m}, n={n}, k={k}.");
        CheckOperand("A", "lda", transA, transA ? k : m, transA ? m : k, aLength, lda, m, n, k);
        CheckOperand("B", "ldb", transB, transB ? n : k, transB ? k : n, bLength, ldb, m, n, k);
        CheckOperand("C", "ldc", false, m, n, cLength, ldc, m, n, k);
    }

    // The stored operand is rows x cols with row stride ld; it needs ld >= cols and (rows - 1) * ld + cols elements.
    private static void CheckOperand(string name, string ldName, bool trans, int rows, int cols, int length, int ld, int m, int n, int k)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{ldName}={ld} is too small: {Shape()} needs {ldName} >= {Math.Max(1, cols)}.", ldName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} is too short: {Shape()} with {ldName}={ld} needs at least {needed} elements, got {length}.", name.ToLowerInvariant());

        // Built only when throwing: validation runs on every call and must not allocate.
        string Shape() => $"{name} stored [{rows}, {cols}]{(trans ? " (transposed)" : "")} for m={m}, n={n}, k={k}";
    }
}

/// <summary>Micro-kernel families of <see cref="Gemm"/>.</summary>
internal enum GemmPath
{
    Auto,
    Avx512,
    Avx2,
    Portable,
}
