using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The input gradient's fold: the adjoint of the gather, adding a panel's column gradient back onto the input.
public static unsafe partial class ConvGemm
{
    /// <summary>
    /// The adjoint of <see cref="Gather{T}"/>: adds panel[k * nr + j] onto the input value it was read from. Writes
    /// touch only those values (unit-stride windows use masked stores), so threads may fold into different samples of
    /// one tensor at once.
    /// </summary>
    internal static void Fold<T>(T* panel, T* gx, in Window2d w, int c0, int cg, int l, long q0, int count, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Padded windows keep the runs: most of their vectors touch the border, where the permute fold does not apply.
        bool padded = w.PadTop > 0 || w.PadLeft > 0 || w.OutH + w.KernelH - 1 > w.Height || w.OutW + w.KernelW - 1 > w.Width;
        if (typeof(T) != typeof(float) || !UseShifted(w, cg) || padded)
        {
            FoldRuns(panel, gx, w, c0, cg, l, q0, 0, count, nr);
            return;
        }
        for (int ja = 0; ja < count; ja += 16)
        {
            int n = Math.Min(16, count - ja);
            if (!FoldVector((float*)panel + ja, (float*)gx, w, c0, cg, l, q0 + ja, n, nr))
                FoldRuns(panel, gx, w, c0, cg, l, q0, ja, ja + n, nr);
        }
    }

    /// <summary>
    /// The permute fold of the n positions from q, one pass per sample they span. False before anything is added
    /// when some pass cannot take the permute (the caller then adds runs over every lane).
    /// </summary>
    private static bool FoldVector(float* src, float* gx, in Window2d w, int c0, int cg, int l, long q, int n, int nr)
    {
        long r = q % l;
        if (r + n <= l) return FoldShifted(src, gx, w, c0, cg, l, q, 0, n, nr);
        if ((r + n + l - 1) / l > MaxSegments) return false;
        for (int first = 0; first < n;)
        {
            int len = (int)Math.Min(n - first, l - (q + first) % l);
            if (!FoldFits(w, l, q + first, first, len)) return false;
            first += len;
        }
        for (int first = 0; first < n;)
        {
            int len = (int)Math.Min(n - first, l - (q + first) % l);
            FoldShifted(src, gx, w, c0, cg, l, q + first, first, len, nr);
            first += len;
        }
        return true;
    }

    // Whether the n positions of one sample from q spread over at most 32 inputs, every tap inside the image.
    private static bool FoldFits(in Window2d w, int l, long q, int first, int n)
    {
        int r0 = (int)(q % l), outW = w.OutW, oh = r0 / outW, ow = r0 - oh * outW;
        int rel0 = (oh - w.PadTop) * w.Width + ow - w.PadLeft;
        for (int t = 0; t < n; t++)
        {
            int ih = oh - w.PadTop, iw = ow - w.PadLeft;
            if (ih * w.Width + iw - rel0 > 31 || ih < 0 || ih + w.KernelH > w.Height || iw < 0 || iw + w.KernelW > w.Width) return false;
            if (++ow == outW)
            {
                ow = 0;
                oh++;
            }
        }
        return true;
    }

