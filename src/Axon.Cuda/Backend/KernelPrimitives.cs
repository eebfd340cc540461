using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Axon.Cuda.Kernels;

namespace Axon.Cuda;

/// <summary>
/// The <see cref="IBackend"/> primitives computed by the NVRTC kernels of <see cref="KernelSources"/>, on any
/// <see cref="IKernelDevice"/>: the host side of each primitive (dtype dispatch, geometries for strides and
/// broadcasting, index checks before anything is written, scratch buffers, scalar results read back). One file per
/// family; this one holds the shared helpers. <see cref="CudaBackend"/> forwards to it; the tests run it on the CPU
/// emulation of the kernels against the reference backend.
/// </summary>
internal sealed partial class KernelPrimitives(IKernelDevice device)
{
    private readonly IKernelDevice device = device;

    /// <summary>The call of kernel <c>axon_{op}_{dtype}</c> for the calling primitive.</summary>
    private static KernelCall Call(string op, DType dtype, [CallerMemberName] string primitive = "") =>
        new($"axon_{op}_{KernelCatalog.Suffix(dtype)}", primitive);

    /// <summary>The address of a tensor's first element; 0 (a null pointer) for null.</summary>
    private ulong P(Tensor? t) => t is null ? 0 : device.Address(t);

    /// <summary>Launches unless there is nothing to do.</summary>
    private void Run(KernelCall call, long count)
    {
        if (count > 0) device.Launch(call, count);
    }

    /// <summary>Throws unless <paramref name="t"/> is float32 or float64 (the kernels of the floating-point primitives).</summary>
    private void RequireFloat(Tensor t, [CallerMemberName] string primitive = "")
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new NotSupportedException($"{primitive} on {device.Name}: takes float32 or float64 tensors, not {t.DType.TorchName()}.");
    }

    /// <summary>The row-major strides of <paramref name="shape"/>.</summary>
    internal static int[] DenseStrides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }
        return s;
    }

    /// <summary>The geometry of <paramref name="count"/> contiguous elements.</summary>
    private static KernelGeometry Flat(int count) => KernelGeometry.Create([count], [1]);

    /// <summary>
    /// The reduction geometry over x's shape without <paramref name="dim"/> (the output positions): operand 0
    /// <paramref name="outA"/> (of x's rank with size 1 at dim, or without it), 1 x, 2 <paramref name="outB"/>.
    /// </summary>
    private static KernelGeometry ReductionGeometry(Tensor x, int dim, Tensor outA, Tensor? outB = null)
    {
        var shape = KernelGeometry.Without(x.Shape, dim);
        int[] Strides(Tensor o) => o.Rank == x.Rank ? KernelGeometry.Without(o.Strides, dim) : o.Strides.ToArray();
        var xs = KernelGeometry.Without(x.Strides, dim);
        return outB is null ? KernelGeometry.Create(shape, Strides(outA), xs) : KernelGeometry.Create(shape, Strides(outA), xs, Strides(outB));
    }

    /// <summary>
    /// Whether a reduction of <paramref name="n"/> elements at stride <paramref name="stride"/> for <paramref name="outputs"/>
    /// positions runs one block per output (<c>_rows</c>: coalesced reads along a contiguous reduced dimension, or too
    /// few outputs to fill the GPU) or one thread per output (<c>_cols</c>: adjacent threads read adjacent columns).
    /// </summary>
    private static bool ByRows(int n, int stride, int outputs) => n >= 32 && (stride == 1 || outputs < 2048);

    /// <summary>
    /// Checks every value of the int64 <paramref name="index"/> lies in [0, <paramref name="size"/>) on the device before
    /// anything is written (the kernels do not check): the range kernel's minimum and maximum are read back, and the
    /// error names the primitive and an offending value as the CPU backend's does.
    /// </summary>
    private void CheckIndices(Tensor index, int size, Func<long, string> message, [CallerMemberName] string primitive = "")
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{primitive}: expected an int64 index tensor, got {index.DType.TorchName()}.");
        if (index.NumEl == 0) return;
        var (min, max) = IndexRange(index);
        if (min < 0) throw new ArgumentOutOfRangeException(nameof(index), message(min));
        if (max >= size) throw new ArgumentOutOfRangeException(nameof(index), message(max));
    }

    /// <summary>The address of <paramref name="t"/>'s elements in row-major order: its own when contiguous, else a scratch copy (in <paramref name="copy"/>, to dispose).</summary>
    private ulong Dense(Tensor t, out DeviceBuffer? copy, [CallerMemberName] string primitive = "")
    {
        copy = null;
        if (t.IsContiguous) return P(t);
        copy = device.Scratch((long)t.NumEl * t.DType.ElementSize());
        var g = KernelGeometry.Create(t.Shape, DenseStrides(t.Shape), t.Strides.ToArray());
        Run(new KernelCall($"axon_copy_{KernelCatalog.Suffix(t.DType)}", primitive).Geometry(g).Ptr(copy.Address).Ptr(P(t)), t.NumEl);
        return copy.Address;
    }

    /// <summary>Sets <paramref name="count"/> contiguous elements of <paramref name="dtype"/> at <paramref name="address"/> to <paramref name="value"/>.</summary>
    private void FillFlat(ulong address, DType dtype, int count, double value, [CallerMemberName] string primitive = "") =>
        Run(new KernelCall($"axon_fill_{KernelCatalog.Suffix(dtype)}", primitive).Geometry(Flat(count)).Ptr(address).Double(value), count);

    /// <summary>Reads <paramref name="count"/> values of <typeparamref name="T"/> from device memory (waits for the queued work).</summary>
    private T[] ReadBack<T>(ulong address, int count) where T : unmanaged
    {
        var values = new T[count];
        device.Read(address, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
