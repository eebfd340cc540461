namespace Axon.IO;

/// <summary>
/// Writes files so that readers see either the old content or the complete new content, never a half-written file:
/// the data goes to a temporary file in the same directory (so the rename stays on one file system), is flushed to
/// disk with <see cref="FileStream.Flush(bool)"/>, and the temporary file is then renamed over the target
/// (<see cref="File.Move(string, string, bool)"/> with overwrite, an atomic replace on POSIX and NTFS). If the writer
/// throws, the temporary file is deleted and the target is left as it was. Every writer in <c>Axon.IO</c> goes through it.
/// </summary>
/// <remarks>
/// The temporary file is named <c>.{name}.{random}.tmp</c> beside the target. The directory entry itself is not
/// fsync'ed (.NET exposes no portable way to), so after a power failure the rename may be lost but the target is
/// still either the old or the new file.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    /// <param name="path">The target file; its directory must exist.</param>
    /// <param name="write">Writes the whole content. The stream is owned by <see cref="Write"/>; do not dispose it.</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Cannot write '{path}': the directory '{directory}' does not exist.");
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Creates or replaces <paramref name="path"/> with <paramref name="bytes"/>, atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
