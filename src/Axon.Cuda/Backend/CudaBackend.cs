using System.Globalization;
using System.Runtime.CompilerServices;
using Axon.Cuda.Native;
using Axon.Cuda.Runtime;

namespace Axon.Cuda;

/// <summary>
/// The CUDA backend: <see cref="IBackend"/>'s primitives on one NVIDIA GPU, through the driver API, cuBLAS, cuDNN and
/// NVRTC-compiled kernels. All work of a device runs in order on the backend's one stream; memory comes from the
/// device's <see cref="CachingAllocator"/>. A primitive without a CUDA implementation yet throws
/// <see cref="NotSupportedException"/> naming itself and the device; nothing is ever computed on the host behind the
/// caller's back (random numbers are drawn on the host, as on the CPU, so every device gives the same tensor for a seed).
/// <code>
/// CudaBackend.Register();                       // once: Device.Cuda(0) and Device.Parse("cuda:0") then work
/// var x = Tensor.Randn([64, 256], g).To(Device.Cuda(0));
/// </code>
/// One file per family of primitives; this one holds registration, the device's resources and the helpers.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A backend lives as long as its device, which is the process: its stream and pinned buffer are released by the driver at exit.")]
public sealed partial class CudaBackend : IBackend
{
    private static readonly Lock RegistryGate = new();
    private static readonly Dictionary<(int, CudaOptions), Device> Devices = [];
    private static bool registered;

    private readonly Lock stagingGate = new();
    private PinnedHostBuffer? staging;

    private CudaBackend(CudaContext context, CudaOptions options)
    {
        Context = context;
        Options = options;
        Stream = new CudaStream(context);
        Kernels = new KernelCache(context, options.KernelCacheDirectory);
        var settings = new List<string>();
        if (options.AllowTf32) settings.Add("TF32");
        if (options.Deterministic) settings.Add("deterministic");
        var description = string.Create(CultureInfo.InvariantCulture, $"{context.Name} ({context.DeviceName}{(settings.Count > 0 ? ", " + string.Join(", ", settings) : "")})");
        Device = new Device(DeviceType.Cuda, context.Index, this, description);
    }

    /// <inheritdoc/>
    public Device Device { get; }

    /// <summary>The device's context (name, compute capability, memory, allocator).</summary>
    public CudaContext Context { get; }

    /// <summary>This backend's settings.</summary>
    public CudaOptions Options { get; }

    /// <summary>The stream all of this backend's work is queued on.</summary>
    public CudaStream Stream { get; }

    /// <summary>The compiled kernels of this device.</summary>
    public KernelCache Kernels { get; }

    /// <summary>
    /// Registers the CUDA backend with the core (idempotent), so <see cref="Device.Cuda"/> and <see cref="Device.Parse"/>
    /// find it. Nothing native is loaded until a device is asked for.
    /// </summary>
    public static void Register()
    {
        lock (RegistryGate)
        {
            if (registered) return;
            Device.RegisterFactory(DeviceType.Cuda, index => DeviceWith(index, new CudaOptions()));
            registered = true;
        }
    }

    /// <summary>The device cuda:<paramref name="index"/> computed with <paramref name="options"/> (one per index and equal options).</summary>
    public static Device DeviceWith(int index, CudaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (RegistryGate)
        {
            if (Devices.TryGetValue((index, options), out var d)) return d;
            var backend = new CudaBackend(CudaContext.Get(index), options);
            return Devices[(index, options)] = backend.Device;
        }
    }

    /// <summary>True when the driver loads and reports at least one GPU; otherwise false and <paramref name="why"/> says what is missing.</summary>
    public static bool IsAvailable(out string why)
    {
        try
        {
            int n = CudaContext.DeviceCount();
            why = n > 0 ? "" : "The CUDA driver reports no device.";
            return n > 0;
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException or DllNotFoundException or EntryPointNotFoundException)
        {
            why = e.Message;
            return false;
        }
    }

    /// <summary>Waits until all work queued on this device's stream has finished (for timing).</summary>
    public void Synchronize() => Stream.Synchronize();

    /// <summary>The error of a primitive that has no CUDA implementation yet.</summary>
    private NotSupportedException NoKernel([CallerMemberName] string op = "") =>
        new($"{op} has no CUDA kernel yet ({Device.Name}); move the tensor to the CPU with .To(Device.Cpu).");

