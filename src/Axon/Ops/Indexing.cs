namespace Axon;

// Concatenation, stacking, gather, index-select and one-hot.
public sealed partial class Tensor
{
    /// <summary>Concatenates tensors along an existing dimension. Backward: the matching slice of the gradient for each input.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        var inputs = tensors.ToArray();
        if (inputs.Length == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors.");
        int d = ShapeUtil.NormDim(dim, inputs[0].Rank, "Cat");
        return Compute.Cat(inputs, d).Record("Cat", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            int at = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                int len = inputs[i].shape[d];
                if (inputs[i].requiresGrad) grads[i] = g.NarrowView(d, at, len);
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

    /// <summary>out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for other dims); index is int64 with this tensor's rank.</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "Gather");
        return Compute.Gather(x, d, index).Record("Gather", [x], g => [Compute.ScatterAdd(x.shape, d, index, g)]);
    }

    /// <summary>Picks entries of dimension <paramref name="dim"/> by a 1-D int64 index (an embedding lookup for dim 0).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "IndexSelect");
        return Compute.IndexSelect(x, d, index).Record("IndexSelect", [x], g => [Compute.IndexAdd(x.shape, d, index, g)]);
    }

    /// <summary>One-hot encoding of int64 class labels: shape [..., numClasses] (numClasses -1: max label + 1).</summary>
    public Tensor OneHot(int numClasses = -1, DType dtype = DType.Float32) => Compute.OneHot(this, numClasses, dtype);
}
