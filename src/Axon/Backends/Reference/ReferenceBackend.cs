using System.Numerics;
using System.Runtime.CompilerServices;

namespace Axon.Backends;

/// <summary>
/// The reference backend: every primitive of <see cref="IBackend"/> as plain scalar loops written for clarity, the
/// naive counterpart of each fast kernel (no SIMD, no GEMM kernel, no threads) that <see cref="CpuBackend"/> and the
/// other backends are checked against. Operands are read element by element through their shape, strides and
/// offset; host memory comes from the <see cref="BufferPool"/>. Slow by design: it is there to be obviously right.
/// One file per family of primitives; this one holds memory, copies, random numbers and the indexing helpers.
/// </summary>
public sealed partial class ReferenceBackend : IBackend
{
    /// <summary>Creates a backend and its own device (<see cref="Device.Reference"/> is the shared one).</summary>
    public ReferenceBackend() => Device = new Device(DeviceType.Reference, 0, this);

    /// <inheritdoc/>
    public Device Device { get; }

    /// <summary>
    /// Throws unless every given tensor lives on this backend's device. The op layer never mixes devices, so a foreign
    /// tensor here is a bug upstream (an operand or state allocated on the wrong device) that host memory, readable by
    /// either host backend, would otherwise hide.
    /// </summary>
    private void Own(Tensor? a, Tensor? b = null, Tensor? c = null, Tensor? d = null, Tensor? e = null, Tensor? f = null, [CallerMemberName] string op = "")
    {
        foreach (var t in (ReadOnlySpan<Tensor?>)[a, b, c, d, e, f])
            if (t is not null && !ReferenceEquals(t.Device, Device))
                throw new InvalidOperationException($"ReferenceBackend.{op}: a tensor {ShapeUtil.Format(t.ShapeArray)} on {t.Device.Description} was passed to the backend of {Device.Description}.");
    }

    // ---- indexing helpers: every loop below walks tensors through these ----

