namespace Axon.Tests.Tensors;

public class TensorFormatTests
{
    [Fact]
    public void OneDimensional()
    {
        Assert.Equal("tensor([1., 2., 3.])", Tensor.FromArray([1f, 2f, 3f]).ToString());
        Assert.Equal("tensor([-1.,  2.])", Tensor.FromArray([-1f, 2f]).ToString());
        Assert.Equal("tensor([1.5000, 2.2500])", Tensor.FromArray([1.5f, 2.25f]).ToString());
        Assert.Equal("tensor([ 0.1235, -3.0000])", Tensor.FromArray([0.12345f, -3f]).ToString());
        Assert.Equal("tensor([])", Tensor.Zeros([0]).ToString());
        Assert.Equal("tensor(3.)", Tensor.Scalar(3).ToString());
        Assert.Equal("tensor(0.5000)", Tensor.Scalar(0.5).ToString());
    }

    [Fact]
    public void TwoAndThreeDimensional()
    {
        Assert.Equal("tensor([[1., 2.],\n        [3., 4.]])", Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).ToString());
        Assert.Equal("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
            Tensor.Arange(0, 8, 1, DType.Float32).Reshape(2, 2, 2).ToString());
        // A transposed view prints in logical order.
        Assert.Equal("tensor([[1., 3.],\n        [2., 4.]])", Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).T().ToString());
    }

    [Fact]
    public void DtypesAndIntegers()
    {
        Assert.Equal("tensor([1, 2, 3])", Tensor.FromArray([1L, 2L, 3L]).ToString());
        Assert.Equal("tensor([-10,   2])", Tensor.FromArray([-10L, 2L]).ToString());
        Assert.Equal("tensor([1., 2.], dtype=float64)", Tensor.FromArray([1.0, 2.0]).ToString());
        Assert.Equal("tensor([], dtype=int64)", Tensor.Zeros([0], DType.Int64).ToString());
    }

    [Fact]
    public void ScientificNotationIsChosenForTheWholeTensorLikePyTorch()
    {
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", Tensor.FromArray([1e-5, 1.0]).ToString().Replace(", dtype=float64", "", StringComparison.Ordinal));
        Assert.Equal("tensor([1.0000e+10, 1.0000e+00])", Tensor.FromArray([1e10, 1.0]).ToString().Replace(", dtype=float64", "", StringComparison.Ordinal));
        Assert.Equal("tensor([123456.7000])", Tensor.FromArray([123456.7]).ToString().Replace(", dtype=float64", "", StringComparison.Ordinal));
        Assert.Equal("tensor([100.5000,   1.0000])", Tensor.FromArray([100.5f, 1f]).ToString());
    }

    [Fact]
    public void NonFiniteValues()
    {
        Assert.Equal("tensor([nan, inf, 1.])", Tensor.FromArray([float.NaN, float.PositiveInfinity, 1f]).ToString());
        Assert.Equal("tensor([  -inf, 0.5000])", Tensor.FromArray([float.NegativeInfinity, 0.5f]).ToString());
    }

    [Fact]
    public void GradInfo()
    {
        var x = Tensor.FromArray([1f, 2f]).RequiresGrad_();
        Assert.Equal("tensor([1., 2.], requires_grad=True)", x.ToString());
        Assert.Equal("tensor([2., 4.], grad_fn=<MulBackward>)", (x * 2).ToString());
        Assert.Equal("tensor(3., grad_fn=<SumBackward>)", x.Sum().ToString());
        Assert.Equal("<MatMulBackward>", x.MatMul(x).GradFn!.ToString());
    }

    [Fact]
    public void LargeTensorsAreSummarised()
    {
        var s = Tensor.Arange(1000, 3000, 1, DType.Float32).ToString();
        Assert.StartsWith("tensor([1000., 1001., 1002.,  ..., 2997., 2998., 2999.]", s);
        // The format is chosen from the printed values only: 0..1999 spans more than 1000x, so scientific.
        Assert.StartsWith("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03, 1.9990e+03]", Tensor.Arange(0, 2000, 1, DType.Float32).ToString());
        Assert.Contains("[2000]", s);
        var m = Tensor.Zeros([100, 100]).ToString();
        Assert.Contains("...", m);
        Assert.True(m.Split('\n').Length < 12);
    }

    [Fact]
    public void DisposedTensor()
    {
        var t = Tensor.Zeros([2]);
        t.Dispose();
        Assert.Equal("tensor(<disposed>, shape=[2])", t.ToString());
    }
}
