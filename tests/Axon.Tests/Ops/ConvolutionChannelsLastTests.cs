using Axon.Backends;
using static Axon.Tests.Ops.ConvolutionReference;

namespace Axon.Tests.Ops;

/// <summary>The channels-last convolution path of the CPU backend: where its measured rule takes it, and its results through the ops against the implicit GEMM and the reference backend.</summary>
public class ConvolutionChannelsLastTests
{
    private static Kernels.Window2d Window(Config c) =>
        new(c.C, c.H, c.W, c.Kh, c.Kw, c.Sh, c.Sw, c.Pt, c.Pl, c.Dh, c.Dw, c.OutH, c.OutW);

    [Fact]
    public void TheRuleTakesDcganLayersAndLateResNet18LayersButNotSmallResNetsOrAnRgbStem()
    {
        var cpu = new CpuBackend(new CpuOptions());
        var off = new CpuBackend(new CpuOptions { ConvChannelsLast = false });
        var dcgan = new Config(64, 32, 14, 14, 64, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        Assert.True(cpu.UseConvChannelsLast<float>(Window(dcgan), 1, 64));
        Assert.False(cpu.UseConvChannelsLast<double>(Window(dcgan), 1, 64));
        Assert.False(cpu.UseConvChannelsLast<float>(Window(dcgan), 2, 64));
        Assert.False(off.UseConvChannelsLast<float>(Window(dcgan), 1, 64));
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 1, 28, 28, 32, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1)), 1, 32));    // one channel
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 64, 14, 14, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)), 1, 128));  // ResNet 3x3 s2
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 64, 14, 14, 128, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1)), 1, 128));  // 1x1 shortcut
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(2, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1)), 1, 64));   // RGB stem
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 32, 14, 14, 64, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1)), 1, 64));   // unit stride
        // ResNet-18's late 3x3 layers: 512 -> 512 at 4x4, 256 -> 256 at 7x7, 128 -> 256 stride 2 to 7x7; not where
        // Winograd takes them (ResNet-small's 128 -> 128 at 7x7), not at 14x14, not a 1x1 bottleneck (DenseNet's at 7x7).
        Assert.True(cpu.UseConvChannelsLast<float>(Window(new Config(64, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)), 1, 512));
        Assert.True(cpu.UseConvChannelsLast<float>(Window(new Config(64, 256, 7, 7, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)), 1, 256));
        Assert.True(cpu.UseConvChannelsLast<float>(Window(new Config(64, 128, 14, 14, 256, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)), 1, 256));
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 128, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)), 1, 128));
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)), 1, 256));
        Assert.False(cpu.UseConvChannelsLast<float>(Window(new Config(64, 384, 7, 7, 48, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)), 1, 48));
        Assert.False(off.UseConvChannelsLast<float>(Window(new Config(64, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)), 1, 512));
    }

    public static TheoryData<Config> Configs => new()
    {
        new Config(5, 32, 14, 14, 64, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1),   // DCGAN's discriminator, odd batch
        new Config(3, 17, 13, 11, 9, 5, 5, 3, 2, 2, 2, 1, 1, 1, 1, 1),    // odd sizes, stride 3 x 2, padding 2 x 1
        new Config(2, 16, 9, 9, 7, 4, 4, 2, 2, 1, 1, 1, 1, 2, 2, 1),      // dilation 2
        new Config(3, 130, 4, 4, 140, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // unit stride, many channels, a 4x4 plane (ResNet-18's last stage)
        new Config(2, 128, 7, 5, 131, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1, 1),   // unit stride, no padding in height, odd sizes
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void ResultsMatchTheImplicitGemmAndTheReference(Config c)
    {
        Assert.True(new CpuBackend(new CpuOptions()).UseConvChannelsLast<float>(Window(c), c.G, c.O), $"{c} should take the channels-last path");
        foreach (int threads in new[] { 1, 2 })
        {
            var fast = Results(c, DType.Float32, 3, Cpu(new CpuOptions { Threads = threads }));
            var gemm = Results(c, DType.Float32, 3, Cpu(new CpuOptions { Threads = threads, ConvChannelsLast = false }));
            var exact = Results(c, DType.Float64, 3, Device.Reference);
            string[] names = ["output", "input gradient", "weight gradient", "bias gradient"];
            for (int i = 0; i < names.Length; i++)
            {
                Assert.Equal(exact[i].Length, fast[i].Length);
                double scale = exact[i].Max(Math.Abs);
                for (int j = 0; j < exact[i].Length; j++)
                {
                    Assert.True(Math.Abs(fast[i][j] - exact[i][j]) <= 2e-5 * scale, $"{c} {names[i]}[{j}], {threads} threads: {fast[i][j]} against {exact[i][j]}");
                    Assert.True(Math.Abs(fast[i][j] - gemm[i][j]) <= 2e-5 * scale, $"{c} {names[i]}[{j}], {threads} threads: {fast[i][j]} against the implicit GEMM's {gemm[i][j]}");
                }
            }
            Assert.Equal(fast, Results(c, DType.Float32, 3, Cpu(new CpuOptions { Threads = threads })));   // repeatable to the bit
        }
    }
}
