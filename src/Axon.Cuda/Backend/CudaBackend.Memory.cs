using Axon.Cuda.Native;
using Axon.Cuda.Runtime;

namespace Axon.Cuda;

// Memory: allocation from the caching allocator, copies (device memcpy or the strided-copy kernel), fills and casts,
// host copies staged through pinned memory, and random numbers drawn on the host.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public Storage Allocate(DType dtype, int count, bool zero)
    {
        long bytes = (long)count * dtype.ElementSize();
        var block = Context.Allocator.Allocate(bytes, Stream.Handle);
        if (zero && bytes > 0)
        {
            Context.MakeCurrent();
            Driver.Check(Driver.MemsetD8Async(block.Address, 0, (nuint)bytes, Stream.Handle), "cuMemsetD8Async", $"zeroing {CudaException.Bytes(bytes)} on {Device.Name}");
        }
        return new CudaStorage(Device, dtype, count, Context.Allocator, block);
    }

    /// <inheritdoc/>
    public void Copy(Tensor src, Tensor dst)
    {
        Own(src, dst);
        StridedCopy(Ptr(src), src.Strides, Ptr(dst), dst.Strides, dst.Shape, dst.DType.ElementSize());
    }

    /// <inheritdoc/>
    public unsafe void Cast(Tensor src, Tensor dst)
    {
        Own(src, dst);
        if (src.DType == dst.DType)
        {
            Copy(src, dst);
            return;
        }
        if (!StridedLayout.TryCreate(dst.Shape, src.Strides, dst.Strides, out var layout))
            throw new NotSupportedException($"Cast on {Device.Name}: a view whose dimensions cannot be merged to {StridedLayout.MaxRank}; make it contiguous first.");
        if (layout.Count == 0) return;
        ulong s = Ptr(src), d = Ptr(dst);
        void** args = stackalloc void*[] { &s, &d, &layout };
        Launch(RuntimeKernels.CastKernel(src.DType, dst.DType), layout.Count, args);
    }

    /// <inheritdoc/>
    public unsafe void Fill(Tensor dst, double value)
    {
        Own(dst);
        if (!StridedLayout.TryCreate(dst.Shape, dst.Strides, dst.Strides, out var layout))
            throw new NotSupportedException($"Fill on {Device.Name}: a view whose dimensions cannot be merged to {StridedLayout.MaxRank}; make it contiguous first.");
        if (layout.Count == 0) return;
        ulong d = Ptr(dst);
        if (dst.DType == DType.Float32)
        {
            uint bits = BitConverter.SingleToUInt32Bits((float)value);
            void** args = stackalloc void*[] { &d, &bits, &layout };
            Launch("axon_fill_4", layout.Count, args);
        }
        else
        {
            ulong bits = dst.DType == DType.Float64 ? BitConverter.DoubleToUInt64Bits(value) : (ulong)(long)value;
            void** args = stackalloc void*[] { &d, &bits, &layout };
            Launch("axon_fill_8", layout.Count, args);
        }
    }

    /// <inheritdoc/>
    public unsafe void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged
    {
        Own(dst);
        CheckHostType<T>(dst, src.Length);
        long bytes = (long)dst.NumEl * sizeof(T);
        if (bytes == 0) return;
        lock (stagingGate)
        {
            var buffer = Staging(bytes);
            src[..dst.NumEl].CopyTo(buffer.AsSpan<T>(dst.NumEl));
            Context.MakeCurrent();
            if (dst.IsContiguous)
                Driver.Check(Driver.MemcpyHtoDAsync(Ptr(dst), (void*)buffer.Pointer, (nuint)bytes, Stream.Handle), "cuMemcpyHtoDAsync_v2", $"copying {CudaException.Bytes(bytes)} to {Device.Name}");
            else
            {
                using var packed = NewScratch(bytes);
                Driver.Check(Driver.MemcpyHtoDAsync(packed.Address, (void*)buffer.Pointer, (nuint)bytes, Stream.Handle), "cuMemcpyHtoDAsync_v2", $"copying {CudaException.Bytes(bytes)} to {Device.Name}");
                StridedCopy(packed.Address, ContiguousStrides(dst.Shape), Ptr(dst), dst.Strides, dst.Shape, sizeof(T));
            }
            // The staging buffer is reused by the next copy: wait until this one has read it.
            Stream.Synchronize();
        }
    }

    /// <inheritdoc/>
    public unsafe void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged
    {
        Own(src);
        CheckHostType<T>(src, dst.Length);
        long bytes = (long)src.NumEl * sizeof(T);
        if (bytes == 0) return;
        lock (stagingGate)
        {
            var buffer = Staging(bytes);
            ulong from = Packed(src, out var packed);
            using (packed)
            {
                Context.MakeCurrent();
                Driver.Check(Driver.MemcpyDtoHAsync((void*)buffer.Pointer, from, (nuint)bytes, Stream.Handle), "cuMemcpyDtoHAsync_v2", $"copying {CudaException.Bytes(bytes)} from {Device.Name}");
            }
            Stream.Synchronize();
            buffer.AsSpan<T>(src.NumEl).CopyTo(dst);
        }
    }

    private void CheckHostType<T>(Tensor t, int hostLength) where T : unmanaged
    {
        var expected = t.DType switch { DType.Float32 => typeof(float), DType.Float64 => typeof(double), _ => typeof(long) };
        if (typeof(T) != expected)
            throw new InvalidOperationException($"Host copy on {Device.Name}: a {t.DType.TorchName()} tensor cannot be copied as {typeof(T).Name}.");
        if (hostLength < t.NumEl)
            throw new ArgumentException($"Host copy on {Device.Name}: the host span holds {hostLength} elements but the tensor has {t.NumEl}.");
    }

    // Random numbers are drawn on the host by the CPU backend (the same numbers as on the CPU for a seed), then copied.

    /// <inheritdoc/>
    public void FillUniform(Tensor dst, Generator generator, double low, double high) =>
        FromHost(dst, h => Axon.Device.Cpu.Backend.FillUniform(h, generator, low, high));

    /// <inheritdoc/>
    public void FillNormal(Tensor dst, Generator generator, double mean, double std) =>
        FromHost(dst, h => Axon.Device.Cpu.Backend.FillNormal(h, generator, mean, std));

    /// <inheritdoc/>
    public void FillRandint(Tensor dst, Generator generator, long low, long high) =>
        FromHost(dst, h => Axon.Device.Cpu.Backend.FillRandint(h, generator, low, high));

    private void FromHost(Tensor dst, Action<Tensor> fill)
    {
        Own(dst);
        using var host = Tensor.Zeros(dst.GetShape(), dst.DType);
        fill(host);
        switch (dst.DType)
        {
            case DType.Float32: CopyFromHost<float>(host.AsSpan<float>(), dst); break;
            case DType.Float64: CopyFromHost<double>(host.AsSpan<double>(), dst); break;
            default: CopyFromHost<long>(host.AsSpan<long>(), dst); break;
        }
    }
}
