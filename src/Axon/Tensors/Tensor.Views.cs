namespace Axon;

// Raw views: new shape/strides/offset over the same storage, no copy, no autograd.
// The differentiable versions (Reshape, Permute, ...) are in Ops/ViewOps.cs.
public sealed partial class Tensor
{
    /// <summary>Resolves one -1 in a requested shape and checks the element count.</summary>
    internal int[] InferShape(ReadOnlySpan<int> requested, string op)
    {
        var s = requested.ToArray();
        int infer = -1; long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1) { if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be inferred (-1) in {ShapeUtil.Format(requested)}."); infer = i; }
            else if (s[i] < 0) throw new ArgumentException($"{op}: invalid size {s[i]} in {ShapeUtil.Format(requested)}.");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || NumEl % known != 0) throw new ArgumentException($"{op}: shape {ShapeUtil.Format(requested)} is invalid for input of size {NumEl} {ShapeUtil.Format(shape)}.");
            s[infer] = (int)(NumEl / known);
        }
        else if (known != NumEl) throw new ArgumentException($"{op}: shape {ShapeUtil.Format(requested)} is invalid for input of size {NumEl} {ShapeUtil.Format(shape)}.");
        return s;
    }

    /// <summary>A view with a new shape; the tensor must be contiguous.</summary>
    internal Tensor ViewAs(ReadOnlySpan<int> newShape, string op = "View")
    {
        var s = InferShape(newShape, op);
        if (!IsContiguous) throw new InvalidOperationException($"{op}: the tensor {ShapeUtil.Format(shape)} with strides {ShapeUtil.Format(strides)} is not contiguous, so it cannot be viewed as {ShapeUtil.Format(s)}; use Reshape (which copies) or Contiguous() first.");
        return MakeView(s, ShapeUtil.ContiguousStrides(s), Offset);
    }

    /// <summary>A view when the layout allows it, otherwise a contiguous copy viewed with the new shape.</summary>
    internal Tensor ReshapeData(ReadOnlySpan<int> newShape)
    {
        var s = InferShape(newShape, "Reshape");
        if (IsContiguous) return MakeView(s, ShapeUtil.ContiguousStrides(s), Offset);
        var c = CloneData();
        return c.MakeView(s, ShapeUtil.ContiguousStrides(s), 0);
    }

    /// <summary>Reorders the dimensions.</summary>
    internal Tensor PermuteView(ReadOnlySpan<int> dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute: {dims.Length} dimensions given for a tensor with {Rank} dimensions {ShapeUtil.Format(shape)}.");
        var seen = new bool[Rank];
        var ns = new int[Rank]; var nst = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = ShapeUtil.NormDim(dims[i], Rank, "Permute");
            if (seen[d]) throw new ArgumentException($"Permute: dimension {d} repeats in {ShapeUtil.Format(dims)}.");
            seen[d] = true; ns[i] = shape[d]; nst[i] = strides[d];
        }
        return MakeView(ns, nst, Offset);
    }

    /// <summary>Swaps two dimensions.</summary>
    internal Tensor TransposeView(int dim0, int dim1)
    {
        int a = ShapeUtil.NormDim(dim0, Rank, "Transpose"), b = ShapeUtil.NormDim(dim1, Rank, "Transpose");
        int[] ns = (int[])shape.Clone(), nst = (int[])strides.Clone();
        (ns[a], ns[b]) = (ns[b], ns[a]);
        (nst[a], nst[b]) = (nst[b], nst[a]);
        return MakeView(ns, nst, Offset);
    }

    /// <summary>The slice [start, start+length) of one dimension.</summary>
    internal Tensor NarrowView(int dim, int start, int length)
    {
        int d = ShapeUtil.NormDim(dim, Rank, "Narrow");
        int given = start;
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: start {given} with length {length} is out of bounds for dimension {d} of size {shape[d]}.");
        var ns = (int[])shape.Clone();
        ns[d] = length;
        return MakeView(ns, (int[])strides.Clone(), Offset + start * strides[d]);
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension.</summary>
    internal Tensor SelectView(int dim, int index)
    {
        int d = ShapeUtil.NormDim(dim, Rank, "Select");
        int given = index;
        if (index < 0) index += shape[d];
        if (index < 0 || index >= shape[d]) throw new ArgumentOutOfRangeException(nameof(index), $"Select: index {given} is out of bounds for dimension {d} with size {shape[d]}.");
        var ns = shape.Where((_, i) => i != d).ToArray();
        var nst = strides.Where((_, i) => i != d).ToArray();
        return MakeView(ns, nst, Offset + index * strides[d]);
    }

    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1 (or all size-1 dimensions when null).</summary>
    internal Tensor SqueezeView(int? dim)
    {
        if (dim is int dd)
        {
            int d = ShapeUtil.NormDim(dd, Rank, "Squeeze");
            if (shape[d] != 1) return MakeView((int[])shape.Clone(), (int[])strides.Clone(), Offset);
            return MakeView(shape.Where((_, i) => i != d).ToArray(), strides.Where((_, i) => i != d).ToArray(), Offset);
        }
        return MakeView(shape.Where(s => s != 1).ToArray(), strides.Where((_, i) => shape[i] != 1).ToArray(), Offset);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    internal Tensor UnsqueezeView(int dim)
    {
        int d = ShapeUtil.NormDim(dim, Rank + 1, "Unsqueeze");
        var ns = shape.ToList(); var nst = strides.ToList();
        ns.Insert(d, 1);
        nst.Insert(d, d < Rank ? strides[d] * shape[d] : 1);
        return MakeView([.. ns], [.. nst], Offset);
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="target"/> with stride 0 (-1 keeps a size).</summary>
    internal Tensor ExpandView(ReadOnlySpan<int> target)
    {
        if (target.Length < Rank) throw new ArgumentException($"Expand: the target {ShapeUtil.Format(target)} has fewer dimensions than the tensor {ShapeUtil.Format(shape)}.");
        var ns = target.ToArray();
        int lead = ns.Length - Rank;
        for (int i = 0; i < ns.Length; i++)
        {
            int d = i - lead;
            if (ns[i] == -1) { if (d < 0) throw new ArgumentException($"Expand: -1 is not allowed for a new leading dimension in {ShapeUtil.Format(target)}."); ns[i] = shape[d]; }
            if (d >= 0 && shape[d] != 1 && shape[d] != ns[i])
                throw new ArgumentException($"Expand: the expanded size ({ns[i]}) must match the existing size ({shape[d]}) at non-singleton dimension {i}; target {ShapeUtil.Format(target)}, tensor {ShapeUtil.Format(shape)}.");
        }
        return MakeView(ns, ShapeUtil.BroadcastStrides(shape, strides, ns), Offset);
    }
}
