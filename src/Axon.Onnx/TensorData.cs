using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Axon.Onnx;

/// <summary>Tensors as ONNX <c>TensorProto</c>s: the dims, the element type and the elements as little-endian raw bytes.</summary>
internal static class TensorData
{
    /// <summary>The ONNX element type of an Axon dtype.</summary>
    public static DataType TypeOf(DType dtype) => dtype switch
    {
        DType.Float32 => DataType.Float,
        DType.Float64 => DataType.Double,
        DType.Int64 => DataType.Int64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "ONNX export: no ONNX element type for this dtype."),
    };

    /// <summary>The element type as PyTorch names it ("float32"), for messages and summaries.</summary>
    public static string Name(DataType type) => type switch
    {
        DataType.Float => "float32",
        DataType.Double => "float64",
        DataType.Int64 => "int64",
        DataType.Bool => "bool",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary><paramref name="tensor"/>'s shape and elements (row-major) under <paramref name="name"/>.</summary>
    public static TensorProto Of(string name, Tensor tensor)
    {
        // ONNX's raw_data is little-endian; copying the host's bytes is only right on such a host.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export writes raw tensor data on little-endian hosts only.");
        var proto = new TensorProto { Name = name, DataType = (int)TypeOf(tensor.DType) };
        proto.Dims.AddRange(tensor.GetShape().Select(d => (long)d));
        Array elements = tensor.DType switch
        {
            DType.Float32 => tensor.ToFloatArray(),
            DType.Float64 => tensor.ToDoubleArray(),
            _ => tensor.ToLongArray(),
        };
        var bytes = new byte[Buffer.ByteLength(elements)];
        Buffer.BlockCopy(elements, 0, bytes, 0, bytes.Length);
        proto.RawData = ByteString.CopyFrom(bytes);
        return proto;
    }

    /// <summary>A 0-D tensor holding <paramref name="value"/> as <paramref name="dtype"/>.</summary>
    public static TensorProto Scalar(string name, double value, DType dtype)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TypeOf(dtype) };
        switch (dtype)
        {
            case DType.Float32: proto.FloatData.Add((float)value); break;
            case DType.Float64: proto.DoubleData.Add(value); break;
            default: proto.Int64Data.Add((long)value); break;
        }
        return proto;
    }
}

/// <summary>Shapes in messages: "[2, 3, 28, 28]".</summary>
internal static class Shapes
{
    public static string Format(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";
}
