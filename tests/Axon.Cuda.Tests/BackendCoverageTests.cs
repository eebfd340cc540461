using System.Reflection;
using Axon.Backends;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests;

/// <summary>Which IBackend members the CUDA backend implements, and the launch helper's argument checks (no GPU needed).</summary>
public class BackendCoverageTests
{
    private static readonly string[] ComposedDefaults = ["BatchNormActBackward", "Conv2dReluMaxPool2d"];

    [Fact]
    public void EveryIBackendMemberIsImplementedOrListedAsUnsupported()
    {
        var map = typeof(CudaBackend).GetInterfaceMap(typeof(IBackend));
        var implemented = new List<string>();
        for (int i = 0; i < map.InterfaceMethods.Length; i++)
        {
            var target = map.TargetMethods[i];
            if (target.IsSpecialName) continue;   // property getters
            if (target.DeclaringType == typeof(IBackend))
            {
                Assert.Contains(target.Name, ComposedDefaults);   // the interface's default body, by choice
                continue;
            }
            implemented.Add(target.Name);
        }
        // The unsupported members are exactly the listed ones, each a one-line throw of NoKernel.
        var unsupported = implemented.Where(n => CudaBackend.Unsupported.Contains(n)).ToList();
        Assert.Equal(CudaBackend.Unsupported.OrderBy(n => n), unsupported.OrderBy(n => n));
        Assert.Equal(["Renorm"], CudaBackend.Unsupported);
        var source = File.ReadAllText(Path.Combine(RepoRoot(), "src", "Axon.Cuda", "Backend", "CudaBackend.Unsupported.cs"));
        Assert.Equal(CudaBackend.Unsupported.Count, source.Split("=> throw NoKernel();").Length - 1);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "src", "Axon.Cuda", "Backend"), "*.cs").Where(f => !f.EndsWith("Unsupported.cs", StringComparison.Ordinal)))
            Assert.DoesNotContain("throw NoKernel()", File.ReadAllText(file));
        // The README states the same list.
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "src", "Axon.Cuda", "README.md"));
        Assert.Contains("Unsupported: `" + string.Join("`, `", CudaBackend.Unsupported) + "`", readme);
    }

    [Fact]
    public void KernelCallPacksArgumentsInCatalogOrderAndRejectsWrongKinds()
    {
        var g = KernelGeometry.Create([3, 4], [4, 1], [0, 1], [4, 1]);
        var call = new KernelCall("axon_binary_f32", "Binary").Geometry(g).Int(2).Ptr(0x1000).Ptr(0x2000).Ptr(0x3000);
        var (data, offsets) = call.Args();
        int geo = KernelCall.SizeOf("AxonGeometry");
        Assert.Equal([0, geo, geo + 8, geo + 16, geo + 24], offsets);
        Assert.Equal(2, BitConverter.ToInt32(data, geo));
        Assert.Equal(0x2000UL, BitConverter.ToUInt64(data, geo + 16));
        Assert.Equal(12, BitConverter.ToInt32(data, 4));   // numel

        var wrong = Assert.Throws<InvalidOperationException>(() => new KernelCall("axon_binary_f32", "Binary").Geometry(g).Double(2));
        Assert.Equal("Binary: argument 1 of kernel axon_binary_f32 is 'int op', but a double was given.", wrong.Message);
        var few = Assert.Throws<InvalidOperationException>(() => new KernelCall("axon_fill_f64", "Fill").Geometry(g).Ptr(1).Args());
        Assert.StartsWith("Fill: kernel axon_fill_f64 takes 3 arguments (AxonGeometry g, double* dst, double value); 2 were given.", few.Message);
        var many = Assert.Throws<InvalidOperationException>(() => new KernelCall("axon_fill_f64", "Fill").Geometry(g).Ptr(1).Double(0).Int(1));
        Assert.Equal("Fill: kernel axon_fill_f64 takes 3 arguments (AxonGeometry g, double* dst, double value); an int was given after the last.", many.Message);

        // Coefficients are rounded to the kernel's element type: float for _f32, double for _f64.
        var f32 = new KernelCall("axon_adagrad_f32", "AdagradStep").Int(1).Ptr(1).Ptr(2).Ptr(3).Real(0.1).Real(0).Real(1e-10).Flag(true).Args();
        Assert.Equal(0.1f, BitConverter.ToSingle(f32.Data, f32.Offsets[4]));
        var f64 = new KernelCall("axon_adagrad_f64", "AdagradStep").Int(1).Ptr(1).Ptr(2).Ptr(3).Real(0.1).Real(0).Real(1e-10).Flag(true).Args();
        Assert.Equal(0.1, BitConverter.ToDouble(f64.Data, f64.Offsets[4]));
    }

    [Fact]
    public void EveryCatalogParameterTypeHasAMarshalling()
    {
        foreach (var e in KernelCatalog.Entries)
            foreach (var p in e.Parameters)
                Assert.True(KernelCall.SizeOf(p.CType) > 0, $"{e.Name}: {p.CType}");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "src", "Axon.Cuda", "README.md"))) return dir.FullName;
        throw new InvalidOperationException($"src/Axon.Cuda/README.md not found above {AppContext.BaseDirectory}.");
    }
}
