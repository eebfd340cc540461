using Axon.Backends;

namespace Axon.Tests.Backends;

// Matrix products and convolution: the GEMM and convolution kernels against the textbook loops.
public partial class ReferenceBackendTests
{
    public static TheoryData<int, int, int> MatMulSizes() => new() { { 1, 1, 1 }, { 3, 7, 1 }, { 1, 17, 3 }, { 7, 33, 17 }, { 33, 3, 7 }, { 17, 0, 5 } };

    [Theory]
    [MemberData(nameof(MatMulSizes))]
    [Covers(nameof(IBackend.MatMul))]
    public void MatMulOfTransposedBroadcastOperands(int m, int k, int n)
    {
        foreach (var dtype in Floats)
            foreach (double beta in new[] { 0.0, 1.0, 0.5 })
            {
                Close($"MatMul 2-D [{m}, {k}] x [{k}, {n}] {dtype} beta {beta}", SumTol(dtype), d =>
                {
                    var a = On(d, Randn([m, k], dtype, 60));
                    var bt = On(d, Randn([n, k], dtype, 61)).TransposeView(0, 1);   // b as the transpose of [n, k]
                    // beta 0 must not read c: NaN there does not leak in.
                    var c = On(d, beta == 0 ? Tensor.Full([m, n], double.NaN, dtype) : Randn([m, n], dtype, 62));
                    d.Backend.MatMul(a, bt, c, beta);
                    return [c];
                }, scale: 1);
                if (k == 0)
                {
                    // An empty product gives beta c, or zeros, on both backends (no storage to point into).
                    foreach (var d in new[] { Device.Cpu, Ref })
                    {
                        var c0 = On(d, Randn([3, m, n], dtype, 65));
                        var expected = c0.ToDoubleArray().Select(v => beta == 0 ? 0 : beta * v).ToArray();
                        d.Backend.MatMul(On(d, Tensor.Zeros([3, m, 0], dtype)), On(d, Tensor.Zeros([0, n], dtype)).UnsqueezeView(0).ExpandView([3, 0, n]), c0, beta);
                        Assert.Equal(expected, c0.ToDoubleArray(), (x, y) => Math.Abs(x - y) <= 1e-6 * Math.Abs(x));
                    }
                    continue;
                }
                // Batched: a [3, m, k] transposed in its matrices, b [k, n] broadcast over the batch (stride 0).
                Close($"MatMul batched [3, {m}, {k}] x [{k}, {n}] {dtype} beta {beta}", SumTol(dtype), d =>
                {
                    var a = On(d, Randn([3, k, m], dtype, 63)).TransposeView(1, 2);
                    var b = On(d, Randn([k, n], dtype, 64)).UnsqueezeView(0).ExpandView([3, k, n]);
                    var c = On(d, beta == 0 ? Tensor.Full([3, m, n], double.NaN, dtype) : Randn([3, m, n], dtype, 65));
                    d.Backend.MatMul(a, b, c, beta);
                    var a2 = On(d, Randn([2, 1, m, k], dtype, 66)).ExpandView([2, 3, m, k]);
                    var b2 = On(d, Randn([3, k, n], dtype, 67)).UnsqueezeView(0).ExpandView([2, 3, k, n]);
                    var c2 = Tensor.Empty([2, 3, m, n], dtype, d);
                    d.Backend.MatMul(a2, b2, c2, 0);
                    return [c, c2];
                }, scale: 1);
            }
    }

    [Theory]
    [MemberData(nameof(MatMulSizes))]
    [Covers(nameof(IBackend.Linear))]
    public void LinearWithAndWithoutBias(int rows, int inF, int outF)
    {
        foreach (var dtype in Floats)
            foreach (bool withBias in new[] { true, false })
                Close($"Linear [{rows}, {inF}] -> {outF} {dtype} bias {withBias}", SumTol(dtype), d =>
                {
                    var x = On(d, Randn([rows, inF], dtype, 68));
                    var w = On(d, Randn([outF, inF], dtype, 69));
                    var b = withBias ? On(d, Randn([outF], dtype, 70)) : null;
                    var y = Tensor.Empty([rows, outF], dtype, d);
                    d.Backend.Linear(x, w, b, y);
                    // Leading dimensions [2, rows] of a transposed x.
                    var x3 = On(d, Randn([rows, 2, inF], dtype, 71)).TransposeView(0, 1);
                    var y3 = Tensor.Empty([2, rows, outF], dtype, d);
                    d.Backend.Linear(x3, w, b, y3);
                    return [y, y3];
                }, scale: 1);
    }

