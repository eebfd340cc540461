namespace Axon.Cuda.Kernels;

/// <summary>
/// What the kernel-backed primitives (<see cref="KernelPrimitives"/>) need from a device: the address of a tensor's
/// first element, scratch memory, kernel launches by catalog rule (in order, on one stream) and synchronous reads of a
/// few bytes (scalar results, range flags). <see cref="CudaBackend"/> implements it with the driver; the tests implement
/// it with host memory and the CPU emulation of the same kernel sources, so every launch site runs without a GPU.
/// </summary>
internal interface IKernelDevice
{
    /// <summary>The device's name for messages (cuda:0).</summary>
    string Name { get; }

    /// <summary>The address of <paramref name="t"/>'s first element (its storage plus its offset).</summary>
    ulong Address(Tensor t);

    /// <summary>Scratch memory of at least <paramref name="bytes"/> bytes (contents undefined), released when disposed; safe to dispose right after queuing the work that uses it.</summary>
    DeviceBuffer Scratch(long bytes);

    /// <summary>Launches <paramref name="call"/> with the grid its launch rule gives for <paramref name="count"/>.</summary>
    void Launch(KernelCall call, long count);

    /// <summary>Copies <paramref name="destination"/>.Length bytes from <paramref name="address"/> once all queued work has finished.</summary>
    void Read(ulong address, Span<byte> destination);
}

/// <summary>Scratch device memory handed out by <see cref="IKernelDevice.Scratch"/>.</summary>
internal sealed class DeviceBuffer(ulong address, Action? release) : IDisposable
{
    private Action? release = release;

    /// <summary>The first byte's device address (0 for an empty buffer).</summary>
    public ulong Address { get; } = address;

    /// <inheritdoc/>
    public void Dispose()
    {
        release?.Invoke();
        release = null;
    }
}
