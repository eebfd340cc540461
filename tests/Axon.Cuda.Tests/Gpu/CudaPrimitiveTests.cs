using Axon.Backends;

namespace Axon.Cuda.Tests;

/// <summary>The CUDA primitives against the reference backend (skipped without a GPU).</summary>
public class CudaPrimitiveTests
{
    private static Device Cuda()
    {
        CudaBackend.Register();
        return Device.Cuda(0);
    }

    [CudaFact]
    public void EveryImplementedPrimitiveMatchesTheReference()
    {
        var results = PrimitiveChecks.RunAll(Cuda());
        Assert.True(results.Count > 60, $"only {results.Count} checks ran");
        var failed = results.Where(r => !r.Passed).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }

    [CudaFact]
    public void APrimitiveWithoutAKernelSaysSoAndNamesTheDevice()
    {
        var x = Tensor.Ones([3]).To(Cuda());
        var e = Assert.Throws<NotSupportedException>(() => x.Backend().Renorm(x, 0, 1.0));
        Assert.Equal("Renorm has no CUDA kernel yet (cuda:0); move the tensor to the CPU with .To(Device.Cpu).", e.Message);
    }

    [CudaFact]
    public void FreedTensorsGoBackToTheCache()
    {
        var dev = Cuda();
        var alloc = ((CudaBackend)dev.Backend).Context.Allocator;
        using (Tensor.Zeros([1000, 1000], device: dev)) { }
        long hits = alloc.Stats.CacheHits;
        using (Tensor.Zeros([1000, 1000], device: dev)) { }
        Assert.Equal(hits + 1, alloc.Stats.CacheHits);
    }
}

internal static class TensorBackendExtensions
{
    public static IBackend Backend(this Tensor t) => t.Device.Backend;
}

/// <summary>The GPU check list run on the CPU backend: proves the list itself (shapes, views, tolerances) sound without a GPU.</summary>
public class PrimitiveCheckListTests
{
    [Fact]
    public void TheCheckListPassesOnTheCpuBackend()
    {
        var results = PrimitiveChecks.RunAll(Device.Cpu);
        Assert.Equal(140, results.Count);
        var failed = results.Where(r => !r.Passed).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }
}
