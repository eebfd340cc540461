using System.Diagnostics;
using Axon.Kernels;

namespace Axon.Models.Word2Vec;

/// <summary>The two word2vec architectures.</summary>
public enum Word2VecModel
{
    /// <summary>Predict each context word from the centre word.</summary>
    Skipgram,

    /// <summary>Predict the centre word from the average of its context.</summary>
    Cbow,
}

/// <summary>
/// word2vec training options, defaults as word2vec.c: dimension 100, window 5, 5 negatives, no hierarchical softmax,
/// minimum count 5, subsampling threshold 1e-3, 5 epochs, learning rate 0.025 (skip-gram) or 0.05 (CBOW).
/// </summary>
public sealed record Word2VecOptions
{
    /// <summary>Skip-gram or CBOW.</summary>
    public Word2VecModel Model { get; init; } = Word2VecModel.Skipgram;

    /// <summary>Vector dimension.</summary>
    public int Dimension { get; init; } = 100;

    /// <summary>The maximum window; each position draws a reduced window b in [0, window) and uses window − b.</summary>
    public int Window { get; init; } = 5;

    /// <summary>Negative samples per prediction (0 disables negative sampling).</summary>
    public int Negative { get; init; } = 5;

    /// <summary>Use hierarchical softmax.</summary>
    public bool HierarchicalSoftmax { get; init; }

    /// <summary>Words occurring fewer times are dropped.</summary>
    public int MinCount { get; init; } = 5;

    /// <summary>Subsampling threshold t (≤ 0 disables).</summary>
    public double Sample { get; init; } = 1e-3;

    /// <summary>Passes over the corpus.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Starting learning rate; null means 0.025 for skip-gram, 0.05 for CBOW.</summary>
    public float? LearningRate { get; init; }

    /// <summary>Training threads (Hogwild: shared vectors, no locks). 1 with a seed is bit-reproducible.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Seed of the initialisation and of every thread's random stream.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The negative-sampling table's size (word2vec.c uses 1e8).</summary>
    public int UnigramTableSize { get; init; } = 10_000_000;

    /// <summary>
    /// The input vectors start uniform in (−InitRange/dim, InitRange/dim): 1 as fastText, 0.5 as word2vec.c and gensim.
    /// The wider start trains CBOW markedly better on small corpora (on the KJV's test sets, 5 epochs: Spearman 0.43
    /// against 0.40, analogies 8.8 % against 7.0 %) and skip-gram as well.
    /// </summary>
    public float InitRange { get; init; } = 1f;

    /// <summary>Average the context vectors for CBOW (word2vec.c's cbow_mean); false sums them.</summary>
    public bool CbowMean { get; init; } = true;

    /// <summary>How often, in processed words, the progress callback is called (from the first thread).</summary>
    public int ProgressInterval { get; init; } = 100_000;

    /// <summary>The learning rate actually used.</summary>
    public float StartingLearningRate => LearningRate ?? (Model == Word2VecModel.Cbow ? 0.05f : 0.025f);

    internal void Validate()
    {
        if (Dimension < 1) throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "The dimension must be positive.");
        if (Window < 1) throw new ArgumentOutOfRangeException(nameof(Window), Window, "The window must be positive.");
        if (Negative < 0) throw new ArgumentOutOfRangeException(nameof(Negative), Negative, "Negative must be ≥ 0.");
        if (Negative == 0 && !HierarchicalSoftmax) throw new ArgumentException("Enable negative sampling (Negative > 0) or hierarchical softmax.");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be positive.");
        if (MinCount < 1) throw new ArgumentOutOfRangeException(nameof(MinCount), MinCount, "The minimum count must be at least 1.");
        if (!(InitRange >= 0) || !float.IsFinite(InitRange)) throw new ArgumentOutOfRangeException(nameof(InitRange), InitRange, "The initialisation range must be finite and ≥ 0.");
        if (!(StartingLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive.");
        KernelThreads.CheckThreads(Threads);
    }
}

/// <summary>A progress report: words processed so far (all epochs, before subsampling), throughput, rate, mean loss.</summary>
public sealed record Word2VecProgress(long WordsProcessed, long TotalWords, double WordsPerSecond, float LearningRate, double AverageLoss)
{
    /// <summary>Fraction done, 0..1.</summary>
    public double Fraction => TotalWords == 0 ? 1 : Math.Min(1.0, WordsProcessed / (double)TotalWords);
}

/// <summary>
/// A corpus encoded as vocabulary indices: out-of-vocabulary tokens dropped, one entry per sentence (line, split
/// into pieces of at most 1000 words as word2vec.c's MAX_SENTENCE_LENGTH).
/// </summary>
public sealed class EncodedCorpus
{
    internal EncodedCorpus(int[] tokens, int[] sentenceStarts)
    {
        Tokens = tokens;
        SentenceStarts = sentenceStarts;
    }

