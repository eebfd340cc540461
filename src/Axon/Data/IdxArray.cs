using System.Buffers.Binary;

namespace Axon.Data;

/// <summary>The element types of the IDX format (the third byte of the magic number).</summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned byte (0x08), as the MNIST images and labels.</summary>
    UInt8 = 0x08,

    /// <summary>Signed byte (0x09).</summary>
    Int8 = 0x09,

    /// <summary>Big-endian signed 16-bit integer (0x0B).</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian signed 32-bit integer (0x0C).</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE 754 single (0x0D).</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE 754 double (0x0E).</summary>
    Float64 = 0x0E,
}

/// <summary>
/// An array read from an IDX file: its element type, shape and payload. <see cref="Data"/> holds the payload exactly
/// as stored (big-endian for multi-byte types); <see cref="ToFloatArray"/>, <see cref="ToDoubleArray"/>,
/// <see cref="ToLongArray"/> and <see cref="ToTensor"/> convert it.
/// </summary>
public sealed class IdxArray
{
    private readonly int[] shape;

    /// <summary>Wraps a payload (not copied). Its length must be the product of <paramref name="shape"/> times the element size.</summary>
    public IdxArray(IdxElementType elementType, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        int size = Idx.ElementSize(elementType);
        if (size == 0) throw new ArgumentOutOfRangeException(nameof(elementType), elementType, $"IdxArray: unsupported element type 0x{(byte)elementType:X2}.");
        if (shape.Length is < 1 or > Idx.MaxRank) throw new ArgumentException($"IdxArray: the rank must be 1..{Idx.MaxRank}, got {shape.Length}.", nameof(shape));
        long count = 1;
        foreach (int d in shape)
        {
            if (d <= 0) throw new ArgumentException($"IdxArray: dimensions must be positive, got {Idx.FormatShape(shape)}.", nameof(shape));
            count *= d;
            if (count > int.MaxValue) throw new ArgumentException($"IdxArray: the shape {Idx.FormatShape(shape)} has more than {int.MaxValue} elements.", nameof(shape));
        }
        if (data.LongLength != count * size)
            throw new ArgumentException($"IdxArray: the shape {Idx.FormatShape(shape)} of {elementType} needs {count * size} bytes, the data has {data.Length}.", nameof(data));
        ElementType = elementType;
        this.shape = (int[])shape.Clone();
        Data = data;
        Count = (int)count;
    }

    /// <summary>The element type.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>The dimensions (1 to 4, each positive).</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Number of elements (the product of the dimensions).</summary>
    public int Count { get; }

    /// <summary>The payload as stored in the file (big-endian for multi-byte element types).</summary>
    public byte[] Data { get; }

    /// <summary>A copy of the shape.</summary>
    public int[] GetShape() => (int[])shape.Clone();

    /// <summary>The elements converted to float (exact for every type but Int32 beyond 2^24 and Float64).</summary>
    public float[] ToFloatArray()
    {
        var result = new float[Count];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Element(i);
        return result;
    }

    /// <summary>The elements converted to double (exact for every type).</summary>
    public double[] ToDoubleArray()
    {
        var result = new double[Count];
        for (int i = 0; i < result.Length; i++) result[i] = Element(i);
        return result;
    }

    /// <summary>The elements converted to long (only for the integer types).</summary>
    public long[] ToLongArray()
    {
        if (ElementType is IdxElementType.Float32 or IdxElementType.Float64)
            throw new InvalidOperationException($"IdxArray.ToLongArray: the elements are {ElementType}, not integers.");
        var result = new long[Count];
        for (int i = 0; i < result.Length; i++) result[i] = (long)Element(i);
        return result;
    }

    /// <summary>
    /// The array as a tensor of the same shape: int64 for the integer types, float32 or float64 for the float types,
    /// unless <paramref name="dtype"/> asks for another type.
    /// </summary>
    public Tensor ToTensor(DType? dtype = null)
    {
        var type = dtype ?? ElementType switch
        {
            IdxElementType.Float32 => DType.Float32,
            IdxElementType.Float64 => DType.Float64,
            _ => DType.Int64,
        };
        var result = Tensor.Empty(GetShape(), type);
        switch (type)
        {
            case DType.Float32: { var s = result.AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)Element(i); break; }
            case DType.Float64: { var s = result.AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] = Element(i); break; }
            default:
                if (ElementType is IdxElementType.Float32 or IdxElementType.Float64)
                    throw new InvalidOperationException($"IdxArray.ToTensor: cannot convert {ElementType} elements to int64.");
                { var s = result.AsSpan<long>(); for (int i = 0; i < s.Length; i++) s[i] = (long)Element(i); }
                break;
        }
        return result;
    }

    private double Element(int i) => ElementType switch
    {
        IdxElementType.UInt8 => Data[i],
        IdxElementType.Int8 => (sbyte)Data[i],
        IdxElementType.Int16 => BinaryPrimitives.ReadInt16BigEndian(Data.AsSpan(2 * i, 2)),
        IdxElementType.Int32 => BinaryPrimitives.ReadInt32BigEndian(Data.AsSpan(4 * i, 4)),
        IdxElementType.Float32 => BinaryPrimitives.ReadSingleBigEndian(Data.AsSpan(4 * i, 4)),
        _ => BinaryPrimitives.ReadDoubleBigEndian(Data.AsSpan(8 * i, 8)),
    };
}
