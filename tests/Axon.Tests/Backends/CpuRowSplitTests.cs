using Axon.Backends;

namespace Axon.Tests.Backends;

/// <summary>
/// Strided copies and element-wise ops whose rows are split over threads (a concatenation's parts, a transposed
/// operand) must give the same bits as one thread walking every row, and the row walk itself must resume at any row.
/// </summary>
public class CpuRowSplitTests
{
    // A grain of 64 elements makes every operand below large enough to split into three parts.
    private static readonly Device Split = Device.CpuWith(new CpuOptions { Threads = 3, ElementwiseGrain = 64 });
    private static readonly Device Serial = Device.CpuWith(new CpuOptions { Threads = 1 });

    private static Tensor Values(int[] shape, DType dtype, int seed, Device device)
    {
        var g = new Generator(seed);
        var v = new double[ShapeUtil.Product(shape)];
        double[] specials = [double.NaN, -0.0, double.PositiveInfinity, 1e-30];
        for (int i = 0; i < v.Length; i++) v[i] = i % 17 == 3 ? specials[i / 17 % specials.Length] : Math.Round(10 * g.NextNormal(), 3);
        Tensor t = dtype switch
        {
            DType.Float32 => Tensor.FromArray(Array.ConvertAll(v, x => (float)x), shape),
            DType.Float64 => Tensor.FromArray(v, shape),
            _ => Tensor.FromArray(Array.ConvertAll(v, x => double.IsFinite(x) ? (long)x : -7L), shape),
        };
        return t.CloneTo(device);
    }

    private static void SameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        double[] e = expected.ToDoubleArray(), a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            if (!(double.IsNaN(e[i]) && double.IsNaN(a[i])) && BitConverter.DoubleToInt64Bits(e[i]) != BitConverter.DoubleToInt64Bits(a[i]))
                Assert.Fail($"{what}: element {i}: expected {e[i]}, got {a[i]}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void StridedCopySplitByRowsEqualsOneThread(DType dtype)
    {
        Tensor Run(Device d)
        {
            // [13, 7, 9] read as [9, 13, 7] (inner stride 9), into the middle columns of a bigger [9, 13, 11] tensor.
            var src = Values([13, 7, 9], dtype, 1, d).PermuteView([2, 0, 1]);
            var big = Values([9, 13, 11], dtype, 2, d);
            d.Backend.Copy(src, big.NarrowView(2, 3, 7));
            return big;
        }
        SameBits(Run(Serial), Run(Split), $"Copy {dtype}");
        var known = Values([13, 7, 9], dtype, 1, Serial);
        var copied = Run(Split);
        Assert.Equal(known.PermuteView([2, 0, 1]).SelectView(0, 8).SelectView(0, 12).ToDoubleArray(), copied.SelectView(0, 8).SelectView(0, 12).NarrowView(0, 3, 7).ToDoubleArray());
    }

    [Theory]
    [InlineData(BinaryOp.Add, DType.Float32)]
    [InlineData(BinaryOp.Mul, DType.Float64)]
    [InlineData(BinaryOp.Sub, DType.Float32)]
    public void BinaryWithManyShortRowsSplitEqualsOneThread(BinaryOp op, DType dtype)
    {
        foreach (bool inPlace in new[] { false, true })
        {
            Tensor Run(Device d)
            {
                var a = Values([9, 13, 7], dtype, 3, d);
                var b = Values([13, 7, 9], dtype, 4, d).PermuteView([2, 0, 1]);
                var dst = inPlace ? a : Tensor.Empty([9, 13, 7], dtype, d);
                d.Backend.Binary(op, a, b, dst);
                return dst;
            }
            SameBits(Run(Serial), Run(Split), $"Binary {op} {dtype} in place {inPlace}");
        }
        // One element checked by hand: dst[8, 12, 6] = a[8, 12, 6] op b[12, 6, 8].
        double x = Values([9, 13, 7], dtype, 3, Serial).ToDoubleArray()[^1], y = Values([13, 7, 9], dtype, 4, Serial).ToDoubleArray()[^1];
        var r = Tensor.Empty([9, 13, 7], dtype, Split);
        Split.Backend.Binary(op, Values([9, 13, 7], dtype, 3, Split), Values([13, 7, 9], dtype, 4, Split).PermuteView([2, 0, 1]), r);
        double expected = op == BinaryOp.Add ? x + y : op == BinaryOp.Sub ? x - y : x * y;
        Assert.Equal(dtype == DType.Float32 ? (float)expected : expected, r.ToDoubleArray()[^1]);
    }

    [Fact]
    public void AxpyOfOneFromATransposedSourceEqualsOneThread()
    {
        Tensor Run(Device d)
        {
            var dst = Values([33, 17], DType.Float32, 5, d);
            d.Backend.Axpy(1.0, Values([17, 33], DType.Float32, 6, d).TransposeView(0, 1), dst);
            return dst;
        }
        SameBits(Run(Serial), Run(Split), "Axpy 1");
        var plain = Values([33, 17], DType.Float32, 5, Serial);
        Serial.Backend.Axpy(1.0, Values([17, 33], DType.Float32, 6, Serial).TransposeView(0, 1).Contiguous(), plain);
        SameBits(plain, Run(Split), "Axpy 1 against a contiguous source");
    }

    [Fact]
    public void RowIteratorSkipResumesAtAnyRow()
    {
        int[] shape = [3, 4, 5, 2];
        int[][] strides = [[1, 37, 7, 3], [41, 11, 2, 1]];   // no two dims merge: 60 rows of 2
        var all = new List<(int, int)>();
        var it = new RowIterator(shape, strides, [7, 0]);
        Assert.Equal(60, it.Rows);
        while (it.Next()) all.Add((it.Offset(0), it.Offset(1)));
        Assert.Equal(60, all.Count);
        Assert.Equal((7 + 2 + 111 + 28, 82 + 33 + 8), all[^1]);   // the last row: index [2, 3, 4] of the outer dims
        for (int skip = 0; skip <= 60; skip++)
        {
            var part = new RowIterator(shape, strides, [7, 0]);
            part.Skip(skip);
            Assert.Equal(60 - skip, part.Rows);
            var rest = new List<(int, int)>();
            while (part.Next()) rest.Add((part.Offset(0), part.Offset(1)));
            Assert.Equal(all.Skip(skip), rest);
        }
        var started = new RowIterator(shape, strides, [7, 0]);
        started.Next();
        Assert.Throws<InvalidOperationException>(() => started.Skip(1));
        Assert.Throws<InvalidOperationException>(() => new RowIterator(shape, strides, [7, 0]).Skip(61));
    }
}
