// A character-level language model (Karpathy's char-rnn) on the King James Bible: an LSTM reads the text one
// character at a time and predicts the next. Its memory cell, with gates that decide what to keep, forget and show,
// carries information over many steps without the gradient vanishing as in a plain recurrent net. Training uses
// truncated back-propagation through time: the text runs as parallel streams cut into chunks; the state is carried
// from chunk to chunk, but the gradient stops at the chunk's start (Detach). The score is bits per character on
// held-out text (log2 of the vocabulary, about 6.2, for a uniform guess); then the model writes some text.
using System.Diagnostics;
using Axon;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

var options = ParseArgs(args, "--epochs", "--steps", "--limit", "--hidden", "--seq-len", "--batch", "--seed", "--corpus", "--out");
int epochs = Get(options, "--epochs", 3);
int maxSteps = Get(options, "--steps", 0);        // stop after this many steps in all (0: run every epoch to its end)
int limit = Get(options, "--limit", 0);           // use the first N characters of the text (0: all 4.3 million)
int hidden = Get(options, "--hidden", 256);
int seqLen = Get(options, "--seq-len", 100);
int batch = Get(options, "--batch", 64);
long seed = Get(options, "--seed", 0L);
string output = options.GetValueOrDefault("--out", "char-lstm.safetensors");

string path = options.GetValueOrDefault("--corpus") ?? KingJamesBible();   // any UTF-8 text will do
if (!File.Exists(path)) Exit($"--corpus: there is no file {path}");
var corpus = TextCorpus.Load(path, limit);
var vocabulary = corpus.Vocabulary;
var (trainIds, validationIds) = corpus.Split(0.05);   // the last 5 % is held out
Console.WriteLine($"{corpus.Length:N0} characters, {vocabulary.Count} distinct; {trainIds.Length:N0} for training");

var model = new CharLstm(vocabulary.Count, embedding: 64, hidden, layers: 2, new Generator(seed));
var optimizer = new Adam(model.Parameters(), lr: 2e-3);
var batches = new BpttBatches(trainIds, batch, seqLen);             // the training text as `batch` parallel streams
var validation = new BpttBatches(validationIds, 32, seqLen);
double bpc = Pass(model, validation);
Console.WriteLine($"before training: validation {bpc:F3} bits per character");
int steps = 0, stepLimit = maxSteps > 0 ? maxSteps : int.MaxValue;
for (int epoch = 1; epoch <= epochs && steps < stepLimit; epoch++)
{
    var clock = Stopwatch.StartNew();
    int chunks = Math.Min(batches.Count, stepLimit - steps);
    double train = Pass(model, batches, optimizer, chunks);
    steps += chunks;
    bpc = Pass(model, validation);
    Console.WriteLine($"epoch {epoch}: {chunks} steps, train {train:F3} bits per character, validation {bpc:F3} " +
        $"({chunks * (double)batches.Streams * seqLen / clock.Elapsed.TotalSeconds:N0} characters/s)");
}

Console.WriteLine("In the beginning" + Sample(model, vocabulary, "In the beginning", 300, temperature: 0.8, new Generator(seed + 1)));
model.Save(output);
Console.WriteLine($"Saved the weights to {output}");
Console.WriteLine($"final: validation {bpc:F3} bits per character after {steps} steps (uniform guess {Math.Log2(vocabulary.Count):F3})");
return 0;

// One pass over the first `chunks` chunks in order, each epoch from a zero state carried from chunk to chunk. With an
// optimiser it trains (a step per chunk); without, it only scores. Returns the mean -log2 p(next character).
static double Pass(CharLstm model, BpttBatches batches, Optimizer? optimizer = null, int chunks = int.MaxValue)
{
    model.Train(optimizer is not null);
    using var noGrad = optimizer is null ? GradMode.NoGrad() : null;
    LstmState? carry = null;
    double nats = 0, count = 0;
    for (int k = 0; k < Math.Min(chunks, batches.Count); k++)
    {
        using var scope = new TensorScope();                      // the step's tensors go back to the buffer pool
        var (input, target) = batches.ChunkTensors(k);            // [T, B] ids; the target is the next character
        var (logits, state) = model.Forward((input, carry));
        var loss = Functional.CrossEntropy(logits.Reshape(-1, logits.Size(2)), target.Reshape(-1));
        if (optimizer is not null)
        {
            optimizer.ZeroGrad();
            loss.Backward();
            Utils.ClipGradNorm(model.Parameters(), maxNorm: 5);  // keeps a rare exploding gradient in check
            optimizer.Step();
        }
        // The state's values go on to the next chunk, out of this step's scope; Detach cuts the graph, so the gradient
        // of the next chunk stops there (truncated BPTT).
        carry = new LstmState(scope.Keep(state.H.Detach()), scope.Keep(state.C.Detach()));
        (nats, count) = (nats + loss.Item() * target.NumEl, count + target.NumEl);
    }
    return nats / count / Math.Log(2);
}

