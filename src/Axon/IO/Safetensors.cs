using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Axon.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face), the format PyTorch, JAX and most model hubs exchange weights in.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> 8 bytes: the header length N as a little-endian unsigned 64-bit integer; N bytes: a UTF-8 JSON
/// object <c>{"__metadata__": {"key": "value", ...}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}</c>;
/// then the data buffer. Offsets are relative to the start of the buffer; the tensors' byte ranges must tile the buffer
/// exactly (no gap, no overlap, nothing after the last one). Elements are little-endian and row-major (C order).</para>
/// <para><b>Writing</b> follows the reference implementation: tensors are laid out by decreasing dtype alignment
/// (I64, then F64, then F32) and, within a dtype, by name (ordinal order of the UTF-8 bytes); the header is compact JSON
/// with <c>__metadata__</c> first (only when metadata is given) and then the tensors in buffer order, padded with spaces to
/// a multiple of 8 bytes so that the buffer starts 8-byte aligned. Non-contiguous tensors are written contiguously. Files
/// are written through <see cref="AtomicFile"/>.</para>
/// <para><b>Reading</b> returns the tensors in buffer order (which, for a file written as above, is the writer's order).
/// F32, F64 and I64 load as <see cref="DType.Float32"/>, <see cref="DType.Float64"/> and <see cref="DType.Int64"/> bit for bit;
/// F16 and BF16 widen exactly to float32; BOOL, U8, I8, U16, I16, U32 and I32 widen exactly to int64. Other dtypes of the
/// format (U64, the 8-, 6- and 4-bit floats, C64) are rejected as unsupported. Loaded tensors are created like any
/// other tensor, so inside a <see cref="TensorScope"/> they belong to that scope.</para>
/// <para><b>Validation.</b> Nothing in the file is trusted: the header length must fit in the file and be at most
/// <see cref="MaxHeaderLength"/>; the header must be a JSON object without duplicate keys; every entry needs a known dtype,
/// a shape of non-negative integers and two non-negative offsets whose span equals the shape's element count times the
/// element size (computed without overflow); the spans must lie inside the buffer and tile it. Nothing is allocated
/// for the tensors before all of this holds, so a hostile header cannot make the reader allocate more than the file's
/// size. Every violation throws <see cref="InvalidDataException"/> whose message starts with the file name and says what is wrong,
/// e.g. <c>model.safetensors: tensor 'fc.weight' declares shape [256, 784] (802816 bytes as F32) but data_offsets [0, 1024] span 1024 bytes.</c></para>
/// </remarks>
public static class Safetensors
{
    /// <summary>The largest header accepted (100,000,000 bytes, the reference implementation's limit).</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The reserved header key holding the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const int ChunkBytes = 1 << 16;

    // Element sizes of the dtypes Axon reads, and the dtypes of the format it knows but does not support.
    private static readonly Dictionary<string, int> ReadableSizes = new(StringComparer.Ordinal)
    {
        ["F32"] = 4,
        ["F64"] = 8,
        ["I64"] = 8,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["U16"] = 2,
        ["I16"] = 2,
        ["U32"] = 4,
        ["I32"] = 4,
    };

    private static readonly HashSet<string> UnsupportedDTypes = new(StringComparer.Ordinal)
    {
        "U64", "C64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2", "F4",
    };

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    // ---------------------------------------------------------------- writing

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
        var c = tensor.ContiguousData();
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

    // ---------------------------------------------------------------- reading

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

    private sealed record ReadEntry(string Name, string DType, int[] Shape, long Count, long Begin, long End);

    private sealed record Header(List<ReadEntry> Entries, Dictionary<string, string> Metadata);

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

