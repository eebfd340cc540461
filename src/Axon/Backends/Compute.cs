using Axon.Kernels;

namespace Axon.Backends;

/// <summary>
/// The device-independent front of the backends, with no autograd: shape rules, broadcasting, type promotion, the
/// errors about them, and allocation of each result on the operands' device; then one call to the device's
/// <see cref="IBackend"/>. The differentiable API in <c>Ops/</c> calls these for its forward and backward passes.
/// </summary>
internal static partial class Compute
{
    public static DType Promote(DType a, DType b) =>
        a == DType.Float64 || b == DType.Float64 ? DType.Float64 :
        a == DType.Float32 || b == DType.Float32 ? DType.Float32 : DType.Int64;

    /// <summary>Throws unless every tensor lives on one device; returns that device.</summary>
    public static Device SameDevice(string op, Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Device, b.Device))
            throw new InvalidOperationException($"{op}: expected all tensors on the same device, but found at least two devices, {a.Device.Description} and {b.Device.Description}; move them with To(device).");
        return a.Device;
    }

    /// <summary>Throws unless every tensor lives on one device; returns that device.</summary>
    public static Device SameDevice(string op, Tensor first, params ReadOnlySpan<Tensor?> others)
    {
        foreach (var t in others)
            if (t is not null) SameDevice(op, first, t);
        return first.Device;
    }

    /// <summary>out = a op b with broadcasting and type promotion.</summary>
    public static Tensor Binary(Tensor a, Tensor b, BinaryOp op, string name)
    {
        var device = SameDevice(name, a, b);
        var dtype = Promote(a.DType, b.DType);
        if (a.DType != dtype) a = a.ConvertData(dtype);
        if (b.DType != dtype) b = b.ConvertData(dtype);
        var shape = ShapeUtil.Broadcast(a.ShapeArray, b.ShapeArray, name);
        var result = Tensor.Empty(shape, dtype, device);
        device.Backend.Binary(op, a, b, result);
        return result;
    }

    /// <summary>dst = a op b where dst has the broadcast shape (dst may be a or b for in-place updates); all of dst's dtype.</summary>
    public static void BinaryInto(Tensor a, Tensor b, Tensor dst, BinaryOp op)
    {
        SameDevice("BinaryInto", dst, a, b);
        dst.Backend.Binary(op, a, b, dst);
    }

    /// <summary>out = op(x): int64 stays int64 for Neg, Abs, Square and Sign and becomes float32 for the others.</summary>
    public static Tensor Unary(Tensor x, UnaryOp op)
    {
        if (x.DType == DType.Int64 && op is not (UnaryOp.Neg or UnaryOp.Abs or UnaryOp.Square or UnaryOp.Sign)) x = x.ConvertData(DType.Float32);
        var result = x.EmptyLike(x.GetShape());
        x.Backend.Unary(op, x, result);
        return result;
    }

    /// <summary>x op scalar, the scalar taking x's dtype (int64 for integral values next to int64, else float32).</summary>
    public static Tensor ScalarOp(Tensor x, double s, BinaryOp op, string name)
    {
        using var st = Tensor.Scalar(s, x.DType.IsFloatingPoint() ? x.DType : (s == Math.Floor(s) ? DType.Int64 : DType.Float32), x.Device);
        return Binary(x, st, op, name);
    }

    /// <summary>min(max(x, lo), hi).</summary>
    public static Tensor Clamp(Tensor x, double lo, double hi)
    {
        var r = x.EmptyLike(x.GetShape());
        x.Backend.Clamp(x, lo, hi, r);
        return r;
    }

    /// <summary>x &gt; 0 ? x : slope * x (int64 computed as float32).</summary>
    public static Tensor LeakyRelu(Tensor x, double slope)
    {
        if (x.DType == DType.Int64) x = x.ConvertData(DType.Float32);
        var r = x.EmptyLike(x.GetShape());
        x.Backend.LeakyRelu(x, slope, r);
        return r;
    }

    /// <summary>(1/beta) log(1 + e^(beta x)), x itself where beta x &gt; threshold.</summary>
    public static Tensor Softplus(Tensor x, double beta, double threshold)
    {
        if (x.DType == DType.Int64) x = x.ConvertData(DType.Float32);
        var r = x.EmptyLike(x.GetShape());
        x.Backend.Softplus(x, beta, threshold, r);
        return r;
    }

    /// <summary>Leaky ReLU's fused backward from its input (see <see cref="IBackend.LeakyReluBackward"/>).</summary>
    public static Tensor LeakyReluBackward(Tensor x, Tensor g, double slope)
    {
        SameDevice("LeakyRelu", x, g);
        var r = x.EmptyLike(x.GetShape());
        x.Backend.LeakyReluBackward(x, g, slope, r);
        return r;
    }

    /// <summary>The fused backward of an activation (see <see cref="IBackend.ActivationBackward"/>).</summary>
    public static Tensor ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g)
    {
        SameDevice(kind.ToString(), saved, g);
        var r = saved.EmptyLike(saved.GetShape());
        saved.Backend.ActivationBackward(kind, saved, g, r);
        return r;
    }

    /// <summary>cond != 0 ? a : b with broadcasting over all three.</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        var device = SameDevice("Where", cond, a, b);
        var dtype = Promote(a.DType, b.DType);
        if (a.DType != dtype) a = a.ConvertData(dtype);
        if (b.DType != dtype) b = b.ConvertData(dtype);
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(cond.ShapeArray, a.ShapeArray, "Where"), b.ShapeArray, "Where");
        var r = Tensor.Empty(shape, dtype, device);
        device.Backend.Where(cond, a, b, r);
        return r;
    }

    /// <summary>dst += alpha * src, in place (dst contiguous, same shape and dtype): gradient accumulation.</summary>
    public static void AxpyInPlace(Tensor dst, double alpha, Tensor src)
    {
        SameDevice("Add_", dst, src);
        dst.Backend.Axpy(alpha, src, dst);
    }

    /// <summary>dst += src, in place, with the arithmetic of <see cref="Binary"/> (dst of the full shape; src any strides of it).</summary>
    public static void AddInPlace(Tensor dst, Tensor src)
    {
        SameDevice("Add_", dst, src);
        dst.Backend.Binary(BinaryOp.Add, dst, src, dst);
    }

    /// <summary>A window of 2-D pooling or convolution over <paramref name="planes"/> planes.</summary>
    internal static Window2d Planes(in Window2d w, int planes) => w with { Channels = planes };
}
