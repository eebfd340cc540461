namespace Axon.Backends;

// Concatenation, gather/scatter, index-select/index-add and one-hot.
internal static partial class Compute
{
    /// <summary>Concatenates along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors.");
        var first = tensors[0];
        int d = ShapeUtil.NormDim(dim, first.Rank, "Cat");
        var dtype = first.DType;
        int total = 0;
        foreach (var t in tensors)
        {
            SameDevice("Cat", first, t);
            if (t.Rank != first.Rank || t.DType != dtype) throw new ArgumentException($"Cat: expected tensors of rank {first.Rank} and dtype {dtype.TorchName()}, got {ShapeUtil.Format(t.ShapeArray)} of {t.DType.TorchName()}.");
            for (int i = 0; i < t.Rank; i++)
                if (i != d && t.ShapeArray[i] != first.ShapeArray[i])
                    throw new ArgumentException($"Cat: sizes of tensors must match except in dimension {d}; got {ShapeUtil.Format(first.ShapeArray)} and {ShapeUtil.Format(t.ShapeArray)}.");
            total += t.ShapeArray[d];
        }
        var shape = first.GetShape();
        shape[d] = total;
        var r = first.EmptyLike(shape);
        int at = 0;
        foreach (var t in tensors)
        {
            using var part = r.NarrowView(d, at, t.ShapeArray[d]);
            r.Backend.Copy(t, part);
            at += t.ShapeArray[d];
        }
        return r;
    }

    private static void CheckIndex(Tensor index, string op)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}: expected an int64 index tensor, got {index.DType.TorchName()}.");
    }

    /// <summary>Selects entries of dimension <paramref name="dim"/> by a 1-D index.</summary>
    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        SameDevice("IndexSelect", x, index);
        int d = ShapeUtil.NormDim(dim, x.Rank, "IndexSelect");
        if (index.Rank > 1) throw new ArgumentException($"IndexSelect: the index must be 1-D, got {ShapeUtil.Format(index.ShapeArray)}.");
        CheckIndex(index, "IndexSelect");
        var shape = x.GetShape();
        shape[d] = index.NumEl;
        var r = x.EmptyLike(shape);
        x.Backend.IndexSelect(x, d, index, r);
        return r;
    }

    /// <summary>Zeros of <paramref name="shape"/> with src's slices added at the given indices of <paramref name="dim"/> (the adjoint of IndexSelect).</summary>
    public static Tensor IndexAdd(int[] shape, int dim, Tensor index, Tensor src)
    {
        SameDevice("IndexAdd", src, index);
        CheckIndex(index, "IndexAdd");
        var r = Tensor.Zeros(shape, src.DType, src.Device);
        src.Backend.IndexAdd(r, dim, index, src);
        return r;
    }

    /// <summary>
    /// Adds the output gradient's rows <paramref name="grad"/> [N, D] into the rows of <paramref name="gradWeight"/> [V, D]
    /// picked by the 1-D <paramref name="index"/> [N], skipping <paramref name="paddingIdx"/>; with <paramref name="zero"/>
    /// the destination (a fresh, uninitialised buffer) is cleared first. Only the touched rows are written otherwise.
    /// </summary>
    public static void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long? paddingIdx, bool zero)
    {
        SameDevice("Embedding backward", gradWeight, index, grad);
        CheckIndex(index, "Embedding backward");
        if (zero) gradWeight.Backend.Fill(gradWeight, 0);
        gradWeight.Backend.EmbeddingBackward(gradWeight, index, grad, paddingIdx ?? -1);
    }

    /// <summary>
    /// torch.embedding_renorm_: each distinct row of <paramref name="weight"/> named by <paramref name="index"/> whose
    /// <paramref name="normType"/>-norm exceeds <paramref name="maxNorm"/> is multiplied in place, unrecorded, by
    /// maxNorm / (norm + 1e-7). Rows are visited once each, in increasing order, as PyTorch's CPU kernel.
    /// </summary>
    public static void EmbeddingRenorm(Tensor weight, Tensor index, double maxNorm, double normType)
    {
        SameDevice("Embedding renorm", weight, index);
        CheckIndex(index, "Embedding renorm");
        if (!weight.DType.IsFloatingPoint()) throw new ArgumentException($"Embedding: maxNorm needs a floating-point weight, got {weight.DType.TorchName()}.");
        var rows = index.ToLongArray();
        Array.Sort(rows);
        for (int i = 0; i < rows.Length; i++)
        {
            if (i > 0 && rows[i] == rows[i - 1]) continue;
            using var row = weight.SelectView(0, (int)rows[i]);
            double norm = weight.Backend.Norm(row, normType);
            if (!(norm > maxNorm)) continue;
            double scale = maxNorm / (norm + 1e-7);
            if (row.IsContiguous) { weight.Backend.ScaleInPlace(row, scale); continue; }
            using var copy = row.CloneData();
            weight.Backend.ScaleInPlace(copy, scale);
            weight.Backend.Copy(copy, row);
        }
    }

    /// <summary>out[..., i, ...] = x[..., index[..., i, ...], ...] along <paramref name="dim"/> (index has x's rank).</summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        SameDevice("Gather", x, index);
        int d = ShapeUtil.NormDim(dim, x.Rank, "Gather");
        CheckGatherShape(x.ShapeArray, index.ShapeArray, d, "Gather");
        CheckIndex(index, "Gather");
        var r = x.EmptyLike(index.GetShape());
        x.Backend.Gather(x, d, index, r);
        return r;
    }

    /// <summary>Zeros of <paramref name="shape"/> with src scattered and summed at the gathered positions (the adjoint of Gather).</summary>
    public static Tensor ScatterAdd(int[] shape, int dim, Tensor index, Tensor src)
    {
        SameDevice("ScatterAdd", src, index);
        CheckIndex(index, "ScatterAdd");
        var r = Tensor.Zeros(shape, src.DType, src.Device);
        src.Backend.ScatterAdd(r, dim, index, src);
        return r;
    }

    private static void CheckGatherShape(int[] xs, int[] ixs, int d, string op)
    {
        if (ixs.Length != xs.Length) throw new ArgumentException($"{op}: index {ShapeUtil.Format(ixs)} must have as many dimensions as the input {ShapeUtil.Format(xs)}.");
        for (int i = 0; i < xs.Length; i++)
            if (i != d && ixs[i] > xs[i]) throw new ArgumentException($"{op}: index {ShapeUtil.Format(ixs)} is larger than the input {ShapeUtil.Format(xs)} in dimension {i}.");
    }

    /// <summary>One-hot encoding of int64 labels: shape [..., numClasses] (-1: the largest label + 1).</summary>
    public static Tensor OneHot(Tensor labels, int numClasses, DType dtype)
    {
        CheckIndex(labels, "OneHot");
        var (lo, hi) = labels.NumEl == 0 ? (0L, -1L) : labels.Backend.IndexRange(labels);
        if (numClasses < 0) numClasses = (int)(hi + 1);
        if (lo < 0 || hi >= numClasses)
            throw new ArgumentOutOfRangeException(nameof(labels), $"OneHot: class {(lo < 0 ? lo : hi)} is out of range for {numClasses} classes.");
        var r = Tensor.Zeros([.. labels.ShapeArray, numClasses], dtype, labels.Device);
        using var index = labels.UnsqueezeView(labels.Rank);
        using var ones = Tensor.Ones(index.GetShape(), dtype, labels.Device);
        labels.Backend.ScatterAdd(r, labels.Rank, index, ones);
        return r;
    }
}
