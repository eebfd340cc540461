using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The implicit GEMM's packing: the im2col values of a panel of output positions gathered straight into the
// micro-panel layout (see ConvGemm.cs).
public static unsafe partial class ConvGemm
{
    /// <summary>
    /// Fills panel[k * nr + j] with the value tap k (of channels c0 .. c0+cg) reads at position q0 + j: zero for padding
    /// and for j from <paramref name="count"/> to <paramref name="width"/> (default nr; lanes past it are left as they
    /// are). <paramref name="xEnd"/> is one past the last element of x: nothing at or beyond it is read.
    /// </summary>
    /// <remarks>
    /// Unit-stride windows without dilation (float) take <see cref="GatherShifted"/> one vector of positions at a time:
    /// the 16 positions of a vector sit at fixed offsets from the first one's input, the same for every tap, so each
    /// tap's vector is one two-register permute of 32 consecutive inputs (masked where it reads padding). Vectors that
    /// cross a sample, or whose positions spread over more than 32 inputs, copy runs along output rows.
    /// </remarks>
    internal static void Gather<T>(T* x, T* xEnd, in Window2d w, int c0, int cg, int l, long q0, int count, int nr, T* panel, int width = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = cg * w.KernelH * w.KernelW;
        width = width < 0 ? nr : width;
        if (count < width)
            for (int k = 0; k < taps; k++) new Span<T>(panel + k * nr + count, width - count).Clear();
        if (typeof(T) != typeof(float) || !UseShifted(w, cg))
        {
            GatherRuns(x, w, c0, cg, l, q0, 0, count, nr, panel);
            return;
        }
        for (int ja = 0; ja < count; ja += 16)
        {
            int n = Math.Min(16, count - ja);
            if (!GatherVector((float*)x, (float*)xEnd, w, c0, cg, l, q0 + ja, n, nr, (float*)panel + ja))
                GatherRuns(x, w, c0, cg, l, q0, ja, ja + n, nr, panel);
        }
    }

    /// <summary>Most samples one vector of positions may span and still take the permute gather (or fold), one pass per sample.</summary>
    private const int MaxSegments = 4;

    /// <summary>
    /// The permute gather of the n positions from q, one pass per sample they span (a 7x7 or 3x3 plane holds fewer
    /// positions than a vector): each pass writes its own lanes and zeros elsewhere, later passes merge by OR. False
    /// when a pass cannot take the permute; the caller then copies runs over every lane.
    /// </summary>
    private static bool GatherVector(float* x, float* xEnd, in Window2d w, int c0, int cg, int l, long q, int n, int nr, float* dst)
    {
        long r = q % l;
        if (r + n <= l) return GatherShifted(x, xEnd, w, c0, cg, l, q, 0, n, nr, dst, merge: false);
        if ((r + n + l - 1) / l > MaxSegments) return false;
        for (int first = 0; first < n;)
        {
            int len = (int)Math.Min(n - first, l - (q + first) % l);
            if (!GatherShifted(x, xEnd, w, c0, cg, l, q + first, first, len, nr, dst, merge: first > 0)) return false;
            first += len;
        }
        return true;
    }

    /// <summary>
    /// Stride 1 and dilation 1 (every position reads its taps at one offset from its own input, padding aside), and
    /// either short output rows (runs under a vector) or enough taps to pay for the per-vector set-up: a one-channel
    /// 5x5 layer with 24-wide rows copies its runs faster.
    /// </summary>
    internal static bool UseShifted(in Window2d w, int cg) =>
        w.StrideH == 1 && w.StrideW == 1 && w.DilationH == 1 && w.DilationW == 1 && (w.OutW < 16 || cg * w.KernelH * w.KernelW >= 64);

