using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace Axon.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST: magic 0x00 0x00 type rank, then rank big-endian int32
/// dimensions, then the elements row-major), raw or gzip-compressed (detected from the 0x1f 0x8b magic, whatever the
/// file name). Nothing in the file is trusted: the magic, type code, rank (1..4), every dimension (positive, product
/// within <see cref="DefaultMaxBytes"/>), and the payload length (exactly the declared size: no truncation, no trailing
/// bytes) are checked, and memory grows only as data actually arrives (at most 1 MiB or about three times the bytes
/// read), so neither a hostile header nor a gzip trailer agreeing with it can cause a huge allocation. Every problem is
/// an <see cref="InvalidDataException"/> whose message starts with the file name.
/// </summary>
public static partial class Idx
{
    /// <summary>The largest rank accepted.</summary>
    public const int MaxRank = 4;

    /// <summary>The default cap on the payload size, 1 GiB (the whole Fashion-MNIST training set is 47 MB).</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>Payloads up to this size are allocated at once; larger ones are staged in chunks of this size.</summary>
    private const int StageChunk = 1 << 20;

    /// <summary>Size in bytes of one element of <paramref name="type"/>, or 0 for an unknown code.</summary>
    public static int ElementSize(IdxElementType type) => type switch
    {
        IdxElementType.UInt8 or IdxElementType.Int8 => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => 0,
    };

