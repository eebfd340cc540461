namespace Axon.Backends;

// Reductions along dimensions, softmax, and the sum-to-shape that undoes broadcasting in backward passes.
internal static partial class Compute
{
    private static int[] ReducedShape(int[] shape, int dim, bool keepDim)
    {
        if (keepDim) { var s = (int[])shape.Clone(); s[dim] = 1; return s; }
        return shape.Where((_, i) => i != dim).ToArray();
    }

    /// <summary>Sum over one dimension.</summary>
    public static Tensor SumDim(Tensor x, int dim, bool keepDim)
    {
        var r = x.EmptyLike(ReducedShape(x.ShapeArray, dim, keepDim));
        x.Backend.Sum(x, dim, r);
        return r;
    }

    /// <summary>Sum over several dimensions (any order, no duplicates), the last first.</summary>
    public static Tensor SumDims(Tensor x, int[] dims, bool keepDim)
    {
        var sorted = dims.Distinct().OrderByDescending(d => d).ToArray();
        if (sorted.Length != dims.Length) throw new ArgumentException($"Sum: dimension list [{string.Join(", ", dims)}] repeats a dimension.");
        if (sorted.Length == 0) return x.CloneData();
        Tensor r = x;
        foreach (int d in sorted)
        {
            var next = SumDim(r, d, keepDim);
            if (!ReferenceEquals(r, x)) r.Dispose();
            r = next;
        }
        return r;
    }

    /// <summary>Sum of all elements as a 0-d tensor.</summary>
    public static Tensor SumAll(Tensor x)
    {
        var r = x.EmptyLike([]);
        x.Backend.SumAll(x, r);
        return r;
    }

    /// <summary>Sums <paramref name="g"/> down to <paramref name="shape"/> (the adjoint of broadcasting).</summary>
    public static Tensor SumTo(Tensor g, int[] shape)
    {
        if (ShapeUtil.SameShape(g.ShapeArray, shape)) return g;
        int lead = g.Rank - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < g.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && g.ShapeArray[i] != 1)) dims.Add(i);
        var summed = SumDims(g, [.. dims], keepDim: true);
        return summed.MakeView((int[])shape.Clone(), ShapeUtil.ContiguousStrides(shape), summed.Offset);
    }

    /// <summary>Maximum (or minimum) over one dimension with the index of the first extreme.</summary>
    public static (Tensor Values, Tensor Indices) MaxDim(Tensor x, int dim, bool keepDim, bool max)
    {
        if (x.ShapeArray[dim] == 0) throw new ArgumentException($"{(max ? "Max" : "Min")}: cannot reduce over dimension {dim} of size 0 in a tensor of shape {ShapeUtil.Format(x.ShapeArray)}.");
        var shape = ReducedShape(x.ShapeArray, dim, keepDim);
        var values = x.EmptyLike(shape);
        var indices = x.EmptyLike((int[])shape.Clone(), DType.Int64);
        x.Backend.Extreme(x, dim, max, values, indices);
        return (values, indices);
    }

    /// <summary>Softmax (or log-softmax) along <paramref name="dim"/> (int64 computed as float32).</summary>
    public static Tensor Softmax(Tensor x, int dim, bool log)
    {
        if (!x.DType.IsFloatingPoint()) x = x.ConvertData(DType.Float32);
        var r = x.EmptyLike(x.GetShape());
        x.Backend.Softmax(x, dim, log, r);
        return r;
    }

    /// <summary>Throws unless every value of the int64 <paramref name="index"/> lies in [0, <paramref name="size"/>); the message names the first bad bound.</summary>
    public static void CheckIndexRange(Tensor index, int size, Func<long, string> message)
    {
        if (index.NumEl == 0) return;
        var (lo, hi) = index.Backend.IndexRange(index);
        if (lo < 0) throw new ArgumentOutOfRangeException(nameof(index), message(lo));
        if (hi >= size) throw new ArgumentOutOfRangeException(nameof(index), message(hi));
    }
}
