namespace Axon.Tests.Ops;

public class InPlaceTests
{
    [Fact]
    public void AddMulClampInPlace()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        x.Add_(Tensor.FromArray([10f, 20f, 30f, 40f], 2, 2), alpha: 0.5);
        Assert.Equal([6f, 12f, 18f, 24f], x.ToFloatArray());
        x.Add_(Tensor.FromArray([1f, 2f]));          // broadcast row
        Assert.Equal([7f, 14f, 19f, 26f], x.ToFloatArray());
        x.Add_(Tensor.FromArray([1f, 2f], 2, 1), alpha: -1);   // broadcast column, scaled
        Assert.Equal([6f, 13f, 17f, 24f], x.ToFloatArray());
        x.Mul_(2);
        Assert.Equal([12f, 26f, 34f, 48f], x.ToFloatArray());
        x.Mul_(Tensor.FromArray([0.5f, 1f]));
        Assert.Equal([6f, 26f, 17f, 48f], x.ToFloatArray());
        x.Clamp_(10, 30);
        Assert.Equal([10f, 26f, 17f, 30f], x.ToFloatArray());
    }

    [Fact]
    public void InPlaceOnNonContiguousViewsWritesThrough()
    {
        var x = Tensor.Zeros([2, 3]);
        var t = x.T();
        t.Add_(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2));
        Assert.Equal([1f, 3f, 5f, 2f, 4f, 6f], x.ToFloatArray());
        x.Narrow(1, 1, 2).Mul_(10);
        Assert.Equal([1f, 30f, 50f, 2f, 40f, 60f], x.ToFloatArray());
        x.Select(1, 2).Clamp_(0, 55);
        Assert.Equal([1f, 30f, 50f, 2f, 40f, 55f], x.ToFloatArray());
    }

    [Fact]
    public void InPlaceWithAnotherDtype()
    {
        var x = Tensor.FromArray([1f, 2f]);
        x.Add_(Tensor.FromArray([0.5, 0.25]));
        Assert.Equal([1.5f, 2.25f], x.ToFloatArray());
        x.Mul_(Tensor.FromArray([2.0, 4.0]));
        Assert.Equal([3f, 9f], x.ToFloatArray());
        Assert.Equal(DType.Float32, x.DType);
    }

    [Fact]
    public void AddInPlaceRejectsAnOperandThatDoesNotBroadcastToThisShape()
    {
        var x = Tensor.Zeros([3]);
        var e = Assert.Throws<ArgumentException>(() => x.Add_(Tensor.Ones([2, 3])));
        Assert.Contains("Add_", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Mul_(Tensor.Ones([2, 3])));
        Assert.Contains("Mul_", e.Message);
        Assert.All(x.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void InPlaceOnATensorThatRequiresGradIsRefusedUnlessNoGrad()
    {
        var w = Tensor.Ones([2]).RequiresGrad_();
        var e = Assert.Throws<InvalidOperationException>(() => w.Add_(Tensor.Ones([2])));
        Assert.Contains("in-place", e.Message);
        Assert.Throws<InvalidOperationException>(() => w.Mul_(2));
        Assert.Throws<InvalidOperationException>(() => (w * 2).Clamp_(0, 1));
        using (GradMode.NoGrad()) w.Add_(Tensor.Ones([2]), alpha: -0.5);
        Assert.Equal([0.5f, 0.5f], w.ToFloatArray());
        Assert.True(w.RequiresGrad);
    }
}
