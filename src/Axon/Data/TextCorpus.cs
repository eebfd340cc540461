using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Axon.Data;

/// <summary>
/// The characters of a text, sorted by code point, each with its id (its index): the mapping a character-level language
/// model reads and writes. Characters are Unicode scalar values, so a character outside the Basic Multilingual Plane is
/// one symbol, not two UTF-16 halves. <see cref="Text"/> (the characters in order) is what a model saves beside its
/// weights, so that sampling uses the mapping it was trained with.
/// </summary>
public sealed class CharVocabulary
{
    private readonly int[] codePoints;
    private readonly Dictionary<int, int> ids;

    /// <summary>The vocabulary of the distinct characters in <paramref name="codePoints"/> (duplicates are merged; the order is sorted).</summary>
    public CharVocabulary(IEnumerable<int> codePoints)
    {
        ArgumentNullException.ThrowIfNull(codePoints);
        this.codePoints = [.. codePoints.Distinct().Order()];
        foreach (int cp in this.codePoints)
            if (!Rune.IsValid(cp)) throw new ArgumentException($"CharVocabulary: U+{cp:X4} is not a Unicode scalar value.", nameof(codePoints));
        if (this.codePoints.Length == 0) throw new ArgumentException("CharVocabulary: a vocabulary needs at least one character.", nameof(codePoints));
        ids = new Dictionary<int, int>(this.codePoints.Length);
        for (int i = 0; i < this.codePoints.Length; i++) ids[this.codePoints[i]] = i;
    }

    /// <summary>The vocabulary of the characters of <paramref name="text"/>.</summary>
    public static CharVocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new CharVocabulary(text.EnumerateRunes().Select(r => r.Value));
    }

    /// <summary>Number of characters (the model's input and output size).</summary>
    public int Count => codePoints.Length;

    /// <summary>The characters in id order, as one string (what a model saves to rebuild the vocabulary with <see cref="FromText"/>).</summary>
    public string Text => string.Concat(codePoints.Select(cp => new Rune(cp).ToString()));

    /// <summary>The character of id <paramref name="id"/>, as a string (two UTF-16 units outside the BMP).</summary>
    public string this[int id] => new Rune(codePoints[id]).ToString();

    /// <summary>Whether <paramref name="rune"/> is in the vocabulary.</summary>
    public bool Contains(Rune rune) => ids.ContainsKey(rune.Value);

    /// <summary>The id of <paramref name="rune"/>.</summary>
    /// <exception cref="ArgumentException">The character is not in the vocabulary.</exception>
    public int IdOf(Rune rune) => ids.TryGetValue(rune.Value, out int id) ? id
        : throw new ArgumentException($"The character {Describe(rune)} is not in the vocabulary of {Count} characters.", nameof(rune));

    /// <summary>The ids of the characters of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">The text has characters the vocabulary lacks (the message lists them).</exception>
    public long[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var missing = text.EnumerateRunes().Where(r => !ids.ContainsKey(r.Value)).Distinct().ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"The text has {(missing.Count == 1 ? "a character" : $"{missing.Count} characters")} not in the vocabulary of {Count}: " +
                string.Join(", ", missing.Take(10).Select(Describe)) + (missing.Count > 10 ? ", ..." : "") + ".", nameof(text));
        return [.. text.EnumerateRunes().Select(r => (long)ids[r.Value])];
    }

    /// <summary>The text of <paramref name="ids"/>.</summary>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        foreach (long id in ids)
        {
            if (id < 0 || id >= codePoints.Length) throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is outside the vocabulary of {Count} characters.");
            sb.Append(new Rune(codePoints[id]).ToString());
        }
        return sb.ToString();
    }

    /// <summary>'a' (U+0061), or for a control character just its code point.</summary>
    public static string Describe(Rune r) => Rune.IsControl(r) || Rune.IsWhiteSpace(r)
        ? string.Create(CultureInfo.InvariantCulture, $"U+{r.Value:X4}") : string.Create(CultureInfo.InvariantCulture, $"'{r}' (U+{r.Value:X4})");
}