    /// <summary>The word indices, sentences back to back.</summary>
    public int[] Tokens { get; }

    /// <summary>Sentence i spans [SentenceStarts[i], SentenceStarts[i + 1]); the last entry is Tokens.Length.</summary>
    public int[] SentenceStarts { get; }

    /// <summary>The number of sentences.</summary>
    public int SentenceCount => SentenceStarts.Length - 1;

    /// <summary>Encodes sentences with a vocabulary.</summary>
    public static EncodedCorpus Encode(IEnumerable<IReadOnlyList<string>> sentences, Word2VecVocabulary vocabulary, int maxSentence = 1000)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var tokens = new List<int>();
        var starts = new List<int> { 0 };
        foreach (var s in sentences)
        {
            int n = 0;
            foreach (var w in s)
            {
                int i = vocabulary.IndexOf(w);
                if (i < 0) continue;
                tokens.Add(i);
                if (++n == maxSentence)
                {
                    starts.Add(tokens.Count);
                    n = 0;
                }
            }
            if (n > 0) starts.Add(tokens.Count);
        }
        return new EncodedCorpus(tokens.ToArray(), starts.ToArray());
    }
}

/// <summary>
/// word2vec training (the algorithm of word2vec.c): skip-gram or CBOW, negative sampling and/or hierarchical softmax,
/// subsampling of frequent words, a dynamic window, a learning rate decaying linearly to lr·1e-4 over all words of all
/// epochs. Threads each train their own contiguous slice of the (pre-encoded) corpus and update the shared input and
/// output matrices without locks (Hogwild); with one thread the result depends only on the seed.
/// </summary>
public sealed class Word2VecTrainer
{
    private readonly Word2VecOptions options;

