using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Axon.Kernels;

namespace Axon.Kernels.Tests;

/// <summary>Tests that change the GEMM tuning knobs run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelGlobalsCollection
{
    public const string Name = "Kernel globals";
}

[Collection(KernelGlobalsCollection.Name)]
public sealed class GemmTests
{
    // One way to run a GEMM: micro-kernel family, thread count, and whether small and skinny problems are forced
    // through the packed path (SmallWork = -1, SkinnyMax = 0) and split across threads however small.
    internal sealed record Variant(GemmPath Path, int Threads, bool ForcePacked, bool TinyBlocks);

    private static IEnumerable<Variant> Variants()
    {
        yield return new(GemmPath.Auto, 1, false, false);
        yield return new(GemmPath.Auto, 2, false, false);
        var paths = new List<GemmPath> { GemmPath.Portable };
        if (Avx2.IsSupported && Fma.IsSupported) paths.Add(GemmPath.Avx2);
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) paths.Add(GemmPath.Avx512);
        foreach (var path in paths)
        {
            yield return new(path, 1, true, false);
            yield return new(path, 2, true, false);
        }
        // Tiny KC / MC / NC so every blocking loop (several k slices, row and column blocks) runs on small shapes.
        yield return new(GemmPath.Auto, 2, true, true);
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>
        {
            { 1, 1, 1 }, { 7, 13, 5 }, { 257, 129, 65 }, { 1, 300, 1 }, { 300, 1, 7 }, { 33, 17, 129 },
            { 3, 200, 150 }, { 150, 2, 200 }, // matrix-vector-like: the unpacked skinny paths
            { 70, 10, 300 }, { 33, 15, 17 }, // few columns: computed transposed
            { 22, 70, 40 }, { 128, 64, 48 }, // a last row tile of exactly 8 rows (the 8-row kernel, full)
        };
        var rnd = new Random(20261123);
        for (int i = 0; i < 6; i++) data.Add(rnd.Next(1, 90), rnd.Next(1, 90), rnd.Next(1, 90));
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SgemmMatchesReference(int m, int n, int k) => CheckShape<float>(m, n, k);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DgemmMatchesReference(int m, int n, int k) => CheckShape<double>(m, n, k);

    private static readonly (double Alpha, double Beta)[] Scalars = [(1, 0), (1, 1), (-1.5, 0.5)];