    /// <summary>The storage offset of the element at row-major position <paramref name="linear"/> of a layout.</summary>
    private static int OffsetOf(int[] shape, int[] strides, int offset, int linear)
    {
        int o = offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            o += linear % shape[d] * strides[d];
            linear /= shape[d];
        }
        return o;
    }

    /// <summary>The storage offset of <paramref name="t"/>'s element at row-major position <paramref name="linear"/>.</summary>
    private static int OffsetOf(Tensor t, int linear) => OffsetOf(t.ShapeArray, t.StrideArray, t.Offset, linear);

    /// <summary>The strides that read <paramref name="t"/> broadcast to <paramref name="shape"/> (0 along broadcast dimensions).</summary>
    private static int[] StridesAs(Tensor t, int[] shape) => ShapeUtil.BroadcastStrides(t.ShapeArray, t.StrideArray, shape);

    /// <summary>The coordinates of row-major position <paramref name="linear"/> in <paramref name="shape"/>.</summary>
    private static int[] Coordinates(int[] shape, int linear)
    {
        var c = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            c[d] = linear % shape[d];
            linear /= shape[d];
        }
        return c;
    }

    /// <summary>The storage offset of <paramref name="t"/>'s element at <paramref name="coords"/>.</summary>
    private static int OffsetAt(Tensor t, int[] coords)
    {
        int o = t.Offset;
        for (int d = 0; d < coords.Length; d++) o += coords[d] * t.StrideArray[d];
        return o;
    }

    /// <summary>Element <paramref name="linear"/> (row-major) of a tensor of any dtype, as double.</summary>
    private static double GetDouble(Tensor t, int linear) => t.DType switch
    {
        DType.Float32 => t.Data<float>()[OffsetOf(t, linear)],
        DType.Float64 => t.Data<double>()[OffsetOf(t, linear)],
        _ => t.Data<long>()[OffsetOf(t, linear)],
    };

    /// <summary>Sets element <paramref name="linear"/> (row-major) to <paramref name="value"/> rounded to the tensor's dtype.</summary>
    private static void SetDouble(Tensor t, int linear, double value)
    {
        switch (t.DType)
        {
            case DType.Float32: t.Data<float>()[OffsetOf(t, linear)] = (float)value; break;
            case DType.Float64: t.Data<double>()[OffsetOf(t, linear)] = value; break;
            default: t.Data<long>()[OffsetOf(t, linear)] = (long)value; break;
        }
    }

    /// <summary>Offsets into a 4-D tensor [N, C, H, W] of any strides (convolution and pooling operands).</summary>
    private readonly struct Index4
    {
        private readonly int o, s0, s1, s2, s3;

        public Index4(Tensor t)
        {
            o = t.Offset;
            (s0, s1, s2, s3) = (t.StrideArray[0], t.StrideArray[1], t.StrideArray[2], t.StrideArray[3]);
        }

        public int At(int n, int c, int h, int w) => o + n * s0 + c * s1 + h * s2 + w * s3;
    }

    // ---- memory ----

    /// <inheritdoc/>
    public Storage Allocate(DType dtype, int count, bool zero) => HostStorage.Allocate(Device, dtype, count, zero);

    /// <inheritdoc/>
    public void Copy(Tensor src, Tensor dst)
    {
        Own(src, dst);
        switch (src.DType)
        {
            case DType.Float32: CopyElements<float>(src, dst); break;
            case DType.Float64: CopyElements<double>(src, dst); break;
            default: CopyElements<long>(src, dst); break;
        }
    }

    private static void CopyElements<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        T[] s = src.Data<T>(), d = dst.Data<T>();
        for (int i = 0; i < dst.NumEl; i++) d[OffsetOf(dst, i)] = s[OffsetOf(src, i)];
    }

    /// <inheritdoc/>
    public void Cast(Tensor src, Tensor dst)
    {
        Own(src, dst);
        switch ((src.DType, dst.DType))
        {
            case (DType.Float32, DType.Float32): Convert<float, float>(src, dst); break;
            case (DType.Float32, DType.Float64): Convert<float, double>(src, dst); break;
            case (DType.Float32, DType.Int64): Convert<float, long>(src, dst); break;
            case (DType.Float64, DType.Float32): Convert<double, float>(src, dst); break;
            case (DType.Float64, DType.Float64): Convert<double, double>(src, dst); break;
            case (DType.Float64, DType.Int64): Convert<double, long>(src, dst); break;
            case (DType.Int64, DType.Float32): Convert<long, float>(src, dst); break;
            case (DType.Int64, DType.Float64): Convert<long, double>(src, dst); break;
            default: Convert<long, long>(src, dst); break;
        }
    }

    // CreateTruncating: float to int64 truncates toward zero (and saturates), as the CPU backend's cast.
    private static void Convert<TFrom, TTo>(Tensor src, Tensor dst) where TFrom : unmanaged, INumber<TFrom> where TTo : unmanaged, INumber<TTo>
    {
        TFrom[] s = src.Data<TFrom>();
        TTo[] d = dst.Data<TTo>();
        for (int i = 0; i < dst.NumEl; i++) d[OffsetOf(dst, i)] = TTo.CreateTruncating(s[OffsetOf(src, i)]);
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, double value)
    {
        Own(dst);
        for (int i = 0; i < dst.NumEl; i++) SetDouble(dst, i, value);
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged
    {
        Own(dst);
        T[] d = dst.Data<T>();
        for (int i = 0; i < dst.NumEl; i++) d[OffsetOf(dst, i)] = src[i];
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged
    {
        Own(src);
        T[] s = src.Data<T>();
        for (int i = 0; i < src.NumEl; i++) dst[i] = s[OffsetOf(src, i)];
    }

    // The host draws in element order (HostRandom), so the reference and CPU devices give the same tensor for a seed.

    /// <inheritdoc/>
    public void FillUniform(Tensor dst, Generator generator, double low, double high)
    {
        Own(dst);
        HostRandom.Uniform(dst, generator, low, high);
    }

    /// <inheritdoc/>
    public void FillNormal(Tensor dst, Generator generator, double mean, double std)
    {
        Own(dst);
        HostRandom.Normal(dst, generator, mean, std);
    }

    /// <inheritdoc/>
    public void FillRandint(Tensor dst, Generator generator, long low, long high)
    {
        Own(dst);
        HostRandom.Randint(dst, generator, low, high);
    }
}
