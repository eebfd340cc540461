using System.Globalization;
using Axon.Backends;

namespace Axon;

/// <summary>The kinds of place a tensor can live.</summary>
public enum DeviceType
{
    /// <summary>Host memory, computed by the fast CPU kernels (SIMD, GEMM, threads).</summary>
    Cpu,

    /// <summary>Host memory, computed by plain scalar loops written for clarity: the reference the fast backends are checked against.</summary>
    Reference,

    /// <summary>An NVIDIA GPU (the CUDA backend, in its own assembly).</summary>
    Cuda,
}

/// <summary>
/// Where a tensor's memory lives and which backend computes on it, as <c>torch.device</c>. <see cref="Cpu"/> is the
/// default; <see cref="CpuWith"/> gives the CPU device of other options (a thread count, kernel switches), so code that needs
/// other settings passes a device instead of changing a process-wide switch. <see cref="Reference"/> is host memory
/// computed by <see cref="ReferenceBackend"/>'s plain scalar loops: slow, and there to check the fast backends against.
/// Tensors on different devices never mix in one op: move them with <see cref="Tensor.To(Device)"/> or
/// <see cref="Nn.Module.To(Device)"/>.
/// <code>
/// var device = Device.CpuWith(new CpuOptions { Threads = 1 });
/// model.To(device);
/// var y = model.Forward(x.To(device));
/// </code>
/// </summary>
public sealed class Device
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<DeviceType, Func<int, Device>> Factories = [];
    private static readonly Dictionary<CpuOptions, Device> CpuDevices = [];

    /// <summary>Creates the device of <paramref name="backend"/> (each backend instance owns exactly one device).</summary>
    public Device(DeviceType type, int index, IBackend backend, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "A device index cannot be negative.");
        Type = type;
        Index = index;
        Backend = backend;
        Description = description ?? Name;
    }

    /// <summary>The kind of device.</summary>
    public DeviceType Type { get; }

    /// <summary>The device's index among devices of its kind (0 for the host).</summary>
    public int Index { get; }

    /// <summary>The backend that computes on this device's tensors.</summary>
    public IBackend Backend { get; }

    /// <summary>PyTorch's name: "cpu", "reference", "cuda:0".</summary>
    public string Name => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Reference => "reference",
        _ => string.Create(CultureInfo.InvariantCulture, $"cuda:{Index}"),
    };

    /// <summary>The name with the backend's settings where they are not the defaults, e.g. "cpu (1 thread)".</summary>
    public string Description { get; }

    /// <summary>True when the memory is host memory that spans can read (the CPU and reference devices).</summary>
    public bool IsHost => Type != DeviceType.Cuda;

    /// <summary>The default CPU device: the fast kernels with <see cref="CpuOptions"/>' defaults (one thread per core).</summary>
    public static Device Cpu => defaultCpu ??= CpuWith(new CpuOptions());

    private static Device? defaultCpu;

    /// <summary>
    /// The CPU device whose backend uses <paramref name="options"/> (its own thread count and kernel switches). Equal
    /// options give the same device, so <c>CpuWith(new CpuOptions())</c> is <see cref="Cpu"/> and tensors made on one
    /// need no copy to be used on the other.
    /// </summary>
    public static Device CpuWith(CpuOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (Gate)
        {
            if (!CpuDevices.TryGetValue(options, out var device)) CpuDevices[options] = device = new CpuBackend(options).Device;
            return device;
        }
    }

    /// <summary>
    /// The reference device: host memory computed by <see cref="ReferenceBackend"/> (plain scalar loops, no SIMD or
    /// threads), the naive counterpart every fast backend is tested against. One shared instance.
    /// </summary>
    public static Device Reference => ReferenceDevice.Value;

    private static readonly Lazy<Device> ReferenceDevice = new(() => new ReferenceBackend().Device);

    /// <summary>
    /// CUDA device <paramref name="index"/>, from the backend registered for <see cref="DeviceType.Cuda"/> (the Axon.Cuda
    /// assembly registers it); throws a clear error when none is registered.
    /// </summary>
    public static Device Cuda(int index = 0) => FromFactory(DeviceType.Cuda, index);

    /// <summary>Registers the factory of a backend that lives in another assembly (CUDA): <see cref="Cuda"/> and <see cref="Parse"/> then find it.</summary>
    public static void RegisterFactory(DeviceType type, Func<int, Device> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (type != DeviceType.Cuda) throw new ArgumentException($"Only out-of-core backends register a factory; {type} is built in.", nameof(type));
        lock (Gate) Factories[type] = factory;
    }

    private static Device FromFactory(DeviceType type, int index)
    {
        Func<int, Device>? factory;
        lock (Gate) Factories.TryGetValue(type, out factory);
        if (factory is null)
            throw new InvalidOperationException($"No {type} backend is loaded: the CUDA backend lives in the Axon.Cuda assembly; reference it and register it before asking for a GPU.");
        return factory(index);
    }

    /// <summary>Parses "cpu", "reference", "cuda" or "cuda:N" (case-insensitive).</summary>
    public static Device Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var s = name.Trim().ToLowerInvariant();
        if (s == "cpu") return Cpu;
        if (s == "reference") return Reference;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int i)) return Cuda(i);
        throw new ArgumentException($"Unknown device '{name}': expected cpu, reference, cuda or cuda:N.", nameof(name));
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
