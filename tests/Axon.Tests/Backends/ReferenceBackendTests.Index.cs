using Axon.Backends;

namespace Axon.Tests.Backends;

// Index-select, index-add, gather and scatter-add, with repeated indices, strided operands and bad indices.
public partial class ReferenceBackendTests
{
    private static Tensor Values(Device d, int[] shape, DType dtype, int seed) => On(d, dtype == DType.Int64 ? Ints(shape, -50, 50, seed) : Randn(shape, dtype, seed));

    public static TheoryData<DType, int> IndexCases()
    {
        var data = new TheoryData<DType, int>();
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            for (int dim = 0; dim < 3; dim++) data.Add(d, dim);
        return data;
    }

    [Theory]
    [MemberData(nameof(IndexCases))]
    [Covers(nameof(IBackend.IndexSelect), nameof(IBackend.IndexAdd))]
    public void IndexSelectAndIndexAddWithRepeats(DType dtype, int dim)
    {
        int[] shape = [7, 5, 3];
        Exact($"IndexSelect/IndexAdd {dtype} dim {dim}", d =>
        {
            // x as a permuted view; the index every other element of an int64 tensor, with repeats.
            var x = Values(d, [3, 7, 5], dtype, 110).PermuteView([1, 2, 0]);
            var index = On(d, Ints([9, 2], 0, shape[dim], 111)).SelectView(1, 1);
            var selShape = (int[])shape.Clone();
            selShape[dim] = 9;
            var sel = Tensor.Empty(selShape, dtype, d);
            d.Backend.IndexSelect(x, dim, index, sel);
            var scalarShape = (int[])shape.Clone();
            scalarShape[dim] = 1;
            var one = Tensor.Empty(scalarShape, dtype, d);
            d.Backend.IndexSelect(x, dim, On(d, Tensor.Scalar(shape[dim] - 1, DType.Int64)), one);   // a 0-d index
            // Adds into a tensor that already holds values: repeated indices add up in order.
            var acc = Values(d, shape, dtype, 112);
            d.Backend.IndexAdd(acc, dim, index, Values(d, selShape, dtype, 113));
            return [sel, one, acc];
        });
        var bad = new[] { 0L, shape[dim] };
        ThrowsOnReference<ArgumentOutOfRangeException>(d => d.Backend.IndexSelect(Values(d, shape, dtype, 1), dim, On(d, Tensor.FromArray(bad)), Tensor.Empty(shape, dtype, d)),
            "IndexSelect", $"index {shape[dim]}", $"dimension {dim}");
        ThrowsOnReference<ArgumentOutOfRangeException>(d => d.Backend.IndexAdd(Values(d, shape, dtype, 1), dim, On(d, Tensor.FromArray(new[] { -1L })), Values(d, [1, 1, 1], dtype, 2)),
            "IndexAdd", "index -1");
    }

