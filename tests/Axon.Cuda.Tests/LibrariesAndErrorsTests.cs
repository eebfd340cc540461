using System.Runtime.InteropServices;
using Axon.Cuda.Native;
using Axon.Cuda.Runtime;

namespace Axon.Cuda.Tests;

public class LibrariesAndErrorsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) => k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void SearchDirectoriesFollowTheEnvironmentThenTheSystem()
    {
        var dirs = CudaLibraries.SearchDirectories(Env(("LD_LIBRARY_PATH", "/a:/b::/a"), ("CUDA_PATH", "/opt/cuda")), _ => ["/usr/local/cuda-13.0"]);
        Assert.Equal([
            "/a", "/b", "/opt/cuda/targets/x86_64-linux/lib", "/opt/cuda/lib64",
            "/usr/local/cuda-13.0/targets/x86_64-linux/lib", "/usr/local/cuda-13.0/lib64",
            "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/lib/wsl/lib"], dirs);
    }

    [Fact]
    public void AMissingLibraryNamesItselfAndEveryPlaceSearched()
    {
        var e = Assert.Throws<CudaUnavailableException>(() => CudaLibraries.Search(CudaLibrary.Cublas, ["/nowhere/one", "/nowhere/two"], _ => IntPtr.Zero));
        Assert.Contains("cuBLAS (libcublas.so.13, libcublas.so.12, libcublas.so)", e.Message);
        Assert.Contains("Searched: /nowhere/one, /nowhere/two, and the system loader's path (ld.so.cache)", e.Message);
        Assert.Contains("LD_LIBRARY_PATH", e.Message);
    }

    [Fact]
    public void SearchPrefersTheNewestNameInTheFirstDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("axon-cuda-libs").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "libnvrtc.so.12"), "");
            File.WriteAllText(Path.Combine(dir, "libnvrtc.so.13"), "");
            var tried = new List<string>();
            var h = CudaLibraries.Search(CudaLibrary.Nvrtc, ["/nowhere", dir], p =>
            {
                tried.Add(p);
                return p.EndsWith(".so.12", StringComparison.Ordinal) || p.EndsWith(".so.13", StringComparison.Ordinal) ? 42 : IntPtr.Zero;
            });
            Assert.Equal(42, h);
            Assert.Equal([Path.Combine(dir, "libnvrtc.so.13")], tried);   // files that do not exist are not tried
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [NoCudaFact]
    public void WithoutTheDriverDeviceCudaSaysWhatIsMissing()
    {
        CudaBackend.Register();
        CudaBackend.Register();   // idempotent
        var e = Assert.Throws<CudaUnavailableException>(() => Device.Cuda(0));
        Assert.Contains("the CUDA driver library (libcuda.so.1, libcuda.so)", e.Message);
        Assert.Contains("/usr/lib/x86_64-linux-gnu", e.Message);
        Assert.Throws<CudaUnavailableException>(() => Device.Parse("cuda:0"));
        Assert.False(CudaBackend.IsAvailable(out var why));
        Assert.Equal(e.Message, why);
    }

    [Fact]
    public void DriverErrorsReadAsTheDriverWritesThem()
    {
        var (name, text) = DriverErrorNames.Lookup(2);
        var e = new CudaException("cuMemAlloc_v2", 2, name, text, $"allocating {CudaException.Bytes(1610612736)} on cuda:0");
        Assert.Equal("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory) allocating 1.50 GiB on cuda:0", e.Message);
        Assert.Equal(("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"), DriverErrorNames.Lookup(700));
        Assert.Equal(("CUDA_ERROR_12345", "unrecognised error code"), DriverErrorNames.Lookup(12345));
        Assert.Equal("CUBLAS_STATUS_EXECUTION_FAILED", CublasStatusNames.Lookup(13).Name);
        Assert.Equal("NVRTC_ERROR_COMPILATION", NvrtcResultNames.Lookup(6));
        Assert.Equal("cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", new CudaException("cuInit", 100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected", null).Message);
    }

    [Fact]
    public void ByteCountsReadAsPeopleWriteThem()
    {
        Assert.Equal("512 B", CudaException.Bytes(512));
        Assert.Equal("2.00 MiB", CudaException.Bytes(2 << 20));
        Assert.Equal("1.50 GiB", CudaException.Bytes(3L << 29));
    }

    [Fact]
    public void InteropStructsHaveTheCLayout()
    {
        // cudnnConvolution*AlgoPerf_t: int algo, int status, float time, size_t memory, int determinism, int mathType, int reserved[3].
        Assert.Equal(48, Marshal.SizeOf<CudnnAlgoPerf>());
        Assert.Equal(16, (int)Marshal.OffsetOf<CudnnAlgoPerf>(nameof(CudnnAlgoPerf.Memory)));
        Assert.Equal(24, (int)Marshal.OffsetOf<CudnnAlgoPerf>(nameof(CudnnAlgoPerf.Determinism)));
        // struct Layout { int rank; long long n; long long shape[8], src[8], dst[8]; }
        Assert.Equal(208, Marshal.SizeOf<StridedLayout>());
        Assert.Equal(8, (int)Marshal.OffsetOf<StridedLayout>(nameof(StridedLayout.Count)));
        Assert.Equal(16, (int)Marshal.OffsetOf<StridedLayout>(nameof(StridedLayout.Shape)));
    }

    [Fact]
    public unsafe void StridedLayoutsMergeWhatBothOperandsWalkAsOne()
    {
        // A contiguous [2, 3, 4] copied to a contiguous destination: one dimension of 24.
        Assert.True(StridedLayout.TryCreate([2, 3, 4], [12, 4, 1], [12, 4, 1], out var l));
        Assert.Equal(1, l.Rank);
        Assert.Equal(24, l.Shape[0]);
        Assert.Equal(24, l.Count);
        // A transpose [3, 2] of a [2, 3] source: nothing merges.
        Assert.True(StridedLayout.TryCreate([3, 2], [1, 3], [2, 1], out l));
        Assert.Equal(2, l.Rank);
        Assert.Equal(3, l.Src[1]);
        // Size-1 dimensions vanish; broadcast (stride 0) rows stay.
        Assert.True(StridedLayout.TryCreate([1, 5, 1, 3], [0, 0, 0, 1], [15, 3, 3, 1], out l));
        Assert.Equal(2, l.Rank);
        Assert.Equal(0, l.Src[0]);
        Assert.Equal(1, l.Src[1]);
        // Nine unmergeable dimensions do not fit.
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        int[] src = [1, 2, 4, 8, 16, 32, 64, 128, 256];
        int[] dst = [256, 128, 64, 32, 16, 8, 4, 2, 1];
        Assert.False(StridedLayout.TryCreate(shape, src, dst, out _));
    }

    [Fact]
    public void BatchStridesAreUniformOnlyWhenBatchesAreEvenlySpaced()
    {
        Assert.True(CudaBackend.UniformBatchStride([4, 3], [36, 12], out long s));
        Assert.Equal(12, s);
        Assert.True(CudaBackend.UniformBatchStride([4, 3], [0, 0], out s));
        Assert.Equal(0, s);
        Assert.True(CudaBackend.UniformBatchStride([1, 5], [999, 7], out s));
        Assert.Equal(7, s);
        Assert.False(CudaBackend.UniformBatchStride([4, 3], [12, 0], out _));   // broadcast inside, not outside
    }
}
