using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// The weight gradient as outer products for 64 output channels (float, unit stride, no padding, no groups):
// gW^T[k, o] = sum over positions q of x at (q, tap k) * gY^T[q, o], vectors over o, the input values broadcast
// straight from x. Nothing is gathered and no accumulator is folded across lanes: the dot-product tiles spend a third
// of their time on those when a sample has few positions (the lecture CNN's second convolution: 16 per sample).
public static unsafe partial class ConvWeightGrad
{
    /// <summary>Taps of the outer-product tile (x 4 vectors of output channels = 24 accumulators).</summary>
    private const int BroadcastTaps = 6;

    /// <summary>Positions per block: their gY^T rows (64 floats each) stay in L1 while every tap tile sweeps them.</summary>
    private const int BroadcastBlock = 128;

    /// <summary>Whether <see cref="Broadcast"/> computes this gradient.</summary>
    internal static bool UseBroadcast(in Window2d w, int groups, int outChannels) =>
        BroadcastEnabled && groups == 1 && outChannels == 64 && w.StrideH == 1 && w.StrideW == 1 && w.DilationH == 1 && w.DilationW == 1
        && w.PadTop == 0 && w.PadLeft == 0 && w.OutH + w.KernelH - 1 <= w.Height && w.OutW + w.KernelW - 1 <= w.Width;

    // The input offset of every tap (calling thread).
    [ThreadStatic] private static int[]? tapOffsetBuffer;

    /// <summary>Whether the outer-product path may be taken (tests turn it off to compare with the dot products).</summary>
    internal static bool BroadcastEnabled { get; set; } = true;

    private static void Broadcast(float* x, float* gy, int batch, in Window2d win, float* gw, int threads)
    {
        int taps = win.KernelH * win.KernelW, k = win.Channels * taps, l = win.OutPlaneSize;
        int kPad = (k + BroadcastTaps - 1) / BroadcastTaps * BroadcastTaps;
        long work = (long)batch * l * 64 * k;
        int parts = (int)Math.Clamp(Math.Min(batch, work / Gemm.MinWorkPerThread), 1, threads);
        // Per part a [kPad, 64] partial of gW^T, summed in part order at the end (deterministic per thread count).
        float* partial = AlignedBuffer.Get(ref Buffers<float>.Acc, (nint)parts * kPad * 64);
        int* tapOffsets = AlignedBuffer.Get(ref tapOffsetBuffer, kPad);
        for (int c = 0, t = 0; c < win.Channels; c++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++) tapOffsets[t++] = c * win.PlaneSize + i * win.Width + j;
        for (int t = k; t < kPad; t++) tapOffsets[t] = 0; // padding taps read a valid input; their sums are dropped
        var job = new BroadcastJob { X = x, Gy = gy, Batch = batch, Win = win, K = k, KPad = kPad, Parts = parts, Partial = partial, TapOffsets = tapOffsets };
        KernelThreads.For(parts, ref job);
        for (int o = 0; o < 64; o++)
            for (int t = 0; t < k; t++)
            {
                float s = partial[(nint)t * 64 + o];
                for (int p = 1; p < parts; p++) s += partial[((nint)p * kPad + t) * 64 + o];
                gw[(nint)o * k + t] = s;
            }
    }

    private struct BroadcastJob : IPartitionBody
    {
        public float* X, Gy, Partial;
        public int* TapOffsets;
        public int Batch, K, KPad, Parts;
        public Window2d Win;

