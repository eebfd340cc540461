namespace Axon.Tests.Tensors;

public class HostCopyTests
{
    [Fact]
    public void CopyToAndFromHostWalkAnyLayoutInRowMajorOrder()
    {
        var t = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var transposed = t.T();   // [[1, 4], [2, 5], [3, 6]], not contiguous
        var host = new float[6];
        transposed.CopyToHost<float>(host);
        Assert.Equal([1f, 4, 2, 5, 3, 6], host);
        transposed.CopyFromHost<float>(new float[] { 10, 40, 20, 50, 30, 60 });
        Assert.Equal([10f, 20, 30, 40, 50, 60], t.ToFloatArray());
        var counts = Tensor.FromArray(new long[] { 7, 8 });
        counts.CopyFromHost<long>(new long[] { 1, 2 });
        Assert.Equal([1L, 2], counts.ToLongArray());
    }

    [Fact]
    public void TheSpanMustMatchTheDTypeAndTheCount()
    {
        var t = Tensor.Zeros([2, 2]);
        var e = Assert.Throws<ArgumentException>(() => t.CopyToHost<float>(new float[3]));
        Assert.Contains("CopyToHost: the tensor [2, 2] has 4 elements, the span 3", e.Message);
        Assert.Throws<InvalidOperationException>(() => t.CopyFromHost<double>(new double[4]));
    }
}
