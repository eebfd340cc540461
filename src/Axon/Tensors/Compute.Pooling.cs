using Axon.Kernels;

namespace Axon;

// 2-D pooling on [N, C, H, W] tensors (N * C planes), parallel over planes, no autograd.
internal static partial class Compute
{
    /// <summary>Runs body(firstPlane, count) over fixed contiguous ranges of planes, in parallel when worthwhile.</summary>
    private static void ForPlanes(int planes, int workPerPlane, Action<int, int> body)
    {
        int parts = (int)Math.Clamp((long)planes * workPerPlane / 32768, 1, Math.Min(planes, KernelThreads.Count));
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

    /// <summary>
    /// Max pooling of contiguous x [N, C, H, W]; with <paramref name="withArgmax"/> also the argmax of each window as
    /// int32 flat indices within its plane, packed two to an element of an int64 tensor (read them with
    /// <see cref="Int32s"/>): half the memory of PyTorch's int64 indices, which <see cref="WidenArgmax"/> makes.
    /// </summary>
    public static (Tensor Values, Tensor? Argmax) MaxPool2d(Tensor x, Window2d w, bool withArgmax)
    {
        int planes = PlaneCount(x), inPlane = w.PlaneSize, outPlane = w.OutPlaneSize;
        var y = Tensor.Empty([x.ShapeArray[0], x.ShapeArray[1], w.OutH, w.OutW], x.DType);
        var arg = withArgmax ? Tensor.Empty([(y.NumEl + 1) / 2], DType.Int64) : null;
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
        return (y, arg);
    }

    /// <summary>The int32 values packed in the int64 array of an argmax tensor from <see cref="MaxPool2d"/>.</summary>
    private static Span<int> Int32s(long[] packed) => System.Runtime.InteropServices.MemoryMarshal.Cast<long, int>(packed.AsSpan());

    /// <summary>The int64 indices of <paramref name="shape"/> (PyTorch's return_indices) from an argmax tensor of <see cref="MaxPool2d"/>.</summary>
    public static Tensor WidenArgmax(Tensor argmax, int[] shape)
    {
        var idx = Tensor.Empty(shape, DType.Int64);
        var src = Int32s(argmax.Data<long>());
        var dst = idx.Data<long>().AsSpan(0, idx.NumEl);
        for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
        return idx;
    }

    /// <summary>Gradient of max pooling: each output gradient goes to its argmax input (<paramref name="argmax"/> from <see cref="MaxPool2d"/>).</summary>
    public static Tensor MaxPool2dBackward(Tensor gy, Tensor argmax, int[] inputShape, Window2d w)
    {
        var g = gy.ContiguousData();
        var gx = Tensor.Empty((int[])inputShape.Clone(), gy.DType);   // the kernels write every element themselves
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
        return gx;
    }

    /// <summary>Average pooling of contiguous x [N, C, H, W]; <paramref name="adaptive"/> uses the adaptive windows of <see cref="Pooling.AdaptiveRange"/>.</summary>
    public static Tensor AvgPool2d(Tensor x, Window2d w, bool countIncludePad, bool adaptive)
    {
        int planes = PlaneCount(x), inPlane = w.PlaneSize, outPlane = w.OutPlaneSize, xo = x.Offset;
        var y = Tensor.Empty([x.ShapeArray[0], x.ShapeArray[1], w.OutH, w.OutW], x.DType);
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
        return y;
    }

    /// <summary>Gradient of (adaptive) average pooling.</summary>
    public static Tensor AvgPool2dBackward(Tensor gy, int[] inputShape, Window2d w, bool countIncludePad, bool adaptive)
    {
        var g = gy.ContiguousData();
        var gx = Tensor.Empty((int[])inputShape.Clone(), gy.DType);   // the kernels clear each plane themselves
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
        return gx;
    }
}
