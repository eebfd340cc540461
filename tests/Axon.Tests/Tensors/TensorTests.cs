namespace Axon.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationFunctions()
    {
        var z = Tensor.Zeros([2, 3]);
        Assert.Equal(DType.Float32, z.DType);
        Assert.Equal([2, 3], z.GetShape());
        Assert.Equal([3, 1], z.Strides.ToArray());
        Assert.Equal(6, z.NumEl);
        Assert.Equal(2, z.Rank);
        Assert.Equal(3, z.Size(-1));
        Assert.True(z.IsContiguous);
        Assert.All(z.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones([4], DType.Float64).ToDoubleArray(), v => Assert.Equal(1.0, v));
        Assert.All(Tensor.Full([2, 2], 7, DType.Int64).ToLongArray(), v => Assert.Equal(7L, v));
        var s = Tensor.Scalar(2.5);
        Assert.Equal(0, s.Rank);
        Assert.Equal(1, s.NumEl);
        Assert.Equal(2.5, s.Item());
        Assert.Equal(DType.Float64, Tensor.ZerosLike(Tensor.Ones([2], DType.Float64)).DType);
        Assert.Equal([3, 1], Tensor.OnesLike(Tensor.Zeros([3, 1])).GetShape());
        Assert.Equal(0, Tensor.Zeros([0, 3]).NumEl);
        Assert.Empty(Tensor.Zeros([0, 3]).ToFloatArray());
    }

    [Fact]
    public void ArangeLinspaceEye()
    {
        var a = Tensor.Arange(5);
        Assert.Equal(DType.Int64, a.DType);
        Assert.Equal([0L, 1L, 2L, 3L, 4L], a.ToLongArray());
        Assert.Equal([1f, 1.25f, 1.5f, 1.75f], Tensor.Arange(1, 2, 0.25).ToFloatArray());
        Assert.Equal([5.0, 3.0, 1.0], Tensor.Arange(5, 0, -2, DType.Float64).ToDoubleArray());
        Assert.Equal(0, Tensor.Arange(0, 0).NumEl);
        Assert.Equal(0, Tensor.Arange(3, 1).NumEl);
        Assert.Equal(10, Tensor.Arange(0, 1, 0.1).NumEl);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Arange(0, 1, 0));
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], Tensor.Linspace(0, 1, 5, DType.Float64).ToDoubleArray());
        var l = Tensor.Linspace(-1, 0.3, 7).ToFloatArray();
        Assert.Equal(-1f, l[0]);
        Assert.Equal(0.3f, l[^1]);
        Assert.Equal([2f], Tensor.Linspace(2, 5, 1).ToFloatArray());
        Assert.Empty(Tensor.Linspace(0, 1, 0).ToFloatArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Linspace(0, 1, -1));
        Assert.Equal([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], Tensor.Eye(3).ToFloatArray());
        Assert.Equal(DType.Int64, Tensor.Eye(2, DType.Int64).DType);
    }

    [Fact]
    public void FromArrayAndToArray()
    {
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.Equal([2, 3], t.GetShape());
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal(5f, t[-1, -2]);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], t.ToDoubleArray());
        Assert.Equal([1L, 2, 3, 4, 5, 6], t.ToLongArray());
        Assert.Equal([3], Tensor.FromArray([1.0, 2.0, 3.0]).GetShape());
        var i = Tensor.FromArray([3, 1, 2]);
        Assert.Equal(DType.Int64, i.DType);
        Assert.Equal([3L, 1L, 2L], i.ToLongArray());
        var m = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        Assert.Equal([3, 2], m.GetShape());
        Assert.Equal(3f, m[1, 0]);
        var d = Tensor.FromArray(new double[,] { { 1, 2 } });
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal([1f, -2f], Tensor.FromArray([1.9, -2.9]).To(DType.Int64).To(DType.Float32).ToFloatArray());
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f], 2, 2));
        Assert.Contains("FromArray: 3 values cannot fill shape [2, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, -1]));
        Assert.Contains("[2, -1]", e.Message);
    }

    [Fact]
    public void ElementAccessAndItem()
    {
        var t = Tensor.Zeros([2, 3], DType.Float64);
        t.SetDouble(1.25, 1, 1);
        Assert.Equal(1.25, t.GetDouble(1, 1));
        t[0, 2] = 3;
        Assert.Equal(3.0, t.GetDouble(0, 2));
        Assert.Throws<IndexOutOfRangeException>(() => t[2, 0]);   // the deliberate exception: the element indexer
        Assert.Throws<IndexOutOfRangeException>(() => t[0, -4]);
        var e = Assert.Throws<ArgumentException>(() => t[0]);
        Assert.Contains("Index has 1 coordinates", e.Message);
        var ie = Assert.Throws<InvalidOperationException>(() => t.Item());
        Assert.Contains("6 elements", ie.Message);
        Assert.Equal(3.0, Tensor.FromArray([3.0], 1, 1).Item());
        Assert.Throws<InvalidOperationException>(() => t.T().AsSpan<double>());
        ie = Assert.Throws<InvalidOperationException>(() => t.AsSpan<float>());
        Assert.Contains("float64", ie.Message);
        Assert.Equal(6, t.AsSpan<double>().Length);
    }

    [Fact]
    public void CopyFromFillZero()
    {
        var t = Tensor.Zeros([2, 3]);
        t.CopyFrom(Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3));
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToFloatArray());
        t.T().CopyFrom(Tensor.FromArray([1f, 2, 3, 4, 5, 6], 3, 2));
        Assert.Equal([1f, 3, 5, 2, 4, 6], t.ToFloatArray());
        t.T().Fill(2);
        Assert.All(t.ToFloatArray(), v => Assert.Equal(2f, v));
        t.Zero();
        Assert.All(t.ToFloatArray(), v => Assert.Equal(0f, v));
        var e = Assert.Throws<ArgumentException>(() => t.CopyFrom(Tensor.Zeros([3, 2])));
        Assert.Contains("CopyFrom", e.Message);
    }

    [Fact]
    public void RandomCreation()
    {
        var r = Tensor.Rand([1000], new Generator(1), low: -2, high: 3);
        Assert.All(r.ToFloatArray(), v => Assert.InRange(v, -2f, 3f));
        var ri = Tensor.Randint(3, 7, [1000], new Generator(2));
        Assert.Equal(DType.Int64, ri.DType);
        var vals = ri.ToLongArray();
        Assert.All(vals, v => Assert.InRange(v, 3L, 6L));
        Assert.Equal([3L, 4L, 5L, 6L], vals.Distinct().Order().ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.Rand([2], dtype: DType.Int64));
        Assert.Throws<ArgumentException>(() => Tensor.Randn([2], dtype: DType.Int64));
        Assert.Throws<ArgumentException>(() => Tensor.Randint(3, 3, [2]));
        var n = Tensor.Randn([3], new Generator(4), DType.Float64, mean: 100, std: 0.001);
        Assert.All(n.ToDoubleArray(), v => Assert.InRange(v, 99.99, 100.01));
    }

    [Fact]
    public void RandnStatisticsForAFixedSeed()
    {
        var x = Tensor.Randn([200_000], new Generator(42), DType.Float64);
        double mean = x.Mean().Item(), std = x.Std().Item();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.99, 1.01);
        var v = x.ToDoubleArray();
        double within1 = v.Count(a => Math.Abs(a) < 1) / (double)v.Length;
        Assert.InRange(within1, 0.6827 - 0.005, 0.6827 + 0.005);
        var u = Tensor.Rand([200_000], new Generator(43), DType.Float64);
        Assert.InRange(u.Mean().Item(), 0.5 - 0.005, 0.5 + 0.005);
        Assert.InRange(u.Var().Item(), 1.0 / 12 - 0.002, 1.0 / 12 + 0.002);
    }

    [Fact]
    public void SameSeedGivesIdenticalTensors()
    {
        Assert.Equal(Tensor.Randn([50], new Generator(7)).ToFloatArray(), Tensor.Randn([50], new Generator(7)).ToFloatArray());
        Assert.NotEqual(Tensor.Randn([50], new Generator(7)).ToFloatArray(), Tensor.Randn([50], new Generator(8)).ToFloatArray());
        Assert.Equal(Tensor.Randint(0, 100, [50], new Generator(9)).ToLongArray(), Tensor.Randint(0, 100, [50], new Generator(9)).ToLongArray());
        var g = new Generator(11);
        var a = Tensor.Rand([5], g);
        g.ManualSeed(11);
        Assert.Equal(a.ToFloatArray(), Tensor.Rand([5], g).ToFloatArray());
        // Saving and restoring the state resumes the stream exactly, including a cached normal.
        var h = new Generator(12);
        _ = Tensor.Randn([3], h);   // odd count leaves a spare normal
        var state = h.GetState();
        var next = Tensor.Randn([4], h).ToFloatArray();
        var h2 = new Generator(0);
        h2.SetState(state);
        Assert.Equal(next, Tensor.Randn([4], h2).ToFloatArray());
        Assert.Equal(12, h2.Seed);
        var p = new Generator(13).Permutation(20);
        Assert.Equal(Enumerable.Range(0, 20), p.Order());
    }
}
