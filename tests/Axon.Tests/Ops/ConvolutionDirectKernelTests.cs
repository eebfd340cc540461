using Axon.Backends;
using static Axon.Tests.Ops.ConvolutionReference;

namespace Axon.Tests.Ops;

/// <summary>The direct convolution kernel: where it is taken, its results against the implicit GEMM and the direct loop, and its determinism.</summary>
public class ConvolutionDirectKernelTests
{
    /// <summary>
    /// Shapes the direct kernel supports (float, unit stride, one group; run with it forced on, whatever the measured
    /// rule): paddings 0, 1, 2 and the uneven "same" of an even kernel; output widths 5, 17, 28 and 33 (masked tails, chunk pairs across rows, an odd
    /// chunk count per row); 1 to 3 input channels; 1, 6, 8, 9 and 17 output channels (partial blocks); batches 1 and 5.
    /// </summary>
    public static TheoryData<Config> DirectConfigs => new()
    {
        new Config(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),   // LeNet conv1
        new Config(1, 1, 5, 5, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),     // 5 wide: one masked chunk per row, batch 1
        new Config(5, 2, 17, 17, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // 17 = 16 + 1, 9 outputs, batch 5
        new Config(5, 3, 35, 35, 17, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // 33 = 16 + 16 + 1, 17 outputs, no padding
        new Config(1, 1, 9, 33, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // 33 wide with padding 1, 8 outputs (one block)
        new Config(5, 1, 7, 17, 1, 4, 4, 1, 1, 1, 2, 1, 2, 1, 1, 1),    // "same" of a 4x4 kernel: one more row and column after
        new Config(1, 2, 6, 8, 9, 4, 4, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // K = 32, the scope's edge
        new Config(3, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // lecture conv1: 24 = 16 + 8
        new Config(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),  // LeNet conv2: K = 150, 10 wide
    };

    /// <summary>The layer as configured; uneven paddings are those of "same" (stride 1).</summary>
    private static Tensor RunDirect(Config c, Tensor x, Tensor w, Tensor? b) =>
        c.Pt == c.Pb && c.Pl == c.Pr ? Run(c, x, w, b) : Tensor.Conv2d(x, w, b, "same");

    private static Kernels.Window2d Window(Config c) =>
        new(c.C, c.H, c.W, c.Kh, c.Kw, c.Sh, c.Sw, c.Pt, c.Pl, c.Dh, c.Dw, c.OutH, c.OutW);

    /// <summary>Output, then input, weight and bias gradients (loss = sum(y * r)); no bias gradient without a bias.</summary>
    private static double[][] DirectResults(Config c, DType dtype, bool bias, bool direct, int threads = 0)
    {
        var d = Cpu(new CpuOptions { ConvDirectKernel = direct, ConvDirectEverywhere = direct, Threads = threads > 0 ? threads : Environment.ProcessorCount });
        var g = new Generator(17);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64).To(dtype).To(d).RequiresGrad_();
        var w = Tensor.Randn([c.O, c.C, c.Kh, c.Kw], g, DType.Float64).To(dtype).To(d).RequiresGrad_();
        var b = bias ? Tensor.Randn([c.O], g, DType.Float64).To(dtype).To(d).RequiresGrad_() : null;
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64).To(dtype).To(d);
        var y = RunDirect(c, x, w, b);
        (y * r).Sum().Backward();
        return [y.ToDoubleArray(), x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b?.Grad!.ToDoubleArray() ?? []];
    }

    [Fact]
    public void DirectKernelTakesLeNetAndTheLectureFirstLayerButNotNarrowRows()
    {
        if (!Kernels.ConvDirect.IsSupported) return;
        var cpu = new CpuBackend(new CpuOptions());
        void Expect(Config c, bool forward, bool weightGrad)
        {
            Assert.Equal(forward, cpu.UseConvDirect<float>(Window(c), c.G, c.O, weightGrad: false));
            Assert.Equal(weightGrad, cpu.UseConvDirect<float>(Window(c), c.G, c.O, weightGrad: true));
            Assert.False(cpu.UseConvDirect<double>(Window(c), c.G, c.O, weightGrad: false));
        }
        Expect(new Config(64, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1), true, true);     // LeNet conv1
        Expect(new Config(64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), true, true);    // LeNet conv2
        Expect(new Config(64, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), true, true);    // lecture conv1
        Expect(new Config(64, 32, 12, 12, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), false, false); // lecture conv2: 8 wide, K = 800
        Expect(new Config(9, 64, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), false, false);   // ResNet's 7x7 stage
        Expect(new Config(64, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true, false);  // K = 144 with 32 outputs
        Expect(new Config(64, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 1), false, false);   // strided
    }

    [Theory]
    [MemberData(nameof(DirectConfigs))]
    public void DirectKernelMatchesTheImplicitGemmAndTheDirectLoop(Config c)
    {
        Assert.True(!Kernels.ConvDirect.IsSupported || Kernels.ConvDirect.Supports(Window(c), c.G), $"{c} is outside the direct kernel's scope");
        foreach (bool bias in new[] { true, false })
        {
            // float64 never takes the direct kernel: the reference for the forward and the weight gradient.
            var exact = DirectResults(c, DType.Float64, bias, direct: true);
            var g = new Generator(17);
            var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
            var w = Tensor.Randn([c.O, c.C, c.Kh, c.Kw], g, DType.Float64);
            var b = bias ? Tensor.Randn([c.O], g, DType.Float64) : null;
            var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64);
            var expectedY = Reference(c, x.ToDoubleArray(), w.ToDoubleArray(), b?.ToDoubleArray());
            var expectedGw = ReferenceWeightGrad(c, x.ToDoubleArray(), r.ToDoubleArray());
            for (int i = 0; i < expectedY.Length; i++) Assert.True(Math.Abs(exact[0][i] - expectedY[i]) < 1e-12, $"{c} float64: element {i}");
            for (int i = 0; i < expectedGw.Length; i++) Assert.True(Math.Abs(exact[2][i] - expectedGw[i]) < 1e-10, $"{c} float64 weight gradient: element {i}");

            var direct = DirectResults(c, DType.Float32, bias, direct: true);
            var gemm = DirectResults(c, DType.Float32, bias, direct: false);
            string[] names = ["output", "input gradient", "weight gradient", "bias gradient"];
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(exact[k].Length, direct[k].Length);
                for (int i = 0; i < exact[k].Length; i++)
                {
                    double tol = 1e-4 * (1 + Math.Abs(exact[k][i]));
                    Assert.True(Math.Abs(direct[k][i] - exact[k][i]) < tol, $"{c} bias={bias}: {names[k]} {i} is {direct[k][i]}, expected {exact[k][i]}");
                    Assert.True(Math.Abs(gemm[k][i] - exact[k][i]) < tol, $"{c} bias={bias}, direct kernel off: {names[k]} {i} is {gemm[k][i]}, expected {exact[k][i]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(64, 28, 6, 2)]  // LeNet conv1
    [InlineData(64, 28, 32, 0)] // lecture conv1
    [InlineData(1, 28, 6, 2)]   // one image: the threads split its rows
    [InlineData(3, 17, 9, 1)]   // odd batch and width
    public void DirectKernelIsDeterministicForAThreadCountAndTheForwardForAnyCount(int n, int size, int o, int pad)
    {
        var c = new Config(n, 1, size, size, o, 5, 5, 1, 1, pad, pad, pad, pad, 1, 1, 1);
        {
            var first = DirectResults(c, DType.Float32, true, direct: true, threads: 2);
            var second = DirectResults(c, DType.Float32, true, direct: true, threads: 2);
            var serial = DirectResults(c, DType.Float32, true, direct: true, threads: 1);
            for (int k = 0; k < 4; k++) Assert.Equal(first[k], second[k]);
            // Each output is one sum over the taps in a fixed order whatever the partition.
            Assert.Equal(first[0], serial[0]);
            for (int i = 0; i < first[2].Length; i++)
                Assert.True(Math.Abs(first[2][i] - serial[2][i]) < 1e-4 * (1 + Math.Abs(serial[2][i])), $"element {i}: {first[2][i]} with 2 threads, {serial[2][i]} with 1");
        }
    }
}
