using System.Globalization;

namespace Axon.Cuda;

/// <summary>
/// A call into the CUDA driver, NVRTC, cuBLAS or cuDNN failed. The message names the API function, the error code's
/// name and description, and what was being done, e.g. "cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)
/// allocating 1.50 GiB on cuda:0".
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for a failed call of <paramref name="function"/> that returned <paramref name="code"/>.</summary>
    public CudaException(string function, int code, string codeName, string description, string? context)
        : base(Format(function, codeName, description, context))
    {
        Function = function;
        Code = code;
        CodeName = codeName;
    }

    /// <summary>Creates an exception with a message of its own (no failed call behind it).</summary>
    public CudaException(string message) : base(message) => (Function, CodeName) = ("", "");

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public CudaException(string message, Exception inner) : base(message, inner) => (Function, CodeName) = ("", "");

    /// <summary>Creates an exception with no message (for serialisers; prefer the other constructors).</summary>
    public CudaException() : this("A CUDA call failed.") { }

    /// <summary>The API function that failed, e.g. "cuMemAlloc_v2".</summary>
    public string Function { get; }

    /// <summary>The numeric error code it returned.</summary>
    public int Code { get; }

    /// <summary>The code's name, e.g. "CUDA_ERROR_OUT_OF_MEMORY".</summary>
    public string CodeName { get; }

    /// <summary>The message for a failed call: "function failed: NAME (description) context".</summary>
    public static string Format(string function, string codeName, string description, string? context) =>
        $"{function} failed: {codeName} ({description}){(string.IsNullOrEmpty(context) ? "" : " " + context)}";

    /// <summary>A byte count as people read it: "512 B", "2.00 MiB", "1.50 GiB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        if (Math.Abs(bytes) < 1024) return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        double v = bytes;
        int u = 0;
        while (Math.Abs(v) >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{v:F2} {units[u]}");
    }
}

/// <summary>
/// A CUDA library (the driver's libcuda.so.1, NVRTC, cuBLAS or cuDNN) or a CUDA device could not be found. The message
/// names what is missing and every place that was searched, so the fix (install the driver or toolkit, set
/// LD_LIBRARY_PATH or CUDA_PATH) is clear.
/// </summary>
public sealed class CudaUnavailableException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public CudaUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and cause.</summary>
    public CudaUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with a generic message (prefer the other constructors).</summary>
    public CudaUnavailableException() : this("CUDA is not available.") { }
}

/// <summary>The names and descriptions of the driver API's error codes (CUresult), for messages when the driver cannot say.</summary>
internal static class DriverErrorNames
{
    private static readonly Dictionary<int, (string Name, string Text)> Known = new()
    {
        [0] = ("CUDA_SUCCESS", "no error"),
        [1] = ("CUDA_ERROR_INVALID_VALUE", "invalid argument"),
        [2] = ("CUDA_ERROR_OUT_OF_MEMORY", "out of memory"),
        [3] = ("CUDA_ERROR_NOT_INITIALIZED", "initialization error"),
        [4] = ("CUDA_ERROR_DEINITIALIZED", "driver shutting down"),
        [34] = ("CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"),
        [46] = ("CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"),
        [100] = ("CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"),
        [101] = ("CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"),
        [200] = ("CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"),
        [201] = ("CUDA_ERROR_INVALID_CONTEXT", "invalid device context"),
        [209] = ("CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"),
        [218] = ("CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"),
        [222] = ("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain."),
        [400] = ("CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"),
        [500] = ("CUDA_ERROR_NOT_FOUND", "named symbol not found"),
        [600] = ("CUDA_ERROR_NOT_READY", "device not ready"),
        [700] = ("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"),
        [701] = ("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"),
        [702] = ("CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"),
        [719] = ("CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"),
        [999] = ("CUDA_ERROR_UNKNOWN", "unknown error"),
    };

    /// <summary>The name and description of <paramref name="code"/> from the table ("CUDA_ERROR_&lt;code&gt;" when unknown).</summary>
    public static (string Name, string Text) Lookup(int code) =>
        Known.TryGetValue(code, out var e) ? e : (string.Create(CultureInfo.InvariantCulture, $"CUDA_ERROR_{code}"), "unrecognised error code");
}

/// <summary>The names of cuBLAS's status codes (cublasStatus_t).</summary>
internal static class CublasStatusNames
{
    /// <summary>The status's name and description.</summary>
    public static (string Name, string Text) Lookup(int code) => code switch
    {
        0 => ("CUBLAS_STATUS_SUCCESS", "success"),
        1 => ("CUBLAS_STATUS_NOT_INITIALIZED", "the library was not initialized"),
        3 => ("CUBLAS_STATUS_ALLOC_FAILED", "the resource allocation failed"),
        7 => ("CUBLAS_STATUS_INVALID_VALUE", "an invalid numeric value was used as an argument"),
        8 => ("CUBLAS_STATUS_ARCH_MISMATCH", "an absent device architectural feature is required"),
        11 => ("CUBLAS_STATUS_MAPPING_ERROR", "an access to GPU memory space failed"),
        13 => ("CUBLAS_STATUS_EXECUTION_FAILED", "the GPU program failed to execute"),
        14 => ("CUBLAS_STATUS_INTERNAL_ERROR", "an internal operation failed"),
        15 => ("CUBLAS_STATUS_NOT_SUPPORTED", "the functionality requested is not supported"),
        16 => ("CUBLAS_STATUS_LICENSE_ERROR", "error detected trying to check the license"),
        _ => (string.Create(CultureInfo.InvariantCulture, $"CUBLAS_STATUS_{code}"), "unrecognised status"),
    };
}

/// <summary>The names of NVRTC's result codes (nvrtcResult).</summary>
internal static class NvrtcResultNames
{
    /// <summary>The result's name.</summary>
    public static string Lookup(int code) => code switch
    {
        0 => "NVRTC_SUCCESS",
        1 => "NVRTC_ERROR_OUT_OF_MEMORY",
        2 => "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        3 => "NVRTC_ERROR_INVALID_INPUT",
        4 => "NVRTC_ERROR_INVALID_PROGRAM",
        5 => "NVRTC_ERROR_INVALID_OPTION",
        6 => "NVRTC_ERROR_COMPILATION",
        7 => "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        11 => "NVRTC_ERROR_INTERNAL_ERROR",
        _ => string.Create(CultureInfo.InvariantCulture, $"NVRTC_ERROR_{code}"),
    };
}
