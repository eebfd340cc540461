using System.Collections.Concurrent;
using Axon.Cuda.Kernels;
using Axon.Cuda.Native;
using Axon.Cuda.Runtime;

namespace Axon.Cuda;

// The device side of the kernel-backed primitives: CudaBackend is the IKernelDevice that KernelPrimitives launches on.
// A kernel's module is compiled by NVRTC with the embedded headers and KernelSources.CompileOptions on first use and
// cached per context (and on disk by KernelCache); arguments arrive packed and checked against the catalog by
// KernelCall; the grid comes from the catalog's launch rule; everything runs in order on the backend's stream.
public sealed partial class CudaBackend : IKernelDevice
{
    private static readonly ConcurrentDictionary<string, KernelSource> ModuleSources = new();
    private KernelPrimitives? primitives;

    /// <summary>The kernel-backed primitives of this device.</summary>
    private KernelPrimitives K => primitives ??= new KernelPrimitives(this);

    /// <summary>The NVRTC program of <paramref name="module"/>: its source, the shared header and the kernels' options.</summary>
    internal static KernelSource ModuleSource(string module) => ModuleSources.GetOrAdd(module, m =>
        new KernelSource(m + ".cu", KernelSources.Source(m), KernelSources.Headers(), KernelSources.CompileOptions));

    string IKernelDevice.Name => Device.Name;

    ulong IKernelDevice.Address(Tensor t)
    {
        if (t.Storage is not CudaStorage)
            throw new InvalidOperationException($"CudaBackend: a tensor on {t.Device.Description} reached a kernel of {Device.Description}; move it with .To(device) first.");
        return Ptr(t);
    }

    DeviceBuffer IKernelDevice.Scratch(long bytes)
    {
        if (bytes <= 0) return new DeviceBuffer(0, null);
        var block = Context.Allocator.Allocate(bytes, Stream.Handle);
        return new DeviceBuffer(block.Address, () => Context.Allocator.Free(block));
    }

    unsafe void IKernelDevice.Launch(KernelCall call, long count)
    {
        var entry = call.Entry;
        var (data, offsets) = call.Args();
        IntPtr function;
        try
        {
            function = Kernels.Function(ModuleSource(entry.Module), entry.Name);
        }
        catch (CudaException e)
        {
            throw new CudaException($"{call.Primitive} on {Device.Name}: kernel {entry.Name} of module {entry.Module}.cu could not be loaded: {e.Message}", e);
        }
        var (grid, block, shared) = entry.Launch.For(count);
        void** args = stackalloc void*[offsets.Length];
        fixed (byte* p = data)
        {
            for (int i = 0; i < offsets.Length; i++) args[i] = p + offsets[i];
            Context.MakeCurrent();
            // cuLaunchKernel copies the argument values before it returns, so the pinned buffer may go right after.
            Driver.Check(Driver.LaunchKernel(function, (uint)grid, 1, 1, (uint)block, 1, 1, (uint)shared, Stream.Handle, args, null),
                "cuLaunchKernel", $"{call.Primitive}: kernel {entry.Name} ({grid}x{block}) on {Device.Name}");
        }
    }

    unsafe void IKernelDevice.Read(ulong address, Span<byte> destination)
    {
        if (destination.IsEmpty) return;
        Context.MakeCurrent();
        fixed (byte* d = destination)
            Driver.Check(Driver.MemcpyDtoHAsync(d, address, (nuint)destination.Length, Stream.Handle), "cuMemcpyDtoHAsync_v2", $"reading a result of {destination.Length} bytes from {Device.Name}");
        Stream.Synchronize();
    }
}
