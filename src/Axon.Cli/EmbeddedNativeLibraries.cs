using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Axon.Cli;

/// <summary>
/// The Native AOT build is one file: the Skia libraries that the plots and photo decoding call (libSkiaSharp.so,
/// libHarfBuzzSharp.so) are embedded in the executable (see Axon.Cli.csproj) and written, the first time a command
/// needs one, to a cache folder named after the library's SHA-256, from which they load. The JIT build and the tool
/// carry no such resources and load the libraries from beside the assembly as usual.
/// </summary>
internal static class EmbeddedNativeLibraries
{
    private const string Prefix = "native/";
    private static readonly Lock Gate = new();

    /// <summary>Routes SkiaSharp's and HarfBuzzSharp's native imports to the embedded copies, when this build has them.</summary>
    public static void Register()
    {
        var self = typeof(EmbeddedNativeLibraries).Assembly;
        if (self.GetManifestResourceInfo(Prefix + "libSkiaSharp.so") is null) return;
        NativeLibrary.SetDllImportResolver(typeof(SkiaSharp.SKImage).Assembly, Resolve);
        NativeLibrary.SetDllImportResolver(typeof(HarfBuzzSharp.Blob).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string file = name.EndsWith(".so", StringComparison.Ordinal) ? name : name + ".so";
        using var resource = typeof(EmbeddedNativeLibraries).Assembly.GetManifestResourceStream(Prefix + file);
        if (resource is null) return 0;   // not ours: the runtime's usual search
        lock (Gate) return NativeLibrary.Load(Extract(file, resource));
    }

    /// <summary>The path of the library's copy in the cache, written (atomically) when missing or not the embedded bytes.</summary>
    private static string Extract(string file, Stream resource)
    {
        var bytes = new byte[resource.Length];
        resource.ReadExactly(bytes);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string path = Path.Combine(CacheRoot(), hash[..16], file);
        // An existing copy is used only if it holds exactly the embedded bytes (a shared temporary folder is writable by others).
        if (File.Exists(path) && Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) == hash) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    /// <summary>$XDG_CACHE_HOME/axon/native, else ~/.cache/axon/native, else the temporary folder's axon-native-USER.</summary>
    private static string CacheRoot()
    {
        string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(cache) && !string.IsNullOrEmpty(home)) cache = Path.Combine(home, ".cache");
        if (!string.IsNullOrEmpty(cache))
        {
            string root = Path.Combine(cache, "axon", "native");
            try
            {
                Directory.CreateDirectory(root);
                return root;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // fall through to the temporary folder
            }
        }
        return Path.Combine(Path.GetTempPath(), "axon-native-" + Environment.UserName);
    }
}
