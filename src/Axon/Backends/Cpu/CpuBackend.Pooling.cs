using Axon.Kernels;

namespace Axon.Backends;

// 2-D pooling on [N, C, H, W] tensors (N * C planes), parallel over planes.
public sealed partial class CpuBackend
{
    /// <summary>Runs body(firstPlane, count) over fixed contiguous ranges of planes, in parallel when worthwhile.</summary>
    private void ForPlanes(int planes, int workPerPlane, Action<int, int> body)
    {
        int parts = (int)Math.Clamp((long)planes * workPerPlane / 32768, 1, Math.Min(Math.Max(planes, 1), Threads));
        if (planes == 0) return;
        KernelThreads.For(parts, part =>
        {
            int p0 = (int)((long)planes * part / parts), p1 = (int)((long)planes * (part + 1) / parts);
            if (p1 > p0) body(p0, p1 - p0);
        });
    }

    /// <summary>The window of <paramref name="planes"/> planes of a pooling geometry.</summary>
    private static Window2d Planes(in Window2d w, int planes) => w with { Channels = planes };

    private static int PlaneCount(Tensor x) => x.ShapeArray[0] * x.ShapeArray[1];

    /// <inheritdoc/>
    /// <remarks>
    /// The argmax of each window is kept as int32 flat indices within its plane, packed two to an element of an int64
    /// tensor (read them with <see cref="Int32s"/>): half the memory of PyTorch's int64 indices, which
    /// <see cref="MaxPool2dIndices"/> makes.
    /// </remarks>
    public Tensor? MaxPool2d(Tensor input, in Window2d window, Tensor y, bool withArgmax)
    {
        var w = window;
        var x = input.ContiguousData();
        int planes = PlaneCount(x), inPlane = w.PlaneSize, outPlane = w.OutPlaneSize;
        var arg = withArgmax ? Tensor.Empty([(y.NumEl + 1) / 2], DType.Int64, Device) : null;
        long[]? ia = arg?.Data<long>();
        int work = outPlane * w.KernelH * w.KernelW;
        if (x.DType == DType.Float32)
        {
            float[] xa = x.Data<float>(), ya = y.Data<float>();
            int xo = x.Offset;
            ForPlanes(planes, work, (p0, count) => Pooling.MaxForwardInt32<float>(xa.AsSpan(xo + p0 * inPlane, count * inPlane), Planes(w, count), ya.AsSpan(p0 * outPlane, count * outPlane), ia is null ? default : Int32s(ia).Slice(p0 * outPlane, count * outPlane)));
        }
        else
        {
            double[] xa = x.Data<double>(), ya = y.Data<double>();
            int xo = x.Offset;
            ForPlanes(planes, work, (p0, count) => Pooling.MaxForwardInt32<double>(xa.AsSpan(xo + p0 * inPlane, count * inPlane), Planes(w, count), ya.AsSpan(p0 * outPlane, count * outPlane), ia is null ? default : Int32s(ia).Slice(p0 * outPlane, count * outPlane)));
        }
        if (!ReferenceEquals(x, input)) x.Dispose();
        return arg;
    }

    /// <summary>The int32 values packed in the int64 array of an argmax tensor from <see cref="MaxPool2d"/>.</summary>
    private static Span<int> Int32s(long[] packed) => System.Runtime.InteropServices.MemoryMarshal.Cast<long, int>(packed.AsSpan());

    /// <inheritdoc/>
    public void MaxPool2dIndices(Tensor argmax, Tensor indices)
    {
        var src = Int32s(argmax.Data<long>());
        var dst = indices.Data<long>().AsSpan(indices.Offset, indices.NumEl);
        for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
    }

