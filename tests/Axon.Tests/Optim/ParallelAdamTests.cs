using Axon.Backends;
using Axon.Optim;

namespace Axon.Tests.Optim;

/// <summary>Adam's update split over the CPU threads: the same bits as one thread, and the reference backend's values.</summary>
public class ParallelAdamTests
{
    // 300,001 elements: more than two partitions' worth (2 x 65,536), an odd tail after the last 16-element boundary.
    private static double[] Train(Device device, DType dtype, bool amsGrad, bool decoupled, int steps = 3)
    {
        var g = new Generator(11);
        var w = Tensor.Randn([300_001], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        Optimizer opt = decoupled ? new AdamW([w], lr: 0.01, weightDecay: 0.1, amsGrad: amsGrad) : new Adam([w], lr: 0.01, weightDecay: 0.1, amsGrad: amsGrad);
        for (int s = 0; s < steps; s++)
        {
            opt.ZeroGrad();
            var target = Tensor.Randn([300_001], g, DType.Float64).To(dtype).To(device);
            ((w - target).Square() * (w.Abs() + 1.0)).Sum().Backward();
            opt.Step();
        }
        return w.Detach().ToDoubleArray();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void TwoThreadsGiveOneThreadsBitsAndTheReferenceValues(bool amsGrad, bool decoupled)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var one = Train(Device.CpuWith(new CpuOptions { Threads = 1 }), dtype, amsGrad, decoupled);
            var two = Train(Device.CpuWith(new CpuOptions { Threads = 2 }), dtype, amsGrad, decoupled);
            Assert.Equal(one, two);
            var reference = Train(Device.Reference, dtype, amsGrad, decoupled);
            double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
            for (int i = 0; i < one.Length; i++)
                Assert.True(Math.Abs(one[i] - reference[i]) <= tol * (1 + Math.Abs(reference[i])), $"{dtype} element {i}: {one[i]} against the reference's {reference[i]}");
        }
    }
}
