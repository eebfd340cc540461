using Axon.Backends;
using static Axon.Tests.Ops.ConvolutionReference;

namespace Axon.Tests.Ops;

/// <summary>
/// Stride-2 convolutions on the flat kernels by stride phases (<see cref="CpuOptions.ConvFlatStrided"/>): where the CPU
/// backend takes them, and their output and gradients against the float64 step and the implicit GEMM they replace.
/// </summary>
public class ConvolutionFlatStridedTests
{
    private static Kernels.Window2d Window(Config c) =>
        new(c.C, c.H, c.W, c.Kh, c.Kw, c.Sh, c.Sw, c.Pt, c.Pl, c.Dh, c.Dw, c.OutH, c.OutW);

    [Fact]
    public void TheFlatKernelTakesResNetsFirstDownsamplingButNotSevenWideRowsOrShortcuts()
    {
        if (!Kernels.ConvDirect.IsSupported) return;
        var on = new CpuBackend(new CpuOptions());
        var off = new CpuBackend(new CpuOptions { ConvFlatStrided = false });
        var first = Window(new Config(128, 32, 28, 28, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1));   // 28x28 to 14x14
        Assert.True(on.UseConvFlat<float>(first, 1));
        Assert.False(on.UseConvFlat<double>(first, 1));
        Assert.False(off.UseConvFlat<float>(first, 1));
        Assert.False(on.UseConvFlat<float>(Window(new Config(128, 64, 14, 14, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)), 1)); // 7 wide
        Assert.False(on.UseConvFlat<float>(Window(new Config(128, 64, 28, 28, 128, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1)), 1)); // 1x1 shortcut
        Assert.False(on.UseConvFlat<float>(Window(new Config(128, 32, 28, 28, 64, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2, 1)), 1));  // dilated
    }

    /// <summary>ResNet-small's first downsampling layer, narrowed; odd sizes; stride 2 along one axis only.</summary>
    public static TheoryData<Config> Configs => new()
    {
        new Config(3, 16, 28, 28, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),
        new Config(2, 9, 27, 33, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),
        new Config(2, 8, 20, 19, 7, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void StridedFlatStepMatchesFloat64AndTheImplicitGemm(Config c)
    {
        if (!Kernels.ConvDirect.IsSupported) return;
        Assert.True(new CpuBackend(new CpuOptions()).UseConvFlat<float>(Window(c), 1), $"{c} should take the flat kernel");
        var exact = Results(c, DType.Float64, 7, Device.Cpu);
        var flat = Results(c, DType.Float32, 7, Cpu(new CpuOptions()));
        var gemm = Results(c, DType.Float32, 7, Cpu(new CpuOptions { ConvFlatStrided = false }));
        string[] names = ["output", "input gradient", "weight gradient", "bias gradient"];
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < exact[k].Length; i++)
            {
                // float32 sums of up to K = 144 or N x 196 products of unit normals: 1e-4 relative is about 10 roundings.
                double tol = 1e-4 * (1 + Math.Abs(exact[k][i]));
                Assert.True(Math.Abs(flat[k][i] - exact[k][i]) < tol, $"{c}: {names[k]} {i} is {flat[k][i]}, expected {exact[k][i]}");
                Assert.True(Math.Abs(gemm[k][i] - exact[k][i]) < tol, $"{c}, strided flat off: {names[k]} {i} is {gemm[k][i]}, expected {exact[k][i]}");
            }
        // The flat kernel sums in another order than the implicit GEMM: the switch changes the last bits.
        Assert.NotEqual(flat[2], gemm[2]);
    }
}
