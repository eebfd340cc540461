using System.Globalization;
using System.Runtime.InteropServices;
using Axon.Cuda.Native;

namespace Axon.Cuda.Runtime;

/// <summary>
/// One CUDA device as the backend uses it: the device's primary context (the one the CUDA runtime, cuBLAS and cuDNN
/// share), its name, compute capability, SM count and memory, and the caching allocator of its memory. One per device
/// index for the life of the process (<see cref="Get"/>).
/// </summary>
public sealed class CudaContext
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, CudaContext> Contexts = [];
    private static bool initialised;

    private CudaContext(int index)
    {
        Index = index;
        Name = string.Create(CultureInfo.InvariantCulture, $"cuda:{index}");
        Driver.Check(Driver.DeviceGet(out int device, index), "cuDeviceGet", $"for {Name}");
        Device = device;
        Driver.Check(Driver.DevicePrimaryCtxRetain(out var ctx, device), "cuDevicePrimaryCtxRetain", $"on {Name}");
        Handle = ctx;
        MakeCurrent();
        DeviceName = ReadName(device);
        ComputeCapability = (Attribute(Driver.AttributeComputeCapabilityMajor), Attribute(Driver.AttributeComputeCapabilityMinor));
        MultiprocessorCount = Attribute(Driver.AttributeMultiprocessorCount);
        Driver.Check(Driver.DeviceTotalMem(out nuint total, device), "cuDeviceTotalMem_v2", $"on {Name}");
        TotalMemory = (long)total;
        Allocator = new CachingAllocator(new DriverMemory(this));
    }

    /// <summary>The device index (the N of cuda:N).</summary>
    public int Index { get; }

    /// <summary>"cuda:N".</summary>
    public string Name { get; }

    /// <summary>The driver's device handle (CUdevice).</summary>
    internal int Device { get; }

    /// <summary>The primary context (CUcontext).</summary>
    internal IntPtr Handle { get; }

    /// <summary>The product name, e.g. "NVIDIA H200".</summary>
    public string DeviceName { get; }

    /// <summary>The compute capability (9.0 for Hopper).</summary>
    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>The number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>The device's memory in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>The caching allocator of this device's memory.</summary>
    public CachingAllocator Allocator { get; }

    /// <summary>"NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB)".</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{DeviceName} (sm_{ComputeCapability.Major}{ComputeCapability.Minor}, {MultiprocessorCount} SMs, {CudaException.Bytes(TotalMemory)})");

    /// <summary>The number of CUDA devices (initialising the driver; throws <see cref="CudaUnavailableException"/> without one).</summary>
    public static int DeviceCount()
    {
        lock (Gate)
        {
            Initialise();
            Driver.Check(Driver.DeviceGetCount(out int count), "cuDeviceGetCount");
            return count;
        }
    }

    /// <summary>The context of device <paramref name="index"/>, created on first use.</summary>
    public static CudaContext Get(int index)
    {
        lock (Gate)
        {
            if (Contexts.TryGetValue(index, out var c)) return c;
            Initialise();
            Driver.Check(Driver.DeviceGetCount(out int count), "cuDeviceGetCount");
            if (index < 0 || index >= count)
                throw new CudaUnavailableException(count == 0
                    ? $"cuda:{index} was asked for but the driver reports no CUDA device."
                    : $"cuda:{index} does not exist: this machine has {count} CUDA device{(count == 1 ? "" : "s")} (cuda:0..cuda:{count - 1}).");
            return Contexts[index] = new CudaContext(index);
        }
    }

    private static void Initialise()
    {
        if (initialised) return;
        CudaLibraries.Require(CudaLibrary.Driver);
        int r = Driver.Init(0);
        if (r == 100) throw new CudaUnavailableException("cuInit found no CUDA-capable device (CUDA_ERROR_NO_DEVICE): the driver library is installed but no GPU is visible (check CUDA_VISIBLE_DEVICES and nvidia-smi).");
        Driver.Check(r, "cuInit");
        initialised = true;
    }

    /// <summary>Makes this device's context current on the calling thread (cheap; every entry point calls it).</summary>
    public void MakeCurrent() => Driver.Check(Driver.CtxSetCurrent(Handle), "cuCtxSetCurrent", $"on {Name}");

    /// <summary>Waits until all work on the device has finished.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        Driver.Check(Driver.CtxSynchronize(), "cuCtxSynchronize", $"on {Name}");
    }

    /// <summary>Free and total device memory as the driver reports them (other processes' use included).</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        Driver.Check(Driver.MemGetInfo(out nuint free, out nuint total), "cuMemGetInfo_v2", $"on {Name}");
        return ((long)free, (long)total);
    }

    private int Attribute(int attribute)
    {
        Driver.Check(Driver.DeviceGetAttribute(out int v, attribute, Device), "cuDeviceGetAttribute", $"attribute {attribute} of {Name}");
        return v;
    }

    private static unsafe string ReadName(int device)
    {
        byte* buffer = stackalloc byte[256];
        Driver.Check(Driver.DeviceGetName(buffer, 256, device), "cuDeviceGetName");
        return Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "unknown CUDA device";
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Description}";
}
