using System.Numerics;

namespace Axon.Backends;

// Index-select/index-add along one dimension and gather/scatter-add, element by element through coordinates. Every
// index is checked before anything is written, and the error names the primitive and the bad index.
public sealed partial class ReferenceBackend
{
    /// <summary>The index tensor's values in row-major order, each checked to lie in [0, <paramref name="size"/>).</summary>
    private static long[] CheckedIndices(Tensor index, int dim, int size, string op)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}: expected an int64 index tensor, got {index.DType.TorchName()}.");
        var values = new long[index.NumEl];
        for (int i = 0; i < values.Length; i++)
        {
            long v = index.Data<long>()[OffsetOf(index, i)];
            if (v < 0 || v >= size)
                throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {v} (at position {i} of the index) is out of range for dimension {dim} of size {size}.");
            values[i] = v;
        }
        return values;
    }

    /// <inheritdoc/>
    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst)
    {
        Own(x, index, dst);
        var idx = CheckedIndices(index, dim, x.ShapeArray[dim], "IndexSelect");
        switch (dst.DType)
        {
            case DType.Float32: IndexSelect<float>(x, dim, idx, dst); break;
            case DType.Float64: IndexSelect<double>(x, dim, idx, dst); break;
            default: IndexSelect<long>(x, dim, idx, dst); break;
        }
    }

    // dst[.., i, ..] = x[.., index[i], ..]
    private static void IndexSelect<T>(Tensor x, int dim, long[] idx, Tensor dst) where T : unmanaged
    {
        T[] xv = x.Data<T>(), dv = dst.Data<T>();
        for (int e = 0; e < dst.NumEl; e++)
        {
            var at = Coordinates(dst.ShapeArray, e);
            at[dim] = (int)idx[at[dim]];
            dv[OffsetOf(dst, e)] = xv[OffsetAt(x, at)];
        }
    }

    /// <inheritdoc/>
    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        Own(dst, index, src);
        var idx = CheckedIndices(index, dim, dst.ShapeArray[dim], "IndexAdd");
        switch (dst.DType)
        {
            case DType.Float32: IndexAdd<float>(dst, dim, idx, src); break;
            case DType.Float64: IndexAdd<double>(dst, dim, idx, src); break;
            default: IndexAdd<long>(dst, dim, idx, src); break;
        }
    }

    // dst[.., index[i], ..] += src[.., i, ..], in src's row-major order (repeated indices add up in order of i).
    private static void IndexAdd<T>(Tensor dst, int dim, long[] idx, Tensor src) where T : unmanaged, INumber<T>
    {
        T[] sv = src.Data<T>(), dv = dst.Data<T>();
        for (int e = 0; e < src.NumEl; e++)
        {
            var at = Coordinates(src.ShapeArray, e);
            at[dim] = (int)idx[at[dim]];
            dv[OffsetAt(dst, at)] += sv[OffsetOf(src, e)];
        }
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long paddingIdx)
    {
        Own(gradWeight, index, grad);
        var idx = CheckedIndices(index, 0, gradWeight.ShapeArray[0], "EmbeddingBackward");
        switch (gradWeight.DType)
        {
            case DType.Float32: EmbeddingBackward<float>(gradWeight, idx, grad, paddingIdx); break;
            case DType.Float64: EmbeddingBackward<double>(gradWeight, idx, grad, paddingIdx); break;
            default: EmbeddingBackward<long>(gradWeight, idx, grad, paddingIdx); break;
        }
    }

    // gradWeight[idx[i], j] += grad[i, j] for each i in order, skipping the padding index.
    private static void EmbeddingBackward<T>(Tensor gradWeight, long[] idx, Tensor grad, long paddingIdx) where T : unmanaged, INumber<T>
    {
        T[] gv = grad.Data<T>(), wv = gradWeight.Data<T>();
        int dim = gradWeight.ShapeArray[1];
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] == paddingIdx) continue;
            for (int j = 0; j < dim; j++) wv[OffsetAt(gradWeight, [(int)idx[i], j])] += gv[OffsetAt(grad, [i, j])];
        }
    }

    /// <inheritdoc/>
    public void Gather(Tensor x, int dim, Tensor index, Tensor dst)
    {
        Own(x, index, dst);
        var idx = CheckedIndices(index, dim, x.ShapeArray[dim], "Gather");
        switch (dst.DType)
        {
            case DType.Float32: Gather<float>(x, dim, index, idx, dst); break;
            case DType.Float64: Gather<double>(x, dim, index, idx, dst); break;
            default: Gather<long>(x, dim, index, idx, dst); break;
        }
    }

    // dst[c] = x[c with coordinate dim replaced by index[c]], for every position c of the index.
    private static void Gather<T>(Tensor x, int dim, Tensor index, long[] idx, Tensor dst) where T : unmanaged
    {
        T[] xv = x.Data<T>(), dv = dst.Data<T>();
        for (int e = 0; e < idx.Length; e++)
        {
            var at = Coordinates(index.ShapeArray, e);
            at[dim] = (int)idx[e];
            dv[OffsetOf(dst, e)] = xv[OffsetAt(x, at)];
        }
    }

    /// <inheritdoc/>
    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        Own(dst, index, src);
        var idx = CheckedIndices(index, dim, dst.ShapeArray[dim], "ScatterAdd");
        switch (dst.DType)
        {
            case DType.Float32: ScatterAdd<float>(dst, dim, index, idx, src); break;
            case DType.Float64: ScatterAdd<double>(dst, dim, index, idx, src); break;
            default: ScatterAdd<long>(dst, dim, index, idx, src); break;
        }
    }

    // dst[c with coordinate dim replaced by index[c]] += src[c], for every position c of the index in row-major order.
    private static void ScatterAdd<T>(Tensor dst, int dim, Tensor index, long[] idx, Tensor src) where T : unmanaged, INumber<T>
    {
        T[] sv = src.Data<T>(), dv = dst.Data<T>();
        for (int e = 0; e < idx.Length; e++)
        {
            var at = Coordinates(index.ShapeArray, e);
            T value = sv[OffsetAt(src, at)];
            at[dim] = (int)idx[e];
            dv[OffsetAt(dst, at)] += value;
        }
    }
}