    /// <inheritdoc/>
    public void MaxPool2dGather(Tensor x, Tensor argmax, in Window2d w, Tensor y)
    {
        var xc = x.ContiguousData();
        var src = Int32s(argmax.Data<long>());
        int inPlane = w.PlaneSize, outPlane = w.OutPlaneSize, planes = y.NumEl / Math.Max(outPlane, 1);
        if (x.DType == DType.Float32) Gather<float>(xc.Data<float>(), xc.Offset, src, y.Data<float>(), y.Offset, planes, inPlane, outPlane);
        else Gather<double>(xc.Data<double>(), xc.Offset, src, y.Data<double>(), y.Offset, planes, inPlane, outPlane);
        if (!ReferenceEquals(xc, x)) xc.Dispose();

        static void Gather<T>(T[] x, int xo, ReadOnlySpan<int> arg, T[] y, int yo, int planes, int inPlane, int outPlane) where T : unmanaged
        {
            for (int p = 0; p < planes; p++)
                for (int o = 0; o < outPlane; o++)
                {
                    // A window of padding alone has no maximum (-1): it gathers 0, the adjoint of routing nothing back.
                    int at = arg[p * outPlane + o];
                    y[yo + p * outPlane + o] = at < 0 ? default : x[xo + p * inPlane + at];
                }
        }
    }

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor gy, Tensor argmax, in Window2d window, Tensor gx)
    {
        var w = window;
        var g = gy.ContiguousData();
        var inputShape = gx.ShapeArray;   // the kernels write every element of gx themselves
        int planes = inputShape[0] * inputShape[1], inPlane = w.PlaneSize, outPlane = w.OutPlaneSize, go = g.Offset;
        long[] ia = argmax.Data<long>();
        if (gy.DType == DType.Float32)
        {
            float[] ga = g.Data<float>(), xa = gx.Data<float>();
            ForPlanes(planes, inPlane + outPlane, (p0, count) => Pooling.MaxBackwardInt32<float>(ga.AsSpan(go + p0 * outPlane, count * outPlane), Int32s(ia).Slice(p0 * outPlane, count * outPlane), Planes(w, count), xa.AsSpan(p0 * inPlane, count * inPlane)));
        }
        else
        {
            double[] ga = g.Data<double>(), xa = gx.Data<double>();
            ForPlanes(planes, inPlane + outPlane, (p0, count) => Pooling.MaxBackwardInt32<double>(ga.AsSpan(go + p0 * outPlane, count * outPlane), Int32s(ia).Slice(p0 * outPlane, count * outPlane), Planes(w, count), xa.AsSpan(p0 * inPlane, count * inPlane)));
        }
        if (!ReferenceEquals(g, gy)) g.Dispose();
    }

    /// <inheritdoc/>
    /// <remarks>The adaptive windows are those of <see cref="Pooling.AdaptiveRange"/>.</remarks>
    public void AvgPool2d(Tensor input, in Window2d window, bool countIncludePad, bool adaptive, Tensor y)
    {
        var w = window;
        var x = input.ContiguousData();
        int planes = PlaneCount(x), inPlane = w.PlaneSize, outPlane = w.OutPlaneSize, xo = x.Offset;
        int work = Math.Max(outPlane * w.KernelH * w.KernelW, inPlane);
        if (x.DType == DType.Float32)
        {
            float[] xa = x.Data<float>(), ya = y.Data<float>();
            ForPlanes(planes, work, (p0, count) =>
            {
                var src = xa.AsSpan(xo + p0 * inPlane, count * inPlane);
                var dst = ya.AsSpan(p0 * outPlane, count * outPlane);
                if (adaptive) Pooling.AdaptiveAvgForward<float>(src, Planes(w, count), dst);
                else Pooling.AvgForward<float>(src, Planes(w, count), countIncludePad, dst);
            });
        }
        else
        {
            double[] xa = x.Data<double>(), ya = y.Data<double>();
            ForPlanes(planes, work, (p0, count) =>
            {
                var src = xa.AsSpan(xo + p0 * inPlane, count * inPlane);
                var dst = ya.AsSpan(p0 * outPlane, count * outPlane);
                if (adaptive) Pooling.AdaptiveAvgForward<double>(src, Planes(w, count), dst);
                else Pooling.AvgForward<double>(src, Planes(w, count), countIncludePad, dst);
            });
        }
        if (!ReferenceEquals(x, input)) x.Dispose();
    }

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor gy, in Window2d window, bool countIncludePad, bool adaptive, Tensor gx)
    {
        var w = window;
        var g = gy.ContiguousData();
        var inputShape = gx.ShapeArray;   // the kernels clear each plane themselves
        int planes = inputShape[0] * inputShape[1], inPlane = w.PlaneSize, outPlane = w.OutPlaneSize, go = g.Offset;
        int work = Math.Max(outPlane * w.KernelH * w.KernelW, inPlane);
        if (gy.DType == DType.Float32)
        {
            float[] ga = g.Data<float>(), xa = gx.Data<float>();
            ForPlanes(planes, work, (p0, count) =>
            {
                var src = ga.AsSpan(go + p0 * outPlane, count * outPlane);
                var dst = xa.AsSpan(p0 * inPlane, count * inPlane);
                if (adaptive) Pooling.AdaptiveAvgBackward<float>(src, Planes(w, count), dst);
                else Pooling.AvgBackward<float>(src, Planes(w, count), countIncludePad, dst);
            });
        }
        else
        {
            double[] ga = g.Data<double>(), xa = gx.Data<double>();
            ForPlanes(planes, work, (p0, count) =>
            {
                var src = ga.AsSpan(go + p0 * outPlane, count * outPlane);
                var dst = xa.AsSpan(p0 * inPlane, count * inPlane);
                if (adaptive) Pooling.AdaptiveAvgBackward<double>(src, Planes(w, count), dst);
                else Pooling.AvgBackward<double>(src, Planes(w, count), countIncludePad, dst);
            });
        }
        if (!ReferenceEquals(g, gy)) g.Dispose();
    }
}