    public static TheoryData<DType, bool> EmbeddingBackwardCases()
    {
        var data = new TheoryData<DType, bool>();
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
        {
            data.Add(d, false);
            data.Add(d, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EmbeddingBackwardCases))]
    [Covers(nameof(IBackend.EmbeddingBackward))]
    public void EmbeddingBackwardAddsTouchedRowsAndSkipsThePaddingRow(DType dtype, bool strided)
    {
        Exact($"EmbeddingBackward {dtype} strided {strided}", d =>
        {
            // A table that already holds values (contiguous, or a transposed view); the index with repeats and the
            // padding row 3 among them; the gradient rows as a transposed view.
            var table = strided ? Values(d, [5, 7], dtype, 130).PermuteView([1, 0]) : Values(d, [7, 5], dtype, 130);
            var index = On(d, Tensor.FromArray(new long[] { 3, 0, 6, 3, 0, 2, 6, 6, 3 }));
            var grad = Values(d, [5, 9], dtype, 131).PermuteView([1, 0]);
            d.Backend.EmbeddingBackward(table, index, grad, 3);
            var all = Values(d, [7, 5], dtype, 132);
            d.Backend.EmbeddingBackward(all, index, grad, -1);   // nothing skipped
            return [table, all];
        });
        // Untouched rows (1, 4, 5) and the padding row keep their values exactly.
        var before = Values(Cpu, [7, 5], dtype, 130).ToDoubleArray();
        var after = Values(Cpu, [7, 5], dtype, 130);
        Cpu.Backend.EmbeddingBackward(after, Tensor.FromArray(new long[] { 3, 0, 6, 3 }), Values(Cpu, [4, 5], dtype, 133), 3);
        var a = after.ToDoubleArray();
        foreach (int row in new[] { 1, 3, 4, 5 })
            for (int j = 0; j < 5; j++) Assert.Equal(before[row * 5 + j], a[row * 5 + j]);
        Assert.NotEqual(before[0], a[0]);
        ThrowsOnReference<ArgumentOutOfRangeException>(d => d.Backend.EmbeddingBackward(Values(d, [7, 5], dtype, 1), On(d, Tensor.FromArray(new[] { 7L })), Values(d, [1, 5], dtype, 2), -1),
            "EmbeddingBackward", "index 7", "size 7");
        Assert.Contains("index -1", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Cpu.Backend.EmbeddingBackward(Values(Cpu, [7, 5], dtype, 1), Tensor.FromArray(new[] { -1L }), Values(Cpu, [1, 5], dtype, 2), -1)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(IndexCases))]
    [Covers(nameof(IBackend.Gather), nameof(IBackend.ScatterAdd))]
    public void GatherAndScatterAddAlongEachDimension(DType dtype, int dim)
    {
        int[] shape = [7, 5, 3];
        var ishape = (int[])shape.Clone();
        ishape[dim] = 4;
        ishape[(dim + 1) % 3] -= 1;   // smaller than x in another dimension too
        Exact($"Gather/ScatterAdd {dtype} dim {dim}", d =>
        {
            var x = Values(d, [3, 7, 5], dtype, 120).PermuteView([1, 2, 0]);
            // The index as a transposed view: values in [0, size), repeats.
            var index = On(d, Ints([ishape[2], ishape[1], ishape[0]], 0, shape[dim], 121)).PermuteView([2, 1, 0]);
            var gathered = Tensor.Empty(ishape, dtype, d);
            d.Backend.Gather(x, dim, index, gathered);
            var acc = Values(d, shape, dtype, 122);
            d.Backend.ScatterAdd(acc, dim, index, Values(d, ishape, dtype, 123));
            return [gathered, acc];
        });
        ThrowsOnReference<ArgumentOutOfRangeException>(d => d.Backend.Gather(Values(d, shape, dtype, 1), dim, On(d, Tensor.Full([1, 1, 1], shape[dim], DType.Int64)), Tensor.Empty([1, 1, 1], dtype, d)),
            "Gather", $"index {shape[dim]}", $"dimension {dim}");
        ThrowsOnReference<ArgumentOutOfRangeException>(d => d.Backend.ScatterAdd(Values(d, shape, dtype, 1), dim, On(d, Tensor.Full([1, 1, 1], -2, DType.Int64)), Values(d, [1, 1, 1], dtype, 2)),
            "ScatterAdd", "index -2");
    }

    [Fact]
    [Covers(nameof(IBackend.ScatterAdd))]
    public void OneHotThroughScatterAdd()
    {
        // OneHot scatters ones at an unsqueezed view of the labels (its last dimension has stride 1 and size 1).
        using var labels = Ints([7, 3], 0, 5, 124);
        var cpu = Compute.OneHot(labels, 5, DType.Float32).ToDoubleArray();
        var rf = Compute.OneHot(On(Ref, labels), 5, DType.Float32);
        Assert.Same(Ref, rf.Device);
        Assert.Equal(cpu, rf.ToDoubleArray());
    }
}
