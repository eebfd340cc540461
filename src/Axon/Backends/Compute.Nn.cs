using Axon.Kernels;

namespace Axon.Backends;

// Convolution, pooling, batch normalisation and the fused cross-entropy: result shapes and allocation, then the backend.
internal static partial class Compute
{
    /// <summary>y = conv(x, w) + b for x [N, C, H, W] and w [O, C/G, kh, kw]; returns [N, O, Ho, Wo].</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, in Conv2dParams p)
    {
        var device = SameDevice("Conv2d", x, w, b);
        int n = x.ShapeArray[0], h = x.ShapeArray[2], wd = x.ShapeArray[3], o = w.ShapeArray[0], kh = w.ShapeArray[2], kw = w.ShapeArray[3];
        var y = Tensor.Empty([n, o, p.OutH(h, kh), p.OutW(wd, kw)], x.DType, device);
        device.Backend.Conv2d(x, w, b, p, y);
        return y;
    }

    /// <summary>The gradients of the convolution that are asked for (null for the others).</summary>
    public static (Tensor? Gx, Tensor? Gw, Tensor? Gb) Conv2dBackward(Tensor x, Tensor w, Tensor gy, in Conv2dParams p, bool needX, bool needW, bool needB)
    {
        var device = SameDevice("Conv2d backward", gy, x, w);
        Tensor? gx = needX ? x.EmptyLike(x.GetShape()) : null;
        Tensor? gw = needW ? w.EmptyLike(w.GetShape()) : null;
        Tensor? gb = needB ? w.EmptyLike([w.ShapeArray[0]]) : null;
        if (gx is not null || gw is not null || gb is not null) device.Backend.Conv2dBackward(x, w, gy, p, gx, gw, gb);
        return (gx, gw, gb);
    }

    /// <summary>The input gradient alone, of an input of <paramref name="inputShape"/> (the input itself is not needed).</summary>
    public static Tensor Conv2dInputGrad(Tensor gy, Tensor w, int[] inputShape, in Conv2dParams p)
    {
        var device = SameDevice("Conv2dInputGrad", gy, w);
        var gx = Tensor.Empty((int[])inputShape.Clone(), gy.DType, device);
        device.Backend.Conv2dBackward(null, w, gy, p, gx, null, null);
        return gx;
    }

    /// <summary>The weight gradient alone, of a weight of <paramref name="weightShape"/> (the weight itself is not needed).</summary>
    public static Tensor Conv2dWeightGrad(Tensor x, Tensor gy, int[] weightShape, in Conv2dParams p)
    {
        var device = SameDevice("Conv2dWeightGrad", gy, x);
        var gw = Tensor.Empty((int[])weightShape.Clone(), gy.DType, device);
        device.Backend.Conv2dBackward(x, null, gy, p, null, gw, null);
        return gw;
    }

    /// <summary>Max pooling of x [N, C, H, W]; with <paramref name="withArgmax"/> also the backend's record of each window's maximum.</summary>
    public static (Tensor Values, Tensor? Argmax) MaxPool2d(Tensor x, Window2d w, bool withArgmax)
    {
        var y = x.EmptyLike([x.ShapeArray[0], x.ShapeArray[1], w.OutH, w.OutW]);
        var argmax = x.Backend.MaxPool2d(x, w, y, withArgmax);
        return (y, argmax);
    }

    /// <summary>
    /// relu(max pooling of conv(x, w) + b) [N, O, pool.OutH, pool.OutW] over windows <paramref name="pool"/> of the
    /// convolution's output; with <paramref name="withArgmax"/> also the backend's record of each window's maximum.
    /// </summary>
    public static (Tensor Values, Tensor? Argmax) Conv2dReluMaxPool2d(Tensor x, Tensor w, Tensor? b, in Conv2dParams p, in Window2d pool, bool withArgmax)
    {
        var device = SameDevice("Conv2d", x, w, b);
        var y = Tensor.Empty([x.ShapeArray[0], w.ShapeArray[0], pool.OutH, pool.OutW], x.DType, device);
        var argmax = device.Backend.Conv2dReluMaxPool2d(x, w, b, p, pool, y, withArgmax);
        return (y, argmax);
    }

    /// <summary>The int64 indices of <paramref name="shape"/> (PyTorch's return_indices) from an argmax of <see cref="MaxPool2d"/>.</summary>
    public static Tensor WidenArgmax(Tensor argmax, int[] shape)
    {
        var idx = argmax.EmptyLike(shape, DType.Int64);
        argmax.Backend.MaxPool2dIndices(argmax, idx);
        return idx;
    }

    /// <summary>Gradient of max pooling: each output gradient goes to its argmax input.</summary>
    public static Tensor MaxPool2dBackward(Tensor gy, Tensor argmax, int[] inputShape, Window2d w)
    {
        var gx = gy.EmptyLike((int[])inputShape.Clone());
        gy.Backend.MaxPool2dBackward(gy, argmax, w, gx);
        return gx;
    }

    /// <summary>x [N, C, H, W] gathered at each window's maximum (the adjoint of <see cref="MaxPool2dBackward"/>).</summary>
    public static Tensor MaxPool2dGather(Tensor x, Tensor argmax, Window2d w)
    {
        var y = x.EmptyLike([x.ShapeArray[0], x.ShapeArray[1], w.OutH, w.OutW]);
        x.Backend.MaxPool2dGather(x, argmax, w, y);
        return y;
    }

    /// <summary>Average pooling of x [N, C, H, W]; <paramref name="adaptive"/> uses the adaptive windows.</summary>
    public static Tensor AvgPool2d(Tensor x, Window2d w, bool countIncludePad, bool adaptive)
    {
        var y = x.EmptyLike([x.ShapeArray[0], x.ShapeArray[1], w.OutH, w.OutW]);
        x.Backend.AvgPool2d(x, w, countIncludePad, adaptive, y);
        return y;
    }

