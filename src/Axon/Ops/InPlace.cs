namespace Axon;

// In-place updates for optimisers and initialisers. They are not recorded, so they are refused on a
// tensor that takes part in a graph while recording is on (as PyTorch refuses in-place ops on leaves that require grad).
public sealed partial class Tensor
{
    private void CheckInPlace(string op)
    {
        if (GradMode.IsEnabled && (requiresGrad || GradFn is not null))
            throw new InvalidOperationException($"{op}: a tensor that requires grad is being used in an in-place operation; do it under NoGrad (optimisers and initialisers do).");
    }

    /// <summary>
    /// The operand of an in-place update, converted to this tensor's dtype (the result cannot change type). Throws unless it
    /// broadcasts to exactly this tensor's shape: an in-place result cannot grow.
    /// </summary>
    private Tensor InPlaceOperand(Tensor other, string op)
    {
        if (!ShapeUtil.SameShape(ShapeUtil.Broadcast(shape, other.shape, op), shape))
            throw new ArgumentException($"{op}: the operand of shape {ShapeUtil.Format(other.shape)} does not broadcast to this tensor's shape {ShapeUtil.Format(shape)}.", nameof(other));
        return other.DType == DType ? other : other.ConvertData(DType);
    }

    /// <summary>this += alpha * other (other broadcasts to this shape), in place.</summary>
    public Tensor Add_(Tensor other, double alpha = 1)
    {
        CheckInPlace("Add_");
        var o = InPlaceOperand(other, "Add_");
        if (IsContiguous && ShapeUtil.SameShape(shape, o.shape) && DType.IsFloatingPoint()) Compute.AxpyInPlace(this, alpha, o);
        else
        {
            using var scaled = alpha == 1 ? null : Compute.ScalarOp(o, alpha, BinaryOp.Mul, "Add_");
            Compute.BinaryInto(this, scaled ?? o, this, BinaryOp.Add);
        }
        return this;
    }

    /// <summary>this *= s, in place.</summary>
    public Tensor Mul_(double s)
    {
        CheckInPlace("Mul_");
        using var st = Scalar(s, DType, Device);
        Compute.BinaryInto(this, st, this, BinaryOp.Mul);
        return this;
    }

    /// <summary>this *= other (broadcast to this shape), in place.</summary>
    public Tensor Mul_(Tensor other)
    {
        CheckInPlace("Mul_");
        Compute.BinaryInto(this, InPlaceOperand(other, "Mul_"), this, BinaryOp.Mul);
        return this;
    }

    /// <summary>Clamps in place.</summary>
    public Tensor Clamp_(double min, double max)
    {
        CheckInPlace("Clamp_");
        using var c = Compute.Clamp(this, min, max);
        CopyStrided(c, this);
        return this;
    }
}
