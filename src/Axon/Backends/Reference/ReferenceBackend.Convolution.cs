using System.Numerics;

namespace Axon.Backends;

// 2-D convolution (cross-correlation) as its definition: seven nested loops. The backward runs the very same loops
// and, for every multiply-add y += x w of the forward, adds the adjoint products gx += gy w and gw += gy x.
public sealed partial class ReferenceBackend
{
    /// <summary>The sizes of a convolution: x [N, C, H, W], w [O, C/G, KH, KW], y [N, O, OH, OW].</summary>
    private readonly record struct ConvShape(int N, int C, int H, int W, int O, int Cg, int KH, int KW, int OH, int OW)
    {
        public static ConvShape Of(Tensor x, Tensor w, in Conv2dParams p)
        {
            int h = x.ShapeArray[2], wd = x.ShapeArray[3], kh = w.ShapeArray[2], kw = w.ShapeArray[3];
            return new(x.ShapeArray[0], x.ShapeArray[1], h, wd, w.ShapeArray[0], w.ShapeArray[1], kh, kw, p.OutH(h, kh), p.OutW(wd, kw));
        }
    }

    /// <inheritdoc/>
    public void Conv2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dParams p, Tensor y)
    {
        Own(x, weight, bias, y);
        if (y.DType == DType.Float32) Conv2d<float>(x, weight, bias, p, y);
        else Conv2d<double>(x, weight, bias, p, y);
    }

    private static void Conv2d<T>(Tensor x, Tensor w, Tensor? b, Conv2dParams p, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = ConvShape.Of(x, w, p);
        int og = s.O / p.Groups;
        Index4 X = new(x), W = new(w), Y = new(y);
        T[] xv = x.Data<T>(), wv = w.Data<T>(), yv = y.Data<T>();
        T[]? bv = b?.Data<T>();
        for (int n = 0; n < s.N; n++)
            for (int o = 0; o < s.O; o++)
            {
                int firstChannel = o / og * s.Cg;   // output channel o sees the input channels of its group
                for (int oh = 0; oh < s.OH; oh++)
                    for (int ow = 0; ow < s.OW; ow++)
                    {
                        T sum = T.Zero;
                        for (int c = 0; c < s.Cg; c++)
                            for (int i = 0; i < s.KH; i++)
                            {
                                int ih = oh * p.StrideH - p.PadTop + i * p.DilationH;
                                if (ih < 0 || ih >= s.H) continue;   // a padded row reads zero
                                for (int j = 0; j < s.KW; j++)
                                {
                                    int iw = ow * p.StrideW - p.PadLeft + j * p.DilationW;
                                    if (iw < 0 || iw >= s.W) continue;
                                    sum += xv[X.At(n, firstChannel + c, ih, iw)] * wv[W.At(o, c, i, j)];
                                }
                            }
                        if (bv is not null) sum += bv[b!.Offset + o * b.StrideArray[0]];
                        yv[Y.At(n, o, oh, ow)] = sum;
                    }
            }
    }

    /// <inheritdoc/>
    public void Conv2dBackward(Tensor? x, Tensor? weight, Tensor gy, in Conv2dParams p, Tensor? gx, Tensor? gw, Tensor? gb)
    {
        Own(x, weight, gy, gx, gw, gb);
        // Only the weight gradient reads x and only the input gradient reads the weight; otherwise the shapes come from the gradients.
        x ??= gx ?? throw new ArgumentException("ReferenceBackend.Conv2dBackward: x is needed for the weight gradient.", nameof(x));
        weight ??= gw ?? throw new ArgumentException("ReferenceBackend.Conv2dBackward: the weight is needed for the input gradient.", nameof(weight));
        // The gradients are sums of the adjoint products: start them at zero.
        foreach (var t in (ReadOnlySpan<Tensor?>)[gx, gw, gb])
            if (t is not null) Fill(t, 0);
        if (gy.DType == DType.Float32) Conv2dBackward<float>(x, weight, gy, p, gx, gw, gb);
        else Conv2dBackward<double>(x, weight, gy, p, gx, gw, gb);
    }

    private static void Conv2dBackward<T>(Tensor x, Tensor w, Tensor gy, Conv2dParams p, Tensor? gx, Tensor? gw, Tensor? gb) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = ConvShape.Of(x, w, p);
        int og = s.O / p.Groups;
        Index4 X = new(x), W = new(w), GY = new(gy);
        Index4? GX = gx is null ? null : new(gx), GW = gw is null ? null : new(gw);
        T[] xv = x.Data<T>(), wv = w.Data<T>(), gyv = gy.Data<T>();
        T[]? gxv = gx?.Data<T>(), gwv = gw?.Data<T>(), gbv = gb?.Data<T>();
        for (int n = 0; n < s.N; n++)
            for (int o = 0; o < s.O; o++)
            {
                int firstChannel = o / og * s.Cg;
                for (int oh = 0; oh < s.OH; oh++)
                    for (int ow = 0; ow < s.OW; ow++)
                    {
                        T g = gyv[GY.At(n, o, oh, ow)];
                        if (gbv is not null) gbv[gb!.Offset + o * gb.StrideArray[0]] += g;   // y += b
                        if (gxv is null && gwv is null) continue;
                        for (int c = 0; c < s.Cg; c++)
                            for (int i = 0; i < s.KH; i++)
                            {
                                int ih = oh * p.StrideH - p.PadTop + i * p.DilationH;
                                if (ih < 0 || ih >= s.H) continue;
                                for (int j = 0; j < s.KW; j++)
                                {
                                    int iw = ow * p.StrideW - p.PadLeft + j * p.DilationW;
                                    if (iw < 0 || iw >= s.W) continue;
                                    int xAt = X.At(n, firstChannel + c, ih, iw), wAt = W.At(o, c, i, j);
                                    // y += x w, so gx += gy w and gw += gy x.
                                    if (gxv is not null) gxv[GX!.Value.At(n, firstChannel + c, ih, iw)] += g * wv[wAt];
                                    if (gwv is not null) gwv[GW!.Value.At(o, c, i, j)] += g * xv[xAt];
                                }
                            }
                    }
            }
    }
}
