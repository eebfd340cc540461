using System.Buffers.Binary;
using System.Text;
using Axon.IO;

namespace Axon.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("axon-st-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    private static KeyValuePair<string, Tensor> KV(string name, Tensor t) => new(name, t);

    private static long[] Bits(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToFloatArray().Select(f => (long)BitConverter.SingleToInt32Bits(f)).ToArray(),
        DType.Float64 => t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray(),
        _ => t.ToLongArray(),
    };

    // A file from a header (as JSON text, padded with spaces to 8 bytes) and a data buffer; the length field may be overridden.
    private static byte[] Build(string json, byte[] data, ulong? lengthField = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        int padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthField ?? (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + padded);
        return bytes;
    }

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    [Fact]
    public void RoundTripIsBitExact()
    {
        var f32 = new[]
        {
            BitConverter.Int32BitsToSingle(0x7FC00001), BitConverter.Int32BitsToSingle(0x7F800001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC12345)),
            -0f, 0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue, -1.5f,
        };
        var f64 = new[] { BitConverter.Int64BitsToDouble(0x7FF0000000000001), -0.0, double.NegativeInfinity, double.Epsilon, Math.PI, 1e308 };
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            KV("f32", Tensor.FromArray(f32, 2, 5)),
            KV("f64", Tensor.FromArray(f64, 3, 1, 2)),
            KV("i64", Tensor.FromArray(new[] { long.MinValue, -1L, 0L, long.MaxValue })),
            KV("scalar", Tensor.Scalar(-0.0, DType.Float64)),
            KV("empty", Tensor.Zeros([0, 3])),
            KV("empty_i64", Tensor.Zeros([2, 0], DType.Int64)),
            KV("naïve ünïcode ✓", Tensor.FromArray(new[] { 1f, 2f })),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "quotes \" and \\ and\nnewline, ünïcode ✓", ["empty"] = "" };
        string path = PathOf("rt.safetensors");
        Safetensors.Save(path, tensors, metadata);

        var (loaded, meta) = Safetensors.Load(path);
        Assert.Equal(metadata, meta.ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.Equal(tensors.Count, loaded.Count);
        var byName = loaded.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (name, t) in tensors)
        {
            var l = byName[name];
            Assert.Equal(t.DType, l.DType);
            Assert.Equal(t.GetShape(), l.GetShape());
            Assert.Equal(Bits(t), Bits(l));
        }
        Assert.Equal(0, byName["scalar"].Rank);
        Assert.Equal(long.MinValue, byName["i64"].ToLongArray()[0]);

        // The same bytes through the stream and byte-array entry points.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(bytes, Safetensors.Serialize(tensors, metadata));
        Assert.Equal(Bits(byName["f32"]), Bits(Safetensors.Load(bytes).Tensors.Single(kv => kv.Key == "f32").Value));
        using var stream = new MemoryStream(bytes);
        Assert.Equal(7, Safetensors.Load(stream).Tensors.Count);
        Assert.Equal(metadata["note"], Safetensors.ReadMetadata(path)["note"]);
    }

    [Fact]
    public void NonContiguousTensorsAreWrittenContiguously()
    {
        var t = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3).Transpose(0, 1);
        var (loaded, meta) = Safetensors.Load(Safetensors.Serialize([KV("t", t)]));
        Assert.Equal([3, 2], loaded[0].Value.GetShape());
        Assert.Equal(new[] { 1f, 4f, 2f, 5f, 3f, 6f }, loaded[0].Value.ToFloatArray());
        Assert.Empty(meta);
    }

    [Fact]
    public void HeaderLayoutFollowsTheSpec()
    {
        // Reference order: decreasing alignment (I64 before F64 before F32), then by name; __metadata__ first; compact JSON.
        var bytes = Safetensors.Serialize(
            [KV("b", Tensor.FromArray(new[] { 1f, 2f })), KV("a", Tensor.FromArray(new[] { 3f })), KV("d", Tensor.FromArray(new[] { 0.5 })), KV("c", Tensor.FromArray(new[] { 7L }))],
            new Dictionary<string, string> { ["k"] = "v" });
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0ul, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        const string expected = "{\"__metadata__\":{\"k\":\"v\"},"
            + "\"c\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
            + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[20,28]}}";
        Assert.Equal(expected, header.TrimEnd(' '));
        Assert.True(header.Length - expected.Length < 8);
        Assert.Equal(8 + (int)n + 28, bytes.Length);
        var data = bytes.AsSpan(8 + (int)n);
        Assert.Equal(7L, BinaryPrimitives.ReadInt64LittleEndian(data));
        Assert.Equal(0.5, BinaryPrimitives.ReadDoubleLittleEndian(data[8..]));
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(data[16..]));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(data[20..]));
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(data[24..]));

        // Without metadata there is no __metadata__ entry; an empty dict is just "{}".
        var none = Safetensors.Serialize([]);
        Assert.Equal(16, none.Length);
        Assert.Equal("{}      ", Encoding.UTF8.GetString(none, 8, 8));
    }

    [Fact]
    public void HandBuiltFixtureLoads()
    {
        // Layout (data buffer, 38 bytes), entries deliberately out of order in the JSON, with whitespace and an unknown field:
        //   [ 0,  8) "w"    F32  [2]     1.5, -2
        //   [ 8, 16) "idx"  I64  []      42
        //   [16, 20) "h"    F16  [2]     0x3C00 = 1, 0xC000 = -2
        //   [20, 24) "bf"   BF16 [2]     0x3FC0 = 1.5, 0xFF80 = -inf
        //   [24, 32) "i32"  I32  [2]     -7, 2147483647
        //   [32, 35) "u8"   U8   [3]     0, 200, 255
        //   [35, 37) "flag" BOOL [2]     0, 1
        //   [37, 38) "i8"   I8   [1, 1]  -128
        var data = new byte[38];
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(0), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 42);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(16), 0x3C00);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(18), 0xC000);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(20), 0x3FC0);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(22), 0xFF80);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(24), -7);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(28), int.MaxValue);
        data[33] = 200; data[34] = 255; data[36] = 1; data[37] = 0x80;
        string json = """
            { "i32": {"shape": [2], "dtype": "I32", "data_offsets": [24, 32]},
              "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "comment": "ignored"},
              "__metadata__": {"source": "hand"},
              "h": {"dtype": "F16", "shape": [2], "data_offsets": [16, 20]},
              "bf": {"dtype": "BF16", "shape": [2], "data_offsets": [20, 24]},
              "idx": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]},
              "u8": {"dtype": "U8", "shape": [3], "data_offsets": [32, 35]},
              "flag": {"dtype": "BOOL", "shape": [2], "data_offsets": [35, 37]},
              "i8": {"dtype": "I8", "shape": [1, 1], "data_offsets": [37, 38]} }
            """;
        var (tensors, meta) = Safetensors.Load(Build(json, data), "fixture");
        Assert.Equal("hand", meta["source"]);
        Assert.Equal(new[] { "w", "idx", "h", "bf", "i32", "u8", "flag", "i8" }, tensors.Select(kv => kv.Key));   // buffer order
        var t = tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(new[] { 1.5f, -2f }, t["w"].ToFloatArray());
        Assert.Equal(DType.Int64, t["idx"].DType);
        Assert.Equal(0, t["idx"].Rank);
        Assert.Equal(42L, t["idx"].ToLongArray()[0]);
        Assert.Equal(DType.Float32, t["h"].DType);
        Assert.Equal(new[] { 1f, -2f }, t["h"].ToFloatArray());
        Assert.Equal(new[] { 1.5f, float.NegativeInfinity }, t["bf"].ToFloatArray());
        Assert.Equal(DType.Int64, t["i32"].DType);
        Assert.Equal(new[] { -7L, int.MaxValue }, t["i32"].ToLongArray());
        Assert.Equal(new[] { 0L, 200L, 255L }, t["u8"].ToLongArray());
        Assert.Equal(new[] { 0L, 1L }, t["flag"].ToLongArray());
        Assert.Equal([1, 1], t["i8"].GetShape());
        Assert.Equal(-128L, t["i8"].ToLongArray()[0]);
    }

    public static TheoryData<string, byte[], string> Corruptions()
    {
        byte[] eight = new byte[8];
        string f = Entry("fc.weight", "F32", "[2]", 0, 8);
        return new TheoryData<string, byte[], string>
        {
            { "truncated below 8 bytes", new byte[] { 1, 0, 0 }, "the file is truncated: it has 3 bytes" },
            { "header length beyond the file", Build("{" + f + "}", eight, lengthField: 1000), "the header length field says 1000 bytes, but only" },
            { "absurd header length", Build("{" + f + "}", eight, lengthField: ulong.MaxValue), $"the header length field says {ulong.MaxValue} bytes, above the limit of 100000000" },
            { "header length just above the limit", Build("{}", [], lengthField: 100_000_001), "above the limit of 100000000" },
            { "invalid JSON", Build("{\"fc.weight\": {\"dtype\": ", eight), "the header is not valid JSON" },
            { "invalid UTF-8", Patch(Build("{\"\xff\":1}", []), 10, 0xFF), "the header is not valid UTF-8." },
            { "escaped lone surrogate", Build("{\"\\uD800\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [0, 0]}}", []), "the header holds a string that is not valid Unicode" },
            { "JSON array", Build("[1, 2]", []), "the header must be a JSON object, got an array" },
            { "entry not an object", Build("{\"x\": 3}", []), "tensor 'x': its entry must be an object" },
            { "unknown dtype", Build("{" + Entry("fc.weight", "F33", "[2]", 0, 8) + "}", eight), "tensor 'fc.weight' has unknown dtype 'F33'" },
            { "unsupported dtype", Build("{" + Entry("fc.weight", "U64", "[1]", 0, 8) + "}", eight), "tensor 'fc.weight' has dtype U64, which Axon does not support" },
            { "missing field", Build("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}", eight), "tensor 'w' lacks shape" },
            { "field twice", Build("{\"w\": {\"dtype\": \"F32\", \"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", eight), "tensor 'w' has the field 'dtype' twice" },
            { "shape/offset mismatch", Build("{" + Entry("fc.weight", "F32", "[256, 784]", 0, 1024) + "}", new byte[1024]),
                "tensor 'fc.weight' declares shape [256, 784] (802816 bytes as F32) but data_offsets [0, 1024] span 1024 bytes." },
            { "negative dimension", Build("{" + Entry("w", "F32", "[-2, -1]", 0, 8) + "}", eight), "tensor 'w' has a negative dimension -2 in shape [-2, -1]" },
            { "fractional dimension", Build("{" + Entry("w", "F32", "[2.5]", 0, 8) + "}", eight), "tensor 'w': shape [2.5] must hold integers" },
            { "dimension above int", Build("{" + Entry("w", "F32", "[4294967296]", 0, 8) + "}", eight), "has dimension 4294967296 in shape [4294967296], larger than Axon's limit" },
            { "size overflow", Build("{" + Entry("w", "F64", "[2147483647, 2147483647, 2147483647]", 0, 8) + "}", eight), "whose size in bytes overflows a 64-bit integer" },
            { "offsets not integers", Build("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, \"8\"]}}", eight), "tensor 'w': data_offsets [0, \"8\"] must be two non-negative integers" },
            { "negative offset", Build("{" + Entry("w", "F32", "[0]", -4, -4) + "}", []), "must be two non-negative integers" },
            { "three offsets", Build("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8, 16]}}", eight), "data_offsets must be an array of two integers" },
            { "end before begin", Build("{" + Entry("w", "F32", "[0]", 8, 0) + "}", eight), "tensor 'w': data_offsets [8, 0] end before they begin" },
            { "offsets past the end", Build("{" + Entry("w", "F32", "[4]", 0, 16) + "}", eight), "tensor 'w': data_offsets [0, 16] extend past the end of the data buffer, which has 8 bytes" },
            { "overlap", Build("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[1]", 4, 8) + "}", eight), "tensor 'b' data_offsets [4, 8] overlap tensor 'a' [0, 8]" },
            { "gap", Build("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 8, 12) + "}", new byte[12]), "the data buffer has a gap: bytes [4, 8) belong to no tensor (before tensor 'b')" },
            { "gap at the start", Build("{" + Entry("a", "F32", "[1]", 4, 8) + "}", eight), "bytes [0, 4) belong to no tensor" },
            { "trailing bytes", Build("{" + Entry("a", "F32", "[2]", 0, 8) + "}", new byte[9]), "the data buffer has 1 trailing bytes" },
            { "duplicate tensor key", Build("{" + f + "," + f + "}", eight), "the header has the key 'fc.weight' twice" },
            { "duplicate metadata key", Build("{\"__metadata__\": {\"a\": \"1\", \"a\": \"2\"}}", []), "'__metadata__' has the key 'a' twice" },
            { "metadata not string", Build("{\"__metadata__\": {\"epoch\": 3}}", []), "'__metadata__' entry 'epoch' must be a string, got a number" },
            { "metadata not object", Build("{\"__metadata__\": [\"a\"]}", []), "'__metadata__' must be an object of strings, got an array" },
        };

        static byte[] Patch(byte[] bytes, int at, byte value)
        {
            bytes[at] = value;
            return bytes;
        }
    }

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void CorruptFilesGiveAClearMessageNamingTheFile(string label, byte[] bytes, string expected)
    {
        string path = PathOf("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.True(ex.Message.StartsWith(path + ": ", StringComparison.Ordinal) && ex.Message.Contains(expected, StringComparison.Ordinal),
            $"{label}: expected '{path}: ...{expected}...', got '{ex.Message}'.");

        // Streams and byte arrays report the name they are given.
        var ex2 = Assert.Throws<InvalidDataException>(() => Safetensors.Load(bytes, "mem.safetensors"));
        Assert.Equal("mem.safetensors: " + ex.Message[(path.Length + 2)..], ex2.Message);
    }

    [Fact]
    public void ZeroSizedTensorsWithHugeDimensionsLoad()
    {
        // A zero dimension makes the tensor empty whatever the others are: no overflow, no allocation.
        var bytes = Build("{" + Entry("w", "F32", "[2147483647, 2147483647, 0]", 0, 0) + "," + Entry("v", "F32", "[0]", 0, 0) + "}", []);
        var (tensors, _) = Safetensors.Load(bytes);
        Assert.Equal([int.MaxValue, int.MaxValue, 0], tensors.Single(kv => kv.Key == "w").Value.GetShape());
        Assert.Equal(0, tensors.Single(kv => kv.Key == "v").Value.NumEl);
    }

    [Fact]
    public void TruncatedDataIsReported()
    {
        var bytes = Safetensors.Serialize([KV("fc.weight", Tensor.Ones([4, 4]))]);
        string path = PathOf("model.safetensors");
        File.WriteAllBytes(path, bytes[..^5]);
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Equal($"{path}: tensor 'fc.weight': data_offsets [0, 64] extend past the end of the data buffer, which has 59 bytes (is the file truncated?).", ex.Message);
    }

    [Fact]
    public void NonSeekableStreamsLoad()
    {
        var bytes = Safetensors.Serialize([KV("a", Tensor.FromArray(new[] { 1.0, 2.0 }))]);
        using var inner = new MemoryStream(bytes);
        using var stream = new NonSeekable(inner);
        Assert.Equal(new[] { 1.0, 2.0 }, Safetensors.Load(stream).Tensors[0].Value.ToDoubleArray());
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 3));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void WriterRejectsBadNames()
    {
        var t = Tensor.Ones([1]);
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => Safetensors.Serialize([KV("a", t), KV("a", t)])).Message, StringComparison.Ordinal);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => Safetensors.Serialize([KV("__metadata__", t)])).Message, StringComparison.Ordinal);
    }

    private static IEnumerable<KeyValuePair<string, Tensor>> ThrowAfterFirst()
    {
        yield return KV("a", Tensor.Ones([1000]));
        throw new InvalidOperationException("boom");
    }

    [Fact]
    public void AtomicWriteKeepsTheOldFileWhenTheWriterThrows()
    {
        string path = PathOf("model.safetensors");
        Safetensors.Save(path, [KV("old", Tensor.FromArray(new[] { 1f, 2f }))]);
        var before = File.ReadAllBytes(path);

        Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => Safetensors.Save(path, ThrowAfterFirst())).Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir));

        // Also when the failure comes after part of the content has reached the temporary file.
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            s.Flush();
            throw new IOException("disk full");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir));

        // A new file is not created at all when the writer throws.
        string fresh = PathOf("fresh.safetensors");
        Assert.Throws<InvalidOperationException>(() => Safetensors.Save(fresh, ThrowAfterFirst()));
        Assert.False(File.Exists(fresh));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void AtomicWriteReplacesTheTarget()
    {
        string path = PathOf("x.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        AtomicFile.WriteAllBytes(path, [4]);
        Assert.Equal(new byte[] { 4 }, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir));
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllBytes(Path.Combine(dir, "missing", "x.bin"), [1]));
    }
}
