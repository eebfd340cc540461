namespace Axon.Cuda.Tests;

/// <summary>A test that needs a CUDA GPU: skipped, with the reason, on a machine without one (CI).</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!CudaBackend.IsAvailable(out var why)) Skip = "No CUDA device: " + why;
    }
}

/// <summary>A test of what happens without CUDA: skipped on a machine that has a GPU.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (CudaBackend.IsAvailable(out _)) Skip = "This machine has a CUDA device.";
    }
}