// Feeds the prompt, then draws each next character from softmax(logits / temperature) and feeds it back.
static string Sample(CharLstm model, CharVocabulary vocabulary, string prompt, int length, double temperature, Generator generator)
{
    model.Eval();
    using var noGrad = GradMode.NoGrad();
    var ids = vocabulary.Encode(prompt);
    var (logits, state) = model.Forward((Tensor.FromArray(ids, ids.Length, 1), null));
    var text = new System.Text.StringBuilder();
    for (int i = 0; i < length; i++)
    {
        var p = (logits.Select(0, logits.Size(0) - 1).Reshape(-1) / temperature).Softmax(0).ToFloatArray();
        double u = generator.NextDouble(), sum = 0;
        int next = 0;
        while (next < p.Length - 1 && (sum += p[next]) < u) next++;
        text.Append(vocabulary[next]);
        (logits, state) = model.Forward((Tensor.FromArray(new long[] { next }, 1, 1), state));
    }
    return text.ToString();
}

// The Debian package bible-kjv-text holds the text compressed; only bible-kjv's reader, /usr/bin/bible, prints it.
// The plain text is kept where the axon command line keeps it, ~/.cache/axon/kjv.txt (or under $XDG_CACHE_HOME).
static string KingJamesBible()
{
    string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
    string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
    string cache = Path.Combine(root, "axon", "kjv.txt");
    if (File.Exists(cache) && new FileInfo(cache).Length > 0) return cache;
    if (!File.Exists("/usr/bin/bible") || !File.Exists("/usr/lib/bible.data"))
        Exit("the King James Bible is not installed: `sudo apt-get install bible-kjv-text bible-kjv`, or pass --corpus FILE");
    var start = new ProcessStartInfo("/usr/bin/bible", "-l1000000 gen1:1-rev22:21") { RedirectStandardOutput = true, StandardOutputEncoding = System.Text.Encoding.UTF8 };
    using var process = Process.Start(start)!;
    string text = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0 || text.Length < 1_000_000) Exit("/usr/bin/bible did not print the King James Bible; pass --corpus FILE");
    Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
    File.WriteAllText(cache, text.TrimStart('\n'));
    return cache;
}

// --name value pairs with defaults; an unknown option or a bad value stops with a message.
static Dictionary<string, string> ParseArgs(string[] args, params string[] known)
{
    var values = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i += 2)
    {
        if (!known.Contains(args[i])) Exit($"unknown option '{args[i]}'; the options are {string.Join(", ", known)}");
        if (i + 1 == args.Length) Exit($"{args[i]} needs a value");
        values[args[i]] = args[i + 1];
    }
    return values;
}

static T Get<T>(Dictionary<string, string> options, string name, T fallback) where T : IParsable<T>
{
    if (!options.TryGetValue(name, out var text)) return fallback;
    if (!T.TryParse(text, null, out var value)) Exit($"{name}: '{text}' is not a valid {typeof(T).Name}");
    return value;
}

[System.Diagnostics.CodeAnalysis.DoesNotReturn]
static void Exit(string message)
{
    Console.Error.WriteLine($"error: {message}");
    Environment.Exit(2);
}

/// <summary>Characters in, next-character logits out: an embedding, a stacked LSTM and a linear layer, time-major [T, B].</summary>
sealed class CharLstm : Module<(Tensor Ids, LstmState? State), (Tensor Logits, LstmState State)>
{
    private readonly Embedding embedding;
    private readonly LSTM lstm;
    private readonly Linear decoder;

    public CharLstm(int vocabulary, int embedding, int hidden, int layers, Generator generator)
    {
        this.embedding = RegisterModule("embedding", new Embedding(vocabulary, embedding, generator: generator));
        lstm = RegisterModule("lstm", new LSTM(embedding, hidden, layers, generator: generator));
        decoder = RegisterModule("decoder", new Linear(hidden, vocabulary, generator: generator));
    }

    public override (Tensor Logits, LstmState State) Forward((Tensor Ids, LstmState? State) input)
    {
        var (output, state) = lstm.Forward(embedding.Call(input.Ids), input.State);   // [T, B, hidden]
        return (decoder.Call(output), state);                                          // [T, B, vocabulary]
    }
}
