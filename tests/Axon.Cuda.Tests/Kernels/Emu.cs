using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests.Kernels;

/// <summary>A pointer into emulated device memory (host memory from AllocHGlobal).</summary>
internal readonly record struct DevPtr(IntPtr Ptr);

/// <summary>
/// Runs the CUDA kernel sources on the CPU: each module is compiled by g++ with emu/cuda_emu.h into a shared library
/// (cached in the temp directory under a hash of every input), together with a generated launcher per catalog entry
/// that static_asserts the catalog's parameter list against the kernel's declaration and calls it for every thread of
/// the grid. Launches marshal their arguments as cuLaunchKernel does: an array of pointers to the argument values.
/// </summary>
internal static class Emu
{
    private const string Flags = "-O1 -std=c++17 -shared -fPIC -pthread -ffp-contract=off -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -w";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void LaunchFn(uint grid, uint block, IntPtr args);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate long BarriersFn();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void LayoutFn(IntPtr outInts);

    private static readonly ConcurrentDictionary<string, Lazy<IntPtr>> Libraries = new();
    private static readonly SemaphoreSlim Compilers = new(Math.Max(1, Environment.ProcessorCount));
    private static readonly ConcurrentDictionary<string, LaunchFn> Launchers = new();

    /// <summary>The repository's emu directory (found by walking up from the test binaries).</summary>
    public static string EmuDir { get; } = FindEmuDir();

