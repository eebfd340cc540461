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

    /// <summary>Max pooling of contiguous x [N, C, H, W]; the argmax indices (int64, flat within each plane) when asked.</summary>
    public static (Tensor Values, Tensor? Indices) MaxPool2d(Tensor x, Window2d w, bool withIndices)
    {
        int planes = PlaneCount(x), inPlane = w.PlaneSize, outPlane = w.OutPlaneSize;
        var y = Tensor.Empty([x.ShapeArray[0], x.ShapeArray[1], w.OutH, w.OutW], x.DType);
        var idx = withIndices ? Tensor.Empty(y.GetShape(), DType.Int64) : null;
        long[]? ia = idx?.Data<long>();
        int work = outPlane * w.KernelH * w.KernelW;
        if (x.DType == DType.Float32)
        {
            float[] xa = x.Data<float>(), ya = y.Data<float>();
            int xo = x.Offset;
            ForPlanes(planes, work, (p0, count) => Pooling.MaxForward<float>(xa.AsSpan(xo + p0 * inPlane, count * inPlane), Planes(w, count), ya.AsSpan(p0 * outPlane, count * outPlane), ia is null ? default : ia.AsSpan(p0 * outPlane, count * outPlane)));
        }
        else
        {
            double[] xa = x.Data<double>(), ya = y.Data<double>();
            int xo = x.Offset;
            ForPlanes(planes, work, (p0, count) => Pooling.MaxForward<double>(xa.AsSpan(xo + p0 * inPlane, count * inPlane), Planes(w, count), ya.AsSpan(p0 * outPlane, count * outPlane), ia is null ? default : ia.AsSpan(p0 * outPlane, count * outPlane)));
        }
        return (y, idx);
    }

    /// <summary>Gradient of max pooling: each output gradient goes to its argmax input.</summary>
    public static Tensor MaxPool2dBackward(Tensor gy, Tensor indices, int[] inputShape, Window2d w)
    {
        var g = gy.ContiguousData();
        var gx = Tensor.Empty((int[])inputShape.Clone(), gy.DType);   // the kernels clear each plane themselves
        int planes = inputShape[0] * inputShape[1], inPlane = w.PlaneSize, outPlane = w.OutPlaneSize, go = g.Offset;
        long[] ia = indices.Data<long>();
        int io = indices.Offset;
        if (gy.DType == DType.Float32)
        {
            float[] ga = g.Data<float>(), xa = gx.Data<float>();
            ForPlanes(planes, inPlane + outPlane, (p0, count) => Pooling.MaxBackward<float>(ga.AsSpan(go + p0 * outPlane, count * outPlane), ia.AsSpan(io + p0 * outPlane, count * outPlane), Planes(w, count), xa.AsSpan(p0 * inPlane, count * inPlane)));
        }
        else
        {
            double[] ga = g.Data<double>(), xa = gx.Data<double>();
            ForPlanes(planes, inPlane + outPlane, (p0, count) => Pooling.MaxBackward<double>(ga.AsSpan(go + p0 * outPlane, count * outPlane), ia.AsSpan(io + p0 * outPlane, count * outPlane), Planes(w, count), xa.AsSpan(p0 * inPlane, count * inPlane)));
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
