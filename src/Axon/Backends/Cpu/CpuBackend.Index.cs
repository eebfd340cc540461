using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Backends;

// Gather/scatter and index-select/index-add along one dimension, with the indices checked.
public sealed partial class CpuBackend
{
    private static long[] Indices(Tensor index, string op)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}: expected an int64 index tensor, got {index.DType.TorchName()}.");
        return index.ToLongArray();
    }

    /// <inheritdoc/>
    public void IndexSelect(Tensor x, int d, Tensor index, Tensor r)
    {
        var idx = Indices(index, "IndexSelect");
        if (d == 0 && x.Rank > 0 && x.IsContiguous && r.IsContiguous)
        {
            // Rows of a contiguous table (an embedding lookup): one span copy per index, no views.
            CheckRange(idx, x.ShapeArray[0], "IndexSelect", 0);
            int row = x.ShapeArray[0] == 0 ? 0 : x.NumEl / x.ShapeArray[0];
            switch (x.DType)
            {
                case DType.Float32: SelectRows<float>(x, idx, r, row); break;
                case DType.Float64: SelectRows<double>(x, idx, r, row); break;
                default: SelectRows<long>(x, idx, r, row); break;
            }
            return;
        }
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] < 0 || idx[i] >= x.ShapeArray[d]) throw new ArgumentOutOfRangeException(nameof(index), $"IndexSelect: index {idx[i]} is out of range for dimension {d} of size {x.ShapeArray[d]}.");
            using var src = x.SelectView(d, (int)idx[i]);
            using var dst = r.SelectView(d, i);
            Copy(src, dst);
        }
    }

    /// <inheritdoc/>
    public void IndexAdd(Tensor r, int dim, Tensor index, Tensor src)
    {
        var idx = Indices(index, "IndexAdd");
        if (dim == 0 && r.Rank > 0 && r.IsContiguous)
        {
            CheckRange(idx, r.ShapeArray[0], "IndexAdd", 0);
            AddRows(r, idx, src, skip: -1);
            return;
        }
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] < 0 || idx[i] >= r.ShapeArray[dim]) throw new ArgumentOutOfRangeException(nameof(index), $"IndexAdd: index {idx[i]} is out of range for dimension {dim} of size {r.ShapeArray[dim]}.");
            using var dst = r.SelectView(dim, (int)idx[i]);
            using var s = src.SelectView(dim, i);
            Binary(BinaryOp.Add, dst, s, dst);
        }
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long paddingIdx)
    {
        var idx = Indices(index, "EmbeddingBackward");
        CheckRange(idx, gradWeight.ShapeArray[0], "EmbeddingBackward", 0);
        if (gradWeight.IsContiguous)
        {
            AddRows(gradWeight, idx, grad, paddingIdx);
            return;
        }
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] == paddingIdx) continue;
            using var dst = gradWeight.SelectView(0, (int)idx[i]);
            using var s = grad.SelectView(0, i);
            Binary(BinaryOp.Add, dst, s, dst);
        }
    }

    private static void CheckRange(long[] idx, int size, string op, int dim)
    {
        foreach (long v in idx)
            if (v < 0 || v >= size) throw new ArgumentOutOfRangeException(nameof(idx), $"{op}: index {v} is out of range for dimension {dim} of size {size}.");
    }

    private static void SelectRows<T>(Tensor x, long[] idx, Tensor r, int row) where T : unmanaged
    {
        T[] xs = x.Data<T>(), rs = r.Data<T>();
        for (int i = 0; i < idx.Length; i++) xs.AsSpan(x.Offset + (int)idx[i] * row, row).CopyTo(rs.AsSpan(r.Offset + i * row, row));
    }

    // dst[idx[i]] += src[i] row by row into a contiguous dst (src made contiguous if it is not), skipping the index skip.
    private static void AddRows(Tensor dst, long[] idx, Tensor src, long skip)
    {
        var s = src.ContiguousData();
        int row = dst.ShapeArray[0] == 0 ? 0 : dst.NumEl / dst.ShapeArray[0];
        switch (dst.DType)
        {
            case DType.Float32: AddRows<float>(dst, idx, s, row, skip); break;
            case DType.Float64: AddRows<double>(dst, idx, s, row, skip); break;
            default: AddRows<long>(dst, idx, s, row, skip); break;
        }
        if (!ReferenceEquals(s, src)) s.Dispose();
    }

    private static void AddRows<T>(Tensor dst, long[] idx, Tensor src, int row, long skip) where T : unmanaged, INumber<T>
    {
        T[] ds = dst.Data<T>(), ss = src.Data<T>();
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] == skip) continue;
            var d = ds.AsSpan(dst.Offset + (int)idx[i] * row, row);
            TensorPrimitives.Add<T>(d, ss.AsSpan(src.Offset + i * row, row), d);
        }
    }

    /// <inheritdoc/>
    public void Gather(Tensor x, int d, Tensor index, Tensor r)
    {
        var idx = Indices(index, "Gather");
        var xd = x.DType;
        WalkGather(index.ShapeArray, x.StrideArray, d, idx, x.ShapeArray[d], "Gather", (flat, off) =>
        {
            switch (xd)
            {
                case DType.Float32: r.Data<float>()[r.Offset + flat] = x.Data<float>()[x.Offset + off]; break;
                case DType.Float64: r.Data<double>()[r.Offset + flat] = x.Data<double>()[x.Offset + off]; break;
                default: r.Data<long>()[r.Offset + flat] = x.Data<long>()[x.Offset + off]; break;
            }
        });
    }

    /// <inheritdoc/>
    public void ScatterAdd(Tensor r, int dim, Tensor index, Tensor src)
    {
        var idx = Indices(index, "ScatterAdd");
        var s = src.ContiguousData();
        WalkGather(index.ShapeArray, r.StrideArray, dim, idx, r.ShapeArray[dim], "ScatterAdd", (flat, off) =>
        {
            if (r.DType == DType.Float32) r.Data<float>()[r.Offset + off] += s.Data<float>()[s.Offset + flat];
            else if (r.DType == DType.Float64) r.Data<double>()[r.Offset + off] += s.Data<double>()[s.Offset + flat];
            else r.Data<long>()[r.Offset + off] += s.Data<long>()[s.Offset + flat];
        });
        if (!ReferenceEquals(s, src)) s.Dispose();
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
}