    private static string FindEmuDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Axon.Cuda.Tests", "Kernels", "emu");
            if (File.Exists(Path.Combine(candidate, "cuda_emu.h"))) return candidate;
        }
        throw new InvalidOperationException($"Emu: tests/Axon.Cuda.Tests/Kernels/emu/cuda_emu.h not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>The path of g++, or a clear failure: the kernel tests need it and must not skip silently.</summary>
    public static string Gxx { get; } = FindTool("g++") ?? throw new InvalidOperationException(
        "Emu: g++ was not found on PATH. The CUDA kernel tests run the kernels on the CPU through g++ (C++17); install it (apt-get install g++).");

    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? FindTool(string tool) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>The generated C++ that includes a module and exports one launcher per catalog entry of it.</summary>
    public static string DriverSource(string module)
    {
        var sb = new StringBuilder();
        sb.AppendLine("#include \"cuda_emu.h\"");
        sb.AppendLine($"#include \"{module}.cu\"");
        sb.AppendLine("#include <cstddef>");
        sb.AppendLine("extern \"C\" long long axon_emu_barriers() { return emu::barriers; }");
        sb.AppendLine("extern \"C\" void axon_emu_geometry_layout(int* o) { o[0] = sizeof(AxonGeometry); o[1] = offsetof(AxonGeometry, rank); o[2] = offsetof(AxonGeometry, numel);"
            + " o[3] = offsetof(AxonGeometry, contiguous); o[4] = offsetof(AxonGeometry, reserved); o[5] = offsetof(AxonGeometry, sizes); o[6] = offsetof(AxonGeometry, strides); }");
        if (module == "pool")
            sb.AppendLine("extern \"C\" void axon_emu_pool_layout(int* o) { o[0] = sizeof(AxonPool2d); o[1] = offsetof(AxonPool2d, n); o[2] = offsetof(AxonPool2d, dw);"
                + " o[3] = offsetof(AxonPool2d, xs); o[4] = offsetof(AxonPool2d, ys); }");
        foreach (var e in KernelCatalog.Entries.Where(e => e.Module == module))
        {
            string types = string.Join(", ", e.Parameters.Select(p => p.CType));
            string args = string.Join(", ", e.Parameters.Select((p, i) => $"*({p.CType}*)a[{i}]"));
            sb.AppendLine($"extern \"C\" void axon_emu_launch_{e.Name}(unsigned grid, unsigned block, void** a)");
            sb.AppendLine("{");
            sb.AppendLine($"    static_assert(std::is_same<decltype(&{e.Name}), void (*)({types})>::value, \"KernelCatalog's parameters of {e.Name} differ from its declaration\");");
            sb.AppendLine($"    emu::launch(dim3(grid), dim3(block), [&] {{ {e.Name}({args}); }});");
            sb.AppendLine("}");
        }
        return sb.ToString();
    }

    /// <summary>The loaded emulation library of <paramref name="module"/>, compiled on first use (or taken from the cache).</summary>
    public static IntPtr Library(string module) => Libraries.GetOrAdd(module, m => new Lazy<IntPtr>(() => Compile(m))).Value;

    private static IntPtr Compile(string module)
    {
        string driver = DriverSource(module);
        string emuHeader = File.ReadAllText(Path.Combine(EmuDir, "cuda_emu.h"));
        string source = KernelSources.Source(module);
        var headers = KernelSources.Headers();
        string key = Hash(Flags + driver + emuHeader + source + string.Concat(headers.Select(h => h.Key + h.Value)));
        string dir = Path.Combine(Path.GetTempPath(), "axon-cuda-emu", key);
        string lib = Path.Combine(dir, $"{module}.so");
        if (!File.Exists(lib))
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "cuda_emu.h"), emuHeader);
            File.WriteAllText(Path.Combine(dir, module + ".cu"), source);
            foreach (var (name, text) in headers) File.WriteAllText(Path.Combine(dir, name), text);
            string cpp = Path.Combine(dir, module + "_driver.cpp");
            File.WriteAllText(cpp, driver);
            string tmp = Path.Combine(dir, $"{module}.{Environment.ProcessId}.{Guid.NewGuid():N}.so");
            Compilers.Wait();
            try
            {
                var (code, output) = Run(Gxx, $"{Flags} -I \"{dir}\" \"{cpp}\" -o \"{tmp}\"");
                if (code != 0) throw new InvalidOperationException($"Emu: g++ failed to compile module '{module}' ({cpp}):\n{output}");
            }
            finally { Compilers.Release(); }
            File.Move(tmp, lib, overwrite: true);
        }
        return NativeLibrary.Load(lib);
    }

    /// <summary>Runs a process and returns its exit code and combined output.</summary>
    public static (int Code, string Output) Run(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + err.Result);
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];

    /// <summary>sizeof and offsetof of AxonGeometry (or AxonPool2d) as g++ lays it out.</summary>
    public static int[] Layout(string module, string export, int count)
    {
        var fn = Marshal.GetDelegateForFunctionPointer<LayoutFn>(NativeLibrary.GetExport(Library(module), export));
        IntPtr mem = Marshal.AllocHGlobal(4 * count);
        try
        {
            fn(mem);
            var result = new int[count];
            Marshal.Copy(mem, result, 0, count);
            return result;
        }
        finally { Marshal.FreeHGlobal(mem); }
    }

    /// <summary>The barriers (__syncthreads calls, all threads) of this thread's last launch in <paramref name="module"/>.</summary>
    public static long Barriers(string module) =>
        Marshal.GetDelegateForFunctionPointer<BarriersFn>(NativeLibrary.GetExport(Library(module), "axon_emu_barriers"))();

    /// <summary>Launches <paramref name="name"/> over <paramref name="count"/> by its catalog launch rule, arguments checked against its parameters.</summary>
    public static void Launch(string name, long count, params object?[] args)
    {
        var entry = KernelCatalog.Get(name);
        if (args.Length != entry.Parameters.Count)
            throw new ArgumentException($"Emu.Launch: {name} takes {entry.Parameters.Count} arguments, {args.Length} given.");
        var (grid, block, _) = entry.Launch.For(count);
        var fn = Launchers.GetOrAdd(name, n => Marshal.GetDelegateForFunctionPointer<LaunchFn>(NativeLibrary.GetExport(Library(entry.Module), "axon_emu_launch_" + n)));
        var values = new IntPtr[args.Length];
        IntPtr table = Marshal.AllocHGlobal(IntPtr.Size * args.Length);
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                values[i] = Marshal.AllocHGlobal(512);
                Write(values[i], entry.Parameters[i], args[i], name);
                Marshal.WriteIntPtr(table, i * IntPtr.Size, values[i]);
            }
            fn((uint)grid, (uint)block, table);
        }
        finally
        {
            foreach (var v in values) if (v != IntPtr.Zero) Marshal.FreeHGlobal(v);
            Marshal.FreeHGlobal(table);
        }
    }

    /// <summary>Launches a call packed (and checked against the catalog) by <see cref="KernelCall"/>, as cuLaunchKernel would.</summary>
    public static unsafe void LaunchPacked(KernelCall call, long count)
    {
        var entry = call.Entry;
        var (data, offsets) = call.Args();
        var (grid, block, _) = entry.Launch.For(count);
        var fn = Launchers.GetOrAdd(entry.Name, n => Marshal.GetDelegateForFunctionPointer<LaunchFn>(NativeLibrary.GetExport(Library(entry.Module), "axon_emu_launch_" + n)));
        var table = stackalloc IntPtr[Math.Max(offsets.Length, 1)];
        fixed (byte* p = data)
        {
            for (int i = 0; i < offsets.Length; i++) table[i] = (IntPtr)(p + offsets[i]);
            fn((uint)grid, (uint)block, (IntPtr)table);
        }
    }

    private static void Write(IntPtr at, KernelParameter p, object? value, string kernel)
    {
        string what = $"Emu.Launch: {kernel}'s parameter {p.CType} {p.Name}";
        if (p.CType.EndsWith('*'))
        {
            if (value is null) Marshal.WriteIntPtr(at, IntPtr.Zero);
            else if (value is DevPtr d) Marshal.WriteIntPtr(at, d.Ptr);
            else throw new ArgumentException($"{what} needs a device pointer, got {value.GetType().Name}.");
            return;
        }
        switch (p.CType, value)
        {
            case ("AxonGeometry", KernelGeometry g): Marshal.StructureToPtr(g, at, false); break;
            case ("AxonPool2d", KernelPool2d q): Marshal.StructureToPtr(q, at, false); break;
            case ("int", int v): Marshal.WriteInt32(at, v); break;
            case ("long long", long v): Marshal.WriteInt64(at, v); break;
            case ("double", double v): Marshal.WriteInt64(at, BitConverter.DoubleToInt64Bits(v)); break;
            case ("float", float v): Marshal.WriteInt32(at, BitConverter.SingleToInt32Bits(v)); break;
            default: throw new ArgumentException($"{what} got a {value?.GetType().Name ?? "null"}.");
        }
    }
}
