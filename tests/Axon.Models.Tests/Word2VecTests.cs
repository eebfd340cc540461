using System.IO.Compression;
using System.Text;
using Axon.Kernels;
using Axon.Models.Word2Vec;

namespace Axon.Models.Tests;

public class Word2VecTests
{
    private const int Dim = 7;

    private static float[] RandomVector(Random r, int n, double scale = 0.5)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        return v;
    }

    private static double Dot(double[] a, int aOff, double[] b, int bOff, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /// <summary>−log σ(x) in double.</summary>
    private static double NegLogSigmoid(double x) => x > 0 ? Math.Log(1 + Math.Exp(-x)) : -x + Math.Log(1 + Math.Exp(x));

    /// <summary>
    /// The loss of one prediction, a function of all parameters packed as [h (Dim) | output rows (V·Dim)]: for negative
    /// sampling, −log σ(h·v_t0) − Σ_{i≥1, t_i ≠ t0} log σ(−h·v_ti).
    /// </summary>
    private static double NsLoss(double[] p, int[] targets)
    {
        double loss = NegLogSigmoid(Dot(p, 0, p, Dim + targets[0] * Dim, Dim));
        for (int i = 1; i < targets.Length; i++)
            if (targets[i] != targets[0]) loss += NegLogSigmoid(-Dot(p, 0, p, Dim + targets[i] * Dim, Dim));
        return loss;
    }

    /// <summary>Hierarchical softmax: −Σ_d log σ((1 − 2 code_d)·h·v_{point_d}).</summary>
    private static double HsLoss(double[] p, int[] points, byte[] codes)
    {
        double loss = 0;
        for (int d = 0; d < points.Length; d++)
            loss += NegLogSigmoid((1 - 2 * codes[d]) * Dot(p, 0, p, Dim + points[d] * Dim, Dim));
        return loss;
    }

    private static double[] NumericalGradient(Func<double[], double> f, double[] p)
    {
        const double eps = 1e-6;
        var g = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double keep = p[i];
            p[i] = keep + eps;
            double up = f(p);
            p[i] = keep - eps;
            double down = f(p);
            p[i] = keep;
            g[i] = (up - down) / (2 * eps);
        }
        return g;
    }

    /// <summary>
    /// Runs a kernel on (h, outputs), then checks that its changes are one SGD step: the hidden gradient it accumulates
    /// equals −lr·∂L/∂h and every output row moves by −lr·∂L/∂v (rows not in the loss stay put), and that it returns L.
    /// </summary>
    private static void CheckSgdStep(int rows, Func<float[], float[], float[], float, float> kernel, Func<double[], double> loss)
    {
        var r = new Random(42);
        var h = RandomVector(r, Dim);
        var outputs = RandomVector(r, rows * Dim);
        var p = new double[Dim + rows * Dim];
        for (int i = 0; i < Dim; i++) p[i] = h[i];
        for (int i = 0; i < outputs.Length; i++) p[Dim + i] = outputs[i];
        double expectedLoss = loss(p);
        var grad = NumericalGradient(loss, p);

        const float lr = 0.1f;
        var hiddenGrad = new float[Dim];
        var after = (float[])outputs.Clone();
        float got = kernel(h, hiddenGrad, after, lr);

        Assert.Equal(expectedLoss, got, 5);
        for (int i = 0; i < Dim; i++) Assert.Equal(-grad[i], hiddenGrad[i] / lr, 4);
        for (int i = 0; i < outputs.Length; i++) Assert.Equal(-grad[Dim + i], (after[i] - (double)outputs[i]) / lr, 4);
        Assert.True(grad.Skip(Dim).Any(x => Math.Abs(x) > 0.05), "the check must see non-trivial output gradients");
    }

    [Fact]
    public void NegativeSamplingUpdateIsOneSgdStepOnItsLoss()
    {
        // Positive 2, negatives 0, 4, 1 and a repeat of the positive (skipped, as word2vec.c does); row 3 untouched.
        int[] targets = [2, 0, 4, 2, 1];
        CheckSgdStep(5,
            (h, hg, o, lr) => Word2VecKernels.NegativeSampling(h, hg, o, Dim, targets, lr),
            p => NsLoss(p, targets));
    }

    [Fact]
    public void HierarchicalSoftmaxUpdateIsOneSgdStepOnItsLoss()
    {
        // The path of word 3 in the 5-word tree of HuffmanCodesMatchHandCheckedTree: root 3, then 1, then 0; codes 0 0 1.
        int[] points = [3, 1, 0];
        byte[] codes = [0, 0, 1];
        CheckSgdStep(4,
            (h, hg, o, lr) => Word2VecKernels.HierarchicalSoftmax(h, hg, o, Dim, points, codes, lr),
            p => HsLoss(p, points, codes));
    }

    [Fact]
    public void SubsamplingProbabilitiesFollowMikolovsFormula()
    {
        // counts 1000, 100, 10, 1: N = 1111, t = 1e-3, t·N = 1.111; p = (√(f/1.111) + 1)·1.111/f.
        long[] counts = [1000, 100, 10, 1];
        var p = Word2VecTables.KeepProbabilities(counts, 1111, 1e-3);
        Assert.Equal(0.03444266662499792, p[0], 12); // (30.0015 + 1)·0.001111
        Assert.Equal(0.11651398474441085, p[1], 12);
        Assert.Equal(0.4444166662499792, p[2], 12);
        Assert.Equal(2.1650398474441084, p[3], 12); // above 1: always kept
        Assert.Equal(1.0, Word2VecTables.KeepProbability(1000, 1111, 0));
        Assert.Equal(1.0, Word2VecTables.KeepProbability(1000, 1111, -1));
    }

    [Fact]
    public void UnigramTableFrequenciesAreCountsToThePower075()
    {
        long[] counts = [100, 50, 20, 5, 1];
        const int size = 1_000_000;
        var table = Word2VecTables.UnigramTable(counts, size);
        double z = counts.Sum(c => Math.Pow(c, 0.75));
        var hist = new int[counts.Length];
        foreach (int t in table) hist[t]++;
        for (int i = 0; i < counts.Length; i++)
            Assert.InRange(hist[i] / (double)size - Math.Pow(counts[i], 0.75) / z, -3.0 / size, 3.0 / size);
        // Filled in order: non-decreasing indices.
        for (int a = 1; a < size; a++) Assert.True(table[a] >= table[a - 1]);
        Assert.Equal(0.4924, hist[0] / (double)size, 3); // 100^.75 = 31.62 of Σ = 31.62 + 18.80 + 9.46 + 3.34 + 1 = 64.22
    }

    [Fact]
    public void HuffmanCodesMatchHandCheckedTree()
    {
        // Counts 5 4 3 2 1 (words 0..4), as word2vec.c's CreateBinaryTree merges them (second-picked child gets bit 1):
        //   node 5 = {4 (bit 0), 3 (bit 1)} count 3
        //   node 6 = {5 (bit 0), 2 (bit 1)} count 6   (count[2] = 3 is not < count[5] = 3, so node 5 is picked first)
        //   node 7 = {1 (bit 0), 0 (bit 1)} count 9
        //   node 8 = {6 (bit 0), 7 (bit 1)} count 15  root
        // Inner node n is numbered n − 5: root 3, node 7 → 2, node 6 → 1, node 5 → 0. Paths from the root:
        //   word 0: root→7 (1), 7→0 (1): codes 11, points [3, 2]
        //   word 1: root→7 (1), 7→1 (0): codes 10, points [3, 2]
        //   word 2: root→6 (0), 6→2 (1): codes 01, points [3, 1]
        //   word 3: root→6 (0), 6→5 (0), 5→3 (1): codes 001, points [3, 1, 0]
        //   word 4: root→6 (0), 6→5 (0), 5→4 (0): codes 000, points [3, 1, 0]
        var tree = Word2VecTables.HuffmanTree([5, 4, 3, 2, 1]);
        Assert.Equal([(byte)1, 1], tree[0].Codes);
        Assert.Equal([3, 2], tree[0].Points);
        Assert.Equal([(byte)1, 0], tree[1].Codes);
        Assert.Equal([3, 2], tree[1].Points);
        Assert.Equal([(byte)0, 1], tree[2].Codes);
        Assert.Equal([3, 1], tree[2].Points);
        Assert.Equal([(byte)0, 0, 1], tree[3].Codes);
        Assert.Equal([3, 1, 0], tree[3].Points);
        Assert.Equal([(byte)0, 0, 0], tree[4].Codes);
        Assert.Equal([3, 1, 0], tree[4].Points);
        Assert.Empty(Word2VecTables.HuffmanTree([7])[0].Codes);
    }

    [Fact]
    public void TokenizerLowerCasesAndSplitsOnPunctuation()
    {
        var reader = new CorpusReader();
        Assert.Equal(["hello", "world", "it", "s", "2024", "naïve", "café"], reader.Tokenize("Hello, World!  It's 2024.\tNaïve—Café"));
        Assert.Equal(["Hello", "World", "It", "s"], new CorpusReader { LowerCase = false }.Tokenize("Hello, World! It's"));
        var custom = new CorpusReader { Tokenizer = line => line.Split(' ') };
        Assert.Equal(["Hello,", "World!"], custom.Tokenize("Hello, World!"));

        // A gzip stream reads like a plain one; empty and punctuation-only lines are skipped.
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(Encoding.UTF8.GetBytes("The cat sat.\n\n...\nOn the MAT\n"));
        ms.Position = 0;
        using var unzip = new GZipStream(ms, CompressionMode.Decompress);
        var sentences = reader.Read(unzip).ToList();
        Assert.Equal(2, sentences.Count);
        Assert.Equal(["the", "cat", "sat"], sentences[0]);
        Assert.Equal(["on", "the", "mat"], sentences[1]);
    }

    [Fact]
    public void VocabularySortsByCountThenWordAndAppliesMinCount()
    {
        var v = Word2VecVocabulary.Build([["b", "a", "c", "a", "b", "d"], ["c", "a"]], minCount: 2);
        Assert.Equal(["a", "b", "c"], v.Words); // a:3, then b:2 and c:2 ordinally; d:1 dropped
        Assert.Equal([3L, 2, 2], v.Counts);
        Assert.Equal(7, v.TotalCount);
        Assert.Equal(1, v.IndexOf("b"));
        Assert.Equal(-1, v.IndexOf("d"));
    }

    [Fact]
    public void EmptyCorpusAndEmptiedVocabularyAreClearErrors()
    {
        var trainer = new Word2VecTrainer(new Word2VecOptions { MinCount = 1 });
        var empty = Assert.Throws<InvalidDataException>(() => trainer.Train(new CorpusReader().Read(new MemoryStream(Encoding.UTF8.GetBytes(" ... \n\n")))));
        Assert.Contains("corpus is empty", empty.Message, StringComparison.Ordinal);
        var strict = new Word2VecTrainer(new Word2VecOptions { MinCount = 5 });
        var emptied = Assert.Throws<InvalidDataException>(() => strict.Train([["a", "b", "a"]]));
        Assert.Contains("minimum count 5 empties the vocabulary", emptied.Message, StringComparison.Ordinal);
        Assert.Contains("occurs 2 times", emptied.Message, StringComparison.Ordinal);
    }

    /// <summary>Two disjoint topics of 8 words; each sentence draws 15 words from one topic.</summary>
    private static List<IReadOnlyList<string>> TwoTopics(int sentences, int seed = 7)
    {
        var r = new Random(seed);
        var corpus = new List<IReadOnlyList<string>>();
        for (int s = 0; s < sentences; s++)
        {
            char topic = s % 2 == 0 ? 'a' : 'b';
            var line = new List<string>();
            for (int i = 0; i < 15; i++) line.Add($"{topic}{r.Next(8)}");
            corpus.Add(line);
        }
        return corpus;
    }

    private static (double Within, double Across) TopicSimilarity(WordVectors v)
    {
        double within = 0, across = 0;
        int nw = 0, na = 0;
        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                if (i != j)
                {
                    within += v.Similarity($"a{i}", $"a{j}") + v.Similarity($"b{i}", $"b{j}");
                    nw += 2;
                }
                across += v.Similarity($"a{i}", $"b{j}");
                na++;
            }
        }
        return (within / nw, across / na);
    }

    [Theory]
    [InlineData(Word2VecModel.Skipgram, 5, false, 1)]
    [InlineData(Word2VecModel.Cbow, 5, false, 1)]
    [InlineData(Word2VecModel.Skipgram, 0, true, 1)]
    [InlineData(Word2VecModel.Skipgram, 5, false, 2)]
    public void SameTopicWordsEndUpCloserThanCrossTopicWords(Word2VecModel model, int negative, bool hs, int threads)
    {
        var options = new Word2VecOptions
        {
            Model = model,
            Dimension = 16,
            Window = 5,
            Negative = negative,
            HierarchicalSoftmax = hs,
            MinCount = 1,
            Sample = 0,
            Epochs = 3,
            Threads = threads,
            UnigramTableSize = 100_000,
        };
        var vectors = new Word2VecTrainer(options).Train(TwoTopics(600));
        var (within, across) = TopicSimilarity(vectors);
        Assert.True(within > 0.8, $"within-topic cosine {within:F3}");
        Assert.True(within - across > 0.5, $"within {within:F3} vs across {across:F3}");
    }

    [Theory]
    [InlineData(Word2VecModel.Skipgram)]
    [InlineData(Word2VecModel.Cbow)]
    public void OneThreadWithASeedIsBitIdenticalAcrossRuns(Word2VecModel model)
    {
        var options = new Word2VecOptions
        {
            Model = model,
            Dimension = 12,
            Negative = 3,
            HierarchicalSoftmax = true,
            MinCount = 1,
            Sample = 1e-2,
            Epochs = 2,
            Threads = 1,
            Seed = 123,
            UnigramTableSize = 10_000,
        };
        var corpus = TwoTopics(200);
        var first = new Word2VecTrainer(options).Train(corpus).Data.ToArray();
        var second = new Word2VecTrainer(options).Train(corpus).Data.ToArray();
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), second.Select(BitConverter.SingleToInt32Bits));
        var other = new Word2VecTrainer(options with { Seed = 124 }).Train(corpus).Data.ToArray();
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void ProgressReportsWordsRateDecayAndLoss()
    {
        var reports = new List<Word2VecProgress>();
        var options = new Word2VecOptions { Dimension = 8, Negative = 5, MinCount = 1, Sample = 0, Epochs = 4, ProgressInterval = 1000, UnigramTableSize = 10_000 };
        var trainer = new Word2VecTrainer(options) { Progress = reports.Add };
        var corpus = TwoTopics(100); // 1500 words
        var vectors = trainer.Train(corpus);
        Assert.Equal(16, vectors.Words.Count);
        Assert.Equal(0.025f, options.StartingLearningRate);
        Assert.Equal(0.05f, (options with { Model = Word2VecModel.Cbow }).StartingLearningRate);
        Assert.True(reports.Count >= 3);
        var last = trainer.LastProgress!;
        Assert.Equal(4 * 1500, last.WordsProcessed);
        Assert.Equal(1.0, last.Fraction);
        // Linear decay as word2vec.c: lr·(1 − done/(total + 1)), floored at lr·1e-4; after the last word 0.025/6001.
        Assert.Equal(0.025 / 6001, last.LearningRate, 1e-8);
        Assert.True(last.LearningRate >= 0.025e-4);
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].LearningRate <= reports[i - 1].LearningRate);
        // At the start the output vectors are zero, so each prediction costs (1 + 5)·ln 2 ≈ 4.16; training lowers it.
        Assert.InRange(last.AverageLoss, 0.5, 6 * Math.Log(2) - 0.3);
    }

    [Fact]
    public void InputVectorsStartUniformInTheInitRange()
    {
        // A rate too small to move anything: the vectors come back as initialised.
        var options = new Word2VecOptions { Dimension = 20, MinCount = 1, Sample = 0, Epochs = 1, LearningRate = 1e-30f, UnigramTableSize = 1000 };
        var corpus = TwoTopics(50);
        var wide = new Word2VecTrainer(options).Train(corpus).Data.ToArray();
        Assert.All(wide, w => Assert.InRange(Math.Abs(w), 0, 1f / 20));
        Assert.InRange(wide.Max(), 0.9f / 20, 1f / 20);
        Assert.InRange(wide.Min(), -1f / 20, -0.9f / 20);
        Assert.InRange(wide.Average(), -0.005, 0.005);
        // word2vec.c's range is half: the same draws, halved exactly.
        var narrow = new Word2VecTrainer(options with { InitRange = 0.5f }).Train(corpus).Data.ToArray();
        Assert.Equal(wide.Select(w => w / 2), narrow);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Word2VecTrainer(options with { InitRange = -1 }).Train(corpus));
    }
}