    /// <summary>A trainer with the given options.</summary>
    public Word2VecTrainer(Word2VecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <summary>Called with progress reports while training.</summary>
    public Action<Word2VecProgress>? Progress { get; init; }

    /// <summary>The last progress of the last <see cref="Train(IEnumerable{IReadOnlyList{string}})"/> call.</summary>
    public Word2VecProgress? LastProgress { get; private set; }

    /// <summary>Trains on a file (streamed twice: counting, then encoding; gzip and dictzip files read through gzip).</summary>
    public WordVectors TrainFile(string path, CorpusReader? reader = null)
    {
        reader ??= new CorpusReader();
        var vocab = Word2VecVocabulary.Build(reader.ReadFile(path), options.MinCount);
        return Train(EncodedCorpus.Encode(reader.ReadFile(path), vocab), vocab);
    }

    /// <summary>Trains on a sentence sequence (enumerated twice: counting, then encoding).</summary>
    public WordVectors Train(IEnumerable<IReadOnlyList<string>> sentences)
    {
        var vocab = Word2VecVocabulary.Build(sentences, options.MinCount);
        return Train(EncodedCorpus.Encode(sentences, vocab), vocab);
    }

    /// <summary>Trains on an encoded corpus; returns the input vectors, rows in vocabulary order.</summary>
    public WordVectors Train(EncodedCorpus corpus, Word2VecVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var o = options;
        int v = vocabulary.Count, dim = o.Dimension;
        if (corpus.Tokens.Length == 0) throw new InvalidDataException("The corpus has no words of the vocabulary.");

        var state = new State
        {
            Options = o,
            Dim = dim,
            Input = InitInput(v, dim, o.Seed, o.InitRange),
            OutputNeg = o.Negative > 0 ? new float[(long)v * dim] : [],
            OutputHs = o.HierarchicalSoftmax ? new float[(long)Math.Max(1, v - 1) * dim] : [],
            Keep = Word2VecTables.KeepProbabilities(vocabulary.Counts, vocabulary.TotalCount, o.Sample),
            Table = o.Negative > 0 ? Word2VecTables.UnigramTable(vocabulary.Counts, o.UnigramTableSize) : [],
            Paths = o.HierarchicalSoftmax ? Word2VecTables.HuffmanTree(vocabulary.Counts) : [],
            Corpus = corpus,
            TotalWords = (long)o.Epochs * corpus.Tokens.Length,
            StartLr = o.StartingLearningRate,
            LossSum = new double[o.Threads],
            LossCount = new long[o.Threads],
            Clock = Stopwatch.StartNew(),
            Progress = Progress,
        };
        state.Lr = state.StartLr;
        int threads = Math.Min(o.Threads, Math.Max(1, corpus.SentenceCount));
        if (threads == 1) state.Run(0, 1);
        else KernelThreads.For(threads, p => state.Run(p, threads));
        LastProgress = state.Report();
        Progress?.Invoke(LastProgress);
        return new WordVectors(vocabulary.Words, state.Input, dim);
    }

    /// <summary>U(−range/dim, range/dim) from word2vec.c's linear congruential generator (whose range is 0.5).</summary>
    private static float[] InitInput(int v, int dim, ulong seed, float range)
    {
        var w = new float[(long)v * dim];
        ulong r = seed;
        for (long i = 0; i < w.Length; i++)
        {
            r = unchecked(r * 25214903917UL + 11);
            w[i] = (((r & 0xFFFF) / 65536f) - 0.5f) * 2 * range / dim;
        }
        return w;
    }

    private sealed class State
    {
        public required Word2VecOptions Options;
        public required int Dim;
        public required float[] Input, OutputNeg, OutputHs;
        public required double[] Keep;
        public required int[] Table;
        public required HuffmanPath[] Paths;
        public required EncodedCorpus Corpus;
        public required long TotalWords;
        public required float StartLr;
        public required double[] LossSum;
        public required long[] LossCount;
        public required Stopwatch Clock;
        public required Action<Word2VecProgress>? Progress;
        public long Processed;
        public float Lr;

        public Word2VecProgress Report()
        {
            long processed = Interlocked.Read(ref Processed);
            double loss = 0;
            long n = 0;
            for (int i = 0; i < LossSum.Length; i++)
            {
                loss += Volatile.Read(ref LossSum[i]);
                n += Volatile.Read(ref LossCount[i]);
            }
            double seconds = Math.Max(1e-9, Clock.Elapsed.TotalSeconds);
            return new Word2VecProgress(processed, TotalWords, processed / seconds, Volatile.Read(ref Lr), n == 0 ? 0 : loss / n);
        }

        /// <summary>Thread p of n: its sentences are a contiguous slice, the same in every epoch.</summary>
        public void Run(int p, int n)
        {
            var o = Options;
            int dim = Dim;
            int sentences = Corpus.SentenceCount;
            int s0 = (int)((long)sentences * p / n), s1 = (int)((long)sentences * (p + 1) / n);
            var tokens = Corpus.Tokens;
            var starts = Corpus.SentenceStarts;
            var hidden = new float[dim];
            var grad = new float[dim];
            var targets = new int[o.Negative + 1];
            var sentence = new int[1000 + 1];
            ulong random = unchecked(o.Seed + (ulong)p * 0x9E3779B97F4A7C15UL);
            long sinceUpdate = 0, sinceReport = 0;
            bool cbow = o.Model == Word2VecModel.Cbow;
            double lossSum = 0;
            long lossCount = 0;
            float lr = StartLr;
            for (int epoch = 0; epoch < o.Epochs; epoch++)
            {
                for (int s = s0; s < s1; s++)
                {
                    int a0 = starts[s], a1 = starts[s + 1];
                    if (a1 - a0 > sentence.Length) sentence = new int[a1 - a0];
                    // Subsampling, as word2vec.c: drop word w when its keep-probability < a uniform draw.
                    int len = 0;
                    for (int a = a0; a < a1; a++)
                    {
                        int w = tokens[a];
                        random = unchecked(random * 25214903917UL + 11);
                        if (Keep[w] < (random & 0xFFFF) / 65536.0) continue;
                        sentence[len++] = w;
                    }
                    var sent = sentence.AsSpan(0, len);
                    for (int pos = 0; pos < len; pos++)
                    {
                        random = unchecked(random * 25214903917UL + 11);
                        int b = (int)(random % (ulong)o.Window);
                        int word = sent[pos];
                        int lo = Math.Max(0, pos - o.Window + b), hi = Math.Min(len - 1, pos + o.Window - b);
                        if (cbow)
                        {
                            Array.Clear(hidden);
                            int cw = 0;
                            for (int c = lo; c <= hi; c++)
                            {
                                if (c == pos) continue;
                                Word2VecKernels.AddInPlace(hidden, Row(Input, sent[c]));
                                cw++;
                            }
                            if (cw == 0) continue;
                            if (o.CbowMean) Word2VecKernels.ScaleInPlace(hidden, 1f / cw);
                            Array.Clear(grad);
                            lossSum += Predict(hidden, grad, word, targets, ref random, lr);
                            lossCount++;
                            for (int c = lo; c <= hi; c++)
                                if (c != pos) Word2VecKernels.AddInPlace(Row(Input, sent[c]), grad);
                        }
                        else
                        {
                            // word2vec.c's skip-gram: the context word's input vector predicts the centre word.
                            for (int c = lo; c <= hi; c++)
                            {
                                if (c == pos) continue;
                                var input = Row(Input, sent[c]);
                                Array.Clear(grad);
                                lossSum += Predict(input, grad, word, targets, ref random, lr);
                                lossCount++;
                                Word2VecKernels.AddInPlace(input, grad);
                            }
                        }
                    }
                    int words = a1 - a0;
                    sinceUpdate += words;
                    sinceReport += words;
                    if (sinceUpdate >= 10_000 || s == s1 - 1)
                    {
                        long done = Interlocked.Add(ref Processed, sinceUpdate);
                        sinceUpdate = 0;
                        lr = Math.Max(StartLr * 1e-4f, StartLr * (1 - done / (float)(TotalWords + 1)));
                        Volatile.Write(ref LossSum[p], lossSum);
                        Volatile.Write(ref LossCount[p], lossCount);
                        if (p == 0)
                        {
                            Volatile.Write(ref Lr, lr);
                            if (Progress != null && sinceReport >= o.ProgressInterval)
                            {
                                sinceReport = 0;
                                Progress(Report());
                            }
                        }
                    }
                }
            }
        }

        private float Predict(ReadOnlySpan<float> hidden, Span<float> grad, int word, int[] targets, ref ulong random, float lr)
        {
            float loss = 0;
            int dim = Dim;
            if (OutputHs.Length > 0)
            {
                var path = Paths[word];
                loss += Word2VecKernels.HierarchicalSoftmax(hidden, grad, OutputHs, dim, path.Points, path.Codes, lr);
            }
            if (OutputNeg.Length > 0)
            {
                targets[0] = word;
                for (int d = 1; d < targets.Length; d++)
                {
                    random = unchecked(random * 25214903917UL + 11);
                    targets[d] = Table[(int)((random >> 16) % (ulong)Table.Length)];
                }
                loss += Word2VecKernels.NegativeSampling(hidden, grad, OutputNeg, dim, targets, lr);
            }
            return loss;
        }

        private Span<float> Row(float[] m, int i) => m.AsSpan(i * Dim, Dim);
    }
}
