using Axon.Backends;
using static Axon.Tests.Ops.ConvolutionReference;

namespace Axon.Tests.Ops;

/// <summary>The implicit-GEMM convolution against the im2col lowering and the direct loop, and its determinism.</summary>
public class ConvolutionImplicitGemmTests
{
    /// <summary>
    /// Shapes around the implicit GEMM's edges: one and few input channels, output channels that fill 8-row tiles
    /// partly (odd O, O = 6 and 16 as LeNet), groups, planes whose positions cross 32-wide panels and samples (7x7 = 49,
    /// 10x10 = 100, 1x1), an odd batch, strides, padding and dilation.
    /// </summary>
    public static TheoryData<Config> ImplicitGemmConfigs => new()
    {
        new Config(3, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // lecture conv1: one channel, 576 positions
        new Config(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),   // LeNet conv1: 6 channels of one 8-row tile, 784 positions
        new Config(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // LeNet conv2: 100 positions cross panels
        new Config(5, 3, 7, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // odd O (8 + 1), 49 positions, odd batch
        new Config(2, 4, 9, 9, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),    // odd O past two tiles, stride 2
        new Config(2, 6, 8, 8, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),    // groups with 5 channels each, dilation, wide padding
        new Config(3, 32, 3, 3, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // og >= 32 (implicit input gradient), 9 positions
        new Config(4, 8, 5, 5, 64, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1),    // 1x1 projection, stride 2
        new Config(2, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // one position per sample
        new Config(1, 4, 6, 11, 40, 2, 3, 1, 3, 1, 1, 2, 2, 1, 1, 2),   // asymmetric kernel and stride, groups of 20
        new Config(3, 32, 8, 8, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // lecture conv2: 16 positions, one permute per tap, the last sample at the buffer's end
        new Config(3, 2, 9, 12, 5, 3, 11, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // 7x2 outputs on 12-wide rows: 16 positions spread over 85 inputs (run copies)
        new Config(2, 3, 9, 9, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // 1x1 kernel: 81 positions, vectors cross samples
        new Config(2, 8, 20, 19, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // 72 taps with padding, odd width: permutes masked at the border, plain inside
        new Config(5, 170, 3, 3, 12, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // DenseNet's late 1x1 bottleneck: a vector spans 2-3 samples of 9 positions
        new Config(3, 168, 7, 7, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // the same at 7x7: 49 positions, vectors cross one sample boundary
        new Config(4, 24, 7, 7, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // DenseNet's 3x3 at 7x7: padded permutes that cross samples
        new Config(3, 65, 14, 15, 19, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1), // 1x1 on 210 positions, 65 channels: one GEMM per sample
    };

    private static double[][] WithImplicitGemm(bool on, int minBackwardChannels, Func<Device, double[][]> run, int threads = 0, bool flipped = true) =>
        run(Cpu(new CpuOptions
        {
            ConvImplicitGemm = on,
            ConvGemmMinBackwardChannels = minBackwardChannels,
            ConvFlippedInputGradient = flipped,
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
        }));

    [Theory]
    [MemberData(nameof(ImplicitGemmConfigs))]
    public void ImplicitGemmAndIm2ColLoweringMatchTheDirectLoop(Config c)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
        var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], g, DType.Float64);
        var b = Tensor.Randn([c.O], g, DType.Float64);
        var expected = Reference(c, x.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray());
        foreach (bool on in new[] { true, false })
        {
            var y64 = WithImplicitGemm(on, 32, d => [Run(c, x.To(d), w.To(d), b.To(d)).ToDoubleArray()])[0];
            var y32 = WithImplicitGemm(on, 32, d => [Run(c, x.To(DType.Float32).To(d), w.To(DType.Float32).To(d), b.To(DType.Float32).To(d)).ToDoubleArray()])[0];
            Assert.Equal(expected.Length, y64.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(y64[i] - expected[i]) < 1e-12, $"{c} implicit={on}: element {i} is {y64[i]}, expected {expected[i]}");
                Assert.True(Math.Abs(y32[i] - expected[i]) < 1e-4 * (1 + Math.Abs(expected[i])), $"{c} implicit={on} float32: element {i} is {y32[i]}, expected {expected[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ImplicitGemmConfigs))]
    public void ImplicitGemmGradientsEqualTheIm2ColLowering(Config c)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-10 : 1e-3;
            var lowered = WithImplicitGemm(false, 32, d => Results(c, dtype, 11, d));
            // minBackwardChannels 1: the input gradient takes the implicit GEMM even for few output channels; its column
            // gradient and fold where the flipped forward is off, the flipped forward (unit stride) where it is on.
            var implicitAll = WithImplicitGemm(true, 1, d => Results(c, dtype, 11, d), flipped: false);
            var implicitDefault = WithImplicitGemm(true, 32, d => Results(c, dtype, 11, d));
            for (int k = 0; k < 4; k++)
                for (int i = 0; i < lowered[k].Length; i++)
                {
                    double scale = 1 + Math.Abs(lowered[k][i]);
                    Assert.True(Math.Abs(implicitAll[k][i] - lowered[k][i]) < tol * scale, $"{c} {dtype} fold: result {k}, element {i}: {implicitAll[k][i]} vs {lowered[k][i]}");
                    Assert.True(Math.Abs(implicitDefault[k][i] - lowered[k][i]) < tol * scale, $"{c} {dtype} default rule: result {k}, element {i}: {implicitDefault[k][i]} vs {lowered[k][i]}");
                }
        }
    }

    [Theory]
    [InlineData(64, 1, 28, 32, 5, 0)]  // lecture conv1
    [InlineData(64, 32, 12, 64, 5, 0)] // lecture conv2 (implicit input gradient)
    [InlineData(63, 6, 14, 16, 5, 0)]  // LeNet conv2, odd batch
    [InlineData(9, 64, 7, 128, 3, 1)]  // ResNet's last stage, 49 positions per sample
    public void ImplicitGemmIsDeterministicForAThreadCountAndTheForwardForAnyCount(int n, int ch, int size, int o, int k, int pad)
    {
        var c = new Config(n, ch, size, size, o, k, k, 1, 1, pad, pad, pad, pad, 1, 1, 1);
        {
            var first = WithImplicitGemm(true, 32, d => Results(c, DType.Float32, 5, d), threads: 2);
            var second = WithImplicitGemm(true, 32, d => Results(c, DType.Float32, 5, d), threads: 2);
            var serial = WithImplicitGemm(true, 32, d => Results(c, DType.Float32, 5, d), threads: 1);
            for (int r = 0; r < 4; r++) Assert.Equal(first[r], second[r]);
            // Each output is one dot product in a fixed order whatever the partition.
            Assert.Equal(first[0], serial[0]);
        }
    }
}
