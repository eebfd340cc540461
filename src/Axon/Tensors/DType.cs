namespace Axon;

/// <summary>Element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the default.</summary>
    Float32,
    /// <summary>64-bit IEEE float, for gradient checks and users who need the precision.</summary>
    Float64,
    /// <summary>64-bit signed integer, for class labels and indices.</summary>
    Int64,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>True for the floating-point types.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype != DType.Int64;

    /// <summary>PyTorch's name for the type (float32, float64, int64).</summary>
    public static string TorchName(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        _ => "int64",
    };

    internal static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(long) ? DType.Int64 :
        throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float, double or long.");
}
