using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace Axon.Data;

/// <summary>The element types of the IDX format (the third byte of the magic number).</summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned byte (0x08), as the MNIST images and labels.</summary>
    UInt8 = 0x08,

    /// <summary>Signed byte (0x09).</summary>
    Int8 = 0x09,

    /// <summary>Big-endian signed 16-bit integer (0x0B).</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian signed 32-bit integer (0x0C).</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE 754 single (0x0D).</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE 754 double (0x0E).</summary>
    Float64 = 0x0E,
}

/// <summary>
/// An array read from an IDX file: its element type, shape and payload. <see cref="Data"/> holds the payload exactly
/// as stored (big-endian for multi-byte types); <see cref="ToFloatArray"/>, <see cref="ToDoubleArray"/>,
/// <see cref="ToLongArray"/> and <see cref="ToTensor"/> convert it.
/// </summary>
public sealed class IdxArray
{
    private readonly int[] shape;

    /// <summary>Wraps a payload (not copied). Its length must be the product of <paramref name="shape"/> times the element size.</summary>
    public IdxArray(IdxElementType elementType, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        int size = Idx.ElementSize(elementType);
        if (size == 0) throw new ArgumentOutOfRangeException(nameof(elementType), elementType, $"IdxArray: unsupported element type 0x{(byte)elementType:X2}.");
        if (shape.Length is < 1 or > Idx.MaxRank) throw new ArgumentException($"IdxArray: the rank must be 1..{Idx.MaxRank}, got {shape.Length}.", nameof(shape));
        long count = 1;
        foreach (int d in shape)
        {
            if (d <= 0) throw new ArgumentException($"IdxArray: dimensions must be positive, got {Idx.FormatShape(shape)}.", nameof(shape));
            count *= d;
            if (count > int.MaxValue) throw new ArgumentException($"IdxArray: the shape {Idx.FormatShape(shape)} has more than {int.MaxValue} elements.", nameof(shape));
        }
        if (data.LongLength != count * size)
            throw new ArgumentException($"IdxArray: the shape {Idx.FormatShape(shape)} of {elementType} needs {count * size} bytes, the data has {data.Length}.", nameof(data));
        ElementType = elementType;
        this.shape = (int[])shape.Clone();
        Data = data;
        Count = (int)count;
    }

    /// <summary>The element type.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>The dimensions (1 to 4, each positive).</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Number of elements (the product of the dimensions).</summary>
    public int Count { get; }

    /// <summary>The payload as stored in the file (big-endian for multi-byte element types).</summary>
    public byte[] Data { get; }

    /// <summary>A copy of the shape.</summary>
    public int[] GetShape() => (int[])shape.Clone();

    /// <summary>The elements converted to float (exact for every type but Int32 beyond 2^24 and Float64).</summary>
    public float[] ToFloatArray()
    {
        var result = new float[Count];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Element(i);
        return result;
    }

    /// <summary>The elements converted to double (exact for every type).</summary>
    public double[] ToDoubleArray()
    {
        var result = new double[Count];
        for (int i = 0; i < result.Length; i++) result[i] = Element(i);
        return result;
    }

    /// <summary>The elements converted to long (only for the integer types).</summary>
    public long[] ToLongArray()
    {
        if (ElementType is IdxElementType.Float32 or IdxElementType.Float64)
            throw new InvalidOperationException($"IdxArray.ToLongArray: the elements are {ElementType}, not integers.");
        var result = new long[Count];
        for (int i = 0; i < result.Length; i++) result[i] = (long)Element(i);
        return result;
    }

