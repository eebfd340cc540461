using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests.Kernels;

// The catalog, the embedded sources and the C# struct mirrors against what compilers make of the CUDA sources.
public partial class CatalogTests
{
    [Fact]
    public void EverySourceAndHeaderIsEmbedded()
    {
        foreach (var m in KernelSources.Modules) Assert.Contains("#include \"axon_common.cuh\"", KernelSources.Source(m));
        Assert.Contains("struct AxonGeometry", KernelSources.Headers()["axon_common.cuh"]);
        var e = Assert.Throws<ArgumentException>(() => KernelSources.Source("nope"));
        Assert.Contains("nope", e.Message);
    }

    [Fact]
    public void CatalogNamesAreUniqueAndLaunchRulesSized()
    {
        Assert.Equal(KernelCatalog.Entries.Count, KernelCatalog.Entries.Select(e => e.Name).Distinct().Count());
        Assert.Equal((4096, 256, 0), new LaunchRule(LaunchKind.Elements).For(10_000_000));
        Assert.Equal((40, 256, 0), new LaunchRule(LaunchKind.Elements).For(10_000));
        Assert.Equal((1, 256, 0), new LaunchRule(LaunchKind.Rows).For(1));
        Assert.Equal((65535, 256, 0), new LaunchRule(LaunchKind.Rows).For(1_000_000));
        Assert.Equal((256, 256, 0), new LaunchRule(LaunchKind.Partials).For(100_000_000));
        Assert.Equal((1, 256, 0), new LaunchRule(LaunchKind.Single).For(200));
    }

    /// <summary>
    /// Each module compiled as CUDA device code (clang 14 to PTX for sm_80, emu/clang_cuda_prelude.h for the CUDA headers
    /// it lacks) declares exactly the catalog's entry points of that module. The catalog's parameter lists are checked by
    /// the emulation drivers' static_asserts (every module is compiled by the other tests).
    /// </summary>
    [Fact]
    public void EveryModuleCompilesAsCudaDeviceCodeWithTheCatalogsEntries()
    {
        string clang = Emu.FindTool("clang-14") ?? Emu.FindTool("clang") ?? throw new InvalidOperationException(
            "CatalogTests: clang (14 or later) was not found on PATH; it checks the kernels compile as CUDA device code (apt-get install clang).");
        string dir = Path.Combine(Path.GetTempPath(), "axon-cuda-clang", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var (name, text) in KernelSources.Headers()) File.WriteAllText(Path.Combine(dir, name), text);
            string prelude = Path.Combine(Emu.EmuDir, "clang_cuda_prelude.h");
            foreach (var m in KernelSources.Modules)
            {
                string cu = Path.Combine(dir, m + ".cu"), ptx = Path.Combine(dir, m + ".ptx");
                File.WriteAllText(cu, KernelSources.Source(m));
                var (code, output) = Emu.Run(clang, $"-x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib --cuda-device-only -std=c++17 -S -Werror "
                    + $"-include \"{prelude}\" -I \"{dir}\" \"{cu}\" -o \"{ptx}\"");
                Assert.True(code == 0, $"clang could not compile {m}.cu as CUDA device code:\n{output}");
                var entries = EntryRegex().Matches(File.ReadAllText(ptx)).Select(x => x.Groups[1].Value).Order().ToList();
                var listed = KernelCatalog.Entries.Where(e => e.Module == m).Select(e => e.Name).Order().ToList();
                Assert.Equal(listed, entries);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [GeneratedRegex(@"^\.visible \.entry (\w+)\(", RegexOptions.Multiline)]
    private static partial Regex EntryRegex();

    [Fact]
    public void GeometryMirrorMatchesTheCStructLayout()
    {
        var c = Emu.Layout("elementwise", "axon_emu_geometry_layout", 7);
        Assert.Equal(c[0], Marshal.SizeOf<KernelGeometry>());
        Assert.Equal(c[1], (int)Marshal.OffsetOf<KernelGeometry>(nameof(KernelGeometry.Rank)));
        Assert.Equal(c[2], (int)Marshal.OffsetOf<KernelGeometry>(nameof(KernelGeometry.NumEl)));
        Assert.Equal(c[3], (int)Marshal.OffsetOf<KernelGeometry>(nameof(KernelGeometry.Contiguous)));
        Assert.Equal(c[4], (int)Marshal.OffsetOf<KernelGeometry>(nameof(KernelGeometry.Reserved)));
        Assert.Equal(c[5], (int)Marshal.OffsetOf<KernelGeometry>(nameof(KernelGeometry.Sizes)));
        Assert.Equal(c[6], (int)Marshal.OffsetOf<KernelGeometry>(nameof(KernelGeometry.Strides)));
        Assert.Equal(176, c[0]);

        var p = Emu.Layout("pool", "axon_emu_pool_layout", 5);
        Assert.Equal(p[0], Marshal.SizeOf<KernelPool2d>());
        Assert.Equal(p[1], (int)Marshal.OffsetOf<KernelPool2d>(nameof(KernelPool2d.N)));
        Assert.Equal(p[2], (int)Marshal.OffsetOf<KernelPool2d>(nameof(KernelPool2d.DilationW)));
        Assert.Equal(p[3], (int)Marshal.OffsetOf<KernelPool2d>(nameof(KernelPool2d.XStrides)));
        Assert.Equal(p[4], (int)Marshal.OffsetOf<KernelPool2d>(nameof(KernelPool2d.YStrides)));
    }

    [Fact]
    public void GeometryCollapsesAndBroadcasts()
    {
        // A permuted operand keeps two dimensions; a broadcast one gets stride 0; too many dimensions is a clear error.
        var g = KernelGeometry.Create([4, 5, 6], [30, 6, 1], [1, 24, 4], [0, 0, 1]);
        Assert.Equal(3, g.Rank);
        Assert.Equal(120, g.NumEl);
        Assert.Equal(0b001, g.Contiguous);
        Assert.Equal(0, g.Stride(2, 0));
        var merged = KernelGeometry.Create([4, 1, 5, 6], [30, 30, 6, 1], [60, 0, 12, 2]);
        Assert.Equal(1, merged.Rank);
        Assert.Equal(0b01, merged.Contiguous);
        Assert.Equal(2, merged.Stride(1, 0));
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        var e = Assert.Throws<ArgumentException>(() => KernelGeometry.Create(shape, [.. shape.Select((_, i) => 1 << (2 * (8 - i)))]));
        Assert.Contains("at most 8", e.Message);
    }
}
