namespace Axon.Tests.Tensors;

public class TensorScopeTests
{
    [Fact]
    public void ScopeDisposesIntermediatesAndKeepsWhatIsKept()
    {
        var w = Tensor.Randn([4, 3], new Generator(1)).RequiresGrad_();
        Tensor a, kept;
        using (var scope = new TensorScope())
        {
            var x = Tensor.Randn([5, 4], new Generator(2));
            a = x.MatMul(w);
            kept = scope.Keep(a.Relu());
            var loss = a.Square().Sum();
            loss.Backward();
            Assert.True(scope.Count > 0);
        }
        Assert.True(a.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(w.IsDisposed);
        Assert.False(w.Grad!.IsDisposed);   // gradients are allocated outside scopes
        Assert.Equal([4, 3], w.Grad.GetShape());
        Assert.Equal([5, 3], kept.GetShape());
    }

    [Fact]
    public void UsingADisposedTensorThrowsAClearMessage()
    {
        Tensor t;
        using (new TensorScope()) t = Tensor.Ones([2, 3]) * 2;
        var e = Assert.Throws<ObjectDisposedException>(() => t.ToFloatArray());
        Assert.Contains("[2, 3] was disposed", e.Message);
        Assert.Contains("TensorScope", e.Message);
        Assert.Throws<ObjectDisposedException>(() => t + t);
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Throws<ObjectDisposedException>(() => t.Reshape(6));
        Assert.Throws<ObjectDisposedException>(() => t.T());
        Tensor one;
        using (new TensorScope()) one = Tensor.Ones([1]) * 2;
        Assert.Throws<ObjectDisposedException>(() => one.Item());
        Assert.Throws<ObjectDisposedException>(() => t.GetDouble(0, 0));
        t.Dispose();   // idempotent
    }

    [Fact]
    public void AViewKeepsItsStorageAliveAfterTheBaseIsDisposed()
    {
        var b = Tensor.Arange(0, 2048, 1, DType.Float32);
        var v = b.Narrow(0, 1, 3);
        b.Dispose();
        Assert.Equal([1f, 2f, 3f], v.ToFloatArray());
        // The array must not have gone back to the pool: a new tensor of the same size must not alias it.
        var other = Tensor.Zeros([2048]);
        Assert.Equal([1f, 2f, 3f], v.ToFloatArray());
        _ = other;
    }

    [Fact]
    public void NestedScopes()
    {
        Tensor inner, outer;
        using (var s1 = new TensorScope())
        {
            outer = Tensor.Ones([2]);
            using (var s2 = new TensorScope())
            {
                inner = Tensor.Ones([2]);
                var moved = s2.Keep(Tensor.Ones([3]));
                s2.Dispose();
                Assert.True(inner.IsDisposed);
                Assert.False(moved.IsDisposed);
                Assert.False(outer.IsDisposed);
                outer = moved;
            }
        }
        Assert.True(outer.IsDisposed);   // kept by the inner scope, then disposed by the outer one
    }

    [Fact]
    public void BufferPoolReusesArraysInARepeatedStep()
    {
        var w = Tensor.Randn([64, 32], new Generator(3)).RequiresGrad_();
        var x = Tensor.Randn([128, 64], new Generator(4));
        void Step()
        {
            using var scope = new TensorScope();
            var loss = x.MatMul(w).Tanh().Square().Mean();
            loss.Backward();
        }
        Step();
        long hits = BufferPool.Hits;
        Step();
        Assert.True(BufferPool.Hits > hits, $"BufferPool.Hits stayed at {hits}.");
        Assert.True(BufferPool.Hits - hits >= 3);
    }

    [Fact]
    public void BufferPoolRentReturn()
    {
        const int n = 4099;   // a length no other test uses
        var a = BufferPool.Rent<double>(n, clear: false);
        a[0] = 42;
        BufferPool.Return(a);
        var b = BufferPool.Rent<double>(n, clear: true);
        Assert.Same(a, b);
        Assert.Equal(0.0, b[0]);
        var small = BufferPool.Rent<float>(10, clear: false);
        BufferPool.Return(small);
        Assert.NotSame(small, BufferPool.Rent<float>(10, clear: false));
    }

    [Fact]
    public void AClearedRentIsZeroEvenWhenThePoolMisses()
    {
        // Dirty the GC heap with large uninitialised arrays full of NaN, then ask for a cleared array of a length
        // no one pooled: it must be zero (it once came from GC.AllocateUninitializedArray, i.e. possibly dirty).
        const int n = 200_003;
        for (int i = 0; i < 20; i++) GC.AllocateUninitializedArray<double>(n).AsSpan().Fill(double.NaN);
        GC.Collect();
        for (int i = 0; i < 20; i++)
        {
            var a = BufferPool.Rent<double>(n, clear: true);
            Assert.True(a.All(v => v == 0), "Rent(clear: true) returned a dirty array.");
            a.AsSpan().Fill(double.NaN);
        }
    }
}