        public readonly void Run(int part)
        {
            int l = Win.OutPlaneSize, outW = Win.OutW, sampleSize = Win.Channels * Win.PlaneSize;
            long q0 = (long)Batch * part / Parts * l, q1 = (long)Batch * (part + 1) / Parts * l;
            float* acc = Partial + (nint)part * KPad * 64;
            new Span<float>(acc, KPad * 64).Clear();
            float* g = AlignedBuffer.Get(ref Buffers<float>.Gy, (nint)BroadcastBlock * 64);
            int* xoff = stackalloc int[BroadcastBlock];
            for (long qa = q0; qa < q1; qa += BroadcastBlock)
            {
                int count = (int)Math.Min(BroadcastBlock, q1 - qa);
                // gY^T rows of the block, and where in x each position reads its tap (0, 0).
                for (int j = 0; j < count; j++)
                {
                    long q = qa + j, s = q / l;
                    int r = (int)(q - s * l), oh = r / outW, ow = r - oh * outW;
                    xoff[j] = (int)(s * sampleSize) + oh * Win.Width + ow;
                    float* src = Gy + s * 64 * l + r;
                    float* dst = g + j * 64;
                    for (int o = 0; o < 64; o++) dst[o] = src[(nint)o * l];
                }
                for (int t = 0; t < KPad; t += BroadcastTaps)
                    Tile(X, xoff, g, count, TapOffsets + t, acc + (nint)t * 64);
            }
        }
    }

    // acc[t * 64 + o] += sum over j < count of x[xoff[j] + off[t]] * g[j * 64 + o], t < 6, o < 64.
    private static void Tile(float* x, int* xoff, float* g, int count, int* off, float* acc)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        nint o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5];
        for (int j = 0; j < count; j++, g += 64)
        {
            var g0 = Vector512.Load(g);
            var g1 = Vector512.Load(g + 16);
            var g2 = Vector512.Load(g + 32);
            var g3 = Vector512.Load(g + 48);
            float* xb = x + xoff[j];
            var b = Vector512.Create(xb[o0]);
            a00 = Avx512F.FusedMultiplyAdd(b, g0, a00); a01 = Avx512F.FusedMultiplyAdd(b, g1, a01); a02 = Avx512F.FusedMultiplyAdd(b, g2, a02); a03 = Avx512F.FusedMultiplyAdd(b, g3, a03);
            b = Vector512.Create(xb[o1]);
            a10 = Avx512F.FusedMultiplyAdd(b, g0, a10); a11 = Avx512F.FusedMultiplyAdd(b, g1, a11); a12 = Avx512F.FusedMultiplyAdd(b, g2, a12); a13 = Avx512F.FusedMultiplyAdd(b, g3, a13);
            b = Vector512.Create(xb[o2]);
            a20 = Avx512F.FusedMultiplyAdd(b, g0, a20); a21 = Avx512F.FusedMultiplyAdd(b, g1, a21); a22 = Avx512F.FusedMultiplyAdd(b, g2, a22); a23 = Avx512F.FusedMultiplyAdd(b, g3, a23);
            b = Vector512.Create(xb[o3]);
            a30 = Avx512F.FusedMultiplyAdd(b, g0, a30); a31 = Avx512F.FusedMultiplyAdd(b, g1, a31); a32 = Avx512F.FusedMultiplyAdd(b, g2, a32); a33 = Avx512F.FusedMultiplyAdd(b, g3, a33);
            b = Vector512.Create(xb[o4]);
            a40 = Avx512F.FusedMultiplyAdd(b, g0, a40); a41 = Avx512F.FusedMultiplyAdd(b, g1, a41); a42 = Avx512F.FusedMultiplyAdd(b, g2, a42); a43 = Avx512F.FusedMultiplyAdd(b, g3, a43);
            b = Vector512.Create(xb[o5]);
            a50 = Avx512F.FusedMultiplyAdd(b, g0, a50); a51 = Avx512F.FusedMultiplyAdd(b, g1, a51); a52 = Avx512F.FusedMultiplyAdd(b, g2, a52); a53 = Avx512F.FusedMultiplyAdd(b, g3, a53);
        }
        AddRow(acc, a00, a01, a02, a03);
        AddRow(acc + 64, a10, a11, a12, a13);
        AddRow(acc + 128, a20, a21, a22, a23);
        AddRow(acc + 192, a30, a31, a32, a33);
        AddRow(acc + 256, a40, a41, a42, a43);
        AddRow(acc + 320, a50, a51, a52, a53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* acc, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        Vector512.Store(Vector512.Load(acc) + v0, acc);
        Vector512.Store(Vector512.Load(acc + 16) + v1, acc + 16);
        Vector512.Store(Vector512.Load(acc + 32) + v2, acc + 32);
        Vector512.Store(Vector512.Load(acc + 48) + v3, acc + 48);
    }
}