    /// <summary>A convolution's geometry: input [N, C, H, W], O outputs, kernel, stride, the four paddings, dilation, groups.</summary>
    public sealed record Conv(int N, int C, int H, int W, int O, int Kh, int Kw, int S, int Pt, int Pb, int Pl, int Pr, int D, int G)
    {
        public Conv2dParams Params => new(S, S, Pt, Pb, Pl, Pr, D, D, G);
        public int OutH => Params.OutH(H, Kh);
        public int OutW => Params.OutW(W, Kw);
        public override string ToString() => $"x[{N},{C},{H},{W}] O={O} k({Kh},{Kw}) s={S} p({Pt},{Pb},{Pl},{Pr}) d={D} g={G}";
    }

    public static TheoryData<Conv> ConvCases() => new()
    {
        new Conv(2, 1, 28, 28, 6, 5, 5, 1, 2, 2, 2, 2, 1, 1),     // LeNet's conv1 (the CPU's direct kernel)
        new Conv(3, 6, 12, 12, 16, 5, 5, 1, 0, 0, 0, 0, 1, 1),    // LeNet's conv2 shape
        new Conv(2, 4, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // 3x3 padding 1 (ResNet's blocks)
        new Conv(1, 3, 17, 9, 5, 3, 3, 2, 1, 0, 0, 1, 1, 1),      // stride 2, asymmetric padding
        new Conv(2, 4, 9, 11, 6, 3, 2, 1, 2, 2, 1, 1, 2, 2),      // dilation 2, two groups
        new Conv(1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),       // depthwise
        new Conv(3, 5, 7, 3, 7, 1, 1, 2, 0, 0, 0, 0, 1, 1),       // 1x1 with stride 2 (a downsample)
        new Conv(2, 33, 5, 5, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // many input channels
        new Conv(2, 32, 14, 14, 64, 4, 4, 2, 1, 1, 1, 1, 1, 1),   // DCGAN's 4x4 stride 2 (the CPU's channels-last kernel)
        new Conv(2, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // 3x3 with 96 channels in and out (the CPU's Winograd): odd sizes
        new Conv(1, 48, 5, 36, 49, 3, 3, 1, 0, 0, 2, 2, 1, 1),    // Winograd, 19 tiles a row, padding 0 and 2 (2 and 0 in the input gradient)
        new Conv(5, 48, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // Winograd, rows of 4 tiles (4 rows a vector, across samples)
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(nameof(IBackend.Conv2d))]
    public void Conv2dForward(Conv c)
    {
        foreach (var dtype in Floats)
            foreach (bool withBias in new[] { true, false })
                Close($"Conv2d {c} {dtype} bias {withBias}", SumTol(dtype), d =>
                {
                    // x as the transpose of [N, C, W, H] in its plane.
                    var x = On(d, Randn([c.N, c.C, c.W, c.H], dtype, 72)).TransposeView(2, 3);
                    var w = On(d, Randn([c.O, c.C / c.G, c.Kh, c.Kw], dtype, 73));
                    var b = withBias ? On(d, Randn([c.O], dtype, 74)) : null;
                    var y = Tensor.Empty([c.N, c.O, c.OutH, c.OutW], dtype, d);
                    d.Backend.Conv2d(x, w, b, c.Params, y);
                    return [y];
                }, scale: 1);
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(nameof(IBackend.Conv2dBackward))]
    public void Conv2dBackwardEachGradientAlone(Conv c)
    {
        foreach (var dtype in Floats)
            for (int need = 1; need < 8; need++)
            {
                bool needX = (need & 1) != 0, needW = (need & 2) != 0, needB = (need & 4) != 0;
                Close($"Conv2dBackward {c} {dtype} gx {needX} gw {needW} gb {needB}", SumTol(dtype), d =>
                {
                    var x = On(d, Randn([c.N, c.C, c.H, c.W], dtype, 75));
                    var w = On(d, Randn([c.O, c.C / c.G, c.Kh, c.Kw], dtype, 76));
                    var gy = On(d, Randn([c.N, c.O, c.OutW, c.OutH], dtype, 77)).TransposeView(2, 3);
                    // Destinations full of NaN: the primitive must overwrite them.
                    var gx = needX ? On(d, Tensor.Full(x.GetShape(), double.NaN, dtype)) : null;
                    var gw = needW ? On(d, Tensor.Full(w.GetShape(), double.NaN, dtype)) : null;
                    var gb = needB ? On(d, Tensor.Full([c.O], double.NaN, dtype)) : null;
                    d.Backend.Conv2dBackward(x, w, gy, c.Params, gx, gw, gb);
                    return new[] { gx, gw, gb }.OfType<Tensor>().ToArray();
                }, scale: 1);
            }
    }
}
