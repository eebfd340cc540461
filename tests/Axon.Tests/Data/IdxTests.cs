using System.Buffers.Binary;
using System.IO.Compression;
using Axon.Data;

namespace Axon.Tests.Data;

/// <summary>A fresh temporary directory, deleted at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "axon-test-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

public class IdxTests
{
    private static byte[] Header(byte type, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + 3)).ToArray();

    /// <summary>Writes <paramref name="content"/> to a file called <paramref name="name"/>, reads it back, and returns the error message.</summary>
    private static string ReadError(byte[] content, string name = "t10k-images-idx3-ubyte")
    {
        using var dir = new TempDir();
        string path = dir.File(name);
        File.WriteAllBytes(path, content);
        var e = Record.Exception(() => Idx.Read(path));
        Assert.NotNull(e);
        Assert.IsType<InvalidDataException>(e); // never IndexOutOfRange, OutOfMemory, Overflow...
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        // The same bytes through a non-seekable stream give an error naming the file too.
        using var stream = new NonSeekable(content);
        var e2 = Assert.IsType<InvalidDataException>(Record.Exception(() => Idx.Read(stream, name)));
        Assert.StartsWith(name + ": ", e2.Message, StringComparison.Ordinal);
        return e.Message;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Uint8RoundTripIsBitExact(bool gzip)
    {
        using var dir = new TempDir();
        string path = dir.File(gzip ? "x-idx3-ubyte.gz" : "x-idx3-ubyte");
        var data = Pattern(5 * 28 * 28);
        IdxWriter.WriteBytes(path, data, [5, 28, 28]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(gzip, bytes[0] == 0x1f && bytes[1] == 0x8b);
        if (!gzip) Assert.Equal([.. Header(0x08, 5, 28, 28), .. data], bytes);
        var a = Idx.Read(path);
        Assert.Equal(IdxElementType.UInt8, a.ElementType);
        Assert.Equal([5, 28, 28], a.GetShape());
        Assert.Equal(data, a.Data);
        Assert.Equal(5 * 28 * 28, a.Count);
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // no temporary file left behind
    }

    [Fact]
    public void GzipIsDetectedByMagicNotByName()
    {
        using var dir = new TempDir();
        string path = dir.File("labels-idx1-ubyte");
        IdxWriter.WriteBytes(path, [1, 2, 3], [3], gzip: true);
        Assert.Equal([1, 2, 3], Idx.Read(path).Data);
        string raw = dir.File("labels.gz");
        IdxWriter.WriteBytes(raw, [4, 5], [2], gzip: false);
        Assert.Equal([4, 5], Idx.Read(raw).Data);
    }

    [Fact]
    public void WriterReplacesAnExistingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("a-idx1-ubyte");
        IdxWriter.WriteBytes(path, [1, 2, 3], [3]);
        IdxWriter.WriteBytes(path, [9], [1]);
        Assert.Equal([9], Idx.Read(path).Data);
    }

    [Fact]
    public void OtherElementTypesRoundTripAndConvert()
    {
        using var dir = new TempDir();
        var cases = new (IdxElementType Type, byte[] Payload, double[] Values)[]
        {
            (IdxElementType.Int8, [0xFF, 0x05], [-1, 5]),
            (IdxElementType.Int16, [0xFF, 0xFE, 0x01, 0x00], [-2, 256]),
            (IdxElementType.Int32, [0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00], [65536, int.MinValue]),
            (IdxElementType.Float32, [.. BE(1.5f), .. BE(-2.25f)], [1.5, -2.25]),
            (IdxElementType.Float64, [.. BE(Math.PI), .. BE(-1e300)], [Math.PI, -1e300]),
        };
        foreach (var (type, payload, values) in cases)
        {
            foreach (bool gzip in (bool[])[false, true])
            {
                string path = dir.File($"{type}-{gzip}");
                IdxWriter.Write(path, new IdxArray(type, [2], payload), gzip);
                var a = Idx.Read(path);
                Assert.Equal(type, a.ElementType);
                Assert.Equal(payload, a.Data);
                Assert.Equal(values, a.ToDoubleArray());
                using var t = a.ToTensor();
                Assert.Equal(type is IdxElementType.Float32 ? DType.Float32 : type is IdxElementType.Float64 ? DType.Float64 : DType.Int64, t.DType);
                Assert.Equal(values, t.ToDoubleArray());
            }
        }
    }

    private static byte[] BE(float v) { var b = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(b, v); return b; }

    private static byte[] BE(double v) { var b = new byte[8]; BinaryPrimitives.WriteDoubleBigEndian(b, v); return b; }

    [Fact]
    public void Uint8ToTensorGivesInt64OrFloat()
    {
        var a = new IdxArray(IdxElementType.UInt8, [2, 2], [0, 1, 254, 255]);
        Assert.Equal([0L, 1, 254, 255], a.ToTensor().ToLongArray());
        Assert.Equal([0f, 1, 254, 255], a.ToTensor(DType.Float32).ToFloatArray());
        Assert.Equal([2, 2], a.ToTensor().GetShape());
    }

    [Fact]
    public void TruncatedDataNamesTheDeclaredAndActualSizes()
    {
        var msg = ReadError([.. Header(0x08, 100, 28, 28), .. new byte[50000]]);
        Assert.Contains("truncated: header declares 100x28x28 = 78400 bytes of data but the file holds 50000", msg, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedGzipDataSaysSo()
    {
        var msg = ReadError(Gzip([.. Header(0x08, 100, 28, 28), .. new byte[50000]]), "t10k-images-idx3-ubyte.gz");
        Assert.Contains("truncated: header declares 100x28x28 = 78400 bytes of data but the decompressed data holds 50000 (is the compressed file cut short?)", msg, StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingBytesAreAnError()
    {
        var msg = ReadError([.. Header(0x08, 3), 1, 2, 3, 4, 5]);
        Assert.Contains("2 trailing bytes: header declares 3 = 3 bytes of data but the file holds 5", msg, StringComparison.Ordinal);
        var gz = ReadError(Gzip([.. Header(0x08, 3), 1, 2, 3, 4]));
        Assert.Contains("1 trailing byte: header declares 3 = 3 bytes of data but the decompressed data holds 4", gz, StringComparison.Ordinal);
    }

    [Fact]
    public void MultiByteTypesCountBytes()
    {
        var msg = ReadError([.. Header(0x0D, 2, 3), .. new byte[20]]);
        Assert.Contains("header declares 2x3 x 4 bytes (Float32) = 24 bytes of data but the file holds 20", msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x00, 0x08, 0x01 }, "bad magic number 0x01 0x00 0x08 0x01")]
    [InlineData(new byte[] { 0x00, 0x00, 0x07, 0x01 }, "unsupported element type code 0x07")]
    [InlineData(new byte[] { 0x00, 0x00, 0x0A, 0x01 }, "unsupported element type code 0x0A")]
    [InlineData(new byte[] { 0x00, 0x00, 0x08, 0x00 }, "unsupported rank 0")]
    [InlineData(new byte[] { 0x00, 0x00, 0x08, 0x05 }, "unsupported rank 5")]
    [InlineData(new byte[] { 0x00, 0x00, 0x08 }, "truncated header: expected 4 magic bytes, the file holds 3")]
    [InlineData(new byte[] { }, "empty")]
    [InlineData(new byte[] { 0x00, 0x00, 0x08, 0x03, 0, 0, 0, 1, 0, 0 }, "truncated header: rank 3 needs 12 bytes of dimensions after the magic number, the file holds 6")]
    public void BadHeadersAreRejectedByName(byte[] content, string expected)
    {
        var msg = ReadError(content);
        Assert.Contains(expected, msg, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroAndNegativeDimensionsAreRejected()
    {
        Assert.Contains("dimension 1 is 0 in the declared shape 10x0x28; every dimension must be positive", ReadError(Header(0x08, 10, 0, 28)), StringComparison.Ordinal);
        Assert.Contains("dimension 0 is -5", ReadError([.. Header(0x08, -5), 1, 2]), StringComparison.Ordinal);
    }

    [Fact]
    public void HugeDeclaredDimensionsAreRejectedWithoutAllocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var msg = ReadError([.. Header(0x08, 0x7fffffff, 0x7fffffff, 0x7fffffff), 1, 2, 3]);
        Assert.Contains("too large: header declares 2147483647x2147483647x2147483647 = 9903520300447984150353281023 bytes of data; an array holds at most 2147483647 elements", msg, StringComparison.Ordinal);
        Assert.Contains("(2147483648 elements)", ReadError([.. Header(0x0E, 65536, 32768), 1]), StringComparison.Ordinal);
        // Fits in an int but not in the limit.
        Assert.Contains("more than the limit of", ReadError([.. Header(0x08, 2000, 1000, 1000), 1]), StringComparison.Ordinal);
        // Within the limit, but the file is short: found out before allocating the declared 512 MB.
        Assert.Contains("truncated: header declares 512x1024x1024 = 536870912 bytes of data but the file holds 3", ReadError([.. Header(0x08, 512, 1024, 1024), 1, 2, 3]), StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "a lying header must not make the reader allocate what it declares");
    }

    [Fact]
    public void LyingGzipHeaderDoesNotAllocateTheDeclaredSize()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var msg = ReadError(Gzip([.. Header(0x08, 1000, 1000, 1000), 1, 2, 3]), "x.gz");
        Assert.Contains("truncated: header declares 1000x1000x1000 = 1000000000 bytes of data but the decompressed data holds 3 (is the compressed file cut short?)", msg, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the buffer grows with the data, not with the header");
    }

    [Fact]
    public void LargePayloadsAreReadWithoutADoublingSeries()
    {
        // 6 MiB of payload. Gzip: half staged in 1 MiB chunks, then the exact array, 1.5x the payload whatever the
        // trailer says (doubling from 1 MiB would cost 1 + 2 + 4 + 6 MiB). The allocation is measured around the read
        // alone; the inflater's and the file's buffers are well under the 1 MiB slack.
        const int n = 6 << 20;
        var payload = Pattern(n);
        using var dir = new TempDir();
        string path = dir.File("big-idx1-ubyte.gz");
        File.WriteAllBytes(path, Gzip([.. Header(0x08, n), .. payload]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var array = Idx.Read(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(payload, array.Data);
        Assert.True(allocated < n + n / 2 + (1 << 20), $"allocated {allocated} bytes for a {n}-byte gzip payload");
        // Without seeking, the same.
        using var stream = new NonSeekable(File.ReadAllBytes(path));
        before = GC.GetAllocatedBytesForCurrentThread();
        array = Idx.Read(stream, "big");
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(payload, array.Data);
        Assert.True(allocated < n + n / 2 + (1 << 20), $"allocated {allocated} bytes for a {n}-byte gzip payload (not seekable)");
        // A raw file's length is checked against the header before reading, so its bytes are there: one array.
        string rawPath = dir.File("big-idx1-ubyte");
        IdxWriter.WriteBytes(rawPath, payload, [n]);
        before = GC.GetAllocatedBytesForCurrentThread();
        array = Idx.Read(rawPath);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(payload, array.Data);
        Assert.True(allocated < n + (1 << 20), $"allocated {allocated} bytes for a {n}-byte raw payload");
    }

    [Fact]
    public void ForgedGzipTrailerIsOnlyAHint()
    {
        // A header declaring 1e9 bytes and a trailer forged to agree: the trailer is never used to size anything, so
        // nothing large is allocated, and the truncation (or the trailer's mismatch) is still reported.
        var gz = Gzip([.. Header(0x08, 1000, 1000, 1000), 1, 2, 3]);
        BinaryPrimitives.WriteUInt32LittleEndian(gz.AsSpan(gz.Length - 4), 1_000_000_016u);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var msg = ReadError(gz, "forged.gz");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "a forged trailer must not make the reader allocate the declared size");
        Assert.True(msg.Contains("truncated", StringComparison.Ordinal) || msg.Contains("corrupt gzip data", StringComparison.Ordinal), msg);

        // A trailer that agrees with a plausible header but the data is cut short: the read fails with the truncation
        // named.
        var cut = Gzip([.. Header(0x08, 4000), .. Pattern(1000)]);
        BinaryPrimitives.WriteUInt32LittleEndian(cut.AsSpan(cut.Length - 4), 4008u);
        var msg2 = ReadError(cut, "cut.gz");
        Assert.True(msg2.Contains("truncated: header declares 4000 = 4000 bytes of data", StringComparison.Ordinal) || msg2.Contains("corrupt gzip data", StringComparison.Ordinal), msg2);
    }

    /// <summary>
    /// A gzip file of stored (uncompressed) deflate blocks with no final block and no trailer: the last four bytes of
    /// <paramref name="raw"/> end the file, where a reader looks for the trailer's ISIZE, and .NET inflates the cut
    /// stream as a short one.
    /// </summary>
    private static byte[] StoredGzipWithoutEnd(byte[] raw)
    {
        using var ms = new MemoryStream();
        ms.Write([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
        for (int at = 0; at < raw.Length; at += 0xffff)
        {
            int n = Math.Min(0xffff, raw.Length - at);
            ms.WriteByte(0x00); // BFINAL 0, BTYPE 00 (stored); stored blocks end byte-aligned, so no padding
            ms.Write([(byte)n, (byte)(n >> 8), (byte)~n, (byte)(~n >> 8)]);
            ms.Write(raw, at, n);
        }
        return ms.ToArray();
    }

    [Fact]
    public void ForgedHeaderAndAgreeingTrailerAllocateOnlyForTheDataPresent()
    {
        // The defect: a 1 MB file whose header declares 750 MB and whose last four bytes (the trailer's ISIZE) agree.
        // Deflate can expand about 1032:1, so the claim looked plausible and the reader allocated 750 MB up front.
        const int declared = 750_000_000;
        const int present = 1 << 20;
        var raw = new byte[16 + present];
        Header(0x08, 750, 1000, 1000).CopyTo(raw, 0);
        Pattern(present).CopyTo(raw, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(raw.Length - 4), 16 + declared);
        var gz = StoredGzipWithoutEnd(raw);
        Assert.True(1032L * gz.Length > 16 + declared, "the file is large enough for its trailer to look plausible");
        using var dir = new TempDir();
        string path = dir.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, gz);
        const string problem = "truncated: header declares 750x1000x1000 = 750000000 bytes of data but the decompressed data holds 1048576 (is the compressed file cut short?).";

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal($"{path}: {problem}", e.Message);
        Assert.True(allocated < 4L * raw.Length, $"allocated {allocated} bytes for {raw.Length} bytes of decompressed data");

        // Without seeking (no trailer to read) the bound is the same.
        using var stream = new NonSeekable(gz);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<InvalidDataException>(() => Idx.Read(stream, "train.gz"));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal($"train.gz: {problem}", e.Message);
        Assert.True(allocated < 4L * raw.Length, $"allocated {allocated} bytes for {raw.Length} bytes of decompressed data (not seekable)");

        // A complete gzip stream with only its ISIZE forged: inflating fails at the trailer, after as little memory.
        var random = new byte[16 + present];
        new Random(3).NextBytes(random);
        Header(0x08, 750, 1000, 1000).CopyTo(random, 0);
        var whole = Gzip(random);
        BinaryPrimitives.WriteUInt32LittleEndian(whole.AsSpan(whole.Length - 4), 16 + declared);
        Assert.True(1032L * whole.Length > 16 + declared);
        string wholePath = dir.File("whole-idx3-ubyte.gz");
        File.WriteAllBytes(wholePath, whole);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<InvalidDataException>(() => Idx.Read(wholePath));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith($"{wholePath}: corrupt gzip data after ", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 4L * random.Length, $"allocated {allocated} bytes for {random.Length} bytes of decompressed data (forged ISIZE)");
    }

    [Fact]
    public void AllocationStaysWithinThreeTimesTheDataAtItsWorst()
    {
        // The worst case for the staging: the payload buffer is allocated once half the declared data has arrived,
        // and then the data stops.
        const int declared = 8 << 20;
        byte[] raw = [.. Header(0x08, declared), .. Pattern(declared / 2 + 1)];
        using var stream = new MemoryStream(Gzip(raw));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(stream, "half.gz"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(e.Message.Contains($"truncated: header declares {declared} = {declared} bytes of data but the decompressed data holds {declared / 2 + 1}", StringComparison.Ordinal), e.Message);
        Assert.True(allocated < 3L * raw.Length + (1 << 20), $"allocated {allocated} bytes for {raw.Length} bytes of decompressed data");
    }

    [Fact]
    public void CustomLimitApplies()
    {
        using var stream = new MemoryStream([.. Header(0x08, 10, 10), .. new byte[100]]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(stream, "small", maxBytes: 50));
        Assert.Contains("small: too large: header declares 10x10 = 100 bytes of data, more than the limit of 50 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptGzipIsReported()
    {
        var good = Gzip([.. Header(0x08, 1000), .. Pattern(1000)]);
        // Garbage after the gzip magic.
        var msg = ReadError([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x03, 0xff, 0xff, 0xff, 0xff, 0x13, 0x37], "t10k-labels-idx1-ubyte.gz");
        Assert.Contains("corrupt gzip data", msg, StringComparison.Ordinal);
        // Flipped bits inside the deflate stream: the CRC or the decoder catches it.
        var flipped = (byte[])good.Clone();
        for (int i = 12; i < flipped.Length - 8; i += 5) flipped[i] ^= 0x5a;
        var msg2 = ReadError(flipped, "t10k-labels-idx1-ubyte.gz");
        Assert.Contains("t10k-labels-idx1-ubyte.gz: ", msg2, StringComparison.Ordinal);
        // A wrong CRC in the gzip trailer.
        var crc = (byte[])good.Clone();
        crc[^6] ^= 1;
        Assert.Contains("corrupt gzip data", ReadError(crc, "t10k-labels-idx1-ubyte.gz"), StringComparison.Ordinal);
        // Cut in the middle of the compressed stream.
        var cut = good.AsSpan(0, good.Length / 2).ToArray();
        var msg3 = ReadError(cut, "t10k-labels-idx1-ubyte.gz");
        Assert.True(msg3.Contains("corrupt gzip data", StringComparison.Ordinal) || msg3.Contains("truncated", StringComparison.Ordinal), msg3);
    }

    [Fact]
    public void RandomGarbageNeverEscapesAsAnotherException()
    {
        var g = new Generator(7);
        var rng = new byte[64];
        for (int trial = 0; trial < 300; trial++)
        {
            int n = (int)g.NextInt64(0, 64);
            for (int i = 0; i < n; i++) rng[i] = (byte)g.NextInt64(256);
            if (trial % 3 == 0 && n >= 4) { rng[0] = 0; rng[1] = 0; rng[2] = 0x08; rng[3] = (byte)g.NextInt64(1, 5); }
            if (trial % 5 == 0 && n >= 2) { rng[0] = 0x1f; rng[1] = 0x8b; }
            using var s = new MemoryStream(rng, 0, n);
            var e = Record.Exception(() => Idx.Read(s, "fuzz"));
            if (e is not null)
            {
                Assert.IsType<InvalidDataException>(e);
                Assert.StartsWith("fuzz: ", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Idx.Read(dir.File("nope-idx1-ubyte")));
        Assert.Contains("nope-idx1-ubyte", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdxArrayValidatesItsArguments()
    {
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxElementType.UInt8, [2, 2], new byte[3]));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxElementType.UInt8, [0], []));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxElementType.UInt8, [1, 1, 1, 1, 1], new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdxArray((IdxElementType)0x0A, [1], new byte[1]));
    }

    /// <summary>A read-only stream that cannot seek (as a network or pipe stream).</summary>
    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
