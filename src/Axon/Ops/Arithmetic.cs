namespace Axon;

// Element-wise arithmetic with broadcasting. Backward: the gradient of each input, summed over the dimensions that
// broadcasting expanded (Unbroadcast). Every backward is written with ops, so it is itself differentiable.
public sealed partial class Tensor
{
    /// <summary>Sums a gradient down to the shape of the input it belongs to (the adjoint of broadcasting), differentiably.</summary>
    internal static Tensor Unbroadcast(Tensor g, Tensor input) => ShapeUtil.SameShape(g.shape, input.shape) ? g : g.SumTo(input.shape);

    /// <summary>
    /// Sums over the dimensions that broadcasting from <paramref name="targetShape"/> to this tensor's shape expanded
    /// (PyTorch's <c>sum_to_size</c>). Backward: the gradient expanded back.
    /// </summary>
    public Tensor SumTo(params int[] targetShape)
    {
        var x = this;
        var target = (int[])targetShape.Clone();
        if (!ShapeUtil.SameShape(ShapeUtil.Broadcast(target, shape, "SumTo"), shape))
            throw new ArgumentException($"SumTo: the tensor {ShapeUtil.Format(shape)} is not a broadcast of {ShapeUtil.Format(target)}.", nameof(targetShape));
        if (ShapeUtil.SameShape(shape, target)) return this;
        return Compute.SumTo(x, target).Record("SumTo", [x], new OpAttributes(("shape", target)), g => [g.Expand(x.shape)]);
    }

    /// <summary>this + other (broadcast). Shape: broadcast of both shapes.</summary>
    public Tensor Add(Tensor other)
    {
        var (a, b) = (this, other);
        return Compute.Binary(a, b, BinaryOp.Add, "Add")
            .Record("Add", [a, b], g => [a.requiresGrad ? Unbroadcast(g, a) : null, b.requiresGrad ? Unbroadcast(g, b) : null]);
    }

    /// <summary>this - other (broadcast).</summary>
    public Tensor Sub(Tensor other)
    {
        var (a, b) = (this, other);
        return Compute.Binary(a, b, BinaryOp.Sub, "Sub")
            .Record("Sub", [a, b], g => [a.requiresGrad ? Unbroadcast(g, a) : null, b.requiresGrad ? Unbroadcast(-g, b) : null]);
    }

    /// <summary>this * other (broadcast).</summary>
    public Tensor Mul(Tensor other)
    {
        var (a, b) = (this, other);
        return Compute.Binary(a, b, BinaryOp.Mul, "Mul")
            .Record("Mul", [a, b], g => [a.requiresGrad ? Unbroadcast(g * b, a) : null, b.requiresGrad ? Unbroadcast(g * a, b) : null]);
    }

    /// <summary>this / other (broadcast). True division: two int64 tensors give a float32 result, as in PyTorch.</summary>
    public Tensor Div(Tensor other)
    {
        if (DType == DType.Int64 && other.DType == DType.Int64) return To(DType.Float32).Div(other.To(DType.Float32));
        var (a, b) = (this, other);
        return Compute.Binary(a, b, BinaryOp.Div, "Div")
            .Record("Div", [a, b], g => [a.requiresGrad ? Unbroadcast(g / b, a) : null, b.requiresGrad ? Unbroadcast(-g * a / (b * b), b) : null]);
    }

    /// <summary>
    /// this ^ exponent element-wise (broadcast). As in PyTorch, the base gets gradient 0 where the exponent is 0, and the
    /// exponent gets 0 where the base is 0 and the exponent non-negative (instead of 0 * inf = NaN).
    /// </summary>
    public Tensor Pow(Tensor exponent)
    {
        var (a, b) = (this, exponent);
        var y = Compute.Binary(a, b, BinaryOp.Pow, "Pow");
        return y.Record("Pow", [a, b], g =>
        {
            using var zero = Scalar(0, y.DType, y.Device);
            return [
                a.requiresGrad ? Unbroadcast(Where(b.Eq(0), zero, g * b * a.Pow(b - 1.0)), a) : null,
                b.requiresGrad ? Unbroadcast(Where(a.Eq(0) * b.Ge(0), zero, g * y * a.Log()), b) : null];
        });
    }