    private static Header ReadHeader(Stream stream, long length, string name)
    {
        if (length < 8) throw Fail(name, $"the file is truncated: it has {length} bytes, but a safetensors file starts with an 8-byte header length.");
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(stream, lengthBytes, name, "the header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n > MaxHeaderLength)
            throw Fail(name, $"the header length field says {n} bytes, above the limit of {MaxHeaderLength} (the file is corrupt or not a safetensors file).");
        if (n > (ulong)(length - 8))
            throw Fail(name, $"the header length field says {n} bytes, but only {length - 8} bytes follow it (the file is truncated or not a safetensors file).");
        var json = new byte[n];
        ReadExactly(stream, json, name, "the header");
        return ParseHeader(json, length - 8 - (long)n, name);
    }

    private static Header ParseHeader(byte[] json, long bufferLength, string name)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Fail(name, "the header is not valid UTF-8.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, JsonOptions); }
        catch (JsonException ex) { throw Fail(name, $"the header is not valid JSON: {ex.Message}", ex); }
        using (doc)
        {
            try { return ParseHeader(doc.RootElement, bufferLength, name); }
            catch (InvalidOperationException ex) { throw Fail(name, $"the header holds a string that is not valid Unicode: {ex.Message}", ex); }
        }
    }

    private static Header ParseHeader(JsonElement root, long bufferLength, string name)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Fail(name, $"the header must be a JSON object, got {Kind(root)}.");
        var entries = new List<ReadEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (!seen.Add(prop.Name)) throw Fail(name, $"the header has the key '{prop.Name}' twice.");
            if (prop.Name == MetadataKey) ParseMetadata(prop.Value, metadata, name);
            else entries.Add(ParseEntry(prop.Name, prop.Value, bufferLength, name));
        }
        CheckTiling(entries, bufferLength, name);
        return new Header(entries, metadata);
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string name)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(name, $"'{MetadataKey}' must be an object of strings, got {Kind(value)}.");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String) throw Fail(name, $"'{MetadataKey}' entry '{m.Name}' must be a string, got {Kind(m.Value)}.");
            if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Fail(name, $"'{MetadataKey}' has the key '{m.Name}' twice.");
        }
    }

    private static ReadEntry ParseEntry(string key, JsonElement value, long bufferLength, string name)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(name, $"tensor '{key}': its entry must be an object with dtype, shape and data_offsets, got {Kind(value)}.");
        JsonElement? dtypeEl = null, shapeEl = null, offsetsEl = null;
        foreach (var f in value.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeEl;
            switch (f.Name)
            {
                case "dtype": slot = ref dtypeEl; break;
                case "shape": slot = ref shapeEl; break;
                case "data_offsets": slot = ref offsetsEl; break;
                default: continue; // unknown fields are ignored, as by the reference implementation
            }
            if (slot is not null) throw Fail(name, $"tensor '{key}' has the field '{f.Name}' twice.");
            slot = f.Value;
        }
        if (dtypeEl is not { } d || shapeEl is not { } s || offsetsEl is not { } o)
            throw Fail(name, $"tensor '{key}' lacks {(dtypeEl is null ? "dtype" : shapeEl is null ? "shape" : "data_offsets")} (each entry needs dtype, shape and data_offsets).");

        if (d.ValueKind != JsonValueKind.String) throw Fail(name, $"tensor '{key}': dtype must be a string, got {Kind(d)}.");
        string dtype = d.GetString()!;
        if (!ReadableSizes.TryGetValue(dtype, out int elementSize))
            throw Fail(name, UnsupportedDTypes.Contains(dtype)
                ? $"tensor '{key}' has dtype {dtype}, which Axon does not support (it reads F32, F64, I64, F16, BF16, BOOL, U8, I8, U16, I16, U32, I32)."
                : $"tensor '{key}' has unknown dtype '{dtype}'.");

        if (s.ValueKind != JsonValueKind.Array) throw Fail(name, $"tensor '{key}': shape must be an array of integers, got {Kind(s)}.");
        var dims = new List<long>();
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long v))
                throw Fail(name, $"tensor '{key}': shape {s.GetRawText()} must hold integers, found {dim.GetRawText()}.");
            dims.Add(v);
        }
        string shapeText = "[" + string.Join(", ", dims) + "]";
        foreach (long v in dims)
        {
            if (v < 0) throw Fail(name, $"tensor '{key}' has a negative dimension {v} in shape {shapeText}.");
            if (v > int.MaxValue) throw Fail(name, $"tensor '{key}' has dimension {v} in shape {shapeText}, larger than Axon's limit of {int.MaxValue}.");
        }
        long count = 1;
        bool overflow = false;
        if (!dims.Contains(0))
            foreach (long v in dims)
            {
                if (count > long.MaxValue / v) { overflow = true; break; }
                count *= v;
            }
        else count = 0;
        if (overflow || count > long.MaxValue / elementSize)
            throw Fail(name, $"tensor '{key}' declares shape {shapeText}, whose size in bytes overflows a 64-bit integer.");
        long bytes = count * elementSize;

        if (o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2)
            throw Fail(name, $"tensor '{key}': data_offsets must be an array of two integers [begin, end], got {o.GetRawText()}.");
        if (!TryOffset(o[0], out long begin) || !TryOffset(o[1], out long end))
            throw Fail(name, $"tensor '{key}': data_offsets {o.GetRawText()} must be two non-negative integers.");
        if (end < begin) throw Fail(name, $"tensor '{key}': data_offsets [{begin}, {end}] end before they begin.");
        if (end - begin != bytes)
            throw Fail(name, $"tensor '{key}' declares shape {shapeText} ({bytes} bytes as {dtype}) but data_offsets [{begin}, {end}] span {end - begin} bytes.");
        if (end > bufferLength)
            throw Fail(name, $"tensor '{key}': data_offsets [{begin}, {end}] extend past the end of the data buffer, which has {bufferLength} bytes (is the file truncated?).");
        if (count > Array.MaxLength)
            throw Fail(name, $"tensor '{key}' has {count} elements, more than an Axon tensor can hold ({Array.MaxLength}).");
        return new ReadEntry(key, dtype, dims.Select(v => (int)v).ToArray(), count, begin, end);
    }

    private static bool TryOffset(JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value) && value >= 0;
    }

    // The byte ranges, sorted by position, must follow each other from 0 to the end of the buffer.
    private static void CheckTiling(List<ReadEntry> entries, long bufferLength, string name)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        ReadEntry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin > expected)
                throw Fail(name, $"the data buffer has a gap: bytes [{expected}, {e.Begin}) belong to no tensor (before tensor '{e.Name}').");
            if (e.Begin < expected)
                throw Fail(name, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}].");
            expected = e.End;
            if (e.End > e.Begin) previous = e;
        }
        if (expected != bufferLength)
            throw Fail(name, $"the data buffer has {bufferLength - expected} trailing bytes: it is {bufferLength} bytes long but the tensors cover only [0, {expected}).");
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

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static InvalidDataException Fail(string name, string problem, Exception? inner = null) => new($"{name}: {problem}", inner);

}
