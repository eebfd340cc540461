using Axon.Backends;

namespace Axon.Tests.Ops;

/// <summary>
/// The convolution tests' shared ground: one problem's record, the direct definitions of the output and the weight
/// gradient, and the runs on a CPU device of given options (<see cref="Device.CpuWith"/>).
/// </summary>
public static class ConvolutionReference
{
    internal static Device Cpu(CpuOptions options) => Device.CpuWith(options);
    /// <summary>One convolution problem: shapes and hyper-parameters (the paddings may differ per side, as with "same").</summary>
    public sealed record Config(int N, int C, int H, int W, int O, int Kh, int Kw, int Sh, int Sw, int Pt, int Pb, int Pl, int Pr, int Dh, int Dw, int G)
    {
        public int OutH => (H + Pt + Pb - Dh * (Kh - 1) - 1) / Sh + 1;
        public int OutW => (W + Pl + Pr - Dw * (Kw - 1) - 1) / Sw + 1;
        public override string ToString() => $"x[{N},{C},{H},{W}] w[{O},{C / G},{Kh},{Kw}] s({Sh},{Sw}) p({Pt},{Pb},{Pl},{Pr}) d({Dh},{Dw}) g{G}";
    }

    /// <summary>The direct definition: a loop over every output, input channel of its group and kernel tap.</summary>
    public static double[] Reference(Config c, double[] x, double[] w, double[]? b)
    {
        int cg = c.C / c.G, og = c.O / c.G;
        var y = new double[c.N * c.O * c.OutH * c.OutW];
        for (int n = 0; n < c.N; n++)
            for (int o = 0; o < c.O; o++)
                for (int i = 0; i < c.OutH; i++)
                    for (int j = 0; j < c.OutW; j++)
                    {
                        double s = b?[o] ?? 0;
                        int g = o / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int u = 0; u < c.Kh; u++)
                                for (int v = 0; v < c.Kw; v++)
                                {
                                    int ih = i * c.Sh - c.Pt + u * c.Dh, iw = j * c.Sw - c.Pl + v * c.Dw;
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                    s += w[((o * cg + ci) * c.Kh + u) * c.Kw + v] * x[((n * c.C + g * cg + ci) * c.H + ih) * c.W + iw];
                                }
                        y[((n * c.O + o) * c.OutH + i) * c.OutW + j] = s;
                    }
        return y;
    }

    internal static Tensor Run(Config c, Tensor x, Tensor w, Tensor? b) =>
        Tensor.Conv2d(x, w, b, (c.Sh, c.Sw), (c.Pt, c.Pl), (c.Dh, c.Dw), c.G);

    /// <summary>Output, input, weight and bias gradients of one problem (loss = sum(y * r)).</summary>
    internal static double[][] Results(Config c, DType dtype, int seed, Device device)
    {
        var g = new Generator(seed);
        var x = Tensor.Randn([c.N, c.C, c.H, c.W], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        var w = Tensor.Randn([c.O, c.C / c.G, c.Kh, c.Kw], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        var b = Tensor.Randn([c.O], g, DType.Float64).To(dtype).To(device).RequiresGrad_();
        var r = Tensor.Randn([c.N, c.O, c.OutH, c.OutW], g, DType.Float64).To(dtype).To(device);
        var y = Run(c, x, w, b);
        (y * r).Sum().Backward();
        return [y.ToDoubleArray(), x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray()];
    }

    /// <summary>The weight gradient by the direct definition: sum over samples and positions of gy * x.</summary>
    internal static double[] ReferenceWeightGrad(Config c, double[] x, double[] gy)
    {
        int cg = c.C / c.G, og = c.O / c.G;
        var gw = new double[c.O * cg * c.Kh * c.Kw];
        for (int n = 0; n < c.N; n++)
            for (int o = 0; o < c.O; o++)
                for (int i = 0; i < c.OutH; i++)
                    for (int j = 0; j < c.OutW; j++)
                    {
                        double gv = gy[((n * c.O + o) * c.OutH + i) * c.OutW + j];
                        int g = o / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int u = 0; u < c.Kh; u++)
                                for (int v = 0; v < c.Kw; v++)
                                {
                                    int ih = i * c.Sh - c.Pt + u * c.Dh, iw = j * c.Sw - c.Pl + v * c.Dw;
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                    gw[((o * cg + ci) * c.Kh + u) * c.Kw + v] += gv * x[((n * c.C + g * cg + ci) * c.H + ih) * c.W + iw];
                                }
                    }
        return gw;
    }
}
