using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Axon.Cuda.Native;

namespace Axon.Cuda.Runtime;

/// <summary>
/// A CUDA C++ translation unit compiled at run time: its name (for messages and NVRTC), its source, the headers it
/// includes (name → text, handed to NVRTC in memory) and options added to the cache's own (e.g. <c>--fmad=false</c>).
/// </summary>
public sealed record KernelSource(string Name, string Source, IReadOnlyDictionary<string, string>? Headers = null, IReadOnlyList<string>? Options = null)
{
    /// <summary>The text the cache key covers: the source and every header, each named and length-prefixed.</summary>
    internal string KeyText => Headers is null or { Count: 0 }
        ? Source
        : string.Concat(Headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key.Length}:{h.Key}{h.Value.Length}:{h.Value}")) + Source;
}

/// <summary>
/// Compiles CUDA C++ with NVRTC for the device's own architecture (<c>--gpu-arch=sm_XX</c>, so the result is a CUBIN the
/// driver loads without JIT), loads it as a module and hands out its functions. Compiled images are cached on disk under
/// <c>$XDG_CACHE_HOME/axon/cuda</c> (else <c>~/.cache/axon/cuda</c>), keyed by the SHA-256 of the source, the options and
/// the NVRTC version, and written atomically, so the second run of a program compiles nothing. A compile error throws
/// a <see cref="CudaException"/> with NVRTC's log and the program's name.
/// </summary>
public sealed class KernelCache
{
    private readonly CudaContext context;
    private readonly Lock gate = new();
    private readonly Dictionary<string, IntPtr> modules = [];
    private readonly Dictionary<(IntPtr, string), IntPtr> functions = [];
    private string? nvrtcVersion;

    /// <summary>Creates the cache of <paramref name="context"/>'s device, storing images in <paramref name="directory"/> (the default when null).</summary>
    public KernelCache(CudaContext context, string? directory = null)
    {
        this.context = context ?? throw new ArgumentNullException(nameof(context));
        Directory = directory ?? DefaultDirectory(Environment.GetEnvironmentVariable);
    }

    /// <summary>Where compiled images are kept.</summary>
    public string Directory { get; }

    /// <summary>The options every program is compiled with for a device of compute capability major.minor.</summary>
    public static IReadOnlyList<string> CompileOptions(int major, int minor) =>
        [string.Create(CultureInfo.InvariantCulture, $"--gpu-arch=sm_{major}{minor}"), "-default-device", "--std=c++17"];

