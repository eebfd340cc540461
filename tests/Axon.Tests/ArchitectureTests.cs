using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Axon.Tests;

/// <summary>
/// Layering rules, checked on assembly metadata (kernels know nothing of tensors, the core library pulls in no UI or
/// plotting packages) and on the sources (raw memory only in the backends, the tensor layer, IO and data loading).
/// </summary>
public partial class ArchitectureTests
{
    private static string SourceRoot([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "src"));

    /// <summary>What reads or writes raw memory: spans of a tensor's elements, its storage array, pointers, the kernels.</summary>
    [GeneratedRegex(@"AsSpan<|\.Data<|MemoryMarshal|\bunsafe\b|\bfixed\s*\(|stackalloc|HostStorage|\.Storage\b|Axon\.Kernels\.(?!Window2d)|\b(Gemm|Elementwise|Reductions|ConvGemm|ConvDirect|ConvWeightGrad|Im2Col|Pooling|OptimizerKernels|SimdDriver)\.")]
    private static partial Regex RawMemory();

    /// <summary>
    /// The only places allowed to touch raw memory: the backends, the tensor layer that holds it, IO and data loading, and
    /// the MPI binding (it pins host arrays to hand them to libmpi; the rest of Axon.Distributed copies tensors through
    /// the public host-copy methods like any other caller).
    /// </summary>
    private static readonly string[] RawMemoryAllowed = ["Axon/Backends/", "Axon/Tensors/", "Axon/IO/", "Axon/Data/", "Axon.Kernels/", "Axon.Distributed/Mpi/", "Axon.Cuda/"];

    [Fact]
    public void OnlyTheBackendsTensorsIoAndDataTouchRawMemory()
    {
        var root = SourceRoot();
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .ToList();
        Assert.Contains("Axon/Ops/Convolution.cs", files);   // the scan sees the sources
        var offenders = new List<string>();
        foreach (var file in files.Where(f => !RawMemoryAllowed.Any(a => f.StartsWith(a, StringComparison.Ordinal))))
        {
            var lines = File.ReadAllLines(Path.Combine(root, file));
            for (int i = 0; i < lines.Length; i++)
            {
                var code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal)) continue;   // comments and XML docs may name them
                if (RawMemory().IsMatch(code)) offenders.Add($"{file}:{i + 1}: {code}");
            }
        }
        Assert.True(offenders.Count == 0, "Raw memory outside the backends, the tensor layer, IO and data:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void TheScanCatchesRawMemory()
    {
        Assert.Matches(RawMemory(), "var s = t.AsSpan<float>();");
        Assert.Matches(RawMemory(), "float[] a = t.Data<float>();");
        Assert.Matches(RawMemory(), "Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, 1);");
        Assert.Matches(RawMemory(), "fixed (float* p = x)");
        Assert.DoesNotMatch(RawMemory(), "var w = new Axon.Kernels.Window2d(c, h, w, 2, 2, 2, 2, 0, 0, 1, 1, oh, ow);");
        Assert.DoesNotMatch(RawMemory(), "var y = x.ToFloatArray();");
    }

    private static readonly Assembly Kernels = typeof(Axon.Kernels.Gemm).Assembly;
    private static readonly Assembly Core = typeof(Tensor).Assembly;

    private static bool IsSystem(AssemblyName n) => n.Name is { } s && (s == "System" || s.StartsWith("System.", StringComparison.Ordinal));

    [Fact]
    public void KernelsReferenceOnlySystemAssemblies()
    {
        Assert.Equal("Axon.Kernels", Kernels.GetName().Name);
        var refs = Kernels.GetReferencedAssemblies();
        Assert.NotEmpty(refs);
        Assert.All(refs, r => Assert.True(IsSystem(r), $"Axon.Kernels references {r.Name}; kernels may depend on System.* only."));
        Assert.DoesNotContain(refs, r => r.Name!.StartsWith("Axon", StringComparison.Ordinal));
    }

    [Fact]
    public void CoreReferencesOnlySystemAndKernels()
    {
        Assert.Equal("Axon", Core.GetName().Name);
        var refs = Core.GetReferencedAssemblies();
        Assert.Contains(refs, r => r.Name == "Axon.Kernels");
        Assert.All(refs, r => Assert.True(IsSystem(r) || r.Name == "Axon.Kernels",
            $"Axon references {r.Name}; the core library may depend on System.* and Axon.Kernels only (no Spectre, ScottPlot, ...)."));
    }

    [Fact]
    public void KernelsExposeNoTensorTypes()
    {
        // Kernels take spans: no public signature of the kernel assembly mentions a type from another Axon assembly.
        foreach (var t in Kernels.GetExportedTypes())
            foreach (var m in t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                foreach (var p in m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
                    Assert.True(p.Assembly == Kernels || IsSystem(p.Assembly.GetName()) || p.Assembly.GetName().Name == "System.Private.CoreLib",
                        $"{t.Name}.{m.Name} uses {p.FullName} from {p.Assembly.GetName().Name}.");
    }
}
