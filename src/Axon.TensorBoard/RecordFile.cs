using System.Buffers.Binary;

namespace Axon.TensorBoard;

/// <summary>
/// TensorBoard's record framing (TensorFlow's TFRecord): each record is its length as a little-endian 64-bit integer, the
/// masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
/// </summary>
public static class RecordFile
{
    /// <summary>Bytes of framing around each record's data.</summary>
    public const int Overhead = 8 + 4 + 4;

    /// <summary>Writes one record holding <paramref name="data"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Crc32C.Masked(header.AsSpan(0, 8)));
        var footer = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>
    /// The records of a file, each checked: a length that does not fit in the rest of the file, or a CRC that does not
    /// match, is an <see cref="InvalidDataException"/> naming the file, the record and its offset. A file cut short at
    /// the end of a record (a writer still running) ends the sequence only if <paramref name="allowTruncatedTail"/>.
    /// </summary>
    public static IEnumerable<byte[]> Read(string path, bool allowTruncatedTail = false)
    {
        var file = File.ReadAllBytes(path);
        long offset = 0;
        for (int index = 0; offset < file.Length; index++)
        {
            string where = $"{path}: record {index} at byte {offset}";
            if (file.Length - offset < 12)
            {
                if (allowTruncatedTail) yield break;
                throw new InvalidDataException($"{where}: {file.Length - offset} bytes left, too few for a record header.");
            }
            var header = file.AsSpan((int)offset, 12);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            if (lengthCrc != Crc32C.Masked(header[..8]))
                throw new InvalidDataException($"{where}: the length's CRC is 0x{lengthCrc:X8}, expected 0x{Crc32C.Masked(header[..8]):X8}.");
            if (length > (ulong)(file.Length - offset - Overhead))
            {
                if (allowTruncatedTail) yield break;
                throw new InvalidDataException($"{where}: the record says {length} bytes but the file holds {file.Length - offset - Overhead} more.");
            }
            var data = file.AsSpan((int)offset + 12, (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)offset + 12 + (int)length, 4));
            if (dataCrc != Crc32C.Masked(data))
                throw new InvalidDataException($"{where}: the data's CRC is 0x{dataCrc:X8}, expected 0x{Crc32C.Masked(data):X8}.");
            yield return data.ToArray();
            offset += Overhead + (long)length;
        }
    }
}
