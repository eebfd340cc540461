using System.Runtime.InteropServices;

namespace Axon.Cuda.Native;

/// <summary>NVRTC (nvrtc.h): compiles CUDA C++ source to PTX or CUBIN at run time. Every function returns an nvrtcResult (0 = success).</summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = CudaLibraries.NvrtcLib;

    [LibraryImport(Lib, EntryPoint = "nvrtcVersion")] public static partial int Version(out int major, out int minor);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetErrorString")] public static partial byte* GetErrorString(int result);

    [LibraryImport(Lib, EntryPoint = "nvrtcCreateProgram")]
    public static partial int CreateProgram(out IntPtr program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);

    [LibraryImport(Lib, EntryPoint = "nvrtcCompileProgram")] public static partial int CompileProgram(IntPtr program, int numOptions, byte** options);
    [LibraryImport(Lib, EntryPoint = "nvrtcDestroyProgram")] public static partial int DestroyProgram(ref IntPtr program);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTXSize")] public static partial int GetPtxSize(IntPtr program, out nuint size);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTX")] public static partial int GetPtx(IntPtr program, byte* ptx);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBINSize")] public static partial int GetCubinSize(IntPtr program, out nuint size);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBIN")] public static partial int GetCubin(IntPtr program, byte* cubin);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLogSize")] public static partial int GetProgramLogSize(IntPtr program, out nuint size);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLog")] public static partial int GetProgramLog(IntPtr program, byte* log);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="function"/> unless <paramref name="result"/> is NVRTC_SUCCESS.</summary>
    public static void Check(int result, string function, string? context = null)
    {
        if (result == 0) return;
        string text = "no description";
        try
        {
            var s = GetErrorString(result);
            if (s != null) text = Marshal.PtrToStringUTF8((IntPtr)s) ?? text;
        }
        catch (EntryPointNotFoundException)
        {
            // keep the generic text
        }
        throw new CudaException(function, result, NvrtcResultNames.Lookup(result), text, context);
    }
}

/// <summary>cuBLAS v2 (cublas_v2.h): the GEMMs. Every function returns a cublasStatus_t (0 = success); alpha and beta are host pointers.</summary>
internal static unsafe partial class Cublas
{
    private const string Lib = CudaLibraries.CublasLib;

    public const int OpN = 0, OpT = 1;                        // cublasOperation_t
    public const int DefaultMath = 0, Tf32TensorOpMath = 3;   // cublasMath_t

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] public static partial int Create(out IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] public static partial int Destroy(IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cublasGetVersion_v2")] public static partial int GetVersion(IntPtr handle, out int version);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] public static partial int SetStream(IntPtr handle, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cublasSetMathMode")] public static partial int SetMathMode(IntPtr handle, int mode);
    [LibraryImport(Lib, EntryPoint = "cublasGetStatusName")] public static partial byte* GetStatusName(int status);
    [LibraryImport(Lib, EntryPoint = "cublasGetStatusString")] public static partial byte* GetStatusString(int status);

    [LibraryImport(Lib, EntryPoint = "cublasSgemm_v2")]
    public static partial int Sgemm(IntPtr handle, int transA, int transB, int m, int n, int k, float* alpha, ulong a, int lda, ulong b, int ldb,
        float* beta, ulong c, int ldc);

    [LibraryImport(Lib, EntryPoint = "cublasDgemm_v2")]
    public static partial int Dgemm(IntPtr handle, int transA, int transB, int m, int n, int k, double* alpha, ulong a, int lda, ulong b, int ldb,
        double* beta, ulong c, int ldc);

    [LibraryImport(Lib, EntryPoint = "cublasSgemmStridedBatched")]
    public static partial int SgemmStridedBatched(IntPtr handle, int transA, int transB, int m, int n, int k, float* alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, float* beta, ulong c, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib, EntryPoint = "cublasDgemmStridedBatched")]
    public static partial int DgemmStridedBatched(IntPtr handle, int transA, int transB, int m, int n, int k, double* alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, double* beta, ulong c, int ldc, long strideC, int batchCount);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="function"/> unless <paramref name="status"/> is CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(int status, string function, string? context = null)
    {
        if (status == 0) return;
        var (name, text) = CublasStatusNames.Lookup(status);
        try
        {
            var n = GetStatusName(status);
            if (n != null) name = Marshal.PtrToStringUTF8((IntPtr)n) ?? name;
            var s = GetStatusString(status);
            if (s != null) text = Marshal.PtrToStringUTF8((IntPtr)s) ?? text;
        }
        catch (EntryPointNotFoundException)
        {
            // an older cuBLAS without the name functions: the table's names stand
        }
        throw new CudaException(function, status, name, text, context);
    }
}