/// <summary>
/// A UTF-8 text file as a character-level corpus: its vocabulary and its characters as ids, split into a training part
/// and a held-out validation tail.
/// <code>
/// var corpus = TextCorpus.Load("kjv.txt");
/// var (train, validation) = corpus.Split(0.05);                  // the last 5 % held out
/// var batches = new BpttBatches(train, batchSize: 64, seqLen: 100);
/// </code>
/// </summary>
public sealed class TextCorpus
{
    private TextCorpus(string source, string text, CharVocabulary vocabulary)
    {
        Source = source;
        Text = text;
        Vocabulary = vocabulary;
        Ids = vocabulary.Encode(text);
    }

    /// <summary>Where the text came from (the file name), for messages.</summary>
    public string Source { get; }

    /// <summary>The text.</summary>
    public string Text { get; }

    /// <summary>The characters of the text, sorted.</summary>
    public CharVocabulary Vocabulary { get; }

    /// <summary>The text as vocabulary ids, one per character.</summary>
    public long[] Ids { get; }

    /// <summary>Number of characters.</summary>
    public int Length => Ids.Length;

    /// <summary>A corpus of <paramref name="text"/> (e.g. for tests); <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">The text is empty.</exception>
    public static TextCorpus FromText(string text, string source = "<text>")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new InvalidDataException($"{source}: the text is empty; a language model needs at least two characters.");
        return new TextCorpus(source, text, CharVocabulary.FromText(text));
    }

    /// <summary>
    /// Reads a UTF-8 text file (a leading byte-order mark is skipped), block by block, strictly: a byte sequence that is
    /// not UTF-8 is an error naming the file and its byte offset, never a replacement character. With
    /// <paramref name="limit"/> &gt; 0 only the first <paramref name="limit"/> characters are read (quick runs).
    /// <paramref name="vocabulary"/> fixes the mapping (a resumed run's); by default it is the text's own.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, or is not valid UTF-8, or has characters <paramref name="vocabulary"/> lacks.</exception>
    public static TextCorpus Load(string path, long limit = 0, CharVocabulary? vocabulary = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        string text = ReadUtf8(path, limit);
        if (text.Length == 0) throw new InvalidDataException($"{path}: the file is empty; a language model needs a text of at least two characters.");
        if (vocabulary is null) return new TextCorpus(path, text, CharVocabulary.FromText(text));
        try
        {
            return new TextCorpus(path, text, vocabulary);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message.Replace(" (Parameter 'text')", "", StringComparison.Ordinal)} The model was trained on another text.", e);
        }
    }

    /// <summary>Decodes the file strictly, in blocks; stops after <paramref name="limit"/> characters when positive.</summary>
    private static string ReadUtf8(string path, long limit)
    {
        const int BlockSize = 1 << 16;
        var sb = new StringBuilder();
        byte[] bytes = ArrayPool<byte>.Shared.Rent(BlockSize + 4);
        char[] chars = ArrayPool<char>.Shared.Rent(BlockSize + 4);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            long consumed = 0;   // bytes of the file decoded so far
            long runes = 0;
            int pending = 0;     // undecoded bytes carried into the next block (an incomplete sequence)
            bool first = true;
            while (true)
            {
                int read = stream.Read(bytes, pending, BlockSize);
                int available = pending + read;
                bool final = read == 0;
                int start = 0;
                if (first && available >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) start = 3;
                if (first && (available >= 3 || final)) first = false;
                if (first && !final) { pending = available; continue; }
                var status = Utf8.ToUtf16(bytes.AsSpan(start, available - start), chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false, isFinalBlock: final);
                if (status == OperationStatus.InvalidData || (final && status == OperationStatus.NeedMoreData))
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"{path}: not valid UTF-8 at byte offset {consumed + start + bytesRead} (0x{bytes[start + bytesRead]:X2}); the corpus must be a UTF-8 text file."));
                // Append whole characters, stopping at the limit (a surrogate pair counts once).
                int take = charsWritten;
                if (limit > 0)
                {
                    take = 0;
                    while (take < charsWritten && runes < limit)
                    {
                        take += char.IsHighSurrogate(chars[take]) && take + 1 < charsWritten ? 2 : 1;
                        runes++;
                    }
                }
                sb.Append(chars, 0, take);
                if (limit > 0 && runes >= limit) break;
                consumed += start + bytesRead;
                pending = available - start - bytesRead;
                if (final) break;
                Buffer.BlockCopy(bytes, start + bytesRead, bytes, 0, pending);
            }
            return sb.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>
    /// The ids split into a training head and a validation tail of <paramref name="validationFraction"/> of the characters
    /// (at least 2 each, so that each part has an input and its next-character target).
    /// </summary>
    /// <exception cref="InvalidDataException">The text is too short to split.</exception>
    public (long[] Train, long[] Validation) Split(double validationFraction = 0.05)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "validationFraction must be in (0, 1).");
        int held = Math.Max(2, (int)Math.Round(Length * validationFraction));
        if (Length - held < 2)
            throw new InvalidDataException($"{Source}: {Length} characters are too few to hold out a validation part; give a longer text.");
        return (Ids[..(Length - held)], Ids[(Length - held)..]);
    }
}

