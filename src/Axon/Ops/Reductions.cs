namespace Axon;

// Reductions along dimensions, softmax and log-softmax. Backward broadcasts the output gradient back
// over the reduced dimensions (Sum), or routes it to the selected element (Max/Min).
public sealed partial class Tensor
{
    private int[] NormDims(int[] dims, string op) => dims.Select(d => ShapeUtil.NormDim(d, Rank, op)).ToArray();

    /// <summary>Re-inserts reduced dimensions (size 1) so a reduced gradient broadcasts against the input.</summary>
    private static Tensor KeepDims(Tensor g, int[] dims, bool keepDim)
    {
        if (keepDim) return g;
        foreach (int d in dims.OrderBy(d => d)) g = g.Unsqueeze(d);
        return g;
    }

    /// <summary>Sum of all elements (0-d result).</summary>
    public Tensor Sum()
    {
        var x = this;
        return Compute.SumAll(x).Record("Sum", [x], g => [g.Expand(x.ShapeArray)]);
    }

    /// <summary>Sum over <paramref name="dims"/>. Shape: those dimensions removed, or kept as size 1 with <paramref name="keepDim"/>.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        var x = this;
        var nd = NormDims(dims, "Sum");
        return Compute.SumDims(x, nd, keepDim).Record("SumDims", [x], new OpAttributes(("dims", nd), ("keepdim", keepDim)), g => [KeepDims(g, nd, keepDim).Expand(x.ShapeArray)]);
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Sum() / Math.Max(NumEl, 1) * (NumEl == 0 ? double.NaN : 1);

    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        int count = NormDims(dims, "Mean").Aggregate(1, (acc, d) => acc * shape[d]);
        return Sum(dims, keepDim) / count;
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>
    /// Variance over <paramref name="dims"/> (all dimensions when null) with Bessel's correction by default (correction = 1), as torch.var.
    /// A single int argument is a dimension, as in torch (<c>x.Var(1)</c>); pass the correction by name (<c>x.Var(correction: 0)</c>).
    /// </summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        dims ??= [.. Enumerable.Range(0, Rank)];
        int count = NormDims(dims, "Var").Aggregate(1, (acc, d) => acc * shape[d]);
        var centered = this - Mean(dims, keepDim: true);
        return centered.Square().Sum(dims, keepDim) / Math.Max(count - correction, 0);
    }

    /// <summary>Variance over one dimension.</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>Standard deviation over <paramref name="dims"/> (all dimensions when null), unbiased by default like <see cref="Var(int[], int, bool)"/>.</summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>Standard deviation over one dimension.</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim).Sqrt();

    /// <summary>Maximum over one dimension and the index of the first maximum (indices are int64 and carry no gradient).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => Extreme(dim, keepDim, max: true);

    /// <summary>Minimum over one dimension and the index of the first minimum.</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => Extreme(dim, keepDim, max: false);

    private (Tensor Values, Tensor Indices) Extreme(int dim, bool keepDim, bool max)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, max ? "Max" : "Min");
        var (values, indices) = Compute.MaxDim(x, d, keepDim, max);
        RecordMany(max ? "MaxDim" : "MinDim", [x], new OpAttributes(("dim", d), ("keepdim", keepDim)), [values, indices], gs =>
        {
            var g = KeepDims(gs[0]!, [d], keepDim);
            var at = keepDim ? indices : indices.UnsqueezeView(d);
            return [Recording(g) ? ZerosLike(x).ScatterAdd(d, at, g) : Compute.ScatterAdd(x.ShapeArray, d, at, g)];
        });
        return (values, indices);
    }

    /// <summary>Maximum of all elements; the gradient is shared evenly among ties.</summary>
    public Tensor Max() => ExtremeAll(max: true);

    /// <summary>Minimum of all elements; the gradient is shared evenly among ties.</summary>
    public Tensor Min() => ExtremeAll(max: false);

    private Tensor ExtremeAll(bool max)
    {
        var x = this;
        if (NumEl == 0) throw new ArgumentException($"{(max ? "Max" : "Min")}: cannot reduce an empty tensor.");
        var (v, _) = Compute.MaxDim(x.ReshapeData([-1]), 0, keepDim: false, max);
        return v.Record(max ? "Max" : "Min", [x], OpAttributes.Empty, g =>
        {
            var hit = x.Eq(v);
            return [hit * (g / hit.Sum())];
        });
    }

    /// <summary>Index of the maximum over one dimension (int64).</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, max: true);

    /// <summary>Index of the maximum of the flattened tensor (0-d int64).</summary>
    public Tensor ArgMax() => Compute.MaxDim(ReshapeData([-1]), 0, keepDim: false, max: true).Indices.Record("ArgMaxAll", [this], OpAttributes.Empty, backward: null);

    /// <summary>Index of the minimum over one dimension (int64).</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, max: false);

    private Tensor ArgExtreme(int dim, bool keepDim, bool max)
    {
        int d = ShapeUtil.NormDim(dim, Rank, max ? "ArgMax" : "ArgMin");
        var (values, indices) = Compute.MaxDim(this, d, keepDim, max);
        values.Dispose();
        return indices.Record(max ? "ArgMax" : "ArgMin", [this], new OpAttributes(("dim", d), ("keepdim", keepDim)), backward: null);
    }

    /// <summary>log(sum(exp(x))) over <paramref name="dim"/>, computed stably (the maximum is subtracted first).</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormDim(dim, Rank, "LogSumExp");
        // The shift is a constant of the backward (its gradient cancels); detached, it stays an op a trace follows.
        var m = Max(d, keepDim: true).Values.Detach();
        // An all -inf (or inf) row would give inf - inf = NaN; shifting by 0 there is exact.
        var fixedM = Where(m.Abs().Lt(double.PositiveInfinity), m, ZerosLike(m));
        var r = (this - fixedM).Exp().Sum(d, keepDim: true).Log() + fixedM;
        return keepDim ? r : r.Squeeze(d);
    }

    /// <summary>Softmax along <paramref name="dim"/>: e^x / sum(e^x), computed with the row maximum subtracted.</summary>
    public Tensor Softmax(int dim)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "Softmax");
        var y = Compute.Softmax(x, d, log: false);
        return y.Record("Softmax", [x], new OpAttributes(("dim", d)), g => [y * (g - (g * y).Sum(d, keepDim: true))]);
    }

    /// <summary>Log-softmax along <paramref name="dim"/>: x - logsumexp(x), stable for large inputs.</summary>
    public Tensor LogSoftmax(int dim)
    {
        var x = this;
        int d = ShapeUtil.NormDim(dim, Rank, "LogSoftmax");
        var y = Compute.Softmax(x, d, log: true);
        return y.Record("LogSoftmax", [x], new OpAttributes(("dim", d)), g => [g - y.Exp() * g.Sum(d, keepDim: true)]);
    }
}
