namespace Axon;

// Differentiable views and copies: the backward of a view reshapes, permutes or pads the gradient back, with ops.
public sealed partial class Tensor
{
    /// <summary>The same data with a new shape (one size may be -1); a view when the layout allows, otherwise a copy.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        var x = this;
        var y = ReshapeData(newShape);
        return y.Record("Reshape", [x], new OpAttributes(("shape", y.shape)), g => [g.Reshape(x.shape)]);
    }

    /// <summary>A view with a new shape; the tensor must be contiguous (like torch.view).</summary>
    public Tensor View(params int[] newShape)
    {
        var x = this;
        var y = ViewAs(newShape);
        return y.Record("View", [x], new OpAttributes(("shape", y.shape)), g => [g.Reshape(x.shape)]);
    }

    /// <summary>Merges dimensions startDim..endDim into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = ShapeUtil.NormDim(startDim, Rank, "Flatten"), e = ShapeUtil.NormDim(endDim, Rank, "Flatten");
        if (s > e) throw new ArgumentException($"Flatten: startDim ({startDim}) comes after endDim ({endDim}).");
        var ns = shape.Take(s).Append(shape.Skip(s).Take(e - s + 1).Aggregate(1, (a, b) => a * b)).Concat(shape.Skip(e + 1)).ToArray();
        return Reshape(ns);
    }

    /// <summary>Reorders the dimensions (a view).</summary>
    public Tensor Permute(params int[] dims)
    {
        var x = this;
        var nd = dims.Select(d => ShapeUtil.NormDim(d, Rank, "Permute")).ToArray();
        var inverse = new int[nd.Length];
        for (int i = 0; i < nd.Length; i++) inverse[nd[i]] = i;
        return PermuteView(nd).Record("Permute", [x], new OpAttributes(("dims", nd)), g => [g.Permute(inverse)]);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var x = this;
        int a = ShapeUtil.NormDim(dim0, Rank, "Transpose"), b = ShapeUtil.NormDim(dim1, Rank, "Transpose");
        return TransposeView(a, b).Record("Transpose", [x], new OpAttributes(("dim0", a), ("dim1", b)), g => [g.Transpose(a, b)]);
    }

    /// <summary>Elements [start, start+length) of dimension <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "Narrow");
        var view = NarrowView(d, start, length);   // validates; a negative start counts from the end
        int s = start < 0 ? start + shape[d] : start;
        return view.Record("Narrow", [x], new OpAttributes(("dim", d), ("start", s), ("length", length)), g => [g.NarrowScatter(x.shape, d, s)]);
    }

    /// <summary>
    /// A tensor of zeros of <paramref name="fullShape"/> with this tensor placed at [start, start + its size) along
    /// <paramref name="dim"/> (PyTorch's <c>slice_scatter</c> into zeros): the adjoint of <see cref="Narrow"/>, its backward.
    /// </summary>
    public Tensor NarrowScatter(int[] fullShape, int dim, int start)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "NarrowScatter");
        var full = Zeros(fullShape, DType, Device);
        using (var part = full.NarrowView(d, start, shape[d])) CopyStrided(x, part);
        return full.Record("NarrowScatter", [x], new OpAttributes(("shape", (int[])fullShape.Clone()), ("dim", d), ("start", start)), g => [g.Narrow(d, start, x.shape[d])]);
    }

    /// <summary>Elements start, start+step, ... below end of one dimension (Python-style slice; a copy when step != 1).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = ShapeUtil.NormDim(dim, Rank, "Slice");
        int n = shape[d];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n), e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Slice: step must be positive.");
        if (step == 1) return Narrow(d, s, Math.Max(0, e - s));
        var idx = new List<long>();
        for (int i = s; i < e; i += step) idx.Add(i);
        return IndexSelect(d, FromArray([.. idx]).To(Device));
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension (a view).</summary>
    public Tensor Select(int dim, int index)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "Select");
        var view = SelectView(d, index);   // validates; a negative index counts from the end
        int i = index < 0 ? index + shape[d] : index;
        return view.Record("Select", [x], new OpAttributes(("dim", d), ("index", i)), g => [g.Unsqueeze(d).NarrowScatter(x.shape, d, i)]);
    }

    /// <summary>Removes size-1 dimensions (only <paramref name="dim"/> when given).</summary>
    public Tensor Squeeze(int? dim = null)
    {
        var x = this;
        int? d = dim is int dd ? ShapeUtil.NormDim(dd, Rank, "Squeeze") : null;
        return SqueezeView(d).Record("Squeeze", [x], new OpAttributes(("dim", d)), g => [g.Reshape(x.shape)]);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank + 1, "Unsqueeze");
        return UnsqueezeView(d).Record("Unsqueeze", [x], new OpAttributes(("dim", d)), g => [g.Reshape(x.shape)]);
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="newShape"/> without copying (-1 keeps a size).</summary>
    public Tensor Expand(params int[] newShape)
    {
        var x = this;
        var y = ExpandView(newShape);
        return y.Record("Expand", [x], new OpAttributes(("shape", y.shape)), g => [Unbroadcast(g, x)]);
    }

    /// <summary>This tensor if contiguous, otherwise a contiguous copy (differentiable).</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        var x = this;
        return CloneData().Record("Contiguous", [x], g => [g]);
    }

    /// <summary>A contiguous copy (differentiable).</summary>
    public Tensor Clone()
    {
        var x = this;
        return CloneData().Record("Clone", [x], g => [g]);
    }

    /// <summary>A copy converted to <paramref name="dtype"/> (this tensor itself when already of that type). Differentiable between float types.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var x = this;
        var y = ConvertData(dtype);
        return y.Record("To", [x], new OpAttributes(("dtype", dtype)), dtype.IsFloatingPoint() ? g => [g.To(x.DType)] : null);
    }

    /// <summary>
    /// A copy on <paramref name="device"/> (this tensor itself when already there), as PyTorch's <c>to(device)</c>.
    /// Differentiable: the gradient goes back to this tensor's device.
    /// </summary>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (ReferenceEquals(device, Device)) return this;
        var x = this;
        var y = CloneTo(device);
        return y.Record("ToDevice", [x], new OpAttributes(("device", device)), DType.IsFloatingPoint() ? g => [g.To(x.Device)] : null);
    }
}