    /// <summary>Reads the IDX file at <paramref name="path"/> (raw or gzip).</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">Reject files whose header declares a larger payload.</param>
    /// <exception cref="InvalidDataException">The file is not a valid IDX file (the message names it and the problem).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IdxArray Read(string path, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path, maxBytes);
    }

    /// <summary>Reads an IDX array from <paramref name="stream"/> (raw or gzip), to its end.</summary>
    /// <param name="stream">The data; read to its end, not disposed.</param>
    /// <param name="name">The name used in error messages (a file name).</param>
    /// <param name="maxBytes">Reject data whose header declares a larger payload.</param>
    /// <exception cref="InvalidDataException">The data is not a valid IDX array (the message starts with <paramref name="name"/>).</exception>
    public static IdxArray Read(Stream stream, string name, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (maxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "maxBytes must be positive.");
        Span<byte> first = stackalloc byte[2];
        int got = stream.ReadAtLeast(first, 2, throwOnEndOfStream: false);
        bool gzip = got == 2 && first[0] == 0x1f && first[1] == 0x8b;
        // Put the two bytes back in front of the rest.
        Stream source = new PrefixedStream(first[..got].ToArray(), stream);
        if (!gzip) return Parse(new Reader(source, name, gzip: false), name, maxBytes);
        using var unzip = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
        return Parse(new Reader(unzip, name, gzip: true), name, maxBytes);
    }

    private static IdxArray Parse(Reader reader, string name, long maxBytes)
    {
        string what = reader.Gzip ? "the decompressed data holds" : "the file holds";
        Span<byte> magic = stackalloc byte[4];
        int got = reader.Read(magic);
        if (got < 4) throw Error(name, got == 0 ? "empty: no IDX header (expected 4 magic bytes 0x00 0x00 type rank)" : $"truncated header: expected 4 magic bytes, {what} {got}");
        if (magic[0] != 0 || magic[1] != 0)
            throw Error(name, $"bad magic number 0x{magic[0]:X2} 0x{magic[1]:X2} 0x{magic[2]:X2} 0x{magic[3]:X2}: an IDX file starts with 0x00 0x00 type rank (is this an IDX file?)");
        var type = (IdxElementType)magic[2];
        int size = ElementSize(type);
        if (size == 0)
            throw Error(name, $"unsupported element type code 0x{magic[2]:X2} (supported: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
        int rank = magic[3];
        if (rank is < 1 or > MaxRank) throw Error(name, $"unsupported rank {rank} (supported: 1..{MaxRank})");

        Span<byte> dimBytes = stackalloc byte[4 * MaxRank];
        got = reader.Read(dimBytes[..(4 * rank)]);
        if (got < 4 * rank)
            throw Error(name, $"truncated header: rank {rank} needs {4 * rank} bytes of dimensions after the magic number, {what} {got}");
        var shape = new int[rank];
        for (int d = 0; d < rank; d++) shape[d] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.Slice(4 * d, 4));
        string shapeText = FormatShape(shape);
        for (int d = 0; d < rank; d++)
            if (shape[d] <= 0) throw Error(name, $"dimension {d} is {shape[d]} in the declared shape {shapeText}; every dimension must be positive");

        BigInteger declared = size;
        foreach (int d in shape) declared *= d;
        string declaration = $"header declares {shapeText}{(size == 1 ? "" : $" x {size} bytes ({type})")} = {declared} bytes of data";
        BigInteger elements = declared / size;
        if (elements > int.MaxValue)
            throw Error(name, $"too large: {declaration}{(size == 1 ? "" : $" ({elements} elements)")}; an array holds at most {int.MaxValue} elements");
        if (declared > maxBytes) throw Error(name, $"too large: {declaration}, more than the limit of {maxBytes} bytes");
        int length = (int)declared;

        // Raw files with a known length: check before reading anything.
        if (reader.RemainingHint is long remaining && remaining != length)
            throw Error(name, remaining < length ? $"truncated: {declaration} but the file holds {remaining}" : $"{remaining - length} trailing byte{(remaining - length == 1 ? "" : "s")}: {declaration} but the file holds {remaining}");

        // A raw stream's remaining length was just checked: those bytes are there, so the payload can be allocated at once.
        int filled = ReadPayload(reader, length, lengthPresent: reader.RemainingHint is not null, out var data);
        if (filled < length)
            throw Error(name, $"truncated: {declaration} but {what} {filled}{(reader.Gzip ? " (is the compressed file cut short?)" : "")}");
        long extra = reader.CountRemaining(1L << 30, out bool more);
        if (extra > 0)
            throw Error(name, $"{(more ? "more than " : "")}{extra} trailing byte{(extra == 1 ? "" : "s")}: {declaration} but {what} {(more ? "more than " : "")}{length + extra}");
        return new IdxArray(type, shape, data);
    }

    /// <summary>
    /// Reads the <paramref name="length"/>-byte payload into <paramref name="data"/> and returns the bytes read: fewer
    /// than <paramref name="length"/> when the data ends early, and then <paramref name="data"/> is incomplete.
    /// </summary>
    /// <remarks>
    /// Unless <paramref name="lengthPresent"/> says the bytes are known to be there, the allocation follows the data
    /// that arrives, never the header (nor a gzip trailer, which is as easy to forge): up to half the payload is staged
    /// in <see cref="StageChunk"/>-byte chunks, then the exact array is allocated and the rest read straight into it.
    /// So a short stream costs about what it held, the worst case (the data stops just after half) about three times,
    /// and a real file one copy of half its payload, with no doubling series of large arrays.
    /// </remarks>
    private static int ReadPayload(Reader reader, int length, bool lengthPresent, out byte[] data)
    {
        if (lengthPresent || length <= StageChunk)
        {
            data = new byte[length];
            return reader.Read(data);
        }
        int half = length / 2;
        var chunks = new List<byte[]>();
        int staged = 0;
        while (staged < half)
        {
            var chunk = new byte[Math.Min(StageChunk, half - staged)];
            int n = reader.Read(chunk);
            staged += n;
            if (n < chunk.Length)
            {
                data = [];
                return staged;
            }
            chunks.Add(chunk);
        }
        data = new byte[length];
        int at = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(data, at);
            at += chunk.Length;
        }
        return staged + reader.Read(data.AsSpan(staged));
    }

    /// <summary>"10000x28x28".</summary>
    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < parts.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join('x', parts);
    }

    internal static InvalidDataException Error(string name, string problem, Exception? inner = null) =>
        new($"{name}: {problem}.", inner);
}
