using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Indexing (index.cu): every index is range-checked on the device before anything is written, with the CPU backend's
// messages; the adding kernels give each thread one output column and add in the index's order (deterministic).
internal sealed partial class KernelPrimitives
{
    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst)
    {
        int size = x.Shape[dim];
        CheckIndices(index, size, v => $"IndexSelect: index {v} is out of range for dimension {dim} of size {size}.");
        if (dst.NumEl == 0) return;
        var xs = x.Strides.ToArray();
        xs[dim] = 0;   // the position along dim comes from the index
        int inner = 1;
        for (int d = dim + 1; d < dst.Rank; d++) inner *= dst.Shape[d];
        var g = KernelGeometry.Create(dst.Shape, dst.Strides.ToArray(), xs);
        Run(Call("index_select", dst.DType).Geometry(g).Ptr(P(dst)).Ptr(P(x)).Ptr(P(index)).Int(index.Rank == 0 ? 0 : index.Strides[0])
            .Int(index.NumEl).Int(inner).Int(x.Strides[dim]), dst.NumEl);
    }

    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        int size = dst.Shape[dim];
        CheckIndices(index, size, v => $"IndexAdd: index {v} is out of range for dimension {dim} of size {size}.");
        if (src.NumEl == 0) return;
        var cols = KernelGeometry.Create(KernelGeometry.Without(src.Shape, dim), KernelGeometry.Without(dst.Strides, dim), KernelGeometry.Without(src.Strides, dim));
        Run(Call("index_add", dst.DType).Geometry(cols).Ptr(P(dst)).Ptr(P(src)).Ptr(P(index)).Int(index.Rank == 0 ? 0 : index.Strides[0])
            .Int(index.NumEl).Int(dst.Strides[dim]).Int(src.Strides[dim]), cols.NumEl);
    }

    public void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long paddingIdx)
    {
        int rows = gradWeight.Shape[0], width = gradWeight.Shape[1];
        CheckIndices(index, rows, v => $"EmbeddingBackward: index {v} is out of range for dimension 0 of size {rows}.");
        if (index.NumEl == 0 || width == 0) return;
        Run(Call("embedding_backward", gradWeight.DType).Ptr(P(gradWeight)).Int(gradWeight.Strides[0]).Int(gradWeight.Strides[1])
            .Ptr(P(index)).Int(index.Strides[0]).Int(index.NumEl).Ptr(P(grad)).Int(grad.Strides[0]).Int(grad.Strides[1]).Int(width).Long(paddingIdx), width);
    }

    public void Gather(Tensor x, int dim, Tensor index, Tensor dst)
    {
        int size = x.Shape[dim];
        CheckIndices(index, size, v => $"Gather: index {v} is out of bounds for dimension {dim} with size {size}.");
        if (dst.NumEl == 0) return;
        var xs = x.Strides.ToArray();
        xs[dim] = 0;
        var g = KernelGeometry.Create(index.Shape, dst.Strides.ToArray(), xs, index.Strides.ToArray());
        Run(Call("gather", dst.DType).Geometry(g).Ptr(P(dst)).Ptr(P(x)).Ptr(P(index)).Int(x.Strides[dim]), dst.NumEl);
    }

    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        int size = dst.Shape[dim];
        CheckIndices(index, size, v => $"ScatterAdd: index {v} is out of bounds for dimension {dim} with size {size}.");
        if (index.NumEl == 0) return;
        var g = KernelGeometry.Create(KernelGeometry.Without(index.Shape, dim), KernelGeometry.Without(dst.Strides, dim),
            KernelGeometry.Without(src.Strides, dim), KernelGeometry.Without(index.Strides, dim));
        Run(Call("scatter_add", dst.DType).Geometry(g).Ptr(P(dst)).Ptr(P(src)).Ptr(P(index)).Int(index.Shape[dim])
            .Int(dst.Strides[dim]).Int(src.Strides[dim]).Int(index.Strides[dim]), g.NumEl);
    }
}
