using System.Text;

namespace Axon.Models.Word2Vec;

/// <summary>
/// Streams a UTF-8 text corpus line by line (never loaded whole) and splits each line into tokens. Each line is one
/// sentence: training windows do not cross line ends. The default tokenizer lower-cases (unless
/// <see cref="LowerCase"/> is false) and splits on whitespace and punctuation (every character that is not a letter,
/// a digit or an inner apostrophe/hyphen-free word character ends a token); a custom <see cref="Tokenizer"/> replaces it.
/// </summary>
public sealed class CorpusReader
{
    /// <summary>Lower-case tokens (invariant culture). Ignored when a custom <see cref="Tokenizer"/> is set.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>A custom tokenizer for one line; when set it replaces the default split and case folding.</summary>
    public Func<string, IEnumerable<string>>? Tokenizer { get; init; }

    /// <summary>Tokens of one line with this reader's settings.</summary>
    public IEnumerable<string> Tokenize(string line) => Tokenizer is { } t ? t(line) : DefaultTokens(line, LowerCase);

    /// <summary>
    /// The sentences (token lists, empty lines skipped) of a file; a gzip file (recognised by its first two bytes, so
    /// dictzip's <c>.dz</c> too) is read through gzip.
    /// </summary>
    public IEnumerable<List<string>> ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Iterate();

        IEnumerable<List<string>> Iterate()
        {
            using var file = File.OpenRead(path);
            bool gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
            file.Position = 0;
            using Stream s = gzip ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : file;
            foreach (var sentence in Read(s)) yield return sentence;
        }
    }

    /// <summary>The sentences of a UTF-8 stream (any stream: a file, a gzip stream, memory), read lazily.</summary>
    public IEnumerable<List<string>> Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            var tokens = new List<string>();
            foreach (var t in Tokenize(line))
                if (t.Length > 0) tokens.Add(t);
            if (tokens.Count > 0) yield return tokens;
        }
    }

    /// <summary>The default split: maximal runs of letters, digits and marks; everything else separates.</summary>
    public static IEnumerable<string> DefaultTokens(string line, bool lowerCase)
    {
        ArgumentNullException.ThrowIfNull(line);
        var sb = new StringBuilder();
        foreach (char c in line)
        {
            if (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark
                    or System.Globalization.UnicodeCategory.SpacingCombiningMark || char.IsSurrogate(c))
            {
                sb.Append(lowerCase ? char.ToLowerInvariant(c) : c);
            }
            else if (sb.Length > 0)
            {
                yield return sb.ToString();
                sb.Clear();
            }
        }
        if (sb.Length > 0) yield return sb.ToString();
    }
}