    /// <summary>
    /// The array as a tensor of the same shape: int64 for the integer types, float32 or float64 for the float types,
    /// unless <paramref name="dtype"/> asks for another type.
    /// </summary>
    public Tensor ToTensor(DType? dtype = null)
    {
        var type = dtype ?? ElementType switch
        {
            IdxElementType.Float32 => DType.Float32,
            IdxElementType.Float64 => DType.Float64,
            _ => DType.Int64,
        };
        var result = Tensor.Empty(GetShape(), type);
        switch (type)
        {
            case DType.Float32: { var s = result.AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)Element(i); break; }
            case DType.Float64: { var s = result.AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] = Element(i); break; }
            default:
                if (ElementType is IdxElementType.Float32 or IdxElementType.Float64)
                    throw new InvalidOperationException($"IdxArray.ToTensor: cannot convert {ElementType} elements to int64.");
                { var s = result.AsSpan<long>(); for (int i = 0; i < s.Length; i++) s[i] = (long)Element(i); }
                break;
        }
        return result;
    }

    private double Element(int i) => ElementType switch
    {
        IdxElementType.UInt8 => Data[i],
        IdxElementType.Int8 => (sbyte)Data[i],
        IdxElementType.Int16 => BinaryPrimitives.ReadInt16BigEndian(Data.AsSpan(2 * i, 2)),
        IdxElementType.Int32 => BinaryPrimitives.ReadInt32BigEndian(Data.AsSpan(4 * i, 4)),
        IdxElementType.Float32 => BinaryPrimitives.ReadSingleBigEndian(Data.AsSpan(4 * i, 4)),
        _ => BinaryPrimitives.ReadDoubleBigEndian(Data.AsSpan(8 * i, 8)),
    };
}

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST: magic 0x00 0x00 type rank, then rank big-endian int32
/// dimensions, then the elements row-major), raw or gzip-compressed (detected from the 0x1f 0x8b magic, whatever the
/// file name). Nothing in the file is trusted: the magic, type code, rank (1..4), every dimension (positive, product
/// within <see cref="DefaultMaxBytes"/>), and the payload length (exactly the declared size: no truncation, no trailing
/// bytes) are checked, and memory grows only as data actually arrives (at most 1 MiB or about three times the bytes
/// read), so neither a hostile header nor a gzip trailer agreeing with it can cause a huge allocation. Every problem is
/// an <see cref="InvalidDataException"/> whose message starts with the file name.
/// </summary>
public static class Idx
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

    /// <summary>Reads from the (possibly decompressing) stream, turning decompression failures into named errors.</summary>
    private sealed class Reader(Stream stream, string name, bool gzip)
    {
        private long position;

        public bool Gzip => gzip;

        /// <summary>Bytes left in a raw seekable stream, when known.</summary>
        public long? RemainingHint
        {
            get
            {
                if (gzip || stream is not PrefixedStream p) return null;
                return p.RemainingIfKnown;
            }
        }

        /// <summary>Fills as much of <paramref name="buffer"/> as the data allows; fewer bytes only at the end.</summary>
        public int Read(Span<byte> buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n;
                try { n = stream.Read(buffer[total..]); }
                catch (InvalidDataException e) { throw Error(name, $"corrupt gzip data after {position + total} decompressed bytes ({e.Message.TrimEnd('.')})", e); }
                catch (EndOfStreamException e) { throw Error(name, $"corrupt gzip data: the compressed stream ends early after {position + total} decompressed bytes", e); }
                if (n == 0) break;
                total += n;
            }
            position += total;
            return total;
        }

        /// <summary>Reads to the end, counting the bytes (stops counting at <paramref name="cap"/>).</summary>
        public long CountRemaining(long cap, out bool more)
        {
            var buffer = new byte[1 << 16];
            long count = 0;
            more = false;
            while (true)
            {
                int n = Read(buffer);
                if (n == 0) return count;
                count += n;
                if (count > cap) { more = true; return count; }
            }
        }
    }

    /// <summary>A stream that first returns a few bytes already read, then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int at;

        public long? RemainingIfKnown
        {
            get
            {
                if (!inner.CanSeek) return null;
                try { return prefix.Length - at + Math.Max(0, inner.Length - inner.Position); }
                catch (NotSupportedException) { return null; }
            }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (at < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - at);
                prefix.AsSpan(at, n).CopyTo(buffer);
                at += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>
/// Writes IDX files: a uint8 array (images, labels) or any <see cref="IdxArray"/>, raw or gzip-compressed. Files are
/// written to a temporary file beside the target and renamed over it, so a reader never sees a half-written file.
/// </summary>
public static class IdxWriter
{
    /// <summary>Writes unsigned bytes of shape <paramref name="shape"/> (rank 1..4) to <paramref name="path"/>.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="data">The elements, row-major; exactly the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The dimensions, each positive.</param>
    /// <param name="gzip">Compress (default: when <paramref name="path"/> ends with ".gz").</param>
    public static void WriteBytes(string path, ReadOnlySpan<byte> data, ReadOnlySpan<int> shape, bool? gzip = null) =>
        Write(path, new IdxArray(IdxElementType.UInt8, shape.ToArray(), data.ToArray()), gzip);

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> (via a temporary file and a rename).</summary>
    /// <param name="path">The target file.</param>
    /// <param name="array">The array.</param>
    /// <param name="gzip">Compress (default: when <paramref name="path"/> ends with ".gz").</param>
    public static void Write(string path, IdxArray array, bool? gzip = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(array);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                Write(file, array, gzip ?? path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="stream"/> (left open).</summary>
    public static void Write(Stream stream, IdxArray array, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        if (gzip)
        {
            using var zip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true);
            WriteRaw(zip, array);
        }
        else WriteRaw(stream, array);
    }

    private static void WriteRaw(Stream stream, IdxArray array)
    {
        var shape = array.Shape;
        var header = new byte[4 + 4 * shape.Length];
        header[2] = (byte)array.ElementType;
        header[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d, 4), shape[d]);
        stream.Write(header);
        stream.Write(array.Data);
    }
}