    /// <summary>this ^ p.</summary>
    public Tensor Pow(double p)
    {
        var x = this;
        if (p == 2) return x.Square();
        // x^0 is constant: gradient 0 everywhere, also at x = 0 where p * x^(p-1) would be 0 * inf.
        return Compute.ScalarOp(x, p, BinaryOp.Pow, "Pow")
            .Record("Pow", [x], new OpAttributes(("exponent", p)), g => [p == 0 ? ZerosLike(g) : g * (p * x.Pow(p - 1))]);
    }

    /// <summary>Element-wise maximum (broadcast); on ties the gradient is split evenly, as in PyTorch.</summary>
    public Tensor Maximum(Tensor other) => MinMax(other, BinaryOp.Max, "Maximum");

    /// <summary>Element-wise minimum (broadcast); on ties the gradient is split evenly.</summary>
    public Tensor Minimum(Tensor other) => MinMax(other, BinaryOp.Min, "Minimum");

    private Tensor MinMax(Tensor other, BinaryOp op, string name)
    {
        var (a, b) = (this, other);
        return Compute.Binary(a, b, op, name).Record(name, [a, b], g =>
        {
            var wins = op == BinaryOp.Max ? a.Gt(b) : a.Lt(b);
            var share = wins + a.Eq(b) * 0.5;  // 1 where a wins, 0.5 on ties
            return [a.requiresGrad ? Unbroadcast(g * share, a) : null, b.requiresGrad ? Unbroadcast(g * (1.0 - share), b) : null];
        });
    }

    /// <summary>-this.</summary>
    public Tensor Neg()
    {
        var x = this;
        return Compute.Unary(x, UnaryOp.Neg).Record("Neg", [x], g => [-g]);
    }

    /// <summary>this + s.</summary>
    public Tensor Add(double s)
    {
        var x = this;
        return Compute.ScalarOp(x, s, BinaryOp.Add, "Add").Record("Add", [x], new OpAttributes(("other", s)), g => [g]);
    }

    /// <summary>this * s.</summary>
    public Tensor Mul(double s)
    {
        var x = this;
        return Compute.ScalarOp(x, s, BinaryOp.Mul, "Mul").Record("Mul", [x], new OpAttributes(("other", s)), g => [g * s]);
    }

    /// <summary>this / s (true division: an int64 tensor gives float32).</summary>
    public Tensor Div(double s)
    {
        var x = DType == DType.Int64 ? To(DType.Float32) : this;
        return Compute.ScalarOp(x, s, BinaryOp.Div, "Div").Record("Div", [x], new OpAttributes(("other", s)), g => [g / s]);
    }

    /// <summary>The dtype a scalar takes next to a tensor of <paramref name="dtype"/> (int64 only for integral values).</summary>
    private static DType ScalarDType(DType dtype, double s) => dtype.IsFloatingPoint() ? dtype : s == Math.Floor(s) ? DType.Int64 : DType.Float32;

    /// <summary>s - this.</summary>
    public Tensor RSub(double s)
    {
        var x = this;
        using var st = Scalar(s, ScalarDType(x.DType, s), x.Device);
        return Compute.Binary(st, x, BinaryOp.Sub, "Sub").Record("Sub", [x], new OpAttributes(("other", s), ("reverse", true)), g => [-g]);
    }

    /// <summary>s / this (true division: an int64 tensor gives float32).</summary>
    public Tensor RDiv(double s)
    {
        var x = DType == DType.Int64 ? To(DType.Float32) : this;
        using var st = Scalar(s, x.DType, x.Device);
        var y = Compute.Binary(st, x, BinaryOp.Div, "Div");
        return y.Record("Div", [x], new OpAttributes(("other", s), ("reverse", true)), g => [-g * y / x]);
    }

#pragma warning disable CS1591 // operators mirror the named methods above
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    public static Tensor operator +(double s, Tensor a) => a.Add(s);
    public static Tensor operator -(Tensor a, double s) => a.Add(-s);
    public static Tensor operator -(double s, Tensor a) => a.RSub(s);
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    public static Tensor operator /(double s, Tensor a) => a.RDiv(s);
#pragma warning restore CS1591
}
