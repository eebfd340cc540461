namespace Axon;

// Comparisons: results are 0/1 in the promoted dtype (float for float inputs, int64 for int64 inputs),
// never recorded (they have no gradient).
public sealed partial class Tensor
{
    private Tensor Compare(Tensor other, BinaryOp op, string name) =>
        Compute.Binary(this, other, op, name).Record(name, [this, other], OpAttributes.Empty, backward: null);

    private Tensor Compare(double s, BinaryOp op, string name) =>
        Compute.ScalarOp(this, s, op, name).Record(name, [this], new OpAttributes(("other", s)), backward: null);

    /// <summary>1 where this == other.</summary>
    public Tensor Eq(Tensor other) => Compare(other, BinaryOp.Eq, "Eq");

    /// <summary>1 where this != other.</summary>
    public Tensor Ne(Tensor other) => Compare(other, BinaryOp.Ne, "Ne");

    /// <summary>1 where this &lt; other.</summary>
    public Tensor Lt(Tensor other) => Compare(other, BinaryOp.Lt, "Lt");

    /// <summary>1 where this &lt;= other.</summary>
    public Tensor Le(Tensor other) => Compare(other, BinaryOp.Le, "Le");

    /// <summary>1 where this &gt; other.</summary>
    public Tensor Gt(Tensor other) => Compare(other, BinaryOp.Gt, "Gt");

    /// <summary>1 where this &gt;= other.</summary>
    public Tensor Ge(Tensor other) => Compare(other, BinaryOp.Ge, "Ge");

    /// <summary>1 where this == s.</summary>
    public Tensor Eq(double s) => Compare(s, BinaryOp.Eq, "Eq");

    /// <summary>1 where this != s.</summary>
    public Tensor Ne(double s) => Compare(s, BinaryOp.Ne, "Ne");

    /// <summary>1 where this &lt; s.</summary>
    public Tensor Lt(double s) => Compare(s, BinaryOp.Lt, "Lt");

    /// <summary>1 where this &lt;= s.</summary>
    public Tensor Le(double s) => Compare(s, BinaryOp.Le, "Le");

    /// <summary>1 where this &gt; s.</summary>
    public Tensor Gt(double s) => Compare(s, BinaryOp.Gt, "Gt");

    /// <summary>1 where this &gt;= s.</summary>
    public Tensor Ge(double s) => Compare(s, BinaryOp.Ge, "Ge");

    /// <summary>True when both tensors have the same shape and all elements differ by at most atol + rtol * |other| (NaN never close).</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        if (!ShapeUtil.SameShape(shape, other.shape)) return false;
        var a = ToDoubleArray(); var b = other.ToDoubleArray();
        for (int i = 0; i < a.Length; i++)
            if (!(Math.Abs(a[i] - b[i]) <= atol + rtol * Math.Abs(b[i])) && a[i] != b[i]) return false;
        return true;
    }
}