/// <summary>
/// Batches for truncated back-propagation through time, as PyTorch's word-language-model example: the ids are cut into
/// <see cref="Streams"/> contiguous streams of equal length (the tail that does not divide is dropped), side by side in
/// the batch; chunk k holds steps [k·seqLen, (k+1)·seqLen) of every stream (the last chunk may be shorter), so that a
/// recurrent state carried from chunk k to chunk k + 1 continues each stream where it stopped. The targets are the
/// inputs shifted by one character.
/// </summary>
public sealed class BpttBatches
{
    private readonly long[] ids;

    /// <summary>Lays out <paramref name="ids"/> as up to <paramref name="batchSize"/> streams (fewer when the text is shorter) in chunks of <paramref name="seqLen"/> steps.</summary>
    public BpttBatches(long[] ids, int batchSize, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(seqLen, 1);
        if (ids.Length < 2) throw new ArgumentException($"BpttBatches: {ids.Length} characters are too few (an input needs its next character).", nameof(ids));
        this.ids = ids;
        Streams = Math.Min(batchSize, ids.Length - 1);
        StreamLength = (ids.Length - 1) / Streams;
        SeqLen = seqLen;
    }

    /// <summary>Number of parallel streams (the batch size).</summary>
    public int Streams { get; }

    /// <summary>Input characters per stream.</summary>
    public int StreamLength { get; }

    /// <summary>Steps per chunk (the last may have fewer).</summary>
    public int SeqLen { get; }

    /// <summary>Number of chunks in one pass (an epoch).</summary>
    public int Count => (StreamLength + SeqLen - 1) / SeqLen;

    /// <summary>Characters predicted in one pass: <see cref="Streams"/> × <see cref="StreamLength"/>.</summary>
    public long Characters => (long)Streams * StreamLength;

    /// <summary>The number of steps of chunk <paramref name="index"/>.</summary>
    public int StepsOf(int index) => Math.Min(SeqLen, StreamLength - index * SeqLen);

    /// <summary>
    /// Chunk <paramref name="index"/> as int64 ids, time-major: input [T, B] and target [T, B], target[t, b] being the
    /// character after input[t, b] (stream b's character at step index·seqLen + t).
    /// </summary>
    public (long[] Input, long[] Target, int Steps) Chunk(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int steps = StepsOf(index), b = Streams;
        var input = new long[steps * b];
        var target = new long[steps * b];
        for (int t = 0; t < steps; t++)
            for (int s = 0; s < b; s++)
            {
                long at = (long)s * StreamLength + (long)index * SeqLen + t;
                input[t * b + s] = ids[at];
                target[t * b + s] = ids[at + 1];
            }
        return (input, target, steps);
    }

    /// <summary>Chunk <paramref name="index"/> as tensors: input and target [T, B] int64.</summary>
    public (Tensor Input, Tensor Target) ChunkTensors(int index)
    {
        var (input, target, steps) = Chunk(index);
        return (Tensor.FromArray(input, steps, Streams), Tensor.FromArray(target, steps, Streams));
    }
}
