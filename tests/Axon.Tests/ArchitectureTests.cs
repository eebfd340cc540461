using System.Reflection;

namespace Axon.Tests;

/// <summary>Layering rules, checked on assembly metadata: kernels know nothing of tensors, and the core library pulls in no UI or plotting packages.</summary>
public class ArchitectureTests
{
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
