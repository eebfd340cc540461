using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// Large contiguous element-wise ops split over the threads. One core streams about 30 GB/s through a binary op; two
// together get more of the memory bandwidth, and an activation of a convolution's output (a million elements) is
// large enough to pay for the hand-off. Each element is computed by the same kernel whichever partition it falls in,
// so results do not depend on the thread count.
public sealed partial class CpuBackend
{
    /// <summary>Partitions for an element-wise op over <paramref name="n"/> elements: 1 (serial) for small ones.</summary>
    private int ParallelParts(int n) => Math.Clamp(n / Options.ElementwiseGrain, 1, Threads);

    /// <summary>Start of partition <paramref name="p"/> of <paramref name="parts"/> over n elements, on a 64-byte multiple.</summary>
    private static int PartStart(int n, int p, int parts) => p == parts ? n : (int)((long)n * p / parts) & ~15;

    /// <summary>
    /// Runs <paramref name="body"/> over the elements [0, n) split as the element-wise ops are (1 part below twice
    /// <see cref="CpuOptions.ElementwiseGrain"/>, at most <see cref="CpuOptions.Threads"/>, boundaries on 64-byte
    /// multiples), without allocating.
    /// </summary>
    private void ParallelRanges<TBody>(int n, ref TBody body) where TBody : struct, IRangeBody
    {
        int parts = ParallelParts(n);
        if (parts == 1)
        {
            body.Run(0, n);
            return;
        }
        var ranges = new RangeBody<TBody>(body, n, parts);
        KernelThreads.For(parts, ref ranges);
    }

    /// <summary>Sets data[offset .. offset + n] to <paramref name="value"/>, split over the threads when large (zeroing gradients).</summary>
    private void ParallelFill<T>(T[] data, int offset, int n, T value) where T : unmanaged
    {
        var body = new FillBody<T>(data, offset, value);
        ParallelRanges(n, ref body);
    }

    private readonly struct FillBody<T>(T[] data, int offset, T value) : IRangeBody where T : unmanaged
    {
        public void Run(int start, int end) => data.AsSpan(offset + start, end - start).Fill(value);
    }

    private readonly struct RangeBody<TBody>(TBody body, int n, int parts) : IPartitionBody where TBody : struct, IRangeBody
    {
        public void Run(int part) => body.Run(PartStart(n, part, parts), PartStart(n, part + 1, parts));
    }

    private void ParallelUnary<T>(T[] x, int xo, T[] d, int dOff, int n, UnaryOp op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new UnaryBody<T>(x, xo, d, dOff, n, ParallelParts(n), op);
        KernelThreads.For(body.Parts, ref body);
    }

    private void ParallelBinary<T>(T[] a, int ao, T[] b, int bo, T[] d, int dOff, int n, BinaryOp op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new BinaryBody<T>(a, ao, b, bo, d, dOff, n, ParallelParts(n), op);
        KernelThreads.For(body.Parts, ref body);
    }

    private void ParallelActivationBackward<T>(ActivationGrad kind, T[] x, int xo, T[] g, int go, T[] d, int dOff, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new ActivationBackwardBody<T>(kind, x, xo, g, go, d, dOff, n, ParallelParts(n));
        KernelThreads.For(body.Parts, ref body);
    }

    private readonly struct UnaryBody<T>(T[] x, int xo, T[] d, int dOff, int n, int parts, UnaryOp op) : IPartitionBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            int s = PartStart(n, part, parts), e = PartStart(n, part + 1, parts);
            UnarySpan<T>(x.AsSpan(xo + s, e - s), d.AsSpan(dOff + s, e - s), op);
        }
    }

    private readonly struct BinaryBody<T>(T[] a, int ao, T[] b, int bo, T[] d, int dOff, int n, int parts, BinaryOp op) : IPartitionBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            int s = PartStart(n, part, parts), e = PartStart(n, part + 1, parts);
            BinarySpan<T>(a.AsSpan(ao + s, e - s), b.AsSpan(bo + s, e - s), d.AsSpan(dOff + s, e - s), op);
        }
    }

    private readonly struct ActivationBackwardBody<T>(ActivationGrad kind, T[] x, int xo, T[] g, int go, T[] d, int dOff, int n, int parts) : IPartitionBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Parts => parts;

        public void Run(int part)
        {
            int s = PartStart(n, part, parts), e = PartStart(n, part + 1, parts);
            ActivationBackwardSpan<T>(kind, x.AsSpan(xo + s, e - s), g.AsSpan(go + s, e - s), d.AsSpan(dOff + s, e - s));
        }
    }
}

/// <summary>Work over a range of elements for the CPU backend's parallel ranges; ranges must write disjoint outputs.</summary>
internal interface IRangeBody
{
    /// <summary>Processes the elements [<paramref name="start"/>, <paramref name="end"/>).</summary>
    void Run(int start, int end);
}
