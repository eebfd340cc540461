using Axon.Data;
using static Axon.Tests.Data.IdxTestFiles;

namespace Axon.Tests.Data;

/// <summary>Malformed IDX data (truncated, trailing, bad headers, corrupt gzip, garbage): an error that names the file and the problem.</summary>
public class IdxValidationTests
{
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
}
