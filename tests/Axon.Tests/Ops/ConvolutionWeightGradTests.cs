using Axon.Backends;
using static Axon.Tests.Ops.ConvolutionReference;

namespace Axon.Tests.Ops;

/// <summary>The dot-product weight gradient against the im2col path and the direct definition, and its determinism.</summary>
public class ConvolutionWeightGradTests
{
    /// <summary>
    /// Shapes for the dot-product weight gradient: one and three input channels, O = 6, 16, 17, 32, 64 (tiles of 3
    /// channels full and partial), K past and short of 8-row tiles, channel blocks, panels inside and across samples
    /// (576 and 16 positions fill vectors; 49, 100 and 1 do not), groups, strides, dilation, padding, odd batches.
    /// </summary>
    public static TheoryData<Config> WeightGradConfigs => new()
    {
        new Config(3, 1, 28, 28, 32, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // lecture conv1: one channel, 576 positions, panels = samples
        new Config(5, 32, 8, 8, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // lecture conv2: 16 positions, channel blocks of 8
        new Config(3, 3, 10, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // three channels, O = 6, 100 positions
        new Config(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),    // LeNet conv1
        new Config(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),   // LeNet conv2
        new Config(5, 3, 7, 7, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // O = 17, 49 positions, odd batch
        new Config(3, 4, 9, 9, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),     // stride 2
        new Config(2, 6, 8, 8, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),     // groups, dilation, wide padding
        new Config(1, 4, 6, 11, 40, 2, 3, 1, 3, 1, 1, 2, 2, 1, 1, 2),    // asymmetric kernel and stride, groups of 20
        new Config(2, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),      // one position per sample
        new Config(7, 9, 12, 12, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3),   // groups of 3 channels and 10 outputs, 144 positions, odd batch
        new Config(67, 3, 6, 6, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // 16 positions, many panels, last one short
        new Config(3, 2, 9, 12, 5, 3, 11, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // 7x2 outputs on 12-wide rows: positions spread over 85 inputs
        new Config(2, 8, 20, 19, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // 72 taps with padding, odd width: permutes masked at the border
        new Config(29, 5, 5, 7, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // 64 outputs (outer products), 15 positions: blocks of 128 end inside samples
    };

    private static double[][] WithWeightGrad(bool on, Func<Device, double[][]> run, int threads = 0) =>
        run(Cpu(new CpuOptions { ConvImplicitWeightGrad = on, Threads = threads > 0 ? threads : Environment.ProcessorCount }));

    [Theory]
    [MemberData(nameof(WeightGradConfigs))]
    public void DotProductWeightGradientMatchesTheIm2ColPathAndTheDirectLoop(Config c)
    {
        var g = new Generator(13);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64);
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64);
        var expected = ReferenceWeightGrad(c, x.ToDoubleArray(), r.ToDoubleArray());
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-10 : 1e-4;
            var results = new double[2][];
            foreach (bool on in new[] { true, false })
            {
                results[on ? 0 : 1] = WithWeightGrad(on, d =>
                {
                    var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], new Generator(1), DType.Float64).To(dtype).To(d).RequiresGrad_();
                    var y = Run(c, x.To(dtype).To(d), w, null);
                    (y * r.To(dtype).To(d)).Sum().Backward();
                    return [w.Grad!.ToDoubleArray()];
                })[0];
            }
            for (int i = 0; i < expected.Length; i++)
            {
                double scale = 1 + Math.Abs(expected[i]);
                Assert.True(Math.Abs(results[0][i] - expected[i]) < tol * scale, $"{c} {dtype}: element {i} is {results[0][i]}, expected {expected[i]}");
                Assert.True(Math.Abs(results[0][i] - results[1][i]) < tol * scale, $"{c} {dtype}: element {i} is {results[0][i]}, im2col path {results[1][i]}");
            }
        }
    }

    [Theory]
    [InlineData(64, 1, 28, 32, 5)] // lecture conv1
    [InlineData(64, 32, 8, 64, 5)] // lecture conv2
    [InlineData(63, 6, 14, 16, 5)] // LeNet conv2, odd batch
    public void DotProductWeightGradientIsDeterministicAndCloseAcrossThreadCounts(int n, int ch, int size, int o, int k)
    {
        var c = new Config(n, ch, size, size, o, k, k, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        {
            var first = WithWeightGrad(true, d => Results(c, DType.Float32, 5, d), threads: 2);
            var second = WithWeightGrad(true, d => Results(c, DType.Float32, 5, d), threads: 2);
            var serial = WithWeightGrad(true, d => Results(c, DType.Float32, 5, d), threads: 1);
            Assert.Equal(first[2], second[2]);
            // Other thread counts sum the positions in other groupings: equal up to rounding.
            for (int i = 0; i < first[2].Length; i++)
                Assert.True(Math.Abs(first[2][i] - serial[2][i]) < 1e-4 * (1 + Math.Abs(serial[2][i])), $"element {i}: {first[2][i]} with 2 threads, {serial[2][i]} with 1");
        }
    }
}
