using System.Buffers.Binary;
using Axon.Data;
using static Axon.Tests.Data.IdxTestFiles;

namespace Axon.Tests.Data;

/// <summary>The IDX reader's memory follows the data that arrives, never a header or gzip trailer that lies about it.</summary>
public class IdxAllocationTests
{
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
}