    /// <summary>Gradient of (adaptive) average pooling.</summary>
    public static Tensor AvgPool2dBackward(Tensor gy, int[] inputShape, Window2d w, bool countIncludePad, bool adaptive)
    {
        var gx = gy.EmptyLike((int[])inputShape.Clone());
        gy.Backend.AvgPool2dBackward(gy, w, countIncludePad, adaptive, gx);
        return gx;
    }

    /// <summary>Batch normalisation (see <see cref="IBackend.BatchNorm"/>): the output and the saved float64 mean and 1/std per channel.</summary>
    public static (Tensor Y, Tensor Mean, Tensor InvStd) BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps)
    {
        var device = SameDevice("BatchNorm", x, weight, bias, runningMean, runningVar);
        int c = x.ShapeArray[1];
        var y = x.EmptyLike(x.GetShape());
        var mean = x.EmptyLike([c], DType.Float64);
        var invstd = x.EmptyLike([c], DType.Float64);
        device.Backend.BatchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps, y, mean, invstd);
        return (y, mean, invstd);
    }

    /// <summary>The gradients of batch normalisation that are asked for.</summary>
    public static (Tensor? Gx, Tensor? Gw, Tensor? Gb) BatchNormBackward(Tensor x, Tensor gy, Tensor mean, Tensor invstd, Tensor? weight, bool training, bool needX, bool needW, bool needB)
    {
        int c = x.ShapeArray[1];
        Tensor? gx = needX ? x.EmptyLike(x.GetShape()) : null;
        Tensor? gw = needW ? x.EmptyLike([c]) : null;
        Tensor? gb = needB ? x.EmptyLike([c]) : null;
        if (gx is not null || gw is not null || gb is not null) x.Backend.BatchNormBackward(x, gy, mean, invstd, weight, training, gx, gw, gb);
        return (gx, gw, gb);
    }

    /// <summary>Batch normalisation, residual add and ReLU (see <see cref="IBackend.BatchNormAct"/>): the output and the saved statistics.</summary>
    public static (Tensor Y, Tensor Mean, Tensor InvStd) BatchNormAct(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor? residual, bool relu)
    {
        var device = SameDevice("BatchNormAct", x, weight, bias, runningMean, runningVar, residual);
        int c = x.ShapeArray[1];
        var y = x.EmptyLike(x.GetShape());
        var mean = x.EmptyLike([c], DType.Float64);
        var invstd = x.EmptyLike([c], DType.Float64);
        device.Backend.BatchNormAct(x, weight, bias, runningMean, runningVar, training, momentum, eps, residual, relu, y, mean, invstd);
        return (y, mean, invstd);
    }

    /// <summary>The gradients of <see cref="BatchNormAct"/> that are asked for: x, weight, bias and the residual.</summary>
    public static (Tensor? Gx, Tensor? Gw, Tensor? Gb, Tensor? GResidual) BatchNormActBackward(Tensor x, Tensor y, Tensor gy, Tensor mean, Tensor invstd, Tensor? weight, bool training, bool relu,
        bool needX, bool needW, bool needB, bool needResidual)
    {
        int c = x.ShapeArray[1];
        Tensor? gx = needX ? x.EmptyLike(x.GetShape()) : null;
        Tensor? gw = needW ? x.EmptyLike([c]) : null;
        Tensor? gb = needB ? x.EmptyLike([c]) : null;
        Tensor? gr = needResidual ? x.EmptyLike(x.GetShape()) : null;
        if (gx is not null || gw is not null || gb is not null || gr is not null) x.Backend.BatchNormActBackward(x, y, gy, mean, invstd, weight, training, relu, gx, gw, gb, gr);
        return (gx, gw, gb, gr);
    }

    /// <summary>Element-wise binary cross-entropy of logits x against targets of x's shape (see <see cref="IBackend.BinaryCrossEntropyWithLogits"/>).</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor x, Tensor target)
    {
        var device = SameDevice("BinaryCrossEntropyWithLogits", x, target);
        var loss = x.EmptyLike(x.GetShape());
        device.Backend.BinaryCrossEntropyWithLogits(x, target, loss);
        return loss;
    }

    /// <summary>The gradient of <see cref="BinaryCrossEntropyWithLogits"/> with respect to the logits, (σ(x) − t) g.</summary>
    public static Tensor BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g)
    {
        var gx = x.EmptyLike(x.GetShape());
        x.Backend.BinaryCrossEntropyWithLogitsBackward(x, target, g, gx);
        return gx;
    }

    /// <summary>The fused softmax cross-entropy (see <see cref="IBackend.CrossEntropy"/>): the loss, lse [N] and the sum of the targets' weights.</summary>
    public static (Tensor Loss, Tensor Lse, double WeightSum) CrossEntropy(Tensor x, Tensor target, Tensor? weight, Reduction reduction)
    {
        var device = SameDevice("CrossEntropy", x, target, weight);
        int n = x.ShapeArray[0];
        var lse = x.EmptyLike([n]);
        var loss = reduction == Reduction.None ? x.EmptyLike([n]) : x.EmptyLike([]);
        double weightSum = device.Backend.CrossEntropy(x, target, weight, reduction, loss, lse);
        return (loss, lse, weightSum);
    }

    /// <summary>The gradient of <see cref="CrossEntropy"/> with respect to the logits.</summary>
    public static Tensor CrossEntropyBackward(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g)
    {
        var gx = x.EmptyLike(x.GetShape());
        x.Backend.CrossEntropyBackward(x, lse, target, weight, reduction, weightSum, g, gx);
        return gx;
    }
}
