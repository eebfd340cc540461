using System.Reflection;
using System.Runtime.InteropServices;

namespace Axon.Cuda;

/// <summary>The native libraries the backend binds, by the logical name its <c>LibraryImport</c>s use.</summary>
public enum CudaLibrary
{
    /// <summary>The driver API, libcuda.so.1 (installed with NVIDIA's driver).</summary>
    Driver,

    /// <summary>The runtime compiler, libnvrtc.so.13 or .12 (CUDA toolkit).</summary>
    Nvrtc,

    /// <summary>cuBLAS, libcublas.so.13 or .12 (CUDA toolkit).</summary>
    Cublas,

    /// <summary>cuDNN 9, libcudnn.so.9.</summary>
    Cudnn,
}

/// <summary>
/// Finds and loads the CUDA libraries. The bindings name logical libraries (<see cref="DriverLib"/> and the others); a
/// resolver installed on this assembly maps each to the file found by searching LD_LIBRARY_PATH, CUDA_PATH/CUDA_HOME,
/// /usr/local/cuda*, the distribution's library directories and the system loader. A library is loaded the first time
/// it is needed (<see cref="Require"/>), never when the assembly loads; a missing one is a
/// <see cref="CudaUnavailableException"/> naming the library, the file names tried and every place searched.
/// </summary>
public static class CudaLibraries
{
    internal const string DriverLib = "axon-cuda-driver";
    internal const string NvrtcLib = "axon-cuda-nvrtc";
    internal const string CublasLib = "axon-cuda-cublas";
    internal const string CudnnLib = "axon-cuda-cudnn";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<CudaLibrary, IntPtr> Loaded = [];
    private static bool resolverSet;

    /// <summary>The file names tried for <paramref name="library"/>, newest first.</summary>
    public static IReadOnlyList<string> FileNames(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => ["libcuda.so.1", "libcuda.so"],
        CudaLibrary.Nvrtc => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"],
        CudaLibrary.Cublas => ["libcublas.so.13", "libcublas.so.12", "libcublas.so"],
        _ => ["libcudnn.so.9"],
    };

    /// <summary>
    /// The directories searched, in order, from the given environment: LD_LIBRARY_PATH, CUDA_PATH and CUDA_HOME (their
    /// targets/x86_64-linux/lib and lib64), /usr/local/cuda* newest first, then the distribution's library directories.
    /// </summary>
    public static IReadOnlyList<string> SearchDirectories(Func<string, string?> environment, Func<string, IEnumerable<string>> cudaInstalls)
    {
        var dirs = new List<string>();
        void Add(string? d)
        {
            if (!string.IsNullOrWhiteSpace(d) && !dirs.Contains(d)) dirs.Add(d);
        }
        foreach (var d in (environment("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)) Add(d);
        foreach (var variable in (string[])["CUDA_PATH", "CUDA_HOME"])
            if (environment(variable) is { Length: > 0 } root)
            {
                Add(Path.Combine(root, "targets", "x86_64-linux", "lib"));
                Add(Path.Combine(root, "lib64"));
            }
        foreach (var root in cudaInstalls("/usr/local"))
        {
            Add(Path.Combine(root, "targets", "x86_64-linux", "lib"));
            Add(Path.Combine(root, "lib64"));
        }
        foreach (var d in (string[])["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/lib/wsl/lib"]) Add(d);
        return dirs;
    }

    /// <summary>The /usr/local/cuda* directories on this machine, "cuda" first, then by version, newest first.</summary>
    internal static IEnumerable<string> InstalledCudaRoots(string parent)
    {
        if (!Directory.Exists(parent)) return [];
        return Directory.EnumerateDirectories(parent, "cuda*")
            .OrderBy(d => Path.GetFileName(d) == "cuda" ? 0 : 1)
            .ThenByDescending(d => Version.TryParse(Path.GetFileName(d).Replace("cuda-", "", StringComparison.Ordinal), out var v) ? v : new Version(0, 0));
    }

    /// <summary>
    /// Searches for <paramref name="library"/>: each file name in each directory, then each bare name through the system
    /// loader. <paramref name="tryLoad"/> loads one path (or bare name) and returns its handle or zero. Throws
    /// <see cref="CudaUnavailableException"/> naming what was tried when nothing loads.
    /// </summary>
    public static IntPtr Search(CudaLibrary library, IReadOnlyList<string> directories, Func<string, IntPtr> tryLoad)
    {
        var names = FileNames(library);
        foreach (var dir in directories)
            foreach (var name in names)
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path) && tryLoad(path) is var h && h != IntPtr.Zero) return h;
            }
        foreach (var name in names)
            if (tryLoad(name) is var h && h != IntPtr.Zero) return h;
        throw new CudaUnavailableException(
            $"The CUDA backend needs {Describe(library)} ({string.Join(", ", names)}) and found none. Searched: {string.Join(", ", directories)}, " +
            "and the system loader's path (ld.so.cache). Install NVIDIA's driver (libcuda) or the CUDA toolkit (NVRTC, cuBLAS) or cuDNN 9, " +
            "or point LD_LIBRARY_PATH or CUDA_PATH at them.");
    }

    private static string Describe(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "the CUDA driver library",
        CudaLibrary.Nvrtc => "NVRTC (the CUDA runtime compiler)",
        CudaLibrary.Cublas => "cuBLAS",
        _ => "cuDNN 9",
    };

    /// <summary>Loads <paramref name="library"/> (once) or throws <see cref="CudaUnavailableException"/> saying where it looked.</summary>
    public static IntPtr Require(CudaLibrary library)
    {
        lock (Gate)
        {
            EnsureResolver();
            if (Loaded.TryGetValue(library, out var h)) return h;
            var dirs = SearchDirectories(Environment.GetEnvironmentVariable, InstalledCudaRoots);
            h = Search(library, dirs, p => NativeLibrary.TryLoad(p, out var handle) ? handle : IntPtr.Zero);
            Loaded[library] = h;
            return h;
        }
    }

    /// <summary>True when <paramref name="library"/> loads; otherwise false and why.</summary>
    public static bool TryRequire(CudaLibrary library, out string why)
    {
        try
        {
            Require(library);
            why = "";
            return true;
        }
        catch (CudaUnavailableException e)
        {
            why = e.Message;
            return false;
        }
    }

    /// <summary>Installs the resolver that maps the logical names of the bindings to the loaded libraries (once).</summary>
    internal static void EnsureResolver()
    {
        lock (Gate)
        {
            if (resolverSet) return;
            NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
            resolverSet = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) => name switch
    {
        DriverLib => Require(CudaLibrary.Driver),
        NvrtcLib => Require(CudaLibrary.Nvrtc),
        CublasLib => Require(CudaLibrary.Cublas),
        CudnnLib => Require(CudaLibrary.Cudnn),
        _ => IntPtr.Zero,
    };
}
