using Axon.Cuda.Runtime;

namespace Axon.Cuda.Tests;

public class KernelCacheTests
{
    [Fact]
    public void OptionsTargetTheDeviceArchitecture()
    {
        Assert.Equal(["--gpu-arch=sm_90", "-default-device", "--std=c++17"], KernelCache.CompileOptions(9, 0));
        Assert.Equal("--gpu-arch=sm_86", KernelCache.CompileOptions(8, 6)[0]);
        Assert.DoesNotContain("-lineinfo", KernelCache.CompileOptions(9, 0));
    }

    [Fact]
    public void KeysChangeWithSourceOptionsAndCompilerVersion()
    {
        var options = KernelCache.CompileOptions(9, 0);
        var key = KernelCache.CacheKey("extern \"C\" __global__ void k() {}", options, "13.0");
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, KernelCache.CacheKey("extern \"C\" __global__ void k() {}", [.. options], "13.0"));
        Assert.NotEqual(key, KernelCache.CacheKey("extern \"C\" __global__ void k() { }", options, "13.0"));
        Assert.NotEqual(key, KernelCache.CacheKey("extern \"C\" __global__ void k() {}", KernelCache.CompileOptions(8, 0), "13.0"));
        Assert.NotEqual(key, KernelCache.CacheKey("extern \"C\" __global__ void k() {}", options, "12.8"));
        // Length prefixes: moving text between the parts changes the key.
        Assert.NotEqual(KernelCache.CacheKey("ab", ["c"], "1"), KernelCache.CacheKey("b", ["ca"], "1"));
    }

    [Fact]
    public void TheCacheLivesUnderXdgCacheHomeElseHome()
    {
        Assert.Equal(Path.Combine("/x/cache", "axon", "cuda"), KernelCache.DefaultDirectory(k => k == "XDG_CACHE_HOME" ? "/x/cache" : "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".cache", "axon", "cuda"), KernelCache.DefaultDirectory(k => k == "HOME" ? "/home/u" : null));
    }

    [Fact]
    public void ImagesAreWrittenAtomically()
    {
        var dir = Directory.CreateTempSubdirectory("axon-kernels").FullName;
        try
        {
            var path = Path.Combine(dir, "sub", "abc.cubin");
            KernelCache.WriteAtomically(path, [1, 2, 3]);
            KernelCache.WriteAtomically(path, [4, 5]);
            Assert.Equal([4, 5], File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));   // no temporary left behind
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TheRuntimeProgramNamesItsKernels()
    {
        Assert.Equal("axon_cast_f32_i64", RuntimeKernels.CastKernel(DType.Float32, DType.Int64));
        foreach (var k in (string[])["axon_copy_4", "axon_copy_8", "axon_fill_4", "axon_fill_8", "axon_cast_f32_f64", "axon_cast_i64_f64"])
            Assert.Contains($"extern \"C\" __global__ void {k}(", RuntimeKernels.Source.Source);
    }
}
