using Axon.Backends;

namespace Axon.Tests.Backends;

// Copies, casts, fills, host transfers and random numbers.
public partial class ReferenceBackendTests
{
    /// <summary>Views of a [7, 5, 3] tensor: itself, transposed, a strided slice, a broadcast (stride 0) expansion and a 0-d element.</summary>
    public static readonly Func<Tensor, Tensor>[] Views =
    [
        t => t,
        t => t.PermuteView([2, 0, 1]),
        t => t.NarrowView(0, 1, 5).NarrowView(1, 2, 3),
        t => t.NarrowView(1, 3, 1).ExpandView([7, 5, 3]),
        t => t.SelectView(0, 6).SelectView(0, 4).SelectView(0, 2),
    ];

    public static TheoryData<DType, int> DTypesAndViews()
    {
        var data = new TheoryData<DType, int>();
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            for (int v = 0; v < Views.Length; v++) data.Add(d, v);
        return data;
    }

    private static Tensor Source(DType dtype, int seed) => dtype == DType.Int64 ? Ints([7, 5, 3], -50, 50, seed) : Special([7, 5, 3], dtype, seed);

    [Theory]
    [MemberData(nameof(DTypesAndViews))]
    [Covers(nameof(IBackend.Copy))]
    public void CopyReadsAndWritesAnyLayout(DType dtype, int view)
    {
        Exact($"Copy {dtype} view {view}", d =>
        {
            var src = Views[view](On(d, Source(dtype, 1)));
            var dst = Tensor.Empty(src.GetShape(), dtype, d);
            d.Backend.Copy(src, dst);
            // Into a strided destination: a transposed view of a bigger tensor, the rest left as it was.
            var big = On(d, Source(dtype, 2));
            var into = big.NarrowView(0, 0, 3).PermuteView([2, 1, 0]);
            using var part = On(d, Source(dtype, 3)).NarrowView(0, 2, 3).PermuteView([2, 1, 0]);
            d.Backend.Copy(part, into);
            return [dst, big];
        });
    }

    [Theory]
    [MemberData(nameof(DTypesAndViews))]
    [Covers(nameof(IBackend.Cast))]
    public void CastConvertsEveryPairOfTypes(DType from, int view)
    {
        foreach (var to in new[] { DType.Float32, DType.Float64, DType.Int64 })
            Exact($"Cast {from} -> {to} view {view}", d =>
            {
                var src = Views[view](On(d, Source(from, 4)));
                var dst = Tensor.Empty(src.GetShape(), to, d);
                d.Backend.Cast(src, dst);
                return [dst];
            });
    }

    [Theory]
    [MemberData(nameof(DTypesAndViews))]
    [Covers(nameof(IBackend.Fill))]
    public void FillSetsEveryElementOfAnyLayout(DType dtype, int view)
    {
        foreach (double value in new[] { 2.75, -0.0, double.NaN, double.NegativeInfinity, -3.5e10 })
        {
            if (dtype == DType.Int64 && !double.IsFinite(value)) continue;
            Exact($"Fill {dtype} {value} view {view}", d =>
            {
                var t = On(d, Source(dtype, 5));
                var v = Views[view](t);
                if (view != 3) d.Backend.Fill(v, value);   // a broadcast view cannot be written
                return [t];
            });
        }
    }

    [Theory]
    [MemberData(nameof(DTypesAndViews))]
    [Covers(nameof(IBackend.CopyFromHost), nameof(IBackend.CopyToHost))]
    public void HostTransfersFollowRowMajorOrder(DType dtype, int view)
    {
        Exact($"CopyToHost/CopyFromHost {dtype} view {view}", d =>
        {
            var src = Views[view](On(d, Source(dtype, 6)));
            var t = On(d, Source(dtype, 7));
            // The same view of another tensor as the destination (a broadcast one cannot be written: all of t, permuted).
            var dst = view == 3 ? t.PermuteView([1, 2, 0]) : Views[view](t);
            switch (dtype)
            {
                case DType.Float32: { var h = new float[src.NumEl]; d.Backend.CopyToHost<float>(src, h); d.Backend.CopyFromHost<float>(h, dst); break; }
                case DType.Float64: { var h = new double[src.NumEl]; d.Backend.CopyToHost<double>(src, h); d.Backend.CopyFromHost<double>(h, dst); break; }
                default: { var h = new long[src.NumEl]; d.Backend.CopyToHost<long>(src, h); d.Backend.CopyFromHost<long>(h, dst); break; }
            }
            return [t];
        });
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    [Covers(nameof(IBackend.FillUniform), nameof(IBackend.FillNormal), nameof(IBackend.FillRandint))]
    public void RandomFillsDrawTheSameNumbers(DType dtype)
    {
        Exact($"random fills {dtype}", d =>
        {
            var g = new Generator(42);
            var randint = Tensor.Empty([33, 3], dtype, d);
            d.Backend.FillRandint(randint, g, -5, 17);
            if (dtype == DType.Int64) return [randint];
            var uniform = Tensor.Empty([17, 7], dtype, d);
            var normal = Tensor.Empty([3, 1, 33], dtype, d);
            var odd = Tensor.Empty([1], dtype, d);   // an odd count leaves a spare normal in the generator
            d.Backend.FillUniform(uniform, g, -2, 3);
            d.Backend.FillNormal(odd, g, 0, 1);
            d.Backend.FillNormal(normal, g, 1.5, 0.25);
            // Large fills take the CPU's parallel Box-Muller: entered with a spare (after odd), odd and even counts.
            var large = Tensor.Empty([3, 40_001], dtype, d);
            var larger = Tensor.Empty([200_000], dtype, d);
            d.Backend.FillNormal(odd, g, 0, 1);
            d.Backend.FillNormal(large, g, -1, 2);
            d.Backend.FillNormal(larger, g, 0, 1);
            var after = Tensor.Empty([3], dtype, d);   // the stream goes on where the large fills left it
            d.Backend.FillNormal(after, g, 0, 1);
            return [randint, uniform, odd, normal, large, larger, after];
        });
    }

    [Fact]
    public void RandnOnTheReferenceDeviceEqualsTheCpuDrawBitForBit()
    {
        foreach (var dtype in Floats)
        {
            using var cpu = Tensor.Randn([17, 33], new Generator(7), dtype);
            using var rf = Tensor.Randn([17, 33], new Generator(7), dtype, device: Ref);
            Assert.Same(Ref, rf.Device);
            Assert.Equal(cpu.ToDoubleArray(), rf.ToDoubleArray());
            Tensor.ManualSeed(3);
            using var a = Tensor.Rand([7, 3], dtype: dtype);
            Tensor.ManualSeed(3);
            using var b = Tensor.Rand([7, 3], dtype: dtype, device: Ref);
            Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        }
    }
}
