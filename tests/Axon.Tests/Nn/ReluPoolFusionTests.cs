using System.Numerics;
using Axon.Nn;

namespace Axon.Tests.Nn;

/// <summary>
/// Sequential runs ReLU followed by MaxPool2d as the pooling first and the ReLU on its output. Its output and input
/// gradient must equal calling the two modules one by one, to the bit: random shapes (odd sizes, overlapping kernel 3
/// stride 2, padding, dilation, ceil mode), values with ties, +-0, +-inf, negative-only windows and NaNs of two
/// payloads, and output gradients with -0 and NaN.
/// </summary>
public class ReluPoolFusionTests
{
    private sealed record Case(int N, int C, int H, int W, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, bool Ceil)
    {
        public MaxPool2d Pool() => new((Kh, Kw), (Sh, Sw), (Ph, Pw), (Dh, Dw), Ceil);
        public int OutH => Tensor.ConvOutputSize(H, Kh, Sh, Ph, Dh, Ceil);
        public int OutW => Tensor.ConvOutputSize(W, Kw, Sw, Pw, Dw, Ceil);
        public override string ToString() => $"x[{N},{C},{H},{W}] k({Kh},{Kw}) s({Sh},{Sw}) p({Ph},{Pw}) d({Dh},{Dw}) ceil={Ceil}";
    }

    private static Case RandomCase(Random r)
    {
        while (true)
        {
            int kind = r.Next(5);
            // The lecture CNN's pools, overlapping 3/2 pools, then anything (with padding and dilation).
            var (kh, kw, sh, sw) = kind switch
            {
                0 => (3, 3, 3, 3),
                1 => (2, 2, 2, 2),
                2 => (3, 3, 2, 2),
                _ => (r.Next(1, 5), r.Next(1, 5), r.Next(1, 4), r.Next(1, 4)),
            };
            bool any = kind >= 3;
            int ph = any || kind == 2 ? r.Next(0, kh / 2 + 1) : 0, pw = any || kind == 2 ? r.Next(0, kw / 2 + 1) : 0;
            int dh = any && r.Next(3) == 0 ? 2 : 1, dw = any && r.Next(3) == 0 ? 2 : 1;
            int h = r.Next(1, 26), w = r.Next(3) == 0 ? r.Next(30, 70) : r.Next(1, 26);
            var c = new Case(r.Next(1, 3), r.Next(1, 4), h, w, kh, kw, sh, sw, ph, pw, dh, dw, r.Next(3) == 0);
            if (c.OutH >= 1 && c.OutW >= 1) return c;
        }
    }

