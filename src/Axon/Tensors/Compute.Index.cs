namespace Axon;

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
            if (t.Rank != first.Rank || t.DType != dtype) throw new ArgumentException($"Cat: expected tensors of rank {first.Rank} and dtype {dtype.TorchName()}, got {ShapeUtil.Format(t.ShapeArray)} of {t.DType.TorchName()}.");
            for (int i = 0; i < t.Rank; i++)
                if (i != d && t.ShapeArray[i] != first.ShapeArray[i])
                    throw new ArgumentException($"Cat: sizes of tensors must match except in dimension {d}; got {ShapeUtil.Format(first.ShapeArray)} and {ShapeUtil.Format(t.ShapeArray)}.");
            total += t.ShapeArray[d];
        }
        var shape = first.GetShape();
        shape[d] = total;
        var r = Tensor.Empty(shape, dtype);
        int at = 0;
        foreach (var t in tensors)
        {
            using var part = r.NarrowView(d, at, t.ShapeArray[d]);
            Tensor.CopyStrided(t, part);
            at += t.ShapeArray[d];
        }
        return r;
    }

    private static long[] Indices(Tensor index, string op)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}: expected an int64 index tensor, got {index.DType.TorchName()}.");
        return index.ToLongArray();
    }

    /// <summary>Selects entries of dimension <paramref name="dim"/> by a 1-D index.</summary>
    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        int d = ShapeUtil.NormDim(dim, x.Rank, "IndexSelect");
        if (index.Rank > 1) throw new ArgumentException($"IndexSelect: the index must be 1-D, got {ShapeUtil.Format(index.ShapeArray)}.");
        var idx = Indices(index, "IndexSelect");
        var shape = x.GetShape();
        shape[d] = idx.Length;
        var r = Tensor.Empty(shape, x.DType);
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] < 0 || idx[i] >= x.ShapeArray[d]) throw new ArgumentOutOfRangeException(nameof(index), $"IndexSelect: index {idx[i]} is out of range for dimension {d} of size {x.ShapeArray[d]}.");
            using var src = x.SelectView(d, (int)idx[i]);
            using var dst = r.SelectView(d, i);
            Tensor.CopyStrided(src, dst);
        }
        return r;
    }

    /// <summary>Zeros of <paramref name="shape"/> with src's slices added at the given indices of <paramref name="dim"/> (the adjoint of IndexSelect).</summary>
    public static Tensor IndexAdd(int[] shape, int dim, Tensor index, Tensor src)
    {
        var idx = Indices(index, "IndexAdd");
        var r = Tensor.Zeros(shape, src.DType);
        for (int i = 0; i < idx.Length; i++)
        {
            using var dst = r.SelectView(dim, (int)idx[i]);
            using var s = src.SelectView(dim, i);
            BinaryInto(dst, s, dst, BinaryOp.Add);
        }
        return r;
    }

    /// <summary>out[..., i, ...] = x[..., index[..., i, ...], ...] along <paramref name="dim"/> (index has x's rank).</summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        int d = ShapeUtil.NormDim(dim, x.Rank, "Gather");
        CheckGatherShape(x.ShapeArray, index.ShapeArray, d, "Gather");
        var idx = Indices(index, "Gather");
        var r = Tensor.Empty(index.GetShape(), x.DType);
        WalkGather(index.ShapeArray, x.StrideArray, d, idx, x.ShapeArray[d], "Gather", (flat, off) =>
        {
            switch (x.DType)
            {
                case DType.Float32: r.Data<float>()[flat] = x.Data<float>()[x.Offset + off]; break;
                case DType.Float64: r.Data<double>()[flat] = x.Data<double>()[x.Offset + off]; break;
                default: r.Data<long>()[flat] = x.Data<long>()[x.Offset + off]; break;
            }
        });
        return r;
    }

    /// <summary>Zeros of <paramref name="shape"/> with src scattered and summed at the gathered positions (the adjoint of Gather).</summary>
    public static Tensor ScatterAdd(int[] shape, int dim, Tensor index, Tensor src)
    {
        var idx = Indices(index, "ScatterAdd");
        var r = Tensor.Zeros(shape, src.DType);
        var s = src.ContiguousData();
        WalkGather(index.ShapeArray, r.StrideArray, dim, idx, shape[dim], "ScatterAdd", (flat, off) =>
        {
            if (r.DType == DType.Float32) r.Data<float>()[off] += s.Data<float>()[s.Offset + flat];
            else if (r.DType == DType.Float64) r.Data<double>()[off] += s.Data<double>()[s.Offset + flat];
            else r.Data<long>()[off] += s.Data<long>()[s.Offset + flat];
        });
        return r;
    }

    private static void CheckGatherShape(int[] xs, int[] ixs, int d, string op)
    {
        if (ixs.Length != xs.Length) throw new ArgumentException($"{op}: index {ShapeUtil.Format(ixs)} must have as many dimensions as the input {ShapeUtil.Format(xs)}.");
        for (int i = 0; i < xs.Length; i++)
            if (i != d && ixs[i] > xs[i]) throw new ArgumentException($"{op}: index {ShapeUtil.Format(ixs)} is larger than the input {ShapeUtil.Format(xs)} in dimension {i}.");
    }

    /// <summary>Calls visit(flatIndexInIndex, offsetInTarget) for every index element.</summary>
    private static void WalkGather(int[] ishape, int[] tstrides, int d, long[] idx, int dimSize, string op, Action<int, int> visit)
    {
        var coord = new int[ishape.Length];
        for (int flat = 0; flat < idx.Length; flat++)
        {
            long j = idx[flat];
            if (j < 0 || j >= dimSize) throw new ArgumentOutOfRangeException(nameof(idx), $"{op}: index {j} is out of bounds for dimension {d} with size {dimSize}.");
            int off = 0;
            for (int a = 0; a < ishape.Length; a++) off += (a == d ? (int)j : coord[a]) * tstrides[a];
            visit(flat, off);
            for (int a = ishape.Length - 1; a >= 0; a--) { if (++coord[a] < ishape[a]) break; coord[a] = 0; }
        }
    }

    /// <summary>One-hot float32 encoding of int64 labels: shape [..., numClasses].</summary>
    public static Tensor OneHot(Tensor labels, int numClasses, DType dtype)
    {
        var idx = Indices(labels, "OneHot");
        if (numClasses < 0) numClasses = idx.Length == 0 ? 0 : (int)idx.Max() + 1;
        var r = Tensor.Zeros([.. labels.ShapeArray, numClasses], dtype);
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] < 0 || idx[i] >= numClasses) throw new ArgumentOutOfRangeException(nameof(labels), $"OneHot: class {idx[i]} is out of range for {numClasses} classes.");
            r.SetDouble(1, [.. Unflatten(i, labels.ShapeArray), (int)idx[i]]);
        }
        return r;
    }

    private static int[] Unflatten(int flat, int[] shape)
    {
        var c = new int[shape.Length];
        for (int a = shape.Length - 1; a >= 0; a--) { c[a] = flat % shape[a]; flat /= shape[a]; }
        return c;
    }
}
