using Axon.Backends;
using Axon.Kernels;

namespace Axon.Tests.Backends;

// Max and average pooling. Each backend reads back only its own argmax (the layout is the backend's choice).
public partial class ReferenceBackendTests
{
    /// <summary>A pooling geometry: input [N, C, H, W], kernel, stride, padding, dilation, ceil mode.</summary>
    public sealed record Pool(int N, int C, int H, int W, int K, int S, int P, int D, bool Ceil)
    {
        public Window2d Window => new(C, H, W, K, K, S, S, P, P, D, D, Tensor.ConvOutputSize(H, K, S, P, D, Ceil), Tensor.ConvOutputSize(W, K, S, P, D, Ceil));
        public int[] OutShape => [N, C, Window.OutH, Window.OutW];
        public override string ToString() => $"x[{N},{C},{H},{W}] k={K} s={S} p={P} d={D} ceil={Ceil}";
    }

    public static TheoryData<Pool> PoolCases() => new()
    {
        new Pool(2, 3, 24, 24, 3, 3, 0, 1, false),   // the lecture CNN's first pool
        new Pool(2, 5, 4, 4, 2, 2, 0, 1, false),     // its second (the CPU's tiled backward)
        new Pool(1, 3, 28, 28, 2, 2, 0, 1, false),   // VGG's
        new Pool(2, 2, 7, 9, 3, 1, 1, 1, false),     // stride 1, padding (a max filter)
        new Pool(1, 3, 17, 33, 3, 2, 1, 2, false),   // dilation 2
        new Pool(2, 2, 7, 7, 3, 2, 1, 1, true),      // ceil mode: the last window overhangs
        new Pool(1, 1, 1, 1, 1, 1, 0, 1, false),
    };

    /// <summary>Small whole numbers (many ties in a window), with NaN, ±inf and ±0 among them when <paramref name="special"/>.</summary>
    private static Tensor PoolInput(Device d, Pool c, DType dtype, bool special, int seed)
    {
        int[] shape = [c.N, c.C, c.H, c.W];
        var v = special ? Special(shape, dtype, seed).ToDoubleArray() : Randn(shape, dtype, seed).ToDoubleArray();
        return On(d, FromDoubles(Array.ConvertAll(v, x => Math.Round(2 * x)), shape, dtype));
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    [Covers(nameof(IBackend.MaxPool2d), nameof(IBackend.MaxPool2dIndices), nameof(IBackend.MaxPool2dBackward), nameof(IBackend.MaxPool2dGather))]
    public void MaxPoolingChoosesTheSameMaxima(Pool c)
    {
        foreach (var dtype in Floats)
            foreach (bool special in new[] { false, true })
                Exact($"MaxPool2d {c} {dtype} special {special}", d =>
                {
                    var x = PoolInput(d, c, dtype, special, 80);
                    var y = Tensor.Empty(c.OutShape, dtype, d);
                    var argmax = d.Backend.MaxPool2d(x, c.Window, y, withArgmax: true)!;
                    var y2 = Tensor.Empty(c.OutShape, dtype, d);
                    Assert.Null(d.Backend.MaxPool2d(x, c.Window, y2, withArgmax: false));
                    var indices = Tensor.Empty(c.OutShape, DType.Int64, d);
                    d.Backend.MaxPool2dIndices(argmax, indices);
                    // Overlapping windows add their gradients in output order on both; NaN fills check every element is written.
                    var gy = On(d, Randn(c.OutShape, dtype, 81));
                    var gx = On(d, Tensor.Full([c.N, c.C, c.H, c.W], double.NaN, dtype));
                    d.Backend.MaxPool2dBackward(gy, argmax, c.Window, gx);
                    var other = On(d, Randn([c.N, c.C, c.H, c.W], dtype, 82));
                    var gathered = Tensor.Empty(c.OutShape, dtype, d);
                    d.Backend.MaxPool2dGather(other, argmax, c.Window, gathered);
                    return [y, y2, indices, gx, gathered];
                });
    }

    public static TheoryData<Pool, bool> AvgCases()
    {
        var data = new TheoryData<Pool, bool>();
        foreach (Pool p in PoolCases())
            if (p.D == 1)
                foreach (bool include in new[] { true, false }) data.Add(p, include);
        return data;
    }

    [Theory]
    [MemberData(nameof(AvgCases))]
    [Covers(nameof(IBackend.AvgPool2d), nameof(IBackend.AvgPool2dBackward))]
    public void AveragePoolingAndItsGradient(Pool c, bool countIncludePad)
    {
        foreach (var dtype in Floats)
            Close($"AvgPool2d {c} {dtype} countIncludePad {countIncludePad}", SumTol(dtype), d =>
            {
                var x = On(d, Randn([c.N, c.C, c.W, c.H], dtype, 83)).TransposeView(2, 3);
                var y = Tensor.Empty(c.OutShape, dtype, d);
                d.Backend.AvgPool2d(x, c.Window, countIncludePad, adaptive: false, y);
                var gy = On(d, Randn(c.OutShape, dtype, 84));
                var gx = On(d, Tensor.Full([c.N, c.C, c.H, c.W], double.NaN, dtype));
                d.Backend.AvgPool2dBackward(gy, c.Window, countIncludePad, adaptive: false, gx);
                return [y, gx];
            }, scale: 1);
    }

    [Theory]
    [InlineData(7, 7, 1, 1)]
    [InlineData(7, 5, 3, 2)]
    [InlineData(17, 33, 5, 7)]
    [InlineData(3, 3, 5, 4)]
    [Covers(nameof(IBackend.AvgPool2d), nameof(IBackend.AvgPool2dBackward))]
    public void AdaptiveAveragePooling(int h, int w, int oh, int ow)
    {
        var window = new Window2d(3, h, w, 1, 1, 1, 1, 0, 0, 1, 1, oh, ow);
        foreach (var dtype in Floats)
            Close($"AdaptiveAvgPool2d [{h}, {w}] -> [{oh}, {ow}] {dtype}", SumTol(dtype), d =>
            {
                var x = On(d, Randn([2, 3, h, w], dtype, 85));
                var y = Tensor.Empty([2, 3, oh, ow], dtype, d);
                d.Backend.AvgPool2d(x, window, countIncludePad: true, adaptive: true, y);
                var gy = On(d, Randn([2, 3, oh, ow], dtype, 86));
                var gx = On(d, Tensor.Full([2, 3, h, w], double.NaN, dtype));
                d.Backend.AvgPool2dBackward(gy, window, countIncludePad: true, adaptive: true, gx);
                return [y, gx];
            }, scale: 1);
    }
}
