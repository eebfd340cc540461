using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// Strided windows for the flat kernels, by stride phases (polyphase decomposition).
public static unsafe partial class ConvDirect
{
    /// <summary>
    /// Whether the kernels over flat planes (<see cref="ForwardFlat"/>, <see cref="WeightGradFlat"/>) compute this
    /// convolution: AVX-512F, one group, unit dilation, and strides of 1 or 2 no larger than the kernel. A stride-2
    /// window reads each sample's stride phases: phase (p, q) of a channel holds the padded input's rows sh * u + p and
    /// columns sw * v + q, so every tap is again one fixed offset from the output grid, read with unit-stride loads.
    /// </summary>
    public static bool SupportsFlat(in Window2d win, int groups) =>
        IsSupported && groups == 1 && win.DilationH == 1 && win.DilationW == 1 && win.StrideH is 1 or 2 && win.StrideW is 1 or 2
        && win.KernelH >= win.StrideH && win.KernelW >= win.StrideW && win.ColRows > 0 && win.PadTop >= 0 && win.PadLeft >= 0;

    // The flat scratch of a window: per channel, one plane of Hp x Wp per stride phase; the output grid is OutH rows of Wp.
    private static (int Wp, int Hp, int Plane, int ChannelSpan) FlatPlanes(in Window2d win)
    {
        int wp = win.OutW + (win.KernelW - 1) / win.StrideW, hp = win.OutH + (win.KernelH - 1) / win.StrideH;
        return (wp, hp, wp * hp, wp * hp * win.StrideH * win.StrideW);
    }

    // Copies sample s of x into its stride phases: xpad[r, col] (x with its top and left padding) to phase
    // (r % sh, col % sw), row r / sh, column col / sw; positions outside x stay as cleared. False when a value copied is
    // an infinity or a NaN.
    private static bool CopyPhases(float* x, in Window2d win, int s, float* pad, int wp, int hp, int plane)
    {
        int sh = win.StrideH, sw = win.StrideW, width = win.Width;
        float* src = x + (nint)s * win.Channels * win.PlaneSize;
        var zero = Vector512<float>.Zero;
        var check = zero;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (int c = 0; c < win.Channels; c++)
        {
            float* channel = pad + (nint)c * sh * sw * plane;
            for (int ih = 0; ih < win.Height; ih++)
            {
                int r = ih + win.PadTop, u = r / sh;
                if (u >= hp) break;
                float* from = src + (nint)c * win.PlaneSize + (nint)ih * width;
                for (int q = 0; q < sw; q++)
                {
                    // Columns iw = sw * v + q - PadLeft of x, for v from v0 while inside x and the plane.
                    int v0 = Math.Max(0, (win.PadLeft - q + sw - 1) / sw), iw0 = sw * v0 + q - win.PadLeft;
                    int n = Math.Min(wp - v0, (width - iw0 + sw - 1) / sw);
                    if (n <= 0) continue;
                    float* dst = channel + (nint)(r % sh * sw + q) * plane + (nint)u * wp + v0, f = from + iw0;
                    for (int j = 0; j < n; j += Vw)
                    {
                        int m = Math.Min(Vw, n - j);
                        Vector512<float> v;
                        if (sw == 1) v = Avx512F.MaskLoad(f + j, Mask(m), zero);
                        else
                        {
                            // 2m - 1 consecutive values hold the m even ones.
                            int span = 2 * m - 1;
                            var lo = Avx512F.MaskLoad(f + 2 * j, Mask(span), zero);
                            var hi = span > Vw ? Avx512F.MaskLoad(f + 2 * j + Vw, Mask(span - Vw), zero) : zero;
                            v = Avx512F.PermuteVar16x32x2(lo, even, hi);
                        }
                        Avx512F.MaskStore(dst + j, Mask(m), v);
                        check += v * zero;
                    }
                }
            }
        }
        // x * 0 is 0 for finite x and NaN for an infinity or a NaN.
        return Vector512.EqualsAll(check, zero);
    }
}