    /// <summary>The cache key: hex SHA-256 over the source, each option and the NVRTC version, each length-prefixed so no two inputs collide by concatenation.</summary>
    public static string CacheKey(string source, IReadOnlyList<string> options, string nvrtcVersion)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var sb = new StringBuilder();
        void Part(string s) => sb.Append(s.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(s).Append('\n');
        Part("axon-cuda-kernel-v1");
        Part(nvrtcVersion);
        Part(options.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var o in options) Part(o);
        Part(source);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>The default cache directory: $XDG_CACHE_HOME/axon/cuda, else $HOME/.cache/axon/cuda.</summary>
    public static string DefaultDirectory(Func<string, string?> environment)
    {
        var root = environment("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
        {
            var home = environment("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            root = Path.Combine(home, ".cache");
        }
        return Path.Combine(root, "axon", "cuda");
    }

    /// <summary>The file that holds the image of <paramref name="key"/>.</summary>
    public string PathFor(string key) => Path.Combine(Directory, key + ".cubin");

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically: a temporary file beside it, then a rename.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The NVRTC version as "major.minor".</summary>
    public string NvrtcVersion
    {
        get
        {
            if (nvrtcVersion is not null) return nvrtcVersion;
            CudaLibraries.Require(CudaLibrary.Nvrtc);
            Nvrtc.Check(Nvrtc.Version(out int major, out int minor), "nvrtcVersion");
            return nvrtcVersion = string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}");
        }
    }

    /// <summary>The function <paramref name="kernel"/> (an <c>extern "C"</c> name) of <paramref name="program"/>, compiling and loading it on first use.</summary>
    public IntPtr Function(KernelSource program, string kernel)
    {
        ArgumentNullException.ThrowIfNull(program);
        lock (gate)
        {
            var module = Module(program);
            if (functions.TryGetValue((module, kernel), out var f)) return f;
            var name = Encoding.UTF8.GetBytes(kernel + "\0");
            unsafe
            {
                fixed (byte* n = name)
                    Driver.Check(Driver.ModuleGetFunction(out f, module, n), "cuModuleGetFunction", $"looking up kernel '{kernel}' in {program.Name} on {context.Name}");
            }
            return functions[(module, kernel)] = f;
        }
    }

    private IntPtr Module(KernelSource program)
    {
        var options = CompileOptions(context.ComputeCapability.Major, context.ComputeCapability.Minor).Concat(program.Options ?? []).ToList();
        var key = CacheKey(program.KeyText, options, NvrtcVersion);
        if (modules.TryGetValue(key, out var module)) return module;
        var path = PathFor(key);
        byte[]? image = null;
        try
        {
            if (File.Exists(path)) image = File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            image = null;   // an unreadable cache entry is compiled again
        }
        if (image is null)
        {
            image = Compile(program, options);
            try { WriteAtomically(path, image); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a read-only cache only costs compile time */ }
        }
        context.MakeCurrent();
        unsafe
        {
            fixed (byte* p = image)
                Driver.Check(Driver.ModuleLoadData(out module, p), "cuModuleLoadData", $"loading {program.Name} ({path}) on {context.Name}");
        }
        return modules[key] = module;
    }

    /// <summary>Compiles <paramref name="program"/> with NVRTC and returns the CUBIN.</summary>
    public static unsafe byte[] Compile(KernelSource program, IReadOnlyList<string> options)
    {
        CudaLibraries.Require(CudaLibrary.Nvrtc);
        var src = Encoding.UTF8.GetBytes(program.Source + "\0");
        var name = Encoding.UTF8.GetBytes(program.Name + "\0");
        IntPtr prog;
        var headers = (program.Headers ?? new Dictionary<string, string>()).ToList();
        var headerBytes = headers.Select(h => GCHandle.Alloc(Encoding.UTF8.GetBytes(h.Value + "\0"), GCHandleType.Pinned))
            .Concat(headers.Select(h => GCHandle.Alloc(Encoding.UTF8.GetBytes(h.Key + "\0"), GCHandleType.Pinned))).ToArray();
        try
        {
            var texts = stackalloc byte*[Math.Max(headers.Count, 1)];
            var names = stackalloc byte*[Math.Max(headers.Count, 1)];
            for (int i = 0; i < headers.Count; i++)
            {
                texts[i] = (byte*)headerBytes[i].AddrOfPinnedObject();
                names[i] = (byte*)headerBytes[headers.Count + i].AddrOfPinnedObject();
            }
            fixed (byte* s = src, n = name)
                Nvrtc.Check(Nvrtc.CreateProgram(out prog, s, n, headers.Count, headers.Count > 0 ? texts : null, headers.Count > 0 ? names : null), "nvrtcCreateProgram", $"for {program.Name}");
        }
        finally
        {
            foreach (var h in headerBytes) h.Free();
        }
        try
        {
            var handles = options.Select(o => GCHandle.Alloc(Encoding.UTF8.GetBytes(o + "\0"), GCHandleType.Pinned)).ToArray();
            int result;
            try
            {
                var ptrs = stackalloc byte*[handles.Length];
                for (int i = 0; i < handles.Length; i++) ptrs[i] = (byte*)handles[i].AddrOfPinnedObject();
                result = Nvrtc.CompileProgram(prog, handles.Length, ptrs);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            if (result != 0)
                Nvrtc.Check(result, "nvrtcCompileProgram", $"compiling {program.Name} with {string.Join(' ', options)}:\n{Log(prog)}");
            Nvrtc.Check(Nvrtc.GetCubinSize(prog, out nuint size), "nvrtcGetCUBINSize", $"for {program.Name}");
            var image = new byte[(int)size];
            fixed (byte* p = image) Nvrtc.Check(Nvrtc.GetCubin(prog, p), "nvrtcGetCUBIN", $"for {program.Name}");
            return image;
        }
        finally
        {
            Nvrtc.DestroyProgram(ref prog);
        }
    }

    private static unsafe string Log(IntPtr prog)
    {
        if (Nvrtc.GetProgramLogSize(prog, out nuint size) != 0 || size <= 1) return "(NVRTC gave no log)";
        var log = new byte[(int)size];
        fixed (byte* p = log)
            if (Nvrtc.GetProgramLog(prog, p) != 0) return "(NVRTC's log could not be read)";
        return Encoding.UTF8.GetString(log, 0, log.Length - 1).TrimEnd();
    }
}