    private static void CheckShape<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rnd = new Random(m * 10007 + n * 101 + k);
        int combo = 0;
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                foreach (var (alpha, beta) in Scalars)
                {
                    // Alternate tight and padded leading dimensions across the combinations.
                    int pad = combo++ % 2 == 0 ? 0 : 3;
                    var problem = Problem<T>.Random(rnd, transA, transB, m, n, k, pad, alpha, beta);
                    var expected = problem.Reference();
                    foreach (var variant in Variants())
                    {
                        var c = problem.Run(variant);
                        problem.AssertClose(expected, c, variant);
                    }
                }
            }
        }
    }

    [Fact]
    public void SameThreadCountGivesBitIdenticalResults()
    {
        var rnd = new Random(7);
        var problem = Problem<float>.Random(rnd, false, true, 301, 203, 517, 1, 1, 0.5);
        foreach (int threads in new[] { 1, 2 })
        {
            var v = new Variant(GemmPath.Auto, threads, false, false);
            Assert.Equal(problem.Run(v), problem.Run(v));
        }
        // Partitions never change the per-element operation sequence, so thread counts agree too.
        Assert.Equal(problem.Run(new(GemmPath.Auto, 1, false, false)), problem.Run(new(GemmPath.Auto, 2, false, false)));
    }

    [Fact]
    public void SteadyStateCallsDoNotAllocate()
    {
        {
            var a = new float[120 * 130];
            var b = new float[130 * 140];
            var c = new float[120 * 140];
            void Call()
            {
                Gemm.Sgemm(false, true, 120, 140, 130, 1, a, 130, b, 130, 0.5f, c, 140, 1); // packed
                Gemm.Sgemm(true, false, 2, 140, 130, 1, a, 2, b, 140, 0, c, 140, 1); // unpacked, few rows
            }
            for (int i = 0; i < 5; i++) Call();
            // The fewest bytes over a few windows: a call's own allocation shows in every window, a one-off the
            // runtime makes on this thread (tiering a method up while other tests load the process) in one.
            long fewest = long.MaxValue;
            for (int w = 0; w < 5 && fewest > 0; w++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 10; i++) Call();
                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.Equal(0, fewest);
        }
    }

    [Fact]
    public void MultiplyDispatchesToTypedKernels()
    {
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2, 1);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c);
        double[] ad = [1, 2, 3, 4], bd = [5, 6, 7, 8], cd = [1, 1, 1, 1];
        Gemm.Multiply(true, false, 2, 2, 2, 2.0, ad, 2, bd, 2, 1.0, cd, 2, 1);
        Assert.Equal(new double[] { 53, 61, 77, 89 }, cd);
    }

    [Fact]
    public void MultiplyHandlesOtherFloatingTypes()
    {
        Half[] a = [(Half)1, (Half)2, (Half)3, (Half)4], b = [(Half)5, (Half)6, (Half)7, (Half)8], c = new Half[4];
        Gemm.Multiply(false, true, 2, 2, 2, Half.One, a, 2, b, 2, Half.Zero, c, 2, 1);
        Assert.Equal(new[] { (Half)17, (Half)23, (Half)39, (Half)53 }, c);
        // Above the small-problem size too (no vector micro-kernel exists for Half).
        var ones = Enumerable.Repeat(Half.One, 40 * 40).ToArray();
        var big = new Half[40 * 40];
        Gemm.Multiply(false, false, 40, 40, 40, Half.One, ones, 40, ones, 40, Half.Zero, big, 40, 1);
        Assert.All(big, x => Assert.Equal((Half)40, x));
    }

    [Fact]
    public void ZeroDepthOrZeroAlphaScalesC()
    {
        var c = new float[] { float.NaN, float.NaN, 2, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, c, 2, 1);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
        c = [1, 2, 3, 4];
        Gemm.Sgemm(false, false, 2, 2, 1, 0f, [float.NaN, float.NaN], 1, [float.NaN, float.NaN], 2, 0.5f, c, 2, 1);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, c);
        Gemm.Dgemm(false, false, 0, 5, 5, 1, [], 5, new double[25], 5, 0, [], 5, 1);
    }

    [Fact]
    public void NegativeSizesAreRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 2, 1, new float[4], 2, new float[4], 2, 0, new float[4], 2, 1));
        Assert.Contains("m=-1", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(false, false, 2, 2, -3, 1, new double[4], 2, new double[4], 2, 0, new double[4], 2, 1));
        Assert.Equal("k", ex.ParamName);
    }

    [Fact]
    public void LeadingDimensionTooSmallIsRejected()
    {
        // A is [3, 4] (m x k), so lda must be at least 4.
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 2, 4, 1, new float[100], 3, new float[100], 2, 0, new float[100], 2, 1));
        Assert.Equal("lda", ex.ParamName);
        Assert.Contains("A stored [3, 4]", ex.Message, StringComparison.Ordinal);
        // Transposed B is stored [n, k] = [2, 4]: ldb must be at least k = 4.
        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 3, 2, 4, 1, new float[100], 4, new float[100], 2, 0, new float[100], 2, 1));
        Assert.Equal("ldb", ex.ParamName);
        Assert.Contains("B stored [2, 4] (transposed)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Dgemm(false, false, 3, 5, 4, 1, new double[100], 4, new double[100], 5, 0, new double[100], 4, 1));
        Assert.Equal("ldc", ex.ParamName);
    }

    [Fact]
    public void ShortSpansAreRejectedWithSizes()
    {
        // A [3, 4] with lda 6 needs 2 * 6 + 4 = 16 elements.
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 2, 4, 1, new float[15], 6, new float[8], 2, 0, new float[6], 2, 1));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("needs at least 16 elements, got 15", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 2, 4, 1, new float[12], 4, new float[7], 2, 0, new float[6], 2, 1));
        Assert.Equal("b", ex.ParamName);
        Assert.Contains("needs at least 8 elements, got 7", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Dgemm(true, false, 3, 2, 4, 1, new double[12], 3, new double[8], 2, 0, new double[9], 4, 1));
        Assert.Equal("c", ex.ParamName);
        Assert.Contains("C stored [3, 2]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("needs at least 10 elements, got 9", ex.Message, StringComparison.Ordinal);
    }

    private sealed class Problem<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public required bool TransA, TransB;
        public required int M, N, K, Lda, Ldb, Ldc;
        public required T[] A, B, C0;
        public required T Alpha, Beta;

        public static Problem<T> Random(Random rnd, bool transA, bool transB, int m, int n, int k, int pad, double alpha, double beta)
        {
            int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
            int aRows = transA ? k : m, bRows = transB ? n : k;
            // Spans exactly as long as the contract requires (no slack past the last row).
            var a = Fill(rnd, (aRows - 1) * lda + (transA ? m : k));
            var b = Fill(rnd, (bRows - 1) * ldb + (transB ? k : n));
            var c0 = Fill(rnd, (m - 1) * ldc + n);
            if (beta == 0) Array.Fill(c0, T.NaN); // beta == 0 must not read C
            return new Problem<T>
            {
                TransA = transA,
                TransB = transB,
                M = m,
                N = n,
                K = k,
                Lda = lda,
                Ldb = ldb,
                Ldc = ldc,
                A = a,
                B = b,
                C0 = c0,
                Alpha = T.CreateTruncating(alpha),
                Beta = T.CreateTruncating(beta),
            };
        }

        private static T[] Fill(Random rnd, int length)
        {
            var x = new T[length];
            for (int i = 0; i < length; i++) x[i] = T.CreateTruncating(rnd.NextDouble() * 2 - 1);
            return x;
        }

        private double At(T[] x, int ld, bool trans, int row, int col) => double.CreateTruncating(trans ? x[col * ld + row] : x[row * ld + col]);

        // Naive triple loop in double; also returns the error scale sum |alpha a b| + |beta c| per element.
        public (double[] Value, double[] Scale) Reference()
        {
            var value = new double[M * N];
            var scale = new double[M * N];
            double alpha = double.CreateTruncating(Alpha), beta = double.CreateTruncating(Beta);
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double s = 0, abs = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double t = At(A, Lda, TransA, i, p) * At(B, Ldb, TransB, p, j);
                        s += t;
                        abs += Math.Abs(t);
                    }
                    double c = beta == 0 ? 0 : double.CreateTruncating(C0[i * Ldc + j]);
                    value[i * N + j] = alpha * s + beta * c;
                    scale[i * N + j] = Math.Abs(alpha) * abs + Math.Abs(beta * c);
                }
            }
            return (value, scale);
        }

        public T[] Run(Variant v)
        {
            var c = (T[])C0.Clone();
            int kc = Gemm.Kc, mcBytes = Gemm.McBytes, nc = Gemm.Nc;
            long small = Gemm.SmallWork, minWork = Gemm.MinWorkPerThread;
            int skinny = Gemm.SkinnyMax;
            var path = Gemm.Path;
            try
            {
                Gemm.Path = v.Path;
                if (v.ForcePacked)
                {
                    Gemm.SmallWork = -1;
                    Gemm.SkinnyMax = 0;
                    Gemm.MinWorkPerThread = 1;
                }
                if (v.TinyBlocks)
                {
                    Gemm.Kc = 5;
                    Gemm.McBytes = 1;
                    Gemm.Nc = 1;
                }
                Gemm.Multiply(TransA, TransB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc, v.Threads);
            }
            finally
            {
                (Gemm.Kc, Gemm.McBytes, Gemm.Nc) = (kc, mcBytes, nc);
                (Gemm.SmallWork, Gemm.MinWorkPerThread, Gemm.Path, Gemm.SkinnyMax) = (small, minWork, path, skinny);
            }
            return c;
        }

        // Worst-case rounding bound for a length-k dot product in T plus the alpha/beta update is about
        // (k + 3) u * sum |alpha a b| + |beta c|, with u the unit roundoff of T (float 2^-24, double 2^-53), whatever
        // the summation order. The factor 2 covers the double reference's own error (same order when T is double).
        // Padding between rows of C must come back untouched.
        public void AssertClose((double[] Value, double[] Scale) expected, T[] c, Variant v)
        {
            double u = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double got = double.CreateTruncating(c[i * Ldc + j]);
                    double want = expected.Value[i * N + j];
                    double tol = 2 * (K + 3) * u * expected.Scale[i * N + j] + 1e-300;
                    if (!(Math.Abs(got - want) <= tol))
                        Assert.Fail($"{typeof(T).Name} {M}x{N}x{K} transA={TransA} transB={TransB} alpha={Alpha} beta={Beta} ld=({Lda},{Ldb},{Ldc}) {v}: C[{i},{j}] = {got}, expected {want} (tol {tol:E2})");
                }
                for (int j = N; j < Ldc && i < M - 1; j++)
                    Assert.True(c[i * Ldc + j].Equals(C0[i * Ldc + j]), $"padding C[{i},{j}] was overwritten ({v})");
            }
        }
    }
}

