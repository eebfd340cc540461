namespace Axon.Tests.Ops;

public class ComparisonTests
{
    [Fact]
    public void ComparisonsGiveZeroOneInThePromotedDtype()
    {
        var a = Tensor.FromArray([1f, 2f, 3f]);
        var b = Tensor.FromArray([3f, 2f, 1f]);
        Assert.Equal([0f, 1f, 0f], a.Eq(b).ToFloatArray());
        Assert.Equal([1f, 0f, 1f], a.Ne(b).ToFloatArray());
        Assert.Equal([1f, 0f, 0f], a.Lt(b).ToFloatArray());
        Assert.Equal([1f, 1f, 0f], a.Le(b).ToFloatArray());
        Assert.Equal([0f, 0f, 1f], a.Gt(b).ToFloatArray());
        Assert.Equal([0f, 1f, 1f], a.Ge(b).ToFloatArray());
        Assert.Equal([0f, 1f, 1f], a.Ge(2).ToFloatArray());
        Assert.Equal([1f, 0f, 0f], a.Lt(2).ToFloatArray());
        Assert.Equal([0f, 1f, 0f], a.Eq(2).ToFloatArray());
        Assert.Equal([1f, 1f, 0f], a.Le(2.5).ToFloatArray());
        Assert.Equal([0f, 0f, 1f], a.Gt(2.5).ToFloatArray());
        Assert.Equal([1f, 0f, 1f], a.Ne(2).ToFloatArray());
        // Broadcast: [3,1] vs [3].
        var m = a.Reshape(3, 1).Lt(b);
        Assert.Equal([3, 3], m.GetShape());
        Assert.Equal([1f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 0f], m.ToFloatArray());
        // NaN is unequal to everything.
        var n = Tensor.FromArray([float.NaN]);
        Assert.Equal([0f], n.Eq(n).ToFloatArray());
        Assert.Equal([1f], n.Ne(n).ToFloatArray());
    }

    [Fact]
    public void ComparisonsAreNotRecorded()
    {
        var a = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var c = a.Gt(1.5);
        Assert.Null(c.GradFn);
        Assert.False(c.RequiresGrad);
    }

    [Fact]
    public void Int64LabelsAccuracy()
    {
        var logits = Tensor.FromArray([0.1f, 0.9f, 0.0f, 0.8f, 0.1f, 0.1f, 0.2f, 0.2f, 0.6f, 0.3f, 0.3f, 0.4f], 4, 3);
        var labels = Tensor.FromArray([1, 0, 1, 2]);
        Assert.Equal(DType.Int64, labels.DType);
        var pred = logits.ArgMax(1);
        Assert.Equal(DType.Int64, pred.DType);
        Assert.Equal([1L, 0L, 2L, 2L], pred.ToLongArray());
        var hits = pred.Eq(labels);
        Assert.Equal(DType.Int64, hits.DType);
        Assert.Equal([1L, 1L, 0L, 1L], hits.ToLongArray());
        var correct = hits.Sum();
        Assert.Equal(DType.Int64, correct.DType);
        Assert.Equal(3.0, correct.Item());
        Assert.Equal(0.75, (correct / 4.0).Item(), 6);
        Assert.Equal([0L, 0L, 1L, 0L], pred.Ne(labels).ToLongArray());
        Assert.Equal([1L, 0L, 0L, 0L], labels.Eq(1).ToLongArray().Zip(pred.ToLongArray(), (x, y) => x * (y == 1 ? 1L : 0L)).ToArray());
    }

    [Fact]
    public void AllClose()
    {
        var a = Tensor.FromArray([1f, 2f, float.PositiveInfinity]);
        Assert.True(a.AllClose(Tensor.FromArray([1f, 2.00001f, float.PositiveInfinity])));
        Assert.False(a.AllClose(Tensor.FromArray([1f, 2.1f, float.PositiveInfinity])));
        Assert.False(a.AllClose(Tensor.FromArray([1f, 2f])));
        Assert.False(Tensor.FromArray([float.NaN]).AllClose(Tensor.FromArray([float.NaN])));
        Assert.True(a.AllClose(Tensor.FromArray([1.0, 2.0, double.PositiveInfinity])));
    }
}
