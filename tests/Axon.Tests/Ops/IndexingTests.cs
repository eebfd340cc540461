using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class IndexingTests
{
    [Fact]
    public void CatGradients()
    {
        CheckMany(t => Tensor.Cat(t, 0), Leaf(1, 2, 3), Leaf(2, 1, 3), Leaf(3, 4, 3));
        CheckMany(t => Tensor.Cat(t, 1), Leaf(4, 2, 3), NonContiguous(5, 2, 4), Strided(6, 2, 1));
        CheckMany(t => Tensor.Cat(t, -1), Leaf(7, 2, 2, 3), Leaf(8, 2, 2, 5));
        // Inputs that do not require grad get none; the others still do.
        var c = Tensor.Randn([2, 3], new Generator(9), DType.Float64);
        Check(a => Tensor.Cat([c, a, c], 0), Leaf(10, 1, 3));
        // The same tensor twice accumulates both slices.
        Check(a => Tensor.Cat([a, a.Exp()], 1), Leaf(11, 2, 3));
    }

    [Fact]
    public void StackGradients()
    {
        CheckMany(t => Tensor.Stack(t, 0), Leaf(1, 2, 3), Leaf(2, 2, 3), NonContiguous(3, 2, 3));
        CheckMany(t => Tensor.Stack(t, 1), Leaf(4, 2, 3), Strided(5, 2, 3));
        CheckMany(t => Tensor.Stack(t, -1), Leaf(6, 4), Leaf(7, 4));
        CheckMany(t => Tensor.Stack(t), Leaf(8), Leaf(9));
    }

    [Fact]
    public void GatherGradients()
    {
        var index = Tensor.FromArray([0L, 2L, 2L, 1L, 0L, 0L], 3, 2);  // repeated indices must sum
        Check(x => x.Gather(1, index), Leaf(1, 3, 4));
        Check(x => x.Gather(1, index), NonContiguous(2, 3, 4));
        var index0 = Tensor.FromArray([2L, 0L, 1L, 1L, 1L, 1L], 2, 3);
        Check(x => x.Gather(0, index0), Leaf(3, 3, 4));
        Check(x => x.Gather(-2, index0), Strided(4, 3, 5));
        // Index is a non-contiguous view.
        var it = Tensor.FromArray([0L, 1L, 1L, 2L, 3L, 0L], 2, 3).T();
        Check(x => x.Gather(1, it), Leaf(5, 3, 4));
    }

    [Fact]
    public void IndexSelectGradients()
    {
        var index = Tensor.FromArray([2L, 0L, 2L, 3L]);
        Check(x => x.IndexSelect(0, index), Leaf(1, 4, 3));
        Check(x => x.IndexSelect(1, index), NonContiguous(2, 2, 5));
        Check(x => x.IndexSelect(-1, Tensor.FromArray([1L])), Strided(3, 3, 2));
        Check(x => x.IndexSelect(1, index), Leaf(4, 2, 4, 3));
    }

    [Fact]
    public void CatAndStackValues()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var b = Tensor.FromArray([5f, 6f], 1, 2);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], Tensor.Cat([a, b]).ToFloatArray());
        Assert.Equal([3, 2], Tensor.Cat([a, b], 0).GetShape());
        var c = Tensor.Cat([a, b.T()], 1);
        Assert.Equal([2, 3], c.GetShape());
        Assert.Equal([1f, 2f, 5f, 3f, 4f, 6f], c.ToFloatArray());
        Assert.Equal([1f, 3f, 2f, 4f, 5f, 6f], Tensor.Cat([a.T(), b], 0).ToFloatArray());
        var s = Tensor.Stack([a, a * 10], 1);
        Assert.Equal([2, 2, 2], s.GetShape());
        Assert.Equal([1f, 2f, 10f, 20f, 3f, 4f, 30f, 40f], s.ToFloatArray());
        Assert.Equal([2, 2, 2], Tensor.Stack([a, a], -1).GetShape());
        Assert.Equal([1f, 10f, 2f, 20f, 3f, 30f, 4f, 40f], Tensor.Stack([a, a * 10], -1).ToFloatArray());
        var l = Tensor.Cat([Tensor.FromArray([1L, 2L]), Tensor.FromArray([3L])]);
        Assert.Equal(DType.Int64, l.DType);
        Assert.Equal([1L, 2L, 3L], l.ToLongArray());
    }

    [Fact]
    public void GatherIndexSelectOneHotValues()
    {
        var x = Tensor.FromArray([10f, 11f, 12f, 20f, 21f, 22f], 2, 3);
        var g = x.Gather(1, Tensor.FromArray([2L, 0L, 1L, 1L], 2, 2));
        Assert.Equal([12f, 10f, 21f, 21f], g.ToFloatArray());
        Assert.Equal([20f, 11f], x.Gather(0, Tensor.FromArray([1L, 0L], 1, 2)).ToFloatArray());
        Assert.Equal([12f, 22f], x.T().Gather(0, Tensor.FromArray([2L, 2L], 1, 2)).ToFloatArray());
        // Typical use: pick the logit of the label in each row.
        var labels = Tensor.FromArray([2L, 1L]);
        Assert.Equal([12f, 21f], x.Gather(1, labels.Unsqueeze(1)).Squeeze(1).ToFloatArray());
        var sel = x.IndexSelect(1, Tensor.FromArray([2L, 2L, 0L]));
        Assert.Equal([12f, 12f, 10f, 22f, 22f, 20f], sel.ToFloatArray());
        Assert.Equal([20f, 21f, 22f], x.IndexSelect(0, Tensor.FromArray([1L])).ToFloatArray());
        var oh = Tensor.FromArray([0L, 2L, 1L]).OneHot(4);
        Assert.Equal([3, 4], oh.GetShape());
        Assert.Equal(DType.Float32, oh.DType);
        Assert.Equal([1f, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0], oh.ToFloatArray());
        var oh2 = Tensor.FromArray([1L, 0L, 3L, 1L], 2, 2).OneHot(dtype: DType.Float64);
        Assert.Equal([2, 2, 4], oh2.GetShape());
        Assert.Equal(1.0, oh2.GetDouble(1, 0, 3));
        Assert.Equal(4.0, oh2.Sum().Item());
    }

    [Fact]
    public void IndexingErrors()
    {
        var x = Tensor.Zeros([2, 3]);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Cat([x, Tensor.Zeros([2, 4])], 0));
        Assert.Contains("Cat: sizes of tensors must match except in dimension 0", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[2, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Cat([x, Tensor.Zeros([3])]));
        Assert.Contains("Cat", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Cat([x, Tensor.Zeros([2, 3], DType.Float64)]));
        Assert.Contains("float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Cat(Array.Empty<Tensor>()));
        Assert.Contains("non-empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Stack([x, Tensor.Zeros([3, 2])]));
        Assert.Contains("Stack", e.Message);
        var oe = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Cat([x, x], 2));
        Assert.Contains("Cat", oe.Message);

        oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.FromArray([0L, 3L], 1, 2)));
        Assert.Contains("Gather: index 3 is out of bounds for dimension 1 with size 3", oe.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.FromArray([-1L], 1, 1)));
        Assert.Contains("Gather", oe.Message);
        e = Assert.Throws<ArgumentException>(() => x.Gather(1, Tensor.FromArray([0L, 1L])));
        Assert.Contains("as many dimensions", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Gather(1, Tensor.FromArray([0f, 1f], 1, 2)));
        Assert.Contains("int64", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Gather(1, Tensor.Zeros([3, 1], DType.Int64)));
        Assert.Contains("larger than the input", e.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray([2L])));
        Assert.Contains("IndexSelect: index 2 is out of range for dimension 0 of size 2", oe.Message);
        e = Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.Zeros([1, 1], DType.Int64)));
        Assert.Contains("1-D", e.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.FromArray([0L, 5L]).OneHot(3));
        Assert.Contains("OneHot: class 5 is out of range for 3 classes", oe.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.FromArray([-1L]).OneHot(3));
        Assert.Contains("OneHot", oe.Message);
    }
}