/// <summary>
/// Reading a row-major B in place (no packing) and the 8-row edge kernel change where the operands come from, not the
/// arithmetic: each element is the same FMA chain over k, so the results must equal the all-packed path's bit for bit.
/// </summary>
[Collection(KernelGlobalsCollection.Name)]
public sealed class GemmDirectBTests
{
    [Theory]
    [InlineData(64, 100, 300, false)] // two k slices (Kc 256), three full 32-column panels and a 4-column tail
    [InlineData(128, 128, 128, false)] // the benchmark shape: 4 x 14 + 8 rows per thread
    [InlineData(36, 64, 19, true)] // rows 28..35 in the 8-row kernel; double
    [InlineData(8, 96, 33, false)]
    [InlineData(100, 70, 5, true)]
    public void InPlaceBAndEightRowTilesEqualThePackedPath(int m, int n, int k, bool asDouble)
    {
        if (asDouble) Check<double>(m, n, k);
        else Check<float>(m, n, k);
    }

    private static void Check<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rnd = new Random(m * 31 + n * 7 + k);
        int lda = k + 1, ldb = n + 3, ldc = n + 2;
        var a = new T[m * lda];
        var b = new T[k * ldb];
        var c0 = new T[m * ldc];
        foreach (var x in new[] { a, b, c0 })
            for (int i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(rnd.NextDouble() * 2 - 1);
        T alpha = T.CreateTruncating(0.75), beta = T.CreateTruncating(-0.5);

        T[] Run(int directRows, int threads)
        {
            var c = (T[])c0.Clone();
            int saved = Gemm.DirectBMaxRows;
            long small = Gemm.SmallWork;
            try
            {
                Gemm.DirectBMaxRows = directRows;
                Gemm.SmallWork = -1;
                Gemm.Multiply(false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
            }
            finally
            {
                (Gemm.DirectBMaxRows, Gemm.SmallWork) = (saved, small);
            }
            return c;
        }

        foreach (int threads in new[] { 1, 2 })
        {
            var packed = Run(0, threads);
            var direct = Run(int.MaxValue, threads);
            for (int i = 0; i < packed.Length; i++)
                Assert.True(packed[i].Equals(direct[i]), $"{typeof(T).Name} {m}x{n}x{k}, {threads} threads: C[{i / ldc},{i % ldc}] packed {packed[i]}, in place {direct[i]}");
        }
    }
}