    /// <summary>Throws unless every tensor given lives on this backend's device.</summary>
    private void Own(Tensor? a, Tensor? b = null, Tensor? c = null, Tensor? d = null, Tensor? e = null, Tensor? f = null, [CallerMemberName] string op = "")
    {
        foreach (var t in (ReadOnlySpan<Tensor?>)[a, b, c, d, e, f])
            if (t is not null && !ReferenceEquals(t.Device, Device))
                throw new InvalidOperationException($"CudaBackend.{op}: a tensor on {t.Device.Description} was passed to the backend of {Device.Description}; move it with .To(device) first.");
    }

    /// <summary>The device address of <paramref name="t"/>'s first element (its storage plus its offset).</summary>
    private static ulong Ptr(Tensor t) => ((CudaStorage)t.Storage).Address + (ulong)((long)t.Offset * t.DType.ElementSize());

    /// <summary>Device scratch memory from the allocator, returned when disposed (stream-ordered: safe right after queuing the work that uses it).</summary>
    private readonly struct Scratch(CachingAllocator allocator, MemoryBlock? block) : IDisposable
    {
        public ulong Address => block?.Address ?? 0;

        public void Dispose()
        {
            if (block is not null) allocator.Free(block);
        }
    }

    private Scratch NewScratch(long bytes) => bytes <= 0 ? new Scratch(Context.Allocator, null) : new Scratch(Context.Allocator, Context.Allocator.Allocate(bytes, Stream.Handle));

    /// <summary>
    /// The address of <paramref name="t"/>'s elements in row-major order: its own when contiguous, else a scratch copy
    /// (returned in <paramref name="scratch"/>, to dispose after the work that reads it is queued).
    /// </summary>
    private ulong Packed(Tensor t, out Scratch scratch)
    {
        if (t.IsContiguous)
        {
            scratch = default;
            return Ptr(t);
        }
        int es = t.DType.ElementSize();
        scratch = NewScratch((long)t.NumEl * es);
        StridedCopy(Ptr(t), t.Strides, scratch.Address, ContiguousStrides(t.Shape), t.Shape, es);
        return scratch.Address;
    }

    private static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }
        return s;
    }

    /// <summary>Copies the elements of a strided layout into another (a device-to-device memcpy when both are dense).</summary>
    private unsafe void StridedCopy(ulong src, ReadOnlySpan<int> srcStrides, ulong dst, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> shape, int elementSize)
    {
        if (!StridedLayout.TryCreate(shape, srcStrides, dstStrides, out var layout))
            throw new NotSupportedException($"Copy on {Device.Name}: a view of {shape.Length} dimensions that cannot be merged to {StridedLayout.MaxRank}; make it contiguous in steps.");
        if (layout.Count == 0) return;
        if (layout.Rank == 0 || (layout.Rank == 1 && layout.Src[0] == 1 && layout.Dst[0] == 1))
        {
            Context.MakeCurrent();
            Driver.Check(Driver.MemcpyDtoDAsync(dst, src, (nuint)(layout.Count * elementSize), Stream.Handle), "cuMemcpyDtoDAsync_v2", $"on {Device.Name}");
            return;
        }
        void** args = stackalloc void*[] { &src, &dst, &layout };
        Launch(elementSize == 4 ? "axon_copy_4" : "axon_copy_8", layout.Count, args);
    }

    /// <summary>Launches a grid-stride kernel of the runtime program over <paramref name="count"/> elements.</summary>
    private unsafe void Launch(string kernel, long count, void** args)
    {
        var function = Kernels.Function(RuntimeKernels.Source, kernel);
        const uint block = 256;
        long grid = Math.Clamp((count + block - 1) / block, 1, (long)Context.MultiprocessorCount * 32);
        Context.MakeCurrent();
        Driver.Check(Driver.LaunchKernel(function, (uint)grid, 1, 1, block, 1, 1, 0, Stream.Handle, args, null), "cuLaunchKernel", $"{kernel} on {Device.Name}");
    }

    /// <summary>The pinned staging buffer of host copies, grown to at least <paramref name="bytes"/> (call under <see cref="stagingGate"/>).</summary>
    private PinnedHostBuffer Staging(long bytes)
    {
        if (staging is null || staging.Length < bytes)
        {
            staging?.Dispose();
            staging = new PinnedHostBuffer(Context, Math.Max(bytes, 1 << 20));
        }
        return staging;
    }
}
