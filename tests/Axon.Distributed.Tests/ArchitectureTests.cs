using System.Reflection;

namespace Axon.Distributed.Tests;

/// <summary>Where Axon.Distributed sits: on the core only, below the models and the command line.</summary>
public class ArchitectureTests
{
    private static readonly Assembly Distributed = typeof(ProcessGroup).Assembly;

    [Fact]
    public void DistributedReferencesOnlyTheCoreAndSystem()
    {
        Assert.Equal("Axon.Distributed", Distributed.GetName().Name);
        var refs = Distributed.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        Assert.Contains("Axon", refs);
        Assert.All(refs, r => Assert.True(r is "Axon" or "System" || r.StartsWith("System.", StringComparison.Ordinal),
            $"Axon.Distributed references {r}; it may depend on the core Axon assembly and System.* only (libmpi is loaded at run time)."));
    }

    [Fact]
    public void TheCoreDoesNotKnowTheDistributedAssembly()
    {
        Assert.DoesNotContain(typeof(Tensor).Assembly.GetReferencedAssemblies(), r => r.Name == "Axon.Distributed");
        Assert.DoesNotContain(typeof(Tensor).Assembly.GetReferencedAssemblies(), r => r.Name == "Axon.Models");
    }
}
