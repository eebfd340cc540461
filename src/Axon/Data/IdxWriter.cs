using System.Buffers.Binary;
using System.IO.Compression;

namespace Axon.Data;

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
