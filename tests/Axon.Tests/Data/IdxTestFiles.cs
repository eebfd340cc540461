using System.Buffers.Binary;
using System.IO.Compression;
using Axon.Data;

namespace Axon.Tests.Data;

/// <summary>What the IDX tests share: headers, gzip, payload patterns, and reading bytes back for their error.</summary>
internal static class IdxTestFiles
{
    internal static byte[] Header(byte type, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }

    internal static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    internal static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + 3)).ToArray();

    /// <summary>Writes <paramref name="content"/> to a file called <paramref name="name"/>, reads it back, and returns the error message.</summary>
    internal static string ReadError(byte[] content, string name = "t10k-images-idx3-ubyte")
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

    /// <summary>A read-only stream that cannot seek (as a network or pipe stream).</summary>
    internal sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
