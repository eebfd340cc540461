namespace Axon;

// Creation functions: zeros, ones, full, arange, linspace, from arrays, random.
public sealed partial class Tensor
{
    /// <summary>Re-seeds the default generator (<see cref="Generator.Default"/>).</summary>
    public static void ManualSeed(long seed) => Generator.Default.ManualSeed(seed);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32) => Empty((int[])shape.Clone(), dtype, clear: true);

    /// <summary>A tensor of zeros with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.shape, like.DType);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32) => Full(shape, 1, dtype);

    /// <summary>A tensor of ones with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.shape, like.DType);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32)
    {
        var t = Empty((int[])shape.Clone(), dtype);
        switch (dtype)
        {
            case DType.Float32: t.AsSpan<float>().Fill((float)value); break;
            case DType.Float64: t.AsSpan<double>().Fill(value); break;
            default: t.AsSpan<long>().Fill((long)value); break;
        }
        return t;
    }

    /// <summary>A zero-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full([], value, dtype);

    /// <summary>Values start, start+step, ... below end (like torch.arange).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "Arange: step must be non-zero.");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty([n], dtype);
        for (int i = 0; i < n; i++) t.SetFlat(i, start + i * step);
        return t;
    }

    /// <summary>Values 0, 1, ..., end-1.</summary>
    public static Tensor Arange(int end, DType dtype = DType.Int64) => Arange(0, end, 1, dtype);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Linspace: steps must be non-negative.");
        var t = Empty([steps], dtype);
        double h = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) t.SetFlat(i, i == steps - 1 && steps > 1 ? end : start + i * h);
        return t;
    }

    /// <summary>The n-by-n identity matrix.</summary>
    public static Tensor Eye(int n, DType dtype = DType.Float32)
    {
        var t = Zeros([n, n], dtype);
        for (int i = 0; i < n; i++) t.SetFlat(i * n + i, 1);
        return t;
    }

    private void SetFlat(int i, double v)
    {
        switch (DType)
        {
            case DType.Float32: Data<float>()[Offset + i] = (float)v; break;
            case DType.Float64: Data<double>()[Offset + i] = v; break;
            default: Data<long>()[Offset + i] = (long)v; break;
        }
    }

    private static int[] ShapeFor(int length, int[]? shape, string op)
    {
        shape ??= [length];
        ShapeUtil.Validate(shape);
        if (ShapeUtil.Product(shape) != length) throw new ArgumentException($"{op}: {length} values cannot fill shape {ShapeUtil.Format(shape)} ({ShapeUtil.Product(shape)} elements).");
        return (int[])shape.Clone();
    }

    /// <summary>A float32 tensor copied from <paramref name="data"/> (row-major), shaped as <paramref name="shape"/> (default 1-D).</summary>
    public static Tensor FromArray(float[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Float32);
        data.CopyTo(t.AsSpan<float>());
        return t;
    }

    /// <summary>A float64 tensor copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Float64);
        data.CopyTo(t.AsSpan<double>());
        return t;
    }

    /// <summary>An int64 tensor copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Int64);
        data.CopyTo(t.AsSpan<long>());
        return t;
    }

    /// <summary>An int64 tensor from int values (class labels, indices).</summary>
    public static Tensor FromArray(int[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Int64);
        var s = t.AsSpan<long>();
        for (int i = 0; i < data.Length; i++) s[i] = data[i];
        return t;
    }

    /// <summary>A tensor from a rectangular 2-D array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var t = Empty([r, c], DType.Float32);
        var s = t.AsSpan<float>();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) s[i * c + j] = data[i, j];
        return t;
    }

    /// <summary>A float64 tensor from a rectangular 2-D array.</summary>
    public static Tensor FromArray(double[,] data)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var t = Empty([r, c], DType.Float64);
        var s = t.AsSpan<double>();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) s[i * c + j] = data[i, j];
        return t;
    }

    /// <summary>Uniform samples in [low, high).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32, double low = 0, double high = 1)
    {
        var g = generator ?? Generator.Default;
        var t = Empty((int[])shape.Clone(), dtype);
        if (dtype == DType.Float32) { var s = t.AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)(low + (high - low) * g.NextDouble()); }
        else if (dtype == DType.Float64) { var s = t.AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * g.NextDouble(); }
        else throw new ArgumentException("Rand: use Randint for integer tensors.", nameof(dtype));
        return t;
    }

    /// <summary>Normal samples with the given mean and standard deviation.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32, double mean = 0, double std = 1)
    {
        var g = generator ?? Generator.Default;
        var t = Empty((int[])shape.Clone(), dtype);
        if (dtype == DType.Float32) { var s = t.AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)(mean + std * g.NextNormal()); }
        else if (dtype == DType.Float64) { var s = t.AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] = mean + std * g.NextNormal(); }
        else throw new ArgumentException("Randn: use Randint for integer tensors.", nameof(dtype));
        return t;
    }

    /// <summary>Uniform integers in [low, high).</summary>
    public static Tensor Randint(long low, long high, int[] shape, Generator? generator = null, DType dtype = DType.Int64)
    {
        if (high <= low) throw new ArgumentException($"Randint: high ({high}) must be greater than low ({low}).");
        var g = generator ?? Generator.Default;
        var t = Empty((int[])shape.Clone(), dtype);
        for (int i = 0; i < t.NumEl; i++) t.SetFlat(i, g.NextInt64(low, high));
        return t;
    }
}
