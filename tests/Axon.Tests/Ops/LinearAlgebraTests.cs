using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

public class LinearAlgebraTests
{
    public static TheoryData<int[], int[]> MatMulShapes => new()
    {
        { [3, 4], [4, 5] },          // 2-D
        { [1, 4], [4, 1] },          // size-1 rows/cols
        { [2, 3, 4], [2, 4, 5] },    // batched
        { [2, 3, 4], [4, 5] },       // batch on the left only
        { [3, 4], [2, 4, 5] },       // batch on the right only
        { [3, 1, 2, 3], [4, 3, 2] }, // broadcast batch
        { [4], [4, 3] },             // vector @ matrix
        { [3, 4], [4] },             // matrix @ vector
        { [5], [5] },                // dot
        { [4], [2, 4, 3] },          // vector @ batch
        { [2, 3, 4], [4] },          // batch @ vector
    };

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void MatMulGradients(int[] sa, int[] sb)
    {
        Check((a, b) => a.MatMul(b), Leaf(1, sa), Leaf(2, sb));
    }

    [Fact]
    public void MatMulGradientsWithNonContiguousOperands()
    {
        Check((a, b) => a.MatMul(b), NonContiguous(1, 3, 4), NonContiguous(2, 4, 5));
        Check((a, b) => a.MatMul(b), NonContiguous(3, 2, 3, 4), Strided(4, 4, 2));
        Check((a, b) => a.MatMul(b), Strided(5, 3, 4), NonContiguous(6, 2, 4, 3));
        // A batch dimension that is permuted to the middle.
        var p = Tensor.Randn([3, 2, 4], new Generator(7), DType.Float64).Permute(1, 0, 2).RequiresGrad_();
        Check((a, b) => a.MatMul(b), p, Leaf(8, 4, 2));
        // Vector that is a strided column.
        Check((a, b) => a.MatMul(b), Leaf(9, 3, 4), Strided(10, 4));
    }

    [Fact]
    public void LinearGradients()
    {
        // Empty batches and zero features pass through the fused path too.
        Assert.Equal([0, 4], Tensor.Linear(Tensor.Zeros([0, 3]), Tensor.Ones([4, 3])).Shape.ToArray());
        Assert.Equal([2.0, 2.0], Tensor.Linear(Tensor.Zeros([1, 0], DType.Float64), Tensor.Zeros([2, 0], DType.Float64), Tensor.Full([2], 2.0, DType.Float64)).ToDoubleArray());

        Check((x, w) => Tensor.Linear(x, w), Leaf(1, 5, 3), Leaf(2, 4, 3));
        CheckMany(t => Tensor.Linear(t[0], t[1], t[2]), Leaf(3, 5, 3), Leaf(4, 4, 3), Leaf(5, 4));
        CheckMany(t => Tensor.Linear(t[0], t[1], t[2]), Leaf(6, 2, 5, 3), NonContiguous(7, 4, 3), Leaf(8, 4));
        CheckMany(t => Tensor.Linear(t[0], t[1], t[2]), Leaf(9, 3), Leaf(10, 4, 3), Leaf(11, 4));
    }

    private static double[] Naive(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(17, 33, 9)]
    [InlineData(64, 70, 65)]
    public void MatMulMatchesNaiveLoopIncludingTransposedOperands(int m, int k, int n)
    {
        var g = new Generator(m * 1000 + k * 10 + n);
        var a = Tensor.Randn([m, k], g);
        var b = Tensor.Randn([k, n], g);
        var expected = Naive(a.ToDoubleArray(), b.ToDoubleArray(), m, k, n);
        var cmp = new ToleranceComparer(1e-4);
        Assert.Equal(expected, a.MatMul(b).ToDoubleArray(), cmp);
        // The same products from transposed (non-contiguous) storage.
        var at = a.T().Contiguous().T();
        var bt = b.T().Contiguous().T();
        Assert.True(m == 1 || k == 1 || !at.IsContiguous);
        Assert.Equal(expected, at.MatMul(b).ToDoubleArray(), cmp);
        Assert.Equal(expected, a.MatMul(bt).ToDoubleArray(), cmp);
        Assert.Equal(expected, at.MatMul(bt).ToDoubleArray(), cmp);
        // A strided (every other column) operand.
        var wide = Tensor.Zeros([m, 2 * k]);
        var aView = wide.Reshape(m, k, 2).Select(2, 1);
        aView.CopyFrom(a);
        Assert.Equal(expected, aView.MatMul(b).ToDoubleArray(), cmp);
        // Float64 is exact to rounding.
        Assert.Equal(expected, a.To(DType.Float64).MatMul(b.To(DType.Float64)).ToDoubleArray(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void BatchedAndBroadcastMatMulValues()
    {
        var g = new Generator(3);
        var a = Tensor.Randn([3, 1, 2, 4], g, DType.Float64);
        var b = Tensor.Randn([5, 4, 3], g, DType.Float64);
        var c = a.MatMul(b);
        Assert.Equal([3, 5, 2, 3], c.GetShape());
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++)
            {
                var ai = a.Select(0, i).Select(0, 0).Contiguous().ToDoubleArray();
                var bj = b.Select(0, j).Contiguous().ToDoubleArray();
                Assert.Equal(Naive(ai, bj, 2, 4, 3), c.Select(0, i).Select(0, j).Contiguous().ToDoubleArray(), new ToleranceComparer(1e-12));
            }
        // 1-D cases drop the promoted dimension.
        Assert.Empty(Tensor.Ones([4]).MatMul(Tensor.Ones([4])).GetShape());
        Assert.Equal(4.0, Tensor.Ones([4]).MatMul(Tensor.Ones([4])).Item());
        Assert.Equal([3], Tensor.Ones([3, 4]).MatMul(Tensor.Ones([4])).GetShape());
        Assert.Equal([5], Tensor.Ones([4]).MatMul(Tensor.Ones([4, 5])).GetShape());
        Assert.Equal([2, 5], Tensor.Ones([4]).MatMul(Tensor.Ones([2, 4, 5])).GetShape());
        Assert.Equal([2, 3], Tensor.Ones([2, 3, 4]).MatMul(Tensor.Ones([4])).GetShape());
    }

    [Fact]
    public void MatMulWithAnEmptyInnerDimensionIsZero()
    {
        var c = Tensor.Ones([2, 0]).MatMul(Tensor.Ones([0, 3]));
        Assert.Equal([2, 3], c.GetShape());
        Assert.All(c.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void MatMulErrorMessages()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([64, 784]).MatMul(Tensor.Zeros([256, 10])));
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (64x784 and 256x10)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Linear(Tensor.Zeros([64, 784]), Tensor.Zeros([10, 256])));
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (64x784 and 256x10)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3, 4]).MatMul(Tensor.Zeros([3, 4, 5])));
        Assert.Contains("MatMul", e.Message);
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Scalar(1).MatMul(Tensor.Zeros([3])));
        Assert.Contains("at least 1 dimension", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 2]).MatMul(Tensor.Zeros([2, 2], DType.Float64)));
        Assert.Contains("float32", e.Message);
        var ie = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2, 2, 2]).T());
        Assert.Contains("2-D", ie.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Linear(Tensor.Zeros([2, 3]), Tensor.Zeros([3])));
        Assert.Contains("weight", e.Message);
    }
}
