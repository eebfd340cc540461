using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Axon.IO;

namespace Axon.Models.Word2Vec;

/// <summary>
/// The files word vectors travel in. <b>Text</b> (word2vec's <c>-binary 0</c>, fastText's <c>.vec</c>): a header line
/// "count dimension", then one line per word: the word and its values separated by spaces. <b>Binary</b> (word2vec's
/// <c>-binary 1</c>): the same header line, then per word the word, a space, the values as little-endian float32 and a
/// newline. <b>Safetensors</b>: the [count, dimension] float32 tensor "vectors" with the words, newline-separated, in
/// the metadata key "words". Writes are atomic (a temporary file renamed). Readers trust no count from the file: the
/// header is checked against what follows, and a short, long or malformed file is an error naming the file, the line
/// or word, and what was expected.
/// </summary>
public static class WordVectorFiles
{
    // The longest word the readers accept (word2vec.c's MAX_STRING is 100; fastText's tokens are longer).
    private const int MaxWordBytes = 1 << 12;

    /// <summary>
    /// Writes the text format as word2vec.c and fastText write it (a header "count dimension", then per line the word and
    /// its values, each followed by a space); values are the shortest decimals that read back to the same float.
    /// </summary>
    public static void SaveText(WordVectors v, string path)
    {
        ArgumentNullException.ThrowIfNull(v);
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine($"{v.Count} {v.Dimension}");
            var sb = new StringBuilder();
            for (int i = 0; i < v.Count; i++)
            {
                sb.Clear().Append(v.Words[i]).Append(' ');
                foreach (float x in v.Data.Slice(i * v.Dimension, v.Dimension)) sb.Append(x.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e')).Append(' ');
                w.WriteLine(sb);
            }
        });
    }

    /// <summary>Reads the text format (values separated by any white space, a trailing space allowed).</summary>
    public static WordVectors LoadText(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false, true));
        int lineNo = 1;
        var (count, dim) = Header(reader.ReadLine(), path);
        var words = new List<string>();
        var values = new List<float>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != dim + 1)
                throw new InvalidDataException($"{path}: line {lineNo} has {parts.Length - 1} values for '{parts[0]}', the header says {dim}.");
            if (words.Count == count) throw new InvalidDataException($"{path}: more than the {count} words the header announces (line {lineNo}).");
            words.Add(parts[0]);
            for (int j = 1; j <= dim; j++)
            {
                if (!float.TryParse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture, out float x))
                    throw new InvalidDataException($"{path}: line {lineNo}: '{parts[j]}' (value {j} of '{parts[0]}') is not a number.");
                values.Add(x);
            }
        }
        if (words.Count != count) throw new InvalidDataException($"{path}: the header announces {count} words, the file has {words.Count}.");
        return Make(words, values.ToArray(), dim, path);
    }

    /// <summary>Writes word2vec's binary format.</summary>
    public static void SaveBinary(WordVectors v, string path)
    {
        ArgumentNullException.ThrowIfNull(v);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Encoding.UTF8.GetBytes($"{v.Count} {v.Dimension}\n"));
            var row = new byte[4 * v.Dimension];
            for (int i = 0; i < v.Count; i++)
            {
                w.Write(Encoding.UTF8.GetBytes(v.Words[i]));
                w.Write((byte)' ');
                var values = v.Data.Slice(i * v.Dimension, v.Dimension);
                for (int j = 0; j < values.Length; j++) BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(4 * j), values[j]);
                w.Write(row);
                w.Write((byte)'\n');
            }
        });
    }

    /// <summary>Reads word2vec's binary format (a newline after each vector, as word2vec.c writes, or none).</summary>
    public static WordVectors LoadBinary(string path)
    {
        using var stream = new BufferedStream(File.OpenRead(path), 1 << 16);
        var (count, dim) = Header(ReadHeaderLine(stream, path), path);
        long remaining = stream.Length - stream.Position;
        // Each word takes at least one byte, a space and its values: a header promising more cannot be right.
        if ((long)count * (4L * dim + 2) > remaining + 1)
            throw new InvalidDataException($"{path}: the header announces {count} words of dimension {dim} ({(long)count * (4L * dim + 2)} bytes at least), but only {remaining} bytes follow.");
        var words = new List<string>(count);
        var values = new float[(long)count * dim];
        var word = new List<byte>();
        var row = new byte[4 * dim];
        for (int i = 0; i < count; i++)
        {
            word.Clear();
            int b;
            while ((b = stream.ReadByte()) == '\n' || b == '\r') { }
            while (b != ' ' && b != -1)
            {
                if (word.Count == MaxWordBytes) throw new InvalidDataException($"{path}: word {i} is longer than {MaxWordBytes} bytes: not a word2vec binary file, or a corrupt one.");
                word.Add((byte)b);
                b = stream.ReadByte();
            }
            if (b == -1) throw new InvalidDataException($"{path}: the file ends in word {i} of the {count} the header announces.");
            string w;
            try { w = new UTF8Encoding(false, true).GetString(word.ToArray()); }
            catch (DecoderFallbackException) { throw new InvalidDataException($"{path}: word {i} is not valid UTF-8."); }
            if (stream.ReadAtLeast(row, row.Length, throwOnEndOfStream: false) != row.Length)
                throw new InvalidDataException($"{path}: the file ends inside the vector of '{w}' (word {i} of {count}).");
            for (int j = 0; j < dim; j++) values[(long)i * dim + j] = BinaryPrimitives.ReadSingleLittleEndian(row.AsSpan(4 * j));
            words.Add(w);
        }
        int next;
        while ((next = stream.ReadByte()) is '\n' or '\r') { }
        if (next != -1) throw new InvalidDataException($"{path}: data after the {count} words the header announces.");
        return Make(words, values, dim, path);
    }

    /// <summary>Writes the vectors as a safetensors file (tensor "vectors", words in the metadata).</summary>
    public static void SaveSafetensors(WordVectors v, string path)
    {
        ArgumentNullException.ThrowIfNull(v);
        var tensor = Tensor.FromArray(v.Data.ToArray(), v.Count, v.Dimension);
        Safetensors.Save(path, [new("vectors", tensor)], new Dictionary<string, string> { ["format"] = "axon-word-vectors", ["words"] = string.Join('\n', v.Words) });
    }

    /// <summary>Reads vectors written by <see cref="SaveSafetensors"/>.</summary>
    public static WordVectors LoadSafetensors(string path)
    {
        var (tensors, metadata) = Safetensors.Load(path);
        var vectors = tensors.FirstOrDefault(kv => kv.Key == "vectors").Value
            ?? throw new InvalidDataException($"{path}: no tensor named 'vectors' (it has {string.Join(", ", tensors.Select(kv => kv.Key))}).");
        if (vectors.Rank != 2 || vectors.DType != DType.Float32)
            throw new InvalidDataException($"{path}: 'vectors' must be a 2-D float32 tensor, got {vectors.DType.TorchName()} [{string.Join(", ", vectors.GetShape())}].");
        if (!metadata.TryGetValue("words", out var joined)) throw new InvalidDataException($"{path}: no 'words' in the metadata.");
        var words = joined.Length == 0 ? [] : joined.Split('\n');
        if (words.Length != vectors.Shape[0]) throw new InvalidDataException($"{path}: {words.Length} words for {vectors.Shape[0]} vectors.");
        return Make(words, vectors.ToFloatArray(), vectors.Shape[1], path);
    }

    /// <summary>Reads any of the three formats, chosen by the extension: .bin binary, .safetensors, anything else text.</summary>
    public static WordVectors Load(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".bin" => LoadBinary(path),
        ".safetensors" => LoadSafetensors(path),
        _ => LoadText(path),
    };

    /// <summary>Writes the format the extension names (see <see cref="Load"/>).</summary>
    public static void Save(WordVectors v, string path)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".bin": SaveBinary(v, path); break;
            case ".safetensors": SaveSafetensors(v, path); break;
            default: SaveText(v, path); break;
        }
    }

    private static (int Count, int Dim) Header(string? line, string path)
    {
        var parts = line?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int dim) || count <= 0 || dim <= 0)
            throw new InvalidDataException($"{path}: the first line must be \"<word count> <dimension>\" (two positive integers), got '{Shorten(line)}'.");
        return (count, dim);
    }

    private static string ReadHeaderLine(Stream stream, string path)
    {
        var bytes = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) != '\n')
        {
            if (b == -1 || bytes.Count > 64) throw new InvalidDataException($"{path}: no header line \"<word count> <dimension>\".");
            bytes.Add((byte)b);
        }
        return Encoding.ASCII.GetString(bytes.ToArray());
    }

    private static WordVectors Make(IReadOnlyList<string> words, float[] values, int dim, string path)
    {
        try
        {
            return new WordVectors(words, values, dim);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static string Shorten(string? s) => s is null ? "(end of file)" : s.Length <= 40 ? s : s[..40] + "...";
}
