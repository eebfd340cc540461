using Axon.Backends;
using Axon.Kernels;

namespace Axon.Tests.Backends;

public partial class ReferenceBackendTests
{
    /// <summary>A convolution, then ReLU and max pooling with a kxk window and stride s (ceil mode: a last, partial window).</summary>
    public static TheoryData<Conv, int, int, bool> ConvPoolCases() => new()
    {
        { new Conv(3, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2, 2, false },   // the Siamese network's conv1 (the CPU's direct kernel)
        { new Conv(3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2, 2, false },  // its conv2 (Winograd, pooled as transformed)
        { new Conv(2, 48, 12, 10, 50, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2, 2, false },  // Winograd, rows of 5 tiles
        { new Conv(1, 48, 6, 36, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2, 2, false },   // Winograd, 18 tiles a row
        { new Conv(2, 48, 11, 12, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1), 3, 2, true },   // Winograd, a pooling it does not fuse: the composite
        { new Conv(2, 1, 28, 28, 6, 5, 5, 1, 2, 2, 2, 2, 1, 1), 2, 2, false },    // LeNet's conv1
        { new Conv(3, 6, 14, 14, 16, 5, 5, 1, 0, 0, 0, 0, 1, 1), 2, 2, false },   // LeNet's conv2
        { new Conv(2, 3, 11, 13, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), 3, 2, true },     // odd sizes, overlapping windows
        { new Conv(2, 9, 10, 9, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2, 2, true },     // the flat kernel, 9 blocks of outputs, odd rows
        { new Conv(1, 3, 17, 9, 5, 3, 3, 2, 1, 0, 0, 1, 1, 1), 2, 2, false },     // stride 2: the composite
    };

    private static Window2d PoolOver(Conv c, int k, int s, bool ceil) =>
        new(c.O, c.OutH, c.OutW, k, k, s, s, 0, 0, 1, 1, Tensor.ConvOutputSize(c.OutH, k, s, 0, 1, ceil), Tensor.ConvOutputSize(c.OutW, k, s, 0, 1, ceil));

    [Theory]
    [MemberData(nameof(ConvPoolCases))]
    [Covers(nameof(IBackend.Conv2dReluMaxPool2d))]
    public void Conv2dReluMaxPool2dForward(Conv c, int k, int s, bool ceil)
    {
        var pool = PoolOver(c, k, s, ceil);
        foreach (var dtype in Floats)
            foreach (bool withBias in new[] { true, false })
                Close($"Conv2dReluMaxPool2d {c} pool {k}/{s} ceil {ceil} {dtype} bias {withBias}", SumTol(dtype), d =>
                {
                    var x = On(d, Randn([c.N, c.C, c.W, c.H], dtype, 130)).TransposeView(2, 3);
                    var w = On(d, Randn([c.O, c.C, c.Kh, c.Kw], dtype, 131));
                    var b = withBias ? On(d, Randn([c.O], dtype, 132)) : null;
                    var y = On(d, Tensor.Full([c.N, c.O, pool.OutH, pool.OutW], double.NaN, dtype));
                    var argmax = d.Backend.Conv2dReluMaxPool2d(x, w, b, c.Params, pool, y, withArgmax: true)!;
                    var indices = Tensor.Empty(y.GetShape(), DType.Int64, d);
                    d.Backend.MaxPool2dIndices(argmax, indices);
                    var plain = On(d, Tensor.Full(y.GetShape(), double.NaN, dtype));
                    Assert.Null(d.Backend.Conv2dReluMaxPool2d(x, w, b, c.Params, pool, plain, withArgmax: false));
                    return [y, indices, plain];
                }, scale: 1);
    }

    /// <summary>The CPU's fused kernel against its own composite (ConvPoolFusion off): the same bits, argmax included.</summary>
    [Theory]
    [MemberData(nameof(ConvPoolCases))]
    public void CpuConvPoolFusionIsTheCompositesBits(Conv c, int k, int s, bool ceil)
    {
        var pool = PoolOver(c, k, s, ceil);
        var composite = Device.CpuWith(new CpuOptions { ConvPoolFusion = false });
        var x = Randn([c.N, c.C, c.H, c.W], DType.Float32, 133);
        var w = Randn([c.O, c.C, c.Kh, c.Kw], DType.Float32, 134);
        var b = Randn([c.O], DType.Float32, 135);
        (float[] Values, long[] Indices) Run(Device d)
        {
            var y = Tensor.Empty([c.N, c.O, pool.OutH, pool.OutW], DType.Float32, Cpu);
            var argmax = d.Backend.Conv2dReluMaxPool2d(x, w, b, c.Params, pool, y, withArgmax: true)!;
            var indices = Tensor.Empty(y.GetShape(), DType.Int64, Cpu);
            d.Backend.MaxPool2dIndices(argmax, indices);
            return (y.ToFloatArray(), indices.ToLongArray());
        }
        var (fv, fi) = Run(Cpu);
        var (cv, ci) = Run(composite);
        Assert.Equal(ci, fi);
        for (int i = 0; i < cv.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(cv[i]) == BitConverter.SingleToInt32Bits(fv[i]), $"{c}: element {i} is {fv[i]:R} fused, {cv[i]:R} composed");
    }
}
