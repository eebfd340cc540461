using System.Runtime.InteropServices;

namespace Axon.Cuda.Native;

/// <summary>
/// The CUDA driver API (cuda.h) as far as the backend uses it. Every function returns a CUresult (0 = success); handles
/// (CUcontext, CUstream, CUevent, CUmodule, CUfunction) are pointers, CUdevice an int and CUdeviceptr a 64-bit address.
/// Entry points are the versioned symbols cuda.h maps the plain names to (cuMemAlloc → cuMemAlloc_v2 and so on).
/// </summary>
internal static unsafe partial class Driver
{
    private const string Lib = CudaLibraries.DriverLib;

    public const int AttributeMultiprocessorCount = 16;       // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
    public const int AttributeComputeCapabilityMajor = 75;    // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    public const int AttributeComputeCapabilityMinor = 76;    // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
    public const uint StreamNonBlocking = 1;                   // CU_STREAM_NON_BLOCKING
    public const uint EventDisableTiming = 2;                  // CU_EVENT_DISABLE_TIMING
    public const uint MemHostAllocPortable = 1;                // CU_MEMHOSTALLOC_PORTABLE

    [LibraryImport(Lib, EntryPoint = "cuInit")] public static partial int Init(uint flags);
    [LibraryImport(Lib, EntryPoint = "cuDriverGetVersion")] public static partial int DriverGetVersion(out int version);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetCount")] public static partial int DeviceGetCount(out int count);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGet")] public static partial int DeviceGet(out int device, int ordinal);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetName")] public static partial int DeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetAttribute")] public static partial int DeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRetain")] public static partial int DevicePrimaryCtxRetain(out IntPtr context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int DevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib, EntryPoint = "cuCtxSetCurrent")] public static partial int CtxSetCurrent(IntPtr context);
    [LibraryImport(Lib, EntryPoint = "cuCtxGetCurrent")] public static partial int CtxGetCurrent(out IntPtr context);
    [LibraryImport(Lib, EntryPoint = "cuCtxSynchronize")] public static partial int CtxSynchronize();

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int MemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int MemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int MemGetInfo(out nuint free, out nuint total);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8_v2")] public static partial int MemsetD8(ulong pointer, byte value, nuint count);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8Async")] public static partial int MemsetD8Async(ulong pointer, byte value, nuint count, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD32Async")] public static partial int MemsetD32Async(ulong pointer, uint value, nuint count, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] public static partial int MemcpyHtoD(ulong dst, void* src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] public static partial int MemcpyDtoH(void* dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoD_v2")] public static partial int MemcpyDtoD(ulong dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int MemcpyHtoDAsync(ulong dst, void* src, nuint bytes, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int MemcpyDtoHAsync(void* dst, ulong src, nuint bytes, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int MemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemHostAlloc")] public static partial int MemHostAlloc(out IntPtr pointer, nuint bytes, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuMemFreeHost")] public static partial int MemFreeHost(IntPtr pointer);

    [LibraryImport(Lib, EntryPoint = "cuStreamCreate")] public static partial int StreamCreate(out IntPtr stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int StreamDestroy(IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuStreamSynchronize")] public static partial int StreamSynchronize(IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuStreamWaitEvent")] public static partial int StreamWaitEvent(IntPtr stream, IntPtr @event, uint flags);

    [LibraryImport(Lib, EntryPoint = "cuEventCreate")] public static partial int EventCreate(out IntPtr @event, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int EventDestroy(IntPtr @event);
    [LibraryImport(Lib, EntryPoint = "cuEventRecord")] public static partial int EventRecord(IntPtr @event, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuEventQuery")] public static partial int EventQuery(IntPtr @event);
    [LibraryImport(Lib, EntryPoint = "cuEventSynchronize")] public static partial int EventSynchronize(IntPtr @event);
    [LibraryImport(Lib, EntryPoint = "cuEventElapsedTime")] public static partial int EventElapsedTime(out float milliseconds, IntPtr start, IntPtr end);

    [LibraryImport(Lib, EntryPoint = "cuModuleLoadData")] public static partial int ModuleLoadData(out IntPtr module, void* image);
    [LibraryImport(Lib, EntryPoint = "cuModuleUnload")] public static partial int ModuleUnload(IntPtr module);
    [LibraryImport(Lib, EntryPoint = "cuModuleGetFunction")] public static partial int ModuleGetFunction(out IntPtr function, IntPtr module, byte* name);
    [LibraryImport(Lib, EntryPoint = "cuLaunchKernel")]
    public static partial int LaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);

    [LibraryImport(Lib, EntryPoint = "cuGetErrorName")] public static partial int GetErrorName(int error, out byte* name);
    [LibraryImport(Lib, EntryPoint = "cuGetErrorString")] public static partial int GetErrorString(int error, out byte* text);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="function"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public static void Check(int result, string function, string? context = null)
    {
        if (result != 0) throw Error(result, function, context);
    }

    /// <summary>The exception for a failed driver call, with the driver's own name and description of the code.</summary>
    public static CudaException Error(int result, string function, string? context = null)
    {
        var (name, text) = DriverErrorNames.Lookup(result);
        try
        {
            if (GetErrorName(result, out byte* n) == 0 && n != null) name = Marshal.PtrToStringUTF8((IntPtr)n) ?? name;
            if (GetErrorString(result, out byte* s) == 0 && s != null) text = Marshal.PtrToStringUTF8((IntPtr)s) ?? text;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CudaUnavailableException)
        {
            // The table's names stand when the driver cannot describe its own code.
        }
        return new CudaException(function, result, name, text, context);
    }
}