    /// <summary>
    /// The adjoint of <see cref="GatherShifted"/>: each tap's vector is spread over the 32 inputs it was read from by two
    /// permutes and added there with masked loads and stores. Channels are the inner loop, so consecutive stores never
    /// overlap (an overlapping load right after a store would wait for it).
    /// </summary>
    /// <remarks>Lanes [first, first + n) of the vector at src: n positions of one sample from q.</remarks>
    private static bool FoldShifted(float* src, float* gx, in Window2d w, int c0, int cg, int l, long q, int first, int n, int nr)
    {
        long s = q / l;
        int r0 = (int)(q - s * l), outW = w.OutW, width = w.Width, plane = w.PlaneSize, kh = w.KernelH, kw = w.KernelW, taps = kh * kw;
        if (r0 + n > l) return false;
        int oh = r0 / outW, ow = r0 - oh * outW, rel0 = (oh - w.PadTop) * width + ow - w.PadLeft;
        int* inverse = stackalloc int[32];
        for (int m = 0; m < 32; m++) inverse[m] = -1;
        for (int t = first; t < first + n; t++)
        {
            // Only vectors whose every tap lies inside the image (no masks on the adds).
            int ih = oh - w.PadTop, iw = ow - w.PadLeft, offset = ih * width + iw - rel0;
            if (offset > 31 || ih < 0 || ih + kh > w.Height || iw < 0 || iw + kw > width) return false;
            inverse[offset] = t;
            if (++ow == outW)
            {
                ow = 0;
                oh++;
            }
        }
        var invLo = Vector512.Load(inverse);
        var invHi = Vector512.Load(inverse + 16);
        var maskLo = Vector512.GreaterThanOrEqual(invLo, Vector512<int>.Zero).AsSingle();
        var maskHi = Vector512.GreaterThanOrEqual(invHi, Vector512<int>.Zero).AsSingle();
        bool hi = maskHi != Vector512<float>.Zero;
        float* xs = gx + (s * w.Channels + c0) * plane + rel0;
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
            {
                float* d = src + (nint)(i * kw + j) * nr;
                float* dst = xs + i * width + j;
                for (int c = 0; c < cg; c++, d += (nint)taps * nr, dst += plane)
                {
                    var v = Vector512.Load(d);
                    Avx512F.MaskStore(dst, maskLo, Avx512F.MaskLoad(dst, maskLo, Vector512<float>.Zero) + Avx512F.PermuteVar16x32(v, invLo));
                    if (hi) Avx512F.MaskStore(dst + 16, maskHi, Avx512F.MaskLoad(dst + 16, maskHi, Vector512<float>.Zero) + Avx512F.PermuteVar16x32(v, invHi));
                }
            }
        return true;
    }

    // The run-adding fold of lanes [ja, jb) of the panel.
    private static void FoldRuns<T>(T* panel, T* gx, in Window2d w, int c0, int cg, int l, long q0, int ja, int jb, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kh = w.KernelH, kw = w.KernelW, outW = w.OutW, plane = w.PlaneSize;
        int j0 = ja;
        while (j0 < jb)
        {
            long q = q0 + j0, s = q / l;
            int r = (int)(q - s * l), oh = r / outW, ow = r - oh * outW, len = Math.Min(outW - ow, jb - j0);
            T* xs = gx + (s * w.Channels + c0) * plane;
            for (int c = 0; c < cg; c++)
                for (int i = 0; i < kh; i++)
                {
                    int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                    if ((uint)ih >= (uint)w.Height) continue;
                    T* rowBase = panel + (nint)((c * kh + i) * kw) * nr + j0;
                    T* dst = xs + (nint)c * plane + ih * w.Width;
                    for (int j = 0; j < kw; j++)
                    {
                        T* src = rowBase + j * nr;
                        int iw0 = ow * w.StrideW - w.PadLeft + j * w.DilationW;
                        var (lo, hi) = Window2d.ValidRange(iw0, w.StrideW, w.Width, len);
                        if (w.StrideW == 1) AddTo(src + lo, dst + iw0 + lo, hi - lo);
                        else for (int o = lo, iw = iw0 + lo * w.StrideW; o < hi; o++, iw += w.StrideW) dst[iw] += src[o];
                    }
                }
            j0 += len;
        }
    }

    // dst[0..n) += src[0..n).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<T>(T* src, T* dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count, i = 0;
        for (; i + w <= n; i += w) Vector512.Store(Vector512.Load(dst + i) + Vector512.Load(src + i), dst + i);
        int h = Vector256<T>.Count;
        if (i + h <= n)
        {
            Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
            i += h;
        }
        for (; i < n; i++) dst[i] += src[i];
    }
}
