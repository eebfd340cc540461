using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

// float32 max pooling backward for windows that tile the planes (the forward is in Pooling.Grouped.cs).
//
// Backward, when the windows tile the planes exactly (stride = kernel, no padding or dilation, the kernel dividing
// the height and width) and n = 16 or 8 outputs make whole output rows of a plane or whole planes: each input
// belongs to exactly one window, so its gradient is that window's gradient where the window's index names it and
// +0 elsewhere, and a block of n outputs covers one contiguous run of kh kw n inputs. Each vector of n inputs of the
// run takes its windows' gradients and indices from the n loaded with one permute each, and compares the index with
// its own position: every input is written once, with no clear and no scatter. The gradient is written as 0 + g,
// the sum the clear-then-scatter kernel forms (so -0 becomes +0 there too).
public static partial class Pooling
{
    // The tiled backward's vector width n (16 or 8 outputs), or 0 when the windows do not tile the planes exactly or
    // no width fits: a block of n outputs must be whole output rows within a plane (OutW divides n, n divides OutH
    // OutW) or whole planes (OutH OutW divides n; planes left over after the last whole block take the scatter).
    private static int TiledWidth(in Window2d w)
    {
        bool tiled = w.StrideH == w.KernelH && w.StrideW == w.KernelW && w.PadTop == 0 && w.PadLeft == 0 && w.DilationH == 1 && w.DilationW == 1
            && w.Width == w.OutW * w.KernelW && w.Height == w.OutH * w.KernelH && w.KernelH * w.KernelW <= 64;
        if (!tiled) return 0;
        int outPlane = w.OutPlaneSize;
        foreach (int n in (ReadOnlySpan<int>)[16, 8])
        {
            bool supported = n == 16 ? Avx512F.IsSupported : Avx2.IsSupported;
            if (supported && (outPlane % n == 0 ? n % w.OutW == 0 : n % outPlane == 0)) return n;
        }
        return 0;
    }

    // Backward of windows that tile the planes, n outputs at a time: a block of n outputs (whole output rows) covers
    // a contiguous run of kh kw n inputs, and input p of the run belongs to output o(p) = (p / (kh W)) OutW + (p mod W) / kw
    // of the block, across plane boundaries too. So each vector of n inputs takes its gradients and indices from the
    // n loaded with one permute each (table k, lane l: o(k n + l)), and keeps the gradient where the index is its own
    // position in its plane. Returns the planes done (whole blocks); the caller scatters the rest.
    private static int MaxBackwardTiled<TL, TF, TI>(ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> indices, in Window2d w, Span<float> gradInput)
        where TL : struct, IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int n = TL.Count, width = w.Width, rowRun = w.KernelH * width, vectors = w.KernelH * w.KernelW, planeSize = w.PlaneSize;
        int run = vectors * n;
        // Spread tables, then each lane's position in its plane relative to the block's start (p mod PlaneSize:
        // a block is within one plane, or starts a plane).
        Span<int> tables = stackalloc int[2 * run];
        for (int p = 0; p < run; p++)
        {
            tables[p] = p / rowRun * w.OutW + p % width / w.KernelW;
            tables[run + p] = p % planeSize;
        }
        ref int table = ref MemoryMarshal.GetReference(tables);
        ref float gy = ref MemoryMarshal.GetReference(gradOutput);
        ref int at = ref MemoryMarshal.GetReference(indices);
        ref float gx = ref MemoryMarshal.GetReference(gradInput);
        TF zero = TL.Broadcast(0f);
        int blocks = (int)((long)w.Channels * w.OutPlaneSize / n);
        // Block b holds outputs [b n, b n + n) and inputs [b run, b run + run); its first input sits at `start` in its
        // plane. run divides the plane size or is a multiple of it, so start steps by run and wraps to 0.
        for (int b = 0, start = 0; b < blocks; b++, start = start + run >= planeSize ? 0 : start + run)
        {
            TF g = TL.Add(TL.Load(ref gy, b * n), zero);   // 0 + g, as the clear-then-add kernel sums it
            TI a = TL.Subtract(TL.LoadIndex(ref at, b * n), TL.Sequence(start, 0));
            ref float d = ref Unsafe.Add(ref gx, b * run);
            if (run <= planeSize)
            {
                // Within one plane the positions are simply 0, 1, 2, ... from the block's start.
                TI position = TL.Sequence(0, 1);
                for (int k = 0; k < vectors; k++)
                {
                    TI t = TL.LoadIndex(ref table, k * n);
                    TL.Store(TL.Match(TL.SpreadIndex(a, t), position, TL.Spread(g, t)), ref d, k * n);
                    position = TL.Add(position, n);
                }
                continue;
            }
            for (int k = 0; k < vectors; k++)
            {
                TI t = TL.LoadIndex(ref table, k * n);
                TL.Store(TL.Match(TL.SpreadIndex(a, t), TL.LoadIndex(ref table, run + k * n), TL.Spread(g, t)), ref d, k * n);
            }
        }
        return (int)((long)blocks * n / w.OutPlaneSize);
    }
}
