using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class ViewsTests
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Ops = new()
    {
        ["Reshape"] = x => x.Reshape(4, -1),
        ["Reshape(-1)"] = x => x.Reshape(-1),
        ["Flatten"] = x => x.Flatten(),
        ["Flatten(1)"] = x => x.Flatten(1),
        ["Flatten(0,1)"] = x => x.Flatten(0, 1),
        ["Permute"] = x => x.Permute(2, 0, 1),
        ["Permute(neg)"] = x => x.Permute(-1, -3, -2),
        ["Transpose"] = x => x.Transpose(0, 2),
        ["Transpose(neg)"] = x => x.Transpose(-1, 1),
        ["Narrow"] = x => x.Narrow(1, 1, 2),
        ["Narrow(neg)"] = x => x.Narrow(-1, -3, 2),
        ["Slice"] = x => x.Slice(2, 1, 4),
        ["Slice(step)"] = x => x.Slice(2, 0, 5, 2),
        ["Slice(neg)"] = x => x.Slice(0, -1, 10),
        ["Select"] = x => x.Select(1, 2),
        ["Select(neg)"] = x => x.Select(-1, -1),
        ["Unsqueeze"] = x => x.Unsqueeze(1),
        ["Unsqueeze(-1)"] = x => x.Unsqueeze(-1),
        ["SqueezeUnsqueeze"] = x => x.Unsqueeze(0).Unsqueeze(3).Squeeze(),
        ["Squeeze(dim)"] = x => x.Unsqueeze(2).Squeeze(2),
        ["Expand"] = x => x.Unsqueeze(1).Expand(3, 2, 3, 4, 5),
        ["Expand(-1)"] = x => x.Unsqueeze(0).Expand(3, -1, -1, -1),
        ["Contiguous"] = x => x.Transpose(0, 1).Contiguous(),
        ["Clone"] = x => x.Clone(),
        ["Chain"] = x => x.Permute(1, 2, 0).Reshape(20, 2).Narrow(0, 3, 5).T().Select(0, 1),
    };

    public static TheoryData<string> OpNames => new(Ops.Keys);

    [Theory]
    [MemberData(nameof(OpNames))]
    public void Gradients(string op)
    {
        var f = Ops[op];
        // All use [2, 4, 5]-compatible ops when applicable; skip those that need other shapes.
        Check(f, Leaf(1, 2, 4, 5));
        Check(f, NonContiguous(2, 2, 4, 5));
        Check(f, Strided(3, 2, 4, 5));
    }

    [Fact]
    public void ViewGradients()
    {
        Check(x => x.View(5, 4), Leaf(1, 4, 5));
        Check(x => x.View(-1, 2, 2), Leaf(2, 4, 5));
    }

    [Fact]
    public void SqueezeKeepsNonSingletonDims()
    {
        Check(x => x.Squeeze(), Leaf(1, 3, 1, 2, 1));
        Check(x => x.Squeeze(1), Leaf(2, 3, 1, 2));
        Check(x => x.Squeeze(0), Leaf(3, 3, 2));
        Assert.Equal([3, 2], Tensor.Zeros([3, 1, 2, 1]).Squeeze().GetShape());
        Assert.Equal([3, 2, 1], Tensor.Zeros([3, 1, 2, 1]).Squeeze(1).GetShape());
        Assert.Equal([3, 1, 2, 1], Tensor.Zeros([3, 1, 2, 1]).Squeeze(0).GetShape());
    }

    [Fact]
    public void ToIsDifferentiableBetweenFloatTypes()
    {
        var x = Leaf(1, 2, 3);
        var y = x.To(DType.Float32);
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal("To", y.GradFn!.Name);
        var g = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        y.Backward(g);
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], x.Grad.ToDoubleArray());
        Check(t => t.To(DType.Float64), Leaf(2, 3));
        Assert.Null(Tensor.FromArray([1.5f]).RequiresGrad_().To(DType.Int64).GradFn);
        Assert.Equal([1L, -2L], Tensor.FromArray([1.7f, -2.7f]).To(DType.Int64).ToLongArray());
    }

    [Fact]
    public void ViewsShareStorage()
    {
        var x = Tensor.Arange(0, 12, 1, DType.Float32).Reshape(3, 4);
        var t = x.T();
        Assert.False(t.IsContiguous);
        Assert.Equal([1, 4], t.Strides.ToArray());
        t[2, 1] = 100;
        Assert.Equal(100f, x[1, 2]);
        var row = x.Select(0, 2);
        row.Fill(-1);
        Assert.Equal([-1f, -1f, -1f, -1f], x.Select(0, 2).ToFloatArray());
        var n = x.Narrow(1, 1, 2);
        Assert.Equal(1, n.Offset);
        n[0, 0] = 42;
        Assert.Equal(42f, x[0, 1]);
        var r = x.Reshape(12);
        r[0] = 7;
        Assert.Equal(7f, x[0, 0]);
        var v = x.View(2, 6);
        v[1, 5] = 9;
        Assert.Equal(9f, x[2, 3]);
        var u = x.Unsqueeze(0);
        u[0, 0, 3] = 5;
        Assert.Equal(5f, x[0, 3]);
        var e = Tensor.FromArray([1f, 2f]).Reshape(2, 1).Expand(2, 3);
        Assert.Equal([1, 0], e.Strides.ToArray());
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], e.ToFloatArray());
        var p = x.Permute(1, 0);
        p[3, 0] = -3;
        Assert.Equal(-3f, x[0, 3]);
        var d = x.Detach();
        d[0, 0] = 11;
        Assert.Equal(11f, x[0, 0]);
    }

    [Fact]
    public void ContiguousAndCloneCopyOnlyWhenNeeded()
    {
        var x = Tensor.Arange(0, 6, 1, DType.Float32).Reshape(2, 3);
        Assert.Same(x, x.Contiguous());
        var t = x.T();
        var c = t.Contiguous();
        Assert.True(c.IsContiguous);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], c.ToFloatArray());
        c[0, 0] = 99;
        Assert.Equal(0f, x[0, 0]);
        var k = x.Clone();
        k[0, 0] = 5;
        Assert.Equal(0f, x[0, 0]);
        // Reshape of a non-contiguous tensor copies.
        var rt = t.Reshape(6);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], rt.ToFloatArray());
        // Slicing with a step copies values in order.
        Assert.Equal([0f, 2f], x.Slice(1, 0, 3, 2).Select(0, 0).ToFloatArray());
        Assert.Equal([2, 0], x.Slice(1, 2, 1).GetShape());
        Assert.Equal([1f, 2f, 4f, 5f], x.Slice(1, -2, int.MaxValue).ToFloatArray());
        Assert.Equal([1, 6], x.Flatten().Unsqueeze(0).GetShape());
        Assert.Equal([1], Tensor.Scalar(3).Flatten().GetShape());
    }

    [Fact]
    public void ViewAndReshapeErrors()
    {
        var x = Tensor.Zeros([3, 4]);
        var e = Assert.Throws<ArgumentException>(() => x.Reshape(5, 2));
        Assert.Contains("Reshape", e.Message);
        Assert.Contains("[5, 2]", e.Message);
        Assert.Contains("12", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Reshape(-1, -1));
        Assert.Contains("only one dimension can be inferred", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Reshape(5, -1));
        Assert.Contains("invalid for input of size 12", e.Message);
        var ie = Assert.Throws<InvalidOperationException>(() => x.T().View(12));
        Assert.Contains("not contiguous", ie.Message);
        Assert.Contains("Reshape", ie.Message);
        e = Assert.Throws<ArgumentException>(() => x.View(7));
        Assert.Contains("View", e.Message);
        var oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 2));
        Assert.Contains("Transpose: dimension 2 is out of range", oe.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.Permute(0, 5));
        Assert.Contains("Permute", oe.Message);
        e = Assert.Throws<ArgumentException>(() => x.Permute(0, 0));
        Assert.Contains("repeats", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Permute(0));
        Assert.Contains("Permute", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Expand(3, 5));
        Assert.Contains("Expand", e.Message);
        Assert.Contains("[3, 5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Flatten(1, 0));
        Assert.Contains("Flatten", e.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(4));
        Assert.Contains("Unsqueeze", oe.Message);
        oe = Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(0, 0, 2, 0));
        Assert.Contains("step", oe.Message);
    }

    [Fact]
    public void NarrowAndSelectRejectOutOfRangeStartsAndIndices()
    {
        var x = Tensor.Arange(0, 5, 1, DType.Float32);
        Assert.Equal([3f, 4f], x.Narrow(0, -2, 2).ToFloatArray());
        Assert.Equal(4f, x.Select(0, -1).Item());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, 4, 2));
        Assert.Contains("Narrow", e.Message);
        Assert.Contains("out of bounds", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, -7, 2));
        Assert.Contains("Narrow", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(0, 5));
        Assert.Contains("Select: index 5 is out of bounds for dimension 0 with size 5", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(0, -6));
        Assert.Contains("Select", e.Message);
        Assert.Contains("-6", e.Message);
    }
}
