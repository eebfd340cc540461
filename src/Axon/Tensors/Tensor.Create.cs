namespace Axon;

// Creation functions: zeros, ones, full, arange, linspace, from arrays, random.
public sealed partial class Tensor
{
    /// <summary>Re-seeds the default generator (<see cref="Generator.Default"/>).</summary>
    public static void ManualSeed(long seed) => Generator.Default.ManualSeed(seed);

    /// <summary>A tensor of zeros (on the CPU unless <paramref name="device"/> says otherwise).</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, Device? device = null) => Empty((int[])shape.Clone(), dtype, device, clear: true);

    /// <summary>A tensor of zeros with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.shape, like.DType, like.Device);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    /// <summary>A tensor of ones with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.shape, like.DType, like.Device);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Empty((int[])shape.Clone(), dtype, device);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A zero-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    /// <summary>Values start, start+step, ... below end (like torch.arange).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, Device? device = null)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "Arange: step must be non-zero.");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return FromDoubles(v, [n], dtype, device);
    }

    /// <summary>Values 0, 1, ..., end-1.</summary>
    public static Tensor Arange(int end, DType dtype = DType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Linspace: steps must be non-negative.");
        var v = new double[steps];
        double h = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) v[i] = i == steps - 1 && steps > 1 ? end : start + i * h;
        return FromDoubles(v, [steps], dtype, device);
    }

    /// <summary>The n-by-n identity matrix.</summary>
    public static Tensor Eye(int n, DType dtype = DType.Float32, Device? device = null)
    {
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        return FromDoubles(v, [n, n], dtype, device);
    }

    /// <summary>A tensor of <paramref name="dtype"/> from host doubles (each rounded as a cast would).</summary>
    private static Tensor FromDoubles(double[] v, int[] shape, DType dtype, Device? device)
    {
        var t = Empty(shape, dtype, device);
        switch (dtype)
        {
            case DType.Float32: t.Backend.CopyFromHost<float>(Array.ConvertAll(v, x => (float)x), t); break;
            case DType.Float64: t.Backend.CopyFromHost<double>(v, t); break;
            default: t.Backend.CopyFromHost<long>(Array.ConvertAll(v, x => (long)x), t); break;
        }
        return t;
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
        t.Backend.CopyFromHost<float>(data, t);
        return t;
    }

    /// <summary>A float64 tensor copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Float64);
        t.Backend.CopyFromHost<double>(data, t);
        return t;
    }

    /// <summary>An int64 tensor copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Int64);
        t.Backend.CopyFromHost<long>(data, t);
        return t;
    }

    /// <summary>An int64 tensor from int values (class labels, indices).</summary>
    public static Tensor FromArray(int[] data, params int[]? shape)
    {
        var t = Empty(ShapeFor(data.Length, shape is { Length: > 0 } ? shape : null, "FromArray"), DType.Int64);
        t.Backend.CopyFromHost<long>(Array.ConvertAll(data, v => (long)v), t);
        return t;
    }

    /// <summary>A tensor from a rectangular 2-D array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var flat = new float[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) flat[i * c + j] = data[i, j];
        return FromArray(flat, r, c);
    }

    /// <summary>A float64 tensor from a rectangular 2-D array.</summary>
    public static Tensor FromArray(double[,] data)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var flat = new double[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) flat[i * c + j] = data[i, j];
        return FromArray(flat, r, c);
    }

    /// <summary>Uniform samples in [low, high), drawn from <paramref name="generator"/> in element order (the same numbers on every device).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32, double low = 0, double high = 1, Device? device = null)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException("Rand: use Randint for integer tensors.", nameof(dtype));
        var t = Empty((int[])shape.Clone(), dtype, device);
        t.Backend.FillUniform(t, generator ?? Generator.Default, low, high);
        return t;
    }

    /// <summary>Normal samples with the given mean and standard deviation.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32, double mean = 0, double std = 1, Device? device = null)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException("Randn: use Randint for integer tensors.", nameof(dtype));
        var t = Empty((int[])shape.Clone(), dtype, device);
        t.Backend.FillNormal(t, generator ?? Generator.Default, mean, std);
        return t;
    }

    /// <summary>Uniform integers in [low, high).</summary>
    public static Tensor Randint(long low, long high, int[] shape, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        if (high <= low) throw new ArgumentException($"Randint: high ({high}) must be greater than low ({low}).");
        var t = Empty((int[])shape.Clone(), dtype, device);
        t.Backend.FillRandint(t, generator ?? Generator.Default, low, high);
        return t;
    }
}