    /// <summary>
    /// The permute gather of <see cref="Gather{T}"/> for lanes [first, first + n) of a vector (n positions of one
    /// sample from q), into dst[k * nr + lane]; the other lanes get zero, or keep what they hold when
    /// <paramref name="merge"/>. False (nothing written) when the positions cross a sample, spread over more than 32
    /// inputs or their 32-input windows would leave [x, xEnd). Taps that fall in the padding for some lanes are masked
    /// to zero there.
    /// </summary>
    private static bool GatherShifted(float* x, float* xEnd, in Window2d w, int c0, int cg, int l, long q, int first, int n, int nr, float* dst, bool merge)
    {
        long s = q / l;
        int r0 = (int)(q - s * l), outW = w.OutW, width = w.Width, height = w.Height, plane = w.PlaneSize, kh = w.KernelH, kw = w.KernelW;
        if (r0 + n > l) return false;
        int oh = r0 / outW, ow = r0 - oh * outW, last = first + n;
        // Input row and column of tap (0, 0) per lane; lanes outside [first, last) get a row no tap reaches.
        int* offsets = stackalloc int[16], rows = stackalloc int[16], cols = stackalloc int[16];
        int rel0 = (oh - w.PadTop) * width + ow - w.PadLeft, rowMin = int.MaxValue, rowMax = int.MinValue, colMin = int.MaxValue, colMax = int.MinValue;
        for (int t = 0; t < 16; t++)
        {
            bool on = t >= first && t < last;
            int ih = oh - w.PadTop, iw = ow - w.PadLeft;
            offsets[t] = on ? ih * width + iw - rel0 : 0;
            rows[t] = on ? ih : -(1 << 20);
            cols[t] = iw;
            if (!on) continue;
            (rowMin, rowMax) = (Math.Min(rowMin, ih), Math.Max(rowMax, ih));
            (colMin, colMax) = (Math.Min(colMin, iw), Math.Max(colMax, iw));
            if (++ow == outW)
            {
                ow = 0;
                oh++;
            }
        }
        if (offsets[last - 1] > 31) return false;
        float* xs = x + (s * w.Channels + c0) * plane + rel0;
        // Elements a channel's loads span from its first tap's input: the channels of a one-image batch next to the
        // ends of x (or padding before the first input) load them masked, so nothing outside [x, xEnd) is read.
        nint reach = (nint)(kh - 1) * width + kw - 1 + 32;
        var idx = Vector512.Load(offsets);
        var lanes = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(first)) & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(last));
        bool interior = rowMin >= 0 && rowMax + kh <= height && colMin >= 0 && colMax + kw <= width;
        // Per kernel row and column, the lanes whose input row (column) lies inside the image.
        var rowOk = stackalloc Vector512<float>[kh];
        var colOk = stackalloc Vector512<float>[kw];
        var rv = Vector512.Load(rows);
        var cv = Vector512.Load(cols);
        for (int i = 0; i < kh; i++)
        {
            var r = rv + Vector512.Create(i);
            rowOk[i] = interior ? lanes.AsSingle() : (lanes & Vector512.GreaterThanOrEqual(r, Vector512<int>.Zero) & Vector512.LessThan(r, Vector512.Create(height))).AsSingle();
        }
        for (int j = 0; j < kw; j++)
        {
            var cc = cv + Vector512.Create(j);
            colOk[j] = interior ? Vector512<float>.AllBitsSet : (Vector512.GreaterThanOrEqual(cc, Vector512<int>.Zero) & Vector512.LessThan(cc, Vector512.Create(width))).AsSingle();
        }
        for (int c = 0; c < cg; c++)
        {
            float* start = xs + (nint)c * plane;
            bool inside = start >= x && start + reach <= xEnd;
            for (int i = 0; i < kh; i++)
            {
                float* row = start + i * width;
                var keepRow = rowOk[i];
                for (int j = 0; j < kw; j++, dst += nr)
                {
                    var v = inside
                        ? Avx512F.PermuteVar16x32x2(Vector512.Load(row + j), idx, Vector512.Load(row + j + 16))
                        : Avx512F.PermuteVar16x32x2(LoadWithin(row + j, x, xEnd), idx, LoadWithin(row + j + 16, x, xEnd));
                    v &= keepRow & colOk[j];
                    Vector512.Store(merge ? v | Vector512.Load(dst) : v, dst);
                }
            }
        }
        return true;
    }

    // The 16 floats from p, lanes outside [lo, hi) read as zero (and not read).
    private static Vector512<float> LoadWithin(float* p, float* lo, float* hi)
    {
        int from = (int)Math.Clamp(lo - p, 0, 16), to = (int)Math.Clamp(hi - p, 0, 16);
        var i = Vector512<int>.Indices;
        var mask = Vector512.GreaterThanOrEqual(i, Vector512.Create(from)) & Vector512.LessThan(i, Vector512.Create(to));
        return Avx512F.MaskLoad(p, mask.AsSingle(), Vector512<float>.Zero);
    }

    // The run-copying gather of lanes [ja, jb) of the panel: positions walked in runs along one output row.
    private static void GatherRuns<T>(T* x, in Window2d w, int c0, int cg, int l, long q0, int ja, int jb, int nr, T* panel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kh = w.KernelH, kw = w.KernelW, outW = w.OutW, plane = w.PlaneSize;
        int j0 = ja;
        while (j0 < jb)
        {
            long q = q0 + j0, s = q / l;
            int r = (int)(q - s * l), oh = r / outW, ow = r - oh * outW, len = Math.Min(outW - ow, jb - j0);
            T* xs = x + (s * w.Channels + c0) * plane;
            for (int c = 0; c < cg; c++)
                for (int i = 0; i < kh; i++)
                {
                    T* rowBase = panel + (nint)((c * kh + i) * kw) * nr + j0;
                    int ih = oh * w.StrideH - w.PadTop + i * w.DilationH;
                    if ((uint)ih >= (uint)w.Height)
                    {
                        for (int j = 0; j < kw; j++) new Span<T>(rowBase + j * nr, len).Clear();
                        continue;
                    }
                    T* src = xs + (nint)c * plane + ih * w.Width;
                    for (int j = 0; j < kw; j++)
                    {
                        T* d = rowBase + j * nr;
                        int iw0 = ow * w.StrideW - w.PadLeft + j * w.DilationW;
                        var (lo, hi) = Window2d.ValidRange(iw0, w.StrideW, w.Width, len);
                        if (lo > 0) new Span<T>(d, lo).Clear();
                        if (hi < len) new Span<T>(d + hi, len - hi).Clear();
                        if (w.StrideW == 1) Copy(src + iw0 + lo, d + lo, hi - lo);
                        else for (int o = lo, iw = iw0 + lo * w.StrideW; o < hi; o++, iw += w.StrideW) d[o] = src[iw];
                    }
                }
            j0 += len;
        }
    }

    // dst[0..n) = src[0..n); short runs (one output row) are the common case.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(T* src, T* dst, int n) where T : unmanaged
    {
        if (n <= 0) return;
        int w = Vector512<T>.Count;
        if (n >= w)
        {
            int i = 0;
            for (; i + w <= n; i += w) Vector512.Store(Vector512.Load(src + i), dst + i);
            if (i < n) Vector512.Store(Vector512.Load(src + n - w), dst + n - w);
            return;
        }
        int h = Vector256<T>.Count;
        if (n >= h)
        {
            Vector256.Store(Vector256.Load(src), dst);
            Vector256.Store(Vector256.Load(src + n - h), dst + n - h);
            return;
        }
        for (int i = 0; i < n; i++) dst[i] = src[i];
    }
}
