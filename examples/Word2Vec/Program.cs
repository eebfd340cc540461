// Word vectors with word2vec (Mikolov et al., 2013) on the King James Bible. Skip-gram learns, for each word, a vector
// that predicts the words around it: for every (word, context word) pair in a small window it raises the score
// v_word . u_context of the true pair and lowers it for a few random "negative" words drawn from the unigram^0.75
// distribution (negative sampling: a cheap stand-in for a softmax over the whole vocabulary). Words used in similar
// contexts end with similar vectors, so the nearest neighbours by cosine are related words, and differences of vectors
// carry relations (king - man + woman ~ queen). The vectors are scored on the KJV word-similarity test set shipped
// with Axon (Spearman's rho between the cosines and human ratings) and saved in word2vec's binary format.
using System.Diagnostics;
using Axon.Models.Word2Vec;

var options = ParseArgs(args, "--epochs", "--dim", "--window", "--negative", "--threads", "--seed", "--corpus", "--out");
var settings = new Word2VecOptions
{
    Model = Word2VecModel.Skipgram,
    Dimension = Get(options, "--dim", 100),
    Window = Get(options, "--window", 5),             // context words up to 5 positions away (a random smaller window per word)
    Negative = Get(options, "--negative", 5),         // negative samples per true pair
    MinCount = 5,                                     // words seen fewer times are dropped
    Sample = 1e-3,                                    // frequent words ("the", "and") are randomly skipped
    Epochs = Get(options, "--epochs", 5),
    Threads = Get(options, "--threads", Environment.ProcessorCount),   // one thread with a seed gives the same vectors every run
    Seed = Get(options, "--seed", 1UL),
};
string corpus = options.GetValueOrDefault("--corpus") ?? KingJamesBible();   // any UTF-8 text, one sentence per line
if (!File.Exists(corpus)) Exit($"--corpus: there is no file {corpus}");
string output = options.GetValueOrDefault("--out", "kjv-vectors.bin");

var clock = Stopwatch.StartNew();
var trainer = new Word2VecTrainer(settings);
var vectors = trainer.TrainFile(corpus);   // lower-cased words; each line (a verse) is a sentence
Console.WriteLine($"{vectors.Count:N0} words of dimension {vectors.Dimension}, trained in {clock.Elapsed.TotalSeconds:F1} s " +
    $"({settings.Epochs} epochs, {settings.Threads} threads)");

foreach (string word in new[] { "god", "jesus", "king", "water" })
    Console.WriteLine($"{word,-6} -> {string.Join(", ", vectors.Nearest(word, 6).Select(n => $"{n.Word} {n.Similarity:F2}"))}");

// king - man + woman: "man is to king as woman is to ?" (the nearest word to that sum, the three left out)
var answer = vectors.Analogy("king", "man", "woman", 3);
Console.WriteLine($"man : king = woman : {string.Join(", ", answer.Select(n => $"{n.Word} {n.Similarity:F2}"))}");

var similarity = WordVectorEvaluation.Similarity(vectors, WordVectorEvaluation.KjvSimilarity());
var analogies = WordVectorEvaluation.Analogies(vectors, WordVectorEvaluation.KjvAnalogies());
Console.WriteLine($"KJV similarity test: Spearman rho {similarity.Spearman:F3} over {similarity.Scored} of {similarity.Total} pairs");
Console.WriteLine($"KJV analogy test: {analogies[^1].Correct} of {analogies[^1].Total} correct ({analogies[^1].Accuracy:P1})");

WordVectorFiles.Save(vectors, output);    // .bin: word2vec's binary format, which gensim and fastText read
Console.WriteLine($"Saved the vectors to {output}");
Console.WriteLine($"final: similarity rho {similarity.Spearman:F3}; nearest to jesus: {vectors.Nearest("jesus", 1)[0].Word}; " +
    $"analogies {analogies[^1].Accuracy:P1}");
return 0;

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
