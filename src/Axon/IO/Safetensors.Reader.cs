using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Axon.IO;

// Reading: the entry points, then each tensor's data once the header has been validated (Safetensors.Header.cs).
public static partial class Safetensors
{
    /// <summary>Reads a safetensors file: its tensors in buffer order and its <c>__metadata__</c> (empty if absent).</summary>
    /// <exception cref="InvalidDataException">The file is malformed (the message names the file and the problem).</exception>
    public static (IReadOnlyList<KeyValuePair<string, Tensor>> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, stream.Length, path);
    }

    /// <summary>
    /// Reads safetensors bytes from <paramref name="stream"/>, from its position to its end; <paramref name="name"/> labels error
    /// messages. A stream that cannot seek is first copied to memory (its length is needed to validate the offsets).
    /// </summary>
    public static (IReadOnlyList<KeyValuePair<string, Tensor>> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(Stream stream, string name = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (stream.CanSeek) return Read(stream, stream.Length - stream.Position, name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return Read(copy, copy.Length, name);
    }

    /// <summary>Reads safetensors bytes held in memory; <paramref name="name"/> labels error messages.</summary>
    public static (IReadOnlyList<KeyValuePair<string, Tensor>> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(byte[] bytes, string name = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var ms = new MemoryStream(bytes, writable: false);
        return Load(ms, name);
    }

    /// <summary>Reads and validates only the header of a safetensors file and returns its <c>__metadata__</c> (the tensors are not loaded).</summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return ReadHeader(stream, stream.Length, path).Metadata;
    }

    private static (IReadOnlyList<KeyValuePair<string, Tensor>>, IReadOnlyDictionary<string, string>) Read(Stream stream, long length, string name)
    {
        var header = ReadHeader(stream, length, name);
        var result = new List<KeyValuePair<string, Tensor>>(header.Entries.Count);
        try
        {
            foreach (var e in header.Entries) result.Add(new(e.Name, ReadTensor(stream, e, name)));
        }
        catch
        {
            foreach (var kv in result) kv.Value.Dispose();
            throw;
        }
        return (result, header.Metadata);
    }

    private static Tensor ReadTensor(Stream stream, ReadEntry e, string name)
    {
        switch (e.DType)
        {
            case "F32": return ReadNative<float>(stream, e, DType.Float32, name);
            case "F64": return ReadNative<double>(stream, e, DType.Float64, name);
            case "I64": return ReadNative<long>(stream, e, DType.Int64, name);
        }
        bool toFloat = e.DType is "F16" or "BF16";
        var t = Tensor.Empty(e.Shape, toFloat ? DType.Float32 : DType.Int64);
        try
        {
            int size = ReadableSizes[e.DType];
            var chunk = new byte[ChunkBytes];
            long done = 0;
            while (done < e.Count)
            {
                int n = (int)Math.Min(ChunkBytes / size, e.Count - done);
                var bytes = chunk.AsSpan(0, n * size);
                ReadExactly(stream, bytes, name, $"tensor '{e.Name}'");
                if (toFloat) ConvertToFloat(bytes, t.AsSpan<float>().Slice((int)done, n), e.DType == "BF16");
                else ConvertToLong(bytes, t.AsSpan<long>().Slice((int)done, n), e.DType);
                done += n;
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private static Tensor ReadNative<T>(Stream stream, ReadEntry e, DType dtype, string name) where T : unmanaged
    {
        var t = Tensor.Empty(e.Shape, dtype);
        try
        {
            var data = t.AsSpan<T>();
            int perChunk = (1 << 20) / Marshal.SizeOf<T>();
            for (int i = 0; i < data.Length; i += perChunk)
            {
                var bytes = MemoryMarshal.AsBytes(data.Slice(i, Math.Min(perChunk, data.Length - i)));
                ReadExactly(stream, bytes, name, $"tensor '{e.Name}'");
                if (!BitConverter.IsLittleEndian)
                {
                    if (Marshal.SizeOf<T>() == 4) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes));
                    else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes));
                }
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private static void ConvertToFloat(ReadOnlySpan<byte> src, Span<float> dst, bool bfloat)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(2 * i));
            dst[i] = bfloat ? BitConverter.Int32BitsToSingle(bits << 16) : (float)BitConverter.UInt16BitsToHalf(bits);
        }
    }

    private static void ConvertToLong(ReadOnlySpan<byte> src, Span<long> dst, string dtype)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = dtype switch
            {
                "BOOL" => src[i] != 0 ? 1 : 0,
                "U8" => src[i],
                "I8" => (sbyte)src[i],
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(2 * i)),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(src.Slice(2 * i)),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(src.Slice(4 * i)),
                _ => BinaryPrimitives.ReadInt32LittleEndian(src.Slice(4 * i)),
            };
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        try { stream.ReadExactly(buffer); }
        catch (EndOfStreamException ex) { throw Fail(name, $"unexpected end of file while reading {what} (the file is truncated).", ex); }
    }
}
