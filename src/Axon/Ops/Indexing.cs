namespace Axon;

// Concatenation, stacking, gather/scatter, index-select/index-add and one-hot. Each gather has its scatter as its
// backward and the other way round, so both differentiate again.
public sealed partial class Tensor
{
    /// <summary>Concatenates tensors along an existing dimension. Backward: the matching slice of the gradient for each input.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        var inputs = tensors.ToArray();
        if (inputs.Length == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors.");
        int d = ShapeUtil.NormDim(dim, inputs[0].Rank, "Cat");
        return Compute.Cat(inputs, d).Record("Cat", inputs, new OpAttributes(("dim", d)), g =>
        {
            var grads = new Tensor?[inputs.Length];
            int at = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                int len = inputs[i].shape[d];
                if (inputs[i].requiresGrad) grads[i] = g.Narrow(d, at, len);
                at += len;
            }
            return grads;
        });
    }

    /// <summary>Stacks equally-shaped tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: expected a non-empty list of tensors.");
        foreach (var t in tensors)
            if (!ShapeUtil.SameShape(t.shape, tensors[0].shape))
                throw new ArgumentException($"Stack: expects each tensor to be equal size, but got {ShapeUtil.Format(tensors[0].shape)} and {ShapeUtil.Format(t.shape)}.");
        int d = ShapeUtil.NormDim(dim, tensors[0].Rank + 1, "Stack");
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
    }

    /// <summary>out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for other dims); index is int64 with this tensor's rank. Backward: ScatterAdd.</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "Gather");
        return Compute.Gather(x, d, index).Record("Gather", [x, index], new OpAttributes(("dim", d)), g =>
            [Recording(g) ? ZerosLike(x).ScatterAdd(d, index, g) : Compute.ScatterAdd(x.shape, d, index, g), null]);
    }

    /// <summary>
    /// This tensor plus <paramref name="src"/> scattered along <paramref name="dim"/>: out[.., index[.., i, ..], ..] += src[.., i, ..]
    /// (PyTorch's out-of-place <c>scatter_add</c>). Backward: the gradient for this tensor, and for src the gradient gathered at the index.
    /// </summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "ScatterAdd");
        if (src.DType != DType) throw new ArgumentException($"ScatterAdd: src is {src.DType.TorchName()} but the tensor is {DType.TorchName()}.", nameof(src));
        var r = CloneData();
        Compute.SameDevice("ScatterAdd", r, index, src);
        r.Backend.ScatterAdd(r, d, index, src);
        return r.Record("ScatterAdd", [x, index, src], new OpAttributes(("dim", d)), g => [x.requiresGrad ? g : null, null, src.requiresGrad ? g.Gather(d, index) : null]);
    }

    /// <summary>Picks entries of dimension <paramref name="dim"/> by a 1-D int64 index (an embedding lookup for dim 0). Backward: IndexAdd.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "IndexSelect");
        return Compute.IndexSelect(x, d, index).Record("IndexSelect", [x, index], new OpAttributes(("dim", d)), g =>
            [Recording(g) ? ZerosLike(x).IndexAdd(d, index, g) : Compute.IndexAdd(x.shape, d, index, g), null]);
    }

    /// <summary>
    /// This tensor plus <paramref name="src"/>'s slices added at the positions <paramref name="index"/> names along
    /// <paramref name="dim"/> (PyTorch's out-of-place <c>index_add</c>). Backward: the gradient for this tensor, and for
    /// src the gradient's slices at the index.
    /// </summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor src)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "IndexAdd");
        if (src.DType != DType) throw new ArgumentException($"IndexAdd: src is {src.DType.TorchName()} but the tensor is {DType.TorchName()}.", nameof(src));
        var r = CloneData();
        Compute.SameDevice("IndexAdd", r, index, src);
        r.Backend.IndexAdd(r, d, index, src);
        return r.Record("IndexAdd", [x, index, src], new OpAttributes(("dim", d)), g => [x.requiresGrad ? g : null, null, src.requiresGrad ? g.IndexSelect(d, index) : null]);
    }

    /// <summary>One-hot encoding of int64 class labels: shape [..., numClasses] (numClasses -1: max label + 1).</summary>
    public Tensor OneHot(int numClasses = -1, DType dtype = DType.Float32) =>
        Compute.OneHot(this, numClasses, dtype).Record("OneHot", [this], new OpAttributes(("num_classes", numClasses), ("dtype", dtype)), backward: null);
}