    private static T[] Values<T>(Random r, int n, bool gradient) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] special = [T.Zero, T.NegativeZero, T.PositiveInfinity, T.NegativeInfinity, T.NaN, -T.NaN];
        int mode = r.Next(4);   // 0: mostly negative (whole windows <= 0); 1: specials; else ties and spread values
        var x = new T[n];
        for (int i = 0; i < n; i++)
            x[i] = (mode == 1 || gradient) && r.Next(25) == 0 ? special[r.Next(special.Length)]
                 : mode == 0 ? T.CreateChecked(-r.Next(0, 4)) + (r.Next(8) == 0 ? T.CreateChecked(r.NextDouble()) : T.Zero)
                 : r.Next(2) == 0 ? T.CreateChecked(r.Next(-2, 3))
                 : T.CreateChecked(r.NextDouble() * 6 - 3);
        return x;
    }

    private static Tensor FromValues<T>(T[] v, int[] shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Tensor.FromArray((float[])(object)v, shape) : Tensor.FromArray((double[])(object)v, shape);

    private static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? t.ToFloatArray().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray()
        : t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        long[] e = Bits(expected), a = Bits(actual);
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i]) Assert.Fail($"{what}: element {i} has bits {a[i]:x}, expected {e[i]:x}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void FusedReluAndMaxPoolMatchTheTwoModulesToTheBit(DType dtype)
    {
        if (dtype == DType.Float32) Run<float>(1);
        else Run<double>(2);
    }

    private static void Run<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new Random(seed);
        int fused = 0;
        for (int t = 0; t < 150; t++)
        {
            var c = RandomCase(r);
            int[] shape = r.Next(5) == 0 ? [c.C, c.H, c.W] : [c.N, c.C, c.H, c.W];
            int n = shape.Aggregate(1, (a, b) => a * b);
            var xv = Values<T>(r, n, gradient: false);
            var relu = new ReLU();
            var pool = c.Pool();
            var seq = new Sequential(relu, pool);

            var x1 = FromValues(xv, shape).RequiresGrad_();
            var y1 = seq.Forward(x1);
            var x2 = FromValues(xv, shape).RequiresGrad_();
            var y2 = pool.Call(relu.Call(x2));
            string what = $"{c} {typeof(T).Name}";
            AssertSameBits(y2, y1, "output " + what);
            // The fused pair is one op (under a Squeeze for an unbatched input).
            var node = y1.GradFn!.Name == "Squeeze" ? y1.GradFn.Inputs[0].GradFn! : y1.GradFn;
            if (node.Name == "ReluMaxPool2d") fused++;
            var gy = FromValues(Values<T>(r, y1.NumEl, gradient: true), y1.GetShape());
            y1.Backward(gy);
            y2.Backward(gy);
            AssertSameBits(x2.Grad!, x1.Grad!, "input gradient " + what);

            // Without autograd (no indices: the stride-1 rows take another kernel) the outputs agree too.
            using (GradMode.NoGrad())
                AssertSameBits(pool.Call(relu.Call(FromValues(xv, shape))), seq.Forward(FromValues(xv, shape)), "no-grad output " + what);
        }
        Assert.True(fused > 100, $"only {fused} of 150 cases fused");
    }

    [Fact]
    public void LectureCnnPoolsOnNegativeWindowsTiesAndZeros()
    {
        // [1, 1, 6, 6] through ReLU and 3x3 max pooling: a negative-only window, a window of ties at 2 (the gradient
        // goes to the first), a window of -0 and +0 zeros, and a window with a NaN after its maximum.
        float nan = float.NaN;
        var data = new float[]
        {
            -1, -2, -3,   2, 1, 2,
            -4, -5, -6,   0, 2, 2,
            -7, -8, -1,   2, 1, 0,
            -0f, 0, -0f,  5, 1, 1,
            0, -0f, -1,   1, nan, 1,
            -1, 0, -2,    1, 1, 1,
        };
        var x1 = Tensor.FromArray(data, 1, 1, 6, 6).RequiresGrad_();
        var y = new Sequential(new ReLU(), new MaxPool2d(3)).Forward(x1);
        Assert.Equal("ReluMaxPool2d", y.GradFn!.Name);
        var v = y.ToFloatArray();
        Assert.Equal(0, BitConverter.SingleToInt32Bits(v[0]));   // +0 from the negative window
        Assert.Equal(2f, v[1]);
        Assert.Equal(0, BitConverter.SingleToInt32Bits(v[2]));   // +0 from the zeros
        Assert.True(float.IsNaN(v[3]));
        y.Backward(Tensor.FromArray(new float[] { 10, 20, 30, 40 }, 1, 1, 2, 2));
        var g = x1.Grad!.ToFloatArray();
        var expected = new float[36];
        expected[3] = 20;   // the first 2 of the tied window
        Assert.Equal(expected, g);
        Assert.All(g, e => Assert.False(BitConverter.SingleToInt32Bits(e) == int.MinValue, "no -0 in the gradient"));
    }

    [Fact]
    public void HooksAndPaddingOnlyWindowsKeepTheModulesApart()
    {
        var x = Tensor.FromArray(new float[] { -1, 2, 3, -4, 5, -6, 7, 8 }, 1, 2, 2, 2);
        // A forward hook on the ReLU sees the ReLU's own full-size output.
        var relu = new ReLU();
        var pool = new MaxPool2d(2);
        int[]? seen = null;
        using (relu.RegisterForwardHook((_, _, output) => seen = output.GetShape()))
            Assert.Equal(pool.Call(relu.Call(x)).ToFloatArray(), new Sequential(relu, pool).Forward(x).ToFloatArray());
        Assert.Equal(new[] { 1, 2, 2, 2 }, seen);
        // A hook on the pooling sees the pooling's input after ReLU: the pair runs unfused.
        float[]? poolInput = null;
        using (pool.RegisterForwardHook((_, input, _) => poolInput = input.ToFloatArray()))
            new Sequential(relu, pool).Forward(x);
        Assert.Equal(new float[] { 0, 2, 3, 0, 5, 0, 7, 8 }, poolInput);

        // Kernel 2, dilation 3, padding 1 over width 2: the window's taps (-1 and 2) are all padding, so max pooling
        // gives -inf there; ReLU after it would give 0, so the pair must not be fused.
        var narrow = Tensor.FromArray(new float[] { -1, -2, -3, -4 }, 1, 1, 2, 2).RequiresGrad_();
        var y = new Sequential(new ReLU(), new MaxPool2d(2, 1, 1, 3)).Forward(narrow);
        Assert.Equal("MaxPool2d", y.GradFn!.Name);
        Assert.Equal(new[] { float.NegativeInfinity }, y.ToFloatArray());
        // An input the pooling rejects gives the pooling's error, as unfused.
        var ex = Assert.Throws<ArgumentException>(() => new Sequential(new ReLU(), new MaxPool2d(3)).Forward(Tensor.Zeros([1, 1, 2, 2])));
        Assert.Contains("too small", ex.Message, StringComparison.Ordinal);
    }
}
