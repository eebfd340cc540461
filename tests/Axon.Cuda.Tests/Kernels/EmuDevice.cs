using System.Reflection;
using System.Runtime.InteropServices;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests.Kernels;

/// <summary>
/// An emulated CUDA device for <see cref="KernelPrimitives"/>: device memory is host memory (reference-device tensors'
/// arrays, pinned; scratch from AllocHGlobal), launches run the kernel sources compiled for the CPU by <see cref="Emu"/>,
/// with the argument packing the GPU gets. So every launch site of the CUDA backend runs here, its arguments checked
/// against the catalog (KernelCall) and the kernels' declarations (the emulation's static_asserts).
/// </summary>
internal sealed class EmuDevice : IKernelDevice, IDisposable
{
    private static readonly PropertyInfo StorageProperty = typeof(Tensor).GetProperty("Storage", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private readonly Dictionary<Array, GCHandle> pins = new(ReferenceEqualityComparer.Instance);

    /// <summary>The launches made, by kernel name (to assert a primitive took the path meant).</summary>
    public List<string> Launched { get; } = [];

    public string Name => "emu:0";

    public ulong Address(Tensor t)
    {
        object storage = StorageProperty.GetValue(t)!;
        var array = (Array)storage.GetType().GetProperty("Data")!.GetValue(storage)!;
        if (!pins.TryGetValue(array, out var handle)) pins[array] = handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        return (ulong)handle.AddrOfPinnedObject() + (ulong)((long)t.Offset * t.DType.ElementSize());
    }

    public DeviceBuffer Scratch(long bytes)
    {
        if (bytes <= 0) return new DeviceBuffer(0, null);
        IntPtr p = Marshal.AllocHGlobal((nint)bytes);
        unsafe { new Span<byte>((void*)p, (int)bytes).Fill(0xCD); }   // garbage, as fresh device memory is
        return new DeviceBuffer((ulong)p, () => Marshal.FreeHGlobal(p));
    }

    public void Launch(KernelCall call, long count)
    {
        Launched.Add(call.Entry.Name);
        Emu.LaunchPacked(call, count);
    }

    public unsafe void Read(ulong address, Span<byte> destination) => new ReadOnlySpan<byte>((void*)address, destination.Length).CopyTo(destination);

    public void Dispose()
    {
        foreach (var h in pins.Values) h.Free();
        pins.Clear();
    }
}
