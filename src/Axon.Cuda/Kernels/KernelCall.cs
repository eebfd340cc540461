using System.Runtime.InteropServices;

namespace Axon.Cuda.Kernels;

/// <summary>
/// The arguments of one kernel launch, packed as cuLaunchKernel takes them (one 8-byte aligned slot per parameter) and
/// checked against the entry's <see cref="KernelCatalog"/> parameter list as they are added: each value must be of the
/// parameter's C kind (pointer, int, long long, double, float, <c>AxonGeometry</c>, <c>AxonPool2d</c>), and
/// <see cref="Args"/> refuses a call with too few. The check is always on (it is a few comparisons per launch), so an
/// argument list that drifted from a kernel's declaration fails with the kernel's and the primitive's name instead of
/// corrupting memory.
/// </summary>
internal sealed class KernelCall
{
    private const int Slot = 8;
    private readonly byte[] data;
    private readonly int[] offsets;
    private int count;
    private int used;

    /// <summary>Starts the call of <paramref name="kernel"/> (a catalog name) for <paramref name="primitive"/> (named in errors).</summary>
    public KernelCall(string kernel, string primitive)
    {
        Entry = KernelCatalog.Get(kernel);
        Primitive = primitive;
        offsets = new int[Entry.Parameters.Count];
        int bytes = 0;
        foreach (var p in Entry.Parameters) bytes += Align(SizeOf(p.CType));
        data = new byte[Math.Max(bytes, Slot)];
    }

    /// <summary>The catalog entry launched.</summary>
    public KernelEntry Entry { get; }

    /// <summary>The primitive that launches it (for messages).</summary>
    public string Primitive { get; }

    /// <summary>The packed argument bytes (slot k at <see cref="Offset"/>(k)).</summary>
    public ReadOnlySpan<byte> Data => data;

    /// <summary>The byte offset of argument <paramref name="k"/> in <see cref="Data"/>.</summary>
    public int Offset(int k) => offsets[k];

    /// <summary>The packed bytes and slot offsets, once every parameter has its argument.</summary>
    public (byte[] Data, int[] Offsets) Args()
    {
        if (count != Entry.Parameters.Count)
            throw new InvalidOperationException($"{Primitive}: kernel {Entry.Name} takes {Entry.Parameters.Count} arguments ({Signature()}); {count} were given.");
        return (data, offsets);
    }

    /// <summary>A device address (a pointer parameter; 0 is a null pointer).</summary>
    public KernelCall Ptr(ulong address) => Put(address, "pointer", static t => t.EndsWith('*'));

    /// <summary>An <c>int</c>.</summary>
    public KernelCall Int(int value) => Put(value, "int", static t => t == "int");

    /// <summary>An <c>int</c> flag (1 or 0).</summary>
    public KernelCall Flag(bool value) => Int(value ? 1 : 0);

    /// <summary>A <c>long long</c>.</summary>
    public KernelCall Long(long value) => Put(value, "long long", static t => t == "long long");

    /// <summary>A <c>double</c> parameter (a value the kernel computes with in double).</summary>
    public KernelCall Double(double value) => Put(value, "double", static t => t == "double");

    /// <summary>
    /// A coefficient of the kernel's element type (<c>float</c> or <c>double</c>), rounded to that type here as the
    /// reference backend rounds it, so the device computes with the same bits.
    /// </summary>
    public KernelCall Real(double value)
    {
        string ctype = Next("float or double", static t => t is "float" or "double");
        return ctype == "float" ? Write((float)value) : Write(value);
    }

    /// <summary>An <c>AxonGeometry</c> by value.</summary>
    public KernelCall Geometry(in KernelGeometry g) => Put(g, "AxonGeometry", static t => t == "AxonGeometry");

    /// <summary>An <c>AxonPool2d</c> by value.</summary>
    public KernelCall Pool(in KernelPool2d p) => Put(p, "AxonPool2d", static t => t == "AxonPool2d");

    private KernelCall Put<T>(T value, string kind, Func<string, bool> accepts) where T : unmanaged
    {
        Next(kind, accepts);
        return Write(value);
    }

    private string Next(string kind, Func<string, bool> accepts)
    {
        if (count >= Entry.Parameters.Count)
            throw new InvalidOperationException($"{Primitive}: kernel {Entry.Name} takes {Entry.Parameters.Count} arguments ({Signature()}); {A(kind)} was given after the last.");
        var p = Entry.Parameters[count];
        if (!accepts(p.CType))
            throw new InvalidOperationException($"{Primitive}: argument {count} of kernel {Entry.Name} is '{p.CType} {p.Name}', but {A(kind)} was given.");
        return p.CType;
    }

    private KernelCall Write<T>(T value) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        int expected = SizeOf(Entry.Parameters[count].CType);
        if (size != expected)
            throw new InvalidOperationException($"{Primitive}: argument {count} of kernel {Entry.Name} ('{Entry.Parameters[count].CType}') takes {expected} bytes; {size} were given.");
        offsets[count] = used;
        MemoryMarshal.Write(data.AsSpan(used, size), in value);
        used += Align(size);
        count++;
        return this;
    }

    private static string A(string kind) => ("aeiou".Contains(kind[0], StringComparison.Ordinal) ? "an " : "a ") + kind;

    private string Signature() => string.Join(", ", Entry.Parameters.Select(p => $"{p.CType} {p.Name}"));

    private static int Align(int size) => (size + Slot - 1) / Slot * Slot;

    /// <summary>The byte size of a catalog C type (every pointer is a 64-bit device address).</summary>
    public static int SizeOf(string ctype) => ctype switch
    {
        _ when ctype.EndsWith('*') => 8,
        "int" or "float" => 4,
        "long long" or "double" => 8,
        "AxonGeometry" => Marshal.SizeOf<KernelGeometry>(),
        "AxonPool2d" => Marshal.SizeOf<KernelPool2d>(),
        _ => throw new NotSupportedException($"KernelCall: no marshalling for the C type '{ctype}'."),
    };
}
