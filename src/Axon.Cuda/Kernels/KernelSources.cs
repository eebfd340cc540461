using System.Reflection;

namespace Axon.Cuda.Kernels;

/// <summary>
/// The CUDA C sources of Axon's NVRTC kernels, embedded in this assembly as resources named
/// <c>Axon.Cuda.Kernels.&lt;file&gt;</c>: one module per family of primitives plus the headers they include.
/// </summary>
internal static class KernelSources
{
    /// <summary>The modules, each one NVRTC program (file <c>&lt;module&gt;.cu</c>).</summary>
    public static IReadOnlyList<string> Modules { get; } = ["elementwise", "reduce", "loss", "index", "pool", "batchnorm", "recurrent", "optim"];

    /// <summary>
    /// Options for nvrtcCompileProgram besides the architecture: C++17, and no contraction into fused multiply-adds, so
    /// the optimisers and element-wise formulas round exactly as the reference backend does (they are memory-bound, so
    /// FMA would buy nothing measurable).
    /// </summary>
    public static IReadOnlyList<string> CompileOptions { get; } = ["--std=c++17", "--fmad=false"];

    private static readonly Assembly Self = typeof(KernelSources).Assembly;

    /// <summary>The source text of <paramref name="module"/>.</summary>
    public static string Source(string module)
    {
        if (!Modules.Contains(module))
            throw new ArgumentException($"KernelSources: no CUDA module named '{module}' (modules: {string.Join(", ", Modules)}).", nameof(module));
        return Read(module + ".cu");
    }

    /// <summary>The headers every module may include, name → text, as nvrtcCreateProgram takes them.</summary>
    public static IReadOnlyDictionary<string, string> Headers() => new Dictionary<string, string> { ["axon_common.cuh"] = Read("axon_common.cuh") };

    private static string Read(string file)
    {
        string name = "Axon.Cuda.Kernels." + file;
        using var stream = Self.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"KernelSources: the embedded resource '{name}' is missing from {Self.GetName().Name}; the project embeds Kernels/*.cu and *.cuh.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
