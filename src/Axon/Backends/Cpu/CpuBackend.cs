using System.Buffers;
using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

/// <summary>
/// The fast CPU backend: host memory from the <see cref="BufferPool"/>, the SIMD, GEMM, convolution and pooling kernels
/// of Axon.Kernels, and parallel loops over fixed partitions of <see cref="CpuOptions.Threads"/> threads. Strided and
/// broadcast operands are walked with <see cref="RowIterator"/> and each contiguous row goes to a kernel. One file per
/// family of primitives; this one holds memory, copies and random numbers.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    /// <summary>Creates a backend (and its <see cref="Device"/>) with <paramref name="options"/>.</summary>
    public CpuBackend(CpuOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validated();
        var defaults = new CpuOptions();
        Device = new Device(DeviceType.Cpu, 0, this, options == defaults ? "cpu" : $"cpu ({Describe(options, defaults)})");
    }

    /// <summary>The backend's settings.</summary>
    public CpuOptions Options { get; }

    /// <inheritdoc/>
    public Device Device { get; }

    /// <summary>The thread budget of every parallel kernel.</summary>
    private int Threads => Options.Threads;

    private static string Describe(CpuOptions o, CpuOptions d)
    {
        var parts = new List<string>();
        if (o.Threads != d.Threads) parts.Add(o.Threads == 1 ? "1 thread" : $"{o.Threads} threads");
        if (o with { Threads = d.Threads } != d) parts.Add("custom kernel switches");
        return string.Join(", ", parts);
    }

    /// <inheritdoc/>
    public Storage Allocate(DType dtype, int count, bool zero) => HostStorage.Allocate(Device, dtype, count, zero);

    /// <inheritdoc/>
    public void Copy(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: CopyStrided<float>(src, dst); break;
            case DType.Float64: CopyStrided<double>(src, dst); break;
            default: CopyStrided<long>(src, dst); break;
        }
    }

    // Rows split over the threads when the copy is large (a concatenation's parts, a transpose made contiguous).
    private void CopyStrided<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        T[] s = src.Data<T>(), d = dst.Data<T>();
        int[] shape = dst.ShapeArray;
        int[][] strides = [dst.StrideArray, src.StrideArray];
        int[] offsets = [dst.Offset, src.Offset];
        var it = new RowIterator(shape, strides, offsets);
        long rows = it.Rows;
        int parts = (int)Math.Min(ParallelParts(dst.NumEl), rows);
        if (parts <= 1)
        {
            CopyRows(ref it, s, d);
            return;
        }
        KernelThreads.For(parts, p =>
        {
            var part = new RowIterator(shape, strides, offsets);
            long first = rows * p / parts;
            part.Skip(first);
            CopyRows(ref part, s, d, rows * (p + 1) / parts - first);
        });
    }

    private static void CopyRows<T>(ref RowIterator it, T[] s, T[] d, long count = long.MaxValue) where T : unmanaged
    {
        int n = it.InnerLength, ds = it.InnerStride(0), ss = it.InnerStride(1);
        for (long r = 0; r < count && it.Next(); r++)
        {
            int od = it.Offset(0), os = it.Offset(1);
            if (ds == 1 && ss == 1) s.AsSpan(os, n).CopyTo(d.AsSpan(od, n));
            else for (int i = 0; i < n; i++) d[od + i * ds] = s[os + i * ss];
        }
    }

    /// <inheritdoc/>
    public void Cast(Tensor src, Tensor dst)
    {
        if (src.DType == dst.DType) { Copy(src, dst); return; }
        var c = src.IsContiguous ? src : src.CloneData();
        switch ((src.DType, dst.DType))
        {
            case (DType.Float32, DType.Float64): Convert<float, double>(c, dst); break;
            case (DType.Float32, DType.Int64): Convert<float, long>(c, dst); break;
            case (DType.Float64, DType.Float32): Convert<double, float>(c, dst); break;
            case (DType.Float64, DType.Int64): Convert<double, long>(c, dst); break;
            case (DType.Int64, DType.Float32): Convert<long, float>(c, dst); break;
            default: Convert<long, double>(c, dst); break;
        }
        if (!ReferenceEquals(c, src)) c.Dispose();
    }

    private static void Convert<TFrom, TTo>(Tensor src, Tensor dst) where TFrom : unmanaged, INumber<TFrom> where TTo : unmanaged, INumber<TTo>
    {
        ReadOnlySpan<TFrom> s = src.Data<TFrom>().AsSpan(src.Offset, src.NumEl);
        Span<TTo> d = dst.Data<TTo>().AsSpan(dst.Offset, dst.NumEl);
        for (int i = 0; i < s.Length; i++) d[i] = TTo.CreateTruncating(s[i]);
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, double value)
    {
        if (dst.IsContiguous)
        {
            switch (dst.DType)
            {
                case DType.Float32: ParallelFill(dst.Data<float>(), dst.Offset, dst.NumEl, (float)value); break;
                case DType.Float64: ParallelFill(dst.Data<double>(), dst.Offset, dst.NumEl, value); break;
                default: ParallelFill(dst.Data<long>(), dst.Offset, dst.NumEl, (long)value); break;
            }
            return;
        }
        using var full = Tensor.Empty(dst.GetShape(), dst.DType, Device);
        Fill(full, value);
        Copy(full, dst);
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged
    {
        if (dst.IsContiguous) { src.CopyTo(dst.Data<T>().AsSpan(dst.Offset, dst.NumEl)); return; }
        T[] d = dst.Data<T>();
        var it = new RowIterator(dst.ShapeArray, [dst.StrideArray], [dst.Offset]);
        int n = it.InnerLength, ds = it.InnerStride(0), at = 0;
        while (it.Next())
        {
            int od = it.Offset(0);
            for (int i = 0; i < n; i++) d[od + i * ds] = src[at++];
        }
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged
    {
        if (src.IsContiguous) { src.Data<T>().AsSpan(src.Offset, src.NumEl).CopyTo(dst); return; }
        T[] s = src.Data<T>();
        var it = new RowIterator(src.ShapeArray, [src.StrideArray], [src.Offset]);
        int n = it.InnerLength, ss = it.InnerStride(0), at = 0;
        while (it.Next())
        {
            int os = it.Offset(0);
            for (int i = 0; i < n; i++) dst[at++] = s[os + i * ss];
        }
    }

    /// <inheritdoc/>
    public void FillUniform(Tensor dst, Generator generator, double low, double high) => HostRandom.Uniform(dst, generator, low, high);

    /// <inheritdoc/>
    public void FillNormal(Tensor dst, Generator generator, double mean, double std)
    {
        // float32 takes the vectorised single-precision transform (one core is enough); float64 the exact one, split
        if (dst.DType == DType.Float32 || ParallelParts(dst.NumEl) == 1) HostRandom.Normal(dst, generator, mean, std);
        else ParallelNormal(dst.Data<double>().AsSpan(dst.Offset, dst.NumEl), generator, mean, std);
    }

    /// <inheritdoc/>
    public void FillRandint(Tensor dst, Generator generator, long low, long high) => HostRandom.Randint(dst, generator, low, high);
}

/// <summary>Random numbers drawn on the host in element order, so every host backend gives the same tensor for a seed.</summary>
internal static class HostRandom
{
    public static void Uniform(Tensor t, Generator g, double low, double high)
    {
        if (t.DType == DType.Float32) { var s = t.Data<float>().AsSpan(t.Offset, t.NumEl); for (int i = 0; i < s.Length; i++) s[i] = (float)(low + (high - low) * g.NextDouble()); }
        else { var s = t.Data<double>().AsSpan(t.Offset, t.NumEl); for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * g.NextDouble(); }
    }

    public static void Normal(Tensor t, Generator g, double mean, double std)
    {
        if (t.DType == DType.Float32) NormalSingle(t.Data<float>().AsSpan(t.Offset, t.NumEl), g, mean, std);
        else { var s = t.Data<double>().AsSpan(t.Offset, t.NumEl); for (int i = 0; i < s.Length; i++) s[i] = mean + std * g.NextNormal(); }
    }

    /// <summary>
    /// Normals for a float32 tensor: the generator's Box-Muller uniforms (the same draws <see cref="Generator.NextNormal"/>
    /// makes, so the stream goes on from the same place) through the single-precision transform of
    /// <see cref="Kernels.NormalKernels"/>, whose values agree with the double transform's to about 3e-7. A spare
    /// normal left by an odd count is used first, and an odd fill leaves one, as <see cref="Generator.NextNormal"/> does.
    /// </summary>
    private static void NormalSingle(Span<float> s, Generator g, double mean, double std)
    {
        if (s.IsEmpty) return;
        const int Chunk = 1024;
        int at = 0;
        if (g.TakeSpareNormal() is double spare) s[at++] = (float)(mean + std * spare);
        var first = ArrayPool<float>.Shared.Rent(Chunk);
        var second = ArrayPool<float>.Shared.Rent(Chunk);
        float m = (float)mean, sd = (float)std;
        while (at < s.Length)
        {
            int pairs = Math.Min(Chunk, (s.Length - at + 1) / 2), whole = Math.Min(pairs, (s.Length - at) / 2);
            Span<float> u1 = first.AsSpan(0, pairs), u2 = second.AsSpan(0, pairs);
            g.FillBoxMullerUniforms(u1, u2);
            Kernels.NormalKernels.BoxMuller(u1, u2);
            Kernels.NormalKernels.ScaleInterleave(u1[..whole], u2[..whole], m, sd, s.Slice(at, 2 * whole));
            at += 2 * whole;
            if (whole < pairs)
            {
                g.SetSpareNormal(u2[whole]);   // an odd count: the last pair's second normal comes next
                s[at++] = sd * u1[whole] + m;
            }
        }
        ArrayPool<float>.Shared.Return(first);
        ArrayPool<float>.Shared.Return(second);
    }

    public static void Randint(Tensor t, Generator g, long low, long high)
    {
        switch (t.DType)
        {
            case DType.Float32: { var s = t.Data<float>().AsSpan(t.Offset, t.NumEl); for (int i = 0; i < s.Length; i++) s[i] = (float)(double)g.NextInt64(low, high); break; }
            case DType.Float64: { var s = t.Data<double>().AsSpan(t.Offset, t.NumEl); for (int i = 0; i < s.Length; i++) s[i] = (double)g.NextInt64(low, high); break; }
            default: { var s = t.Data<long>().AsSpan(t.Offset, t.NumEl); for (int i = 0; i < s.Length; i++) s[i] = g.NextInt64(low, high); break; }
        }
    }
}
