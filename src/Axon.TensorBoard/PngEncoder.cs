using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Axon.TensorBoard;

/// <summary>
/// Encodes 8-bit images as PNG for TensorBoard's image summaries: the IHDR, one zlib-compressed IDAT (every row with
/// filter type 0) and IEND chunks. Deflate comes from <see cref="ZLibStream"/> and the chunks' CRC-32 from
/// <see cref="Crc32"/>, so the only code here is the container, which keeps this assembly free of native imaging libraries.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Encodes <paramref name="pixels"/>, rows top to bottom with <paramref name="channels"/> interleaved bytes per pixel
    /// (1 grey, 2 grey and alpha, 3 RGB, 4 RGBA).
    /// </summary>
    /// <exception cref="ArgumentException">The sizes are not positive, or the pixels are not width x height x channels bytes.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"PngEncoder: the image must be at least 1x1 (got {width}x{height}).");
        byte colourType = channels switch
        {
            1 => 0,
            2 => 4,
            3 => 2,
            4 => 6,
            _ => throw new ArgumentException($"PngEncoder: channels must be 1, 2, 3 or 4 (got {channels}).", nameof(channels)),
        };
        long rowBytes = (long)width * channels;
        if (pixels.Length != rowBytes * height)
            throw new ArgumentException($"PngEncoder: {width}x{height}x{channels} needs {rowBytes * height} bytes (got {pixels.Length}).", nameof(pixels));

        using var png = new MemoryStream();
        png.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;            // bits per channel
        header[9] = colourType;
        header[10] = header[11] = header[12] = 0;   // deflate, adaptive filtering, no interlace
        WriteChunk(png, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);   // filter type 0: the row as it is
                z.Write(pixels.Slice((int)(y * rowBytes), (int)rowBytes));
            }
        }
        WriteChunk(png, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    // A chunk: its length (big-endian), type, data, and the CRC-32 of type and data.
    private static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var crc = new Crc32();
        var typeBytes = Encoding.ASCII.GetBytes(type);
        crc.Append(typeBytes);
        crc.Append(data);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        png.Write(word);
    }
}
