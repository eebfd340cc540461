using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Axon.IO;

// Writing: tensors in the reference implementation's order, a compact padded header, then the data (see Safetensors.cs).
public static partial class Safetensors
{
    /// <summary>Writes <paramref name="tensors"/> (and optional string metadata) to <paramref name="path"/>, atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Named float32, float64 or int64 tensors; names must be distinct and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Strings stored under <c>__metadata__</c> (e.g. <c>format</c>: <c>pt</c>), or null for none.</param>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        AtomicFile.Write(path, stream => Save(stream, tensors, metadata));
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/> at its current position.</summary>
    public static void Save(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = Prepare(tensors);
        byte[] header = BuildHeader(entries, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var e in entries) WriteData(stream, e.Tensor);
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/> as an array.</summary>
    public static byte[] Serialize(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        Save(ms, tensors, metadata);
        return ms.ToArray();
    }

    private sealed record WriteEntry(string Name, byte[] NameUtf8, Tensor Tensor, string DType, long Bytes);

    private static List<WriteEntry> Prepare(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var entries = new List<WriteEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new ArgumentException("Safetensors: a tensor name is null.", nameof(tensors));
            if (name == MetadataKey) throw new ArgumentException($"Safetensors: '{MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"Safetensors: the name '{name}' is given twice.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, $"tensors['{name}']");
            string dtype = tensor.DType switch
            {
                DType.Float32 => "F32",
                DType.Float64 => "F64",
                DType.Int64 => "I64",
                _ => throw new ArgumentException($"Safetensors: tensor '{name}' has unsupported dtype {tensor.DType}.", nameof(tensors)),
            };
            entries.Add(new(name, Encoding.UTF8.GetBytes(name), tensor, dtype, (long)tensor.NumEl * tensor.DType.ElementSize()));
        }
        // The reference implementation's order: decreasing dtype alignment (its enum order: ... F32 < F64 < I64), then name.
        entries.Sort((a, b) =>
        {
            int c = Rank(b.DType).CompareTo(Rank(a.DType));
            return c != 0 ? c : a.NameUtf8.AsSpan().SequenceCompareTo(b.NameUtf8);
        });
        return entries;

        static int Rank(string dtype) => dtype switch { "I64" => 3, "F64" => 2, _ => 1 };
    }

    private static byte[] BuildHeader(List<WriteEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            w.WriteStartObject();
            if (metadata is not null)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(k, "metadata key");
                    w.WriteString(k, v ?? throw new ArgumentException($"Safetensors: metadata '{k}' is null; values must be strings.", nameof(metadata)));
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType);
                w.WriteStartArray("shape");
                foreach (int d in e.Tensor.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.Bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.Bytes;
            }
            w.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        if (padded > MaxHeaderLength) throw new ArgumentException($"Safetensors: the header would be {padded} bytes, above the format's limit of {MaxHeaderLength}.");
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        // The bytes are read as host spans: a tensor on a GPU is copied to the host first (one tensor at a time, so a
        // model saved from the GPU never needs a second full copy in host memory).
        var c = tensor.Device.IsHost ? tensor.ContiguousData() : tensor.CloneTo(Device.Cpu);
        try
        {
            switch (c.DType)
            {
                case DType.Float32: WriteElements(stream, c.AsSpan<float>()); break;
                case DType.Float64: WriteElements(stream, c.AsSpan<double>()); break;
                default: WriteElements(stream, c.AsSpan<long>()); break;
            }
        }
        finally
        {
            if (!ReferenceEquals(c, tensor)) c.Dispose();
        }
    }

    private static void WriteElements<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>(), perChunk = ChunkBytes / size;
        byte[]? swap = BitConverter.IsLittleEndian ? null : new byte[ChunkBytes];
        for (int i = 0; i < data.Length; i += perChunk)
        {
            var bytes = MemoryMarshal.AsBytes(data.Slice(i, Math.Min(perChunk, data.Length - i)));
            if (swap is null) { stream.Write(bytes); continue; }
            var s = swap.AsSpan(0, bytes.Length);
            bytes.CopyTo(s);
            if (size == 4) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(s), MemoryMarshal.Cast<byte, uint>(s));
            else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(s), MemoryMarshal.Cast<byte, ulong>(s));
            stream.Write(s);
        }
    }
}
