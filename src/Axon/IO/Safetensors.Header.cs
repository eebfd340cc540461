using System.Buffers.Binary;
using System.Text.Json;

namespace Axon.IO;

// The header's reading and validation: nothing in it is trusted (see the remarks on Safetensors in Safetensors.cs).
public static partial class Safetensors
{
    private sealed record ReadEntry(string Name, string DType, int[] Shape, long Count, long Begin, long End);

    private sealed record Header(List<ReadEntry> Entries, Dictionary<string, string> Metadata);

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
}
