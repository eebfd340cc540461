using System.Text;
using Axon.Data;
using Axon.Models.Training;

namespace Axon.Models.Tests;

/// <summary>The character-level language model: corpus, batching, training, sampling and exact resumption.</summary>
public sealed class CharLmTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-charlm-");

    public void Dispose() => dir.Delete(true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(dir.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void VocabularyIsSortedAndRoundTrips()
    {
        string path = Write("t.txt", Encoding.UTF8.GetBytes("\uFEFFbanana, 𝄞 ça\n"));   // a BOM, a character outside the BMP
        var corpus = TextCorpus.Load(path);
        Assert.Equal(" \n,abnç𝄞".EnumerateRunes().Select(r => r.Value).Order(), corpus.Vocabulary.Text.EnumerateRunes().Select(r => r.Value));
        Assert.Equal("banana, 𝄞 ça\n", corpus.Text);
        Assert.Equal(corpus.Text.EnumerateRunes().Count(), corpus.Length);
        Assert.Equal(corpus.Text, corpus.Vocabulary.Decode(corpus.Ids));
        Assert.Equal(corpus.Vocabulary.Text, CharVocabulary.FromText(corpus.Vocabulary.Text).Text);
        Assert.Equal("ban", TextCorpus.Load(path, limit: 3).Text);
        var e = Assert.Throws<ArgumentException>(() => corpus.Vocabulary.Encode("bax"));
        Assert.Contains("'x' (U+0078)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFileAndInvalidUtf8AreClearErrors()
    {
        string empty = Write("empty.txt", []);
        var e1 = Assert.Throws<InvalidDataException>(() => TextCorpus.Load(empty));
        Assert.Equal($"{empty}: the file is empty; a language model needs a text of at least two characters.", e1.Message);
        Assert.Throws<InvalidDataException>(() => TextCorpus.Load(Write("bom.txt", [0xEF, 0xBB, 0xBF])));

        string bad = Write("bad.txt", [.. "abc"u8, 0xFF, .. "def"u8]);
        var e2 = Assert.Throws<InvalidDataException>(() => TextCorpus.Load(bad));
        Assert.Equal($"{bad}: not valid UTF-8 at byte offset 3 (0xFF); the corpus must be a UTF-8 text file.", e2.Message);

        // Past the first 64 KiB block, and a two-byte character split across the block boundary is still read.
        var bytes = new List<byte>(Enumerable.Repeat((byte)'a', 65535)) { 0xC3, 0xA9 };
        bytes.AddRange(Enumerable.Repeat((byte)'b', 10000));
        Assert.Equal(65535 + 1 + 10000, TextCorpus.Load(Write("long.txt", [.. bytes])).Length);
        bytes.AddRange([0xE2, 0x82]);   // a truncated three-byte character at the end
        var e3 = Assert.Throws<InvalidDataException>(() => TextCorpus.Load(Write("cut.txt", [.. bytes])));
        Assert.Contains("not valid UTF-8 at byte offset 75537 (0xE2)", e3.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => TextCorpus.Load(Path.Combine(dir.FullName, "missing.txt")));
    }

    [Fact]
    public void BatchesAreContiguousStreamsWithShiftedTargets()
    {
        long[] ids = [.. Enumerable.Range(0, 103).Select(i => (long)i)];
        var batches = new BpttBatches(ids, batchSize: 4, seqLen: 7);
        Assert.Equal(4, batches.Streams);
        Assert.Equal(25, batches.StreamLength);            // (103 - 1) / 4
        Assert.Equal(4, batches.Count);                    // 7 + 7 + 7 + 4
        Assert.Equal(4, batches.StepsOf(3));
        var seen = new List<long>[4];
        for (int b = 0; b < 4; b++) seen[b] = [];
        for (int k = 0; k < batches.Count; k++)
        {
            var (input, target, steps) = batches.Chunk(k);
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < 4; b++)
                {
                    Assert.Equal(input[t * 4 + b] + 1, target[t * 4 + b]);   // the next character
                    seen[b].Add(input[t * 4 + b]);
                }
        }
        // Each stream is one contiguous run of the text across the chunks, the streams side by side.
        for (int b = 0; b < 4; b++) Assert.Equal(Enumerable.Range(b * 25, 25).Select(i => (long)i), seen[b]);
        var (x, y) = batches.ChunkTensors(1);
        Assert.Equal([7, 4], x.GetShape());
        Assert.Equal(DType.Int64, y.DType);

        var corpus = TextCorpus.FromText(new string('a', 100));
        var (train, validation) = corpus.Split(0.05);
        Assert.Equal(95, train.Length);
        Assert.Equal(5, validation.Length);
    }

    private static CharLmTrainer Trainer(TextCorpus corpus, CharLmOptions options)
    {
        var generator = new Generator(options.Seed);
        var model = new CharLm(corpus.Vocabulary.Count, options.Cell, options.Hidden, options.Layers, options.Embedding, options.Dropout, generator);
        model.To(Device.CpuWith(new Axon.Backends.CpuOptions { Threads = 1 }));
        var (train, validation) = corpus.Split(options.Validation);
        return new CharLmTrainer(model, corpus.Vocabulary, train, validation, options, generator);
    }

    [Theory]
    [InlineData(CharLmCell.Lstm)]
    [InlineData(CharLmCell.Gru)]
    public void OverfitsATinyRepetitiveText(CharLmCell cell)
    {
        var corpus = TextCorpus.FromText(string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 120)));
        var trainer = Trainer(corpus, new CharLmOptions { Cell = cell, Hidden = 32, Layers = 1, SeqLen = 24, BatchSize = 8, Lr = 0.01, Epochs = 5 });
        CharLmEpochReport last = null!;
        while (!trainer.Done) last = trainer.TrainEpoch();
        double bpc = trainer.Evaluate(corpus.Ids) / Math.Log(2);
        Assert.True(bpc < 0.1, $"bpc {bpc} on the training text (train {last.TrainBpc}, validation {last.ValidationBpc})");
        Assert.Equal(5, trainer.History.Count);
        Assert.True(trainer.History[0].TrainBpc > 1);

        // Sampling: the same seed gives the same text; temperature 0 is the greedy continuation, whatever the seed.
        var model = trainer.Model;
        string a = model.Sample(corpus.Vocabulary, "the ", 50, 0.8, new Generator(3));
        Assert.Equal(a, model.Sample(corpus.Vocabulary, "the ", 50, 0.8, new Generator(3)));
        Assert.Equal(50, a.Length);
        string greedy = model.Sample(corpus.Vocabulary, "the ", 48, 0, new Generator(1));
        Assert.Equal(greedy, model.Sample(corpus.Vocabulary, "the ", 48, 0, new Generator(2)));
        Assert.Equal(greedy, model.Sample(corpus.Vocabulary, "the ", 48, 1e-9, new Generator(4)));
        Assert.Equal(Greedy(model, corpus.Vocabulary, "the ", 48), greedy);
        var e = Assert.Throws<ArgumentException>(() => model.Sample(corpus.Vocabulary, "the dog", 5, 1, new Generator(1)));
        Assert.Contains("The seed text has 2 characters not in the vocabulary", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The arg max, character by character, from the whole prefix each time (no carried state).</summary>
    private static string Greedy(CharLm model, CharVocabulary vocabulary, string seed, int length)
    {
        model.Eval();
        using var noGrad = GradMode.NoGrad();
        string text = seed;
        for (int i = 0; i < length; i++)
        {
            var ids = vocabulary.Encode(text);
            var logits = model.Forward(Tensor.FromArray(ids, ids.Length, 1).To(model.Device)).Select(0, ids.Length - 1).Reshape(-1).ToFloatArray();
            text += vocabulary[Array.IndexOf(logits, logits.Max())];
        }
        model.Train();
        return text[seed.Length..];
    }

    [Fact]
    public void ResumeContinuesBitForBit()
    {
        var corpus = TextCorpus.FromText(string.Concat(Enumerable.Repeat("In the beginning was the Word. ", 40)));
        var options = new CharLmOptions { Hidden = 16, Layers = 2, SeqLen = 10, BatchSize = 4, Dropout = 0.2, Lr = 0.01, Epochs = 2, Seed = 5 };
        var straight = Trainer(corpus, options);
        while (!straight.Done) straight.TrainEpoch();

        // Stopped in the middle of the first epoch by the step limit, then resumed by a fresh trainer with more steps.
        string checkpoint = Path.Combine(dir.FullName, "checkpoint.safetensors");
        var first = Trainer(corpus, options with { Steps = 7 });
        var partial = first.TrainEpoch();
        Assert.False(partial.Complete);
        first.SaveCheckpoint(checkpoint);
        var second = Trainer(corpus, options with { Steps = 7 });
        second.LoadCheckpoint(checkpoint);
        Assert.Equal((0, 7, 7L), (second.Epoch, second.Chunk, second.Steps));
        second.Extend(2, 0);
        while (!second.Done) second.TrainEpoch();

        Assert.Equal(straight.Steps, second.Steps);
        foreach (var ((name, a), (_, b)) in straight.Model.StateDict().Zip(second.Model.StateDict()))
            Assert.True(a.ToFloatArray().SequenceEqual(b.ToFloatArray()), name);
        Assert.Equal(straight.History.Select(h => (h.TrainLoss, h.ValidationLoss)), second.History.Select(h => (h.TrainLoss, h.ValidationLoss)));

        // Another text is refused.
        var other = Trainer(TextCorpus.FromText(string.Concat(Enumerable.Repeat("In the beginning was the Word! ", 40))), options);
        Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(checkpoint));
    }
}
