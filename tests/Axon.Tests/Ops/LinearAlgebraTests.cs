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

    // The weight gradient of a leaf is accumulated by the GEMM itself (beta = 1 into Grad, or beta = 0 into a fresh
    // Grad); these tests pin PyTorch's accumulation semantics against gW = sum over calls of R^T x, computed naively.

    /// <summary>R^T x for R [rows, outF] and x [rows, inF], the weight gradient of sum(Linear(x, W) * R).</summary>
    private static double[] NaiveWeightGrad(double[] r, double[] x, int rows, int outF, int inF)
    {
        var gw = new double[outF * inF];
        for (int o = 0; o < outF; o++)
            for (int i = 0; i < inF; i++)
            {
                double s = 0;
                for (int n = 0; n < rows; n++) s += r[n * outF + o] * x[n * inF + i];
                gw[o * inF + i] = s;
            }
        return gw;
    }

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    private static Tensor Rand(long seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64);

    /// <summary>sum(Linear(x, w, b) * r), whose upstream gradient is r.</summary>
    private static Tensor LinearLoss(Tensor x, Tensor w, Tensor r, Tensor? b = null) => (Tensor.Linear(x, w, b) * r).Sum();

    // (rows, in, out): the unpacked small GEMM path and the packed one (m * n * k above 32^3).
    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(20, 50, 40)]
    public void LinearWeightGradientAccumulatesOverBackwardCalls(int rows, int inF, int outF)
    {
        var w = Rand(1, outF, inF).RequiresGrad_();
        var b = Rand(2, outF).RequiresGrad_();
        Tensor x1 = Rand(3, rows, inF), r1 = Rand(4, rows, outF), x2 = Rand(5, rows, inF), r2 = Rand(6, rows, outF);
        var g1 = NaiveWeightGrad(r1.ToDoubleArray(), x1.ToDoubleArray(), rows, outF, inF);
        var g2 = NaiveWeightGrad(r2.ToDoubleArray(), x2.ToDoubleArray(), rows, outF, inF);

        LinearLoss(x1, w, r1, b).Backward();
        Assert.Equal(g1, w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
        var grad = w.Grad;
        LinearLoss(x2, w, r2, b).Backward();
        Assert.Same(grad, w.Grad);
        Assert.Equal(Add(g1, g2), w.Grad.ToDoubleArray(), new ToleranceComparer(1e-12));
        var bias = r1.Sum(0).ToDoubleArray().Zip(r2.Sum(0).ToDoubleArray(), (p, q) => p + q).ToArray();
        Assert.Equal(bias, b.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));

        // ZeroGrad(setToNone: false): the zeroed gradient is reused and holds this step's gradient alone.
        w.Grad.Zero();
        LinearLoss(x2, w, r2).Backward();
        Assert.Same(grad, w.Grad);
        Assert.Equal(g2, w.Grad.ToDoubleArray(), new ToleranceComparer(1e-12));

        // retain_graph: a second backward through the same graph adds the same gradient again.
        w.Grad = null;
        var loss = LinearLoss(x1, w, r1);
        loss.Backward(retainGraph: true);
        loss.Backward();
        Assert.Equal(Add(g1, g1), w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void LinearWeightGradientAccumulatesInFloat32()
    {
        var w = Tensor.Randn([40, 50], new Generator(1)).RequiresGrad_();
        Tensor x = Tensor.Randn([20, 50], new Generator(2)), r = Tensor.Randn([20, 40], new Generator(3));
        var g = NaiveWeightGrad(r.ToDoubleArray(), x.ToDoubleArray(), 20, 40, 50);
        w.Grad = Tensor.Ones([40, 50]);
        (Tensor.Linear(x, w) * r).Sum().Backward();
        Assert.Equal(DType.Float32, w.Grad.DType);
        Assert.Equal(g.Select(v => v + 1).ToArray(), w.Grad.ToDoubleArray(), new ToleranceComparer(1e-4));
    }

    [Fact]
    public void AWeightSharedInOneGraphGetsTheSumOfItsGradients()
    {
        const int rows = 6, inF = 5, outF = 5;
        var w = Rand(1, outF, inF).RequiresGrad_();
        Tensor x1 = Rand(2, rows, inF), r1 = Rand(3, rows, outF), x2 = Rand(4, rows, inF), r2 = Rand(5, rows, outF), r3 = Rand(6, rows, outF);
        var g1 = NaiveWeightGrad(r1.ToDoubleArray(), x1.ToDoubleArray(), rows, outF, inF);
        var g2 = NaiveWeightGrad(r2.ToDoubleArray(), x2.ToDoubleArray(), rows, outF, inF);
        var g3 = NaiveWeightGrad(r3.ToDoubleArray(), x1.ToDoubleArray(), rows, outF, inF);

        // Two Linear calls: the first node run allocates the gradient (beta = 0), the second adds into it (beta = 1).
        (LinearLoss(x1, w, r1) + LinearLoss(x2, w, r2)).Backward();
        Assert.Equal(Add(g1, g2), w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));

        // Linear and a MatMul through W^T (the ordinary path, accumulated by the Engine) in one graph.
        w.Grad = null;
        (LinearLoss(x1, w, r1) + (x1.MatMul(w.T()) * r3).Sum()).Backward();
        Assert.Equal(Add(g1, g3), w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));

        // W is also the input: Linear(W, W) = W W^T, whose gradient is R^T W + R W (W square).
        var wv = w.Detach().ToDoubleArray();
        var r = Rand(7, outF, outF);
        w.Grad = null;
        (Tensor.Linear(w, w) * r).Sum().Backward();
        var expected = Add(NaiveWeightGrad(r.ToDoubleArray(), wv, outF, outF, inF), Naive(r.ToDoubleArray(), wv, outF, outF, inF));
        Assert.Equal(expected, w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void AFreshWeightGradientOutlivesTheStepsTensorScope()
    {
        const int rows = 4, inF = 3, outF = 2;
        var w = Rand(1, outF, inF).RequiresGrad_();
        Tensor x = Rand(2, rows, inF), r = Rand(3, rows, outF);
        var g = NaiveWeightGrad(r.ToDoubleArray(), x.ToDoubleArray(), rows, outF, inF);
        var opt = new Axon.Optim.Sgd([w], lr: 0.1);
        Tensor first;
        using (var scope = new TensorScope())
        {
            opt.ZeroGrad(setToNone: true);
            LinearLoss(x, w, r).Backward();
            first = w.Grad!;
        }
        Assert.False(first.IsDisposed);
        Assert.Equal(g, w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));

        // A disposed gradient is replaced by a fresh one, as the Engine does.
        w.Grad.Dispose();
        using (var scope = new TensorScope()) LinearLoss(x, w, r).Backward();
        Assert.NotSame(first, w.Grad);
        Assert.False(w.Grad.IsDisposed);
        Assert.Equal(g, w.Grad.ToDoubleArray(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void AWeightThatIsNotALeafTakesTheOrdinaryPath()
    {
        const int rows = 4, inF = 3, outF = 2;
        var baseW = Rand(1, outF, inF).RequiresGrad_();
        Tensor x = Rand(2, rows, inF), r = Rand(3, rows, outF);
        var g = NaiveWeightGrad(r.ToDoubleArray(), x.ToDoubleArray(), rows, outF, inF);
        var w = baseW * 2.0;
        w.RetainGrad();
        LinearLoss(x, w, r).Backward();
        Assert.Equal(g, w.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
        Assert.Equal(g.Select(v => 2 * v).ToArray(), baseW.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));

        // Outside a backward pass there is no buffer to hand out.
        var leaf = Rand(4, outF, inF).RequiresGrad_();
        leaf.Grad = Tensor.Zeros([outF, inF], DType.Float64);
        Assert.Null(Engine.AccumulationBuffer(leaf, out _));
        // Inside one, a gradient of another shape than the weight's is not written into; nor one of another dtype or layout.
        leaf.Grad = Tensor.Zeros([outF, inF]);
        Assert.Null(BufferDuringBackward(leaf, out _));
        leaf.Grad = Tensor.Zeros([outF * inF], DType.Float64);
        Assert.Null(BufferDuringBackward(leaf, out _));
        leaf.Grad = Tensor.Zeros([inF, outF], DType.Float64).T();
        Assert.Null(BufferDuringBackward(leaf, out _));
        Assert.Null(BufferDuringBackward(w, out _));
        leaf.Grad = Tensor.Zeros([outF, inF], DType.Float64);
        Assert.Null(BufferDuringBackward(leaf, out _, leaf.Grad));
        Assert.Same(leaf.Grad, BufferDuringBackward(leaf, out double beta, x));
        Assert.Equal(1.0, beta);
        using (GradMode.DetectAnomaly())
        {
            // Anomaly detection checks each returned gradient, so the weight's is returned, with the same values.
            Assert.Null(BufferDuringBackward(leaf, out _));
            baseW.Grad = null;
            LinearLoss(x, baseW, r).Backward();
            Assert.Equal(g, baseW.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
        }
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

    /// <summary>What the engine hands out for <paramref name="leaf"/> when a backward asks, from inside a real backward pass.</summary>
    private static Tensor? BufferDuringBackward(Tensor leaf, out double beta, params Tensor[] sources)
    {
        var probe = new AccumulationProbe(leaf, sources);
        probe.Apply(Tensor.Ones([1], DType.Float64).RequiresGrad_()).Sum().Backward();
        beta = probe.Beta;
        return probe.Got;
    }

    /// <summary>An identity whose backward asks the engine for a leaf's accumulation buffer (and writes nothing into it).</summary>
    private sealed class AccumulationProbe(Tensor leaf, Tensor[] sources) : Function
    {
        public Tensor? Got { get; private set; }

        public double Beta { get; private set; }

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0].Clone()];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            Got = Engine.AccumulationBuffer(leaf, out double beta, sources);
            Beta = beta;
            return [gradOutputs[0]];
        }
    }
}
