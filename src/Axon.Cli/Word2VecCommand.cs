using System.CommandLine;
using System.Globalization;
using Axon.Models.Word2Vec;
using ScottPlot;

namespace Axon.Cli;

/// <summary>
/// <c>axon word2vec neighbours|analogy|similarity|plot</c>: queries on word vectors read from a word2vec text (.txt,
/// .vec), binary (.bin) or safetensors file, as the original tool's <c>distance</c> and <c>word-analogy</c> programs
/// answer them, and the 2-D PCA picture of chosen words.
/// </summary>
internal static class Word2VecCommand
{

    public static Command Create() => new("word2vec", "Word vectors: nearest neighbours, analogies, similarities and a PCA picture, from a word2vec text, binary or safetensors file.")
    {
        Train(),
        Neighbours(),
        Analogy(),
        Similarity(),
        Plot(),
        Evaluate(),
        Tokenize(),
    };

    private static Command Train()
    {
        var defaults = new Word2VecOptions();
        var corpus = new Option<string>("--corpus") { Description = "The text to train on: kjv (the King James Bible), gcide (the GCIDE dictionary, about 5.4 million words) or a UTF-8 file (gzip read as such); the Debian packages install when missing.", DefaultValueFactory = _ => "kjv" }
            .Require(v => v.Trim().Length > 0, "must name a corpus or a file");
        var model = new Option<string>("--model") { Description = "skipgram (predict the context from the word) or cbow (the word from its context).", DefaultValueFactory = _ => "skipgram" }.OneOf(["skipgram", "cbow"], "model");
        var dim = new Option<int>("--dim") { Description = "Size of the vectors.", DefaultValueFactory = _ => defaults.Dimension }.Require(v => v >= 1, "must be at least 1");
        var window = new Option<int>("--window") { Description = "Largest distance between the word and a context word (each position draws a smaller one).", DefaultValueFactory = _ => defaults.Window }.Require(v => v >= 1, "must be at least 1");
        var negative = new Option<int>("--negative") { Description = "Negative samples per prediction (0: none).", DefaultValueFactory = _ => defaults.Negative }.Require(v => v >= 0, "must be non-negative");
        var hs = new Option<bool>("--hs") { Description = "Hierarchical softmax over the Huffman tree (with --negative 0 alone, or both)." };
        var minCount = new Option<int>("--min-count") { Description = "Drop words seen fewer times.", DefaultValueFactory = _ => defaults.MinCount }.Require(v => v >= 1, "must be at least 1");
        var sample = new Option<double>("--sample") { Description = "Subsampling threshold t of frequent words (0: off).", DefaultValueFactory = _ => defaults.Sample }.Require(v => v >= 0 && double.IsFinite(v), "must be non-negative");
        var epochs = new Option<int>("--epochs") { Description = "Passes over the corpus.", DefaultValueFactory = _ => defaults.Epochs }.Require(v => v >= 1, "must be at least 1");
        var lr = new Option<double?>("--lr") { Description = "Starting learning rate, decaying linearly (default 0.025 for skipgram, 0.05 for cbow)." }.Require(v => v is null or > 0, "must be greater than 0");
        var threads = new Option<int>("--threads") { Description = "Threads updating the shared vectors without locks (1 with a seed: the same vectors on every run).", DefaultValueFactory = _ => 2 }
            .Require(v => v >= 1, "must be at least 1");
        var initRange = new Option<float>("--init-range") { Description = "Input vectors start uniform in (-r/dim, r/dim): 1 as fastText, 0.5 as word2vec.c.", DefaultValueFactory = _ => defaults.InitRange }
            .Require(v => v >= 0 && float.IsFinite(v), "must be finite and non-negative");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialisation, the windows and the samples.", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<string>("--out") { Description = "The vectors file: .bin (word2vec binary), .safetensors, or text (.txt, .vec).", DefaultValueFactory = _ => Path.Combine("runs", "word2vec", "vectors.bin") }
            .Require(v => v.Trim().Length > 0, "must name a file");
        var command = new Command("train", "Train word vectors with word2vec's skip-gram or CBOW (negative sampling and/or hierarchical softmax).")
        {
            corpus, model, dim, window, negative, hs, minCount, sample, epochs, lr, threads, initRange, seed, output,
        };
        command.Validators.Add(r =>
        {
            if (r.ValueOr(negative, defaults.Negative) == 0 && !r.ValueOr(hs, false)) r.AddError("--negative 0 needs --hs: there would be no objective to train");
        });
        command.SetAction(p => Run(p, () =>
        {
            string path = ResolveCorpus(p.GetValue(corpus)!);
            var options = new Word2VecOptions
            {
                Model = p.GetValue(model) == "cbow" ? Word2VecModel.Cbow : Word2VecModel.Skipgram,
                Dimension = p.GetValue(dim),
                Window = p.GetValue(window),
                Negative = p.GetValue(negative),
                HierarchicalSoftmax = p.GetValue(hs),
                MinCount = p.GetValue(minCount),
                Sample = p.GetValue(sample),
                Epochs = p.GetValue(epochs),
                LearningRate = (float?)p.GetValue(lr),
                Threads = p.GetValue(threads),
                InitRange = p.GetValue(initRange),
                Seed = p.GetValue(seed),
            };
            var o = p.InvocationConfiguration.Output;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"word2vec {p.GetValue(model)} on {path}: dim {options.Dimension}, window {options.Window}, negative {options.Negative}{(options.HierarchicalSoftmax ? ", hs" : "")}, min-count {options.MinCount}, sample {options.Sample:G}, {options.Epochs} epochs, lr {options.StartingLearningRate:G}, {options.Threads} thread{(options.Threads == 1 ? "" : "s")}, seed {options.Seed}."));
            var due = Cli.PlainProgressDue();
            var trainer = new Word2VecTrainer(options)
            {
                Progress = q =>
                {
                    if (due()) o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100 * q.Fraction,5:F1} %  {q.WordsProcessed:N0} words  {q.WordsPerSecond:N0} words/s  lr {q.LearningRate:F6}  loss {q.AverageLoss:F4}"));
                },
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var vectors = trainer.TrainFile(path);
            string file = p.GetValue(output)!;
            string? dir = Path.GetDirectoryName(Path.GetFullPath(file));
            if (dir is not null) Directory.CreateDirectory(dir);
            WordVectorFiles.Save(vectors, file);
            var last = trainer.LastProgress;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{vectors.Count:N0} words of dimension {vectors.Dimension} in {clock.Elapsed.TotalSeconds:F1} s ({last?.WordsPerSecond ?? 0:N0} words/s, final loss {last?.AverageLoss ?? double.NaN:F4}); wrote {file}."));
            return 0;
        }));
        return command;
    }

    private static Option<string> VectorsOption() => new Option<string>("--vectors") { Description = "Word vectors: word2vec text (.txt, .vec), binary (.bin) or .safetensors.", Required = true }
        .Require(v => v.Trim().Length > 0, "must name a file");

    private static Option<int> TopOption(int fallback) => new Option<int>("-k") { Description = "How many words to list.", DefaultValueFactory = _ => fallback }.Require(v => v >= 1, "must be at least 1");

    private static Command Neighbours()
    {
        var vectors = VectorsOption();
        var k = TopOption(10);
        var words = new Argument<string[]>("words") { Description = "Words whose nearest neighbours (by cosine) to list.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("neighbours", "The nearest neighbours of words by cosine similarity.") { vectors, k, words };
        command.SetAction(p => Run(p, () =>
        {
            var v = WordVectorFiles.Load(p.GetValue(vectors)!);
            foreach (var word in p.GetValue(words)!)
                Show(p, $"nearest to {word}", v.Nearest(word, p.GetValue(k)));
            return 0;
        }));
        return command;
    }

    private static Command Analogy()
    {
        var vectors = VectorsOption();
        var k = TopOption(5);
        var words = new Argument<string[]>("a b c") { Description = "Three words: the answer is to c what a is to b (the words nearest to a − b + c).", Arity = new ArgumentArity(3, 3) };
        var command = new Command("analogy", "Analogies a : b :: c : ? by 3CosAdd (king man woman -> queen).") { vectors, k, words };
        command.SetAction(p => Run(p, () =>
        {
            var v = WordVectorFiles.Load(p.GetValue(vectors)!);
            var w = p.GetValue(words)!;
            Show(p, $"{w[0]} - {w[1]} + {w[2]}", v.Analogy(w[0], w[1], w[2], p.GetValue(k)));
            return 0;
        }));
        return command;
    }

    private static Command Similarity()
    {
        var vectors = VectorsOption();
        var words = new Argument<string[]>("a b") { Description = "Two words.", Arity = new ArgumentArity(2, 2) };
        var command = new Command("similarity", "The cosine similarity of two words.") { vectors, words };
        command.SetAction(p => Run(p, () =>
        {
            var v = WordVectorFiles.Load(p.GetValue(vectors)!);
            var w = p.GetValue(words)!;
            p.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{w[0]} {w[1]} {v.Similarity(w[0], w[1]):F4}"));
            return 0;
        }));
        return command;
    }

    private static Command Plot()
    {
        var vectors = VectorsOption();
        var words = new Option<string?>("--words") { Description = "Comma-separated words to draw (default: the --top most frequent)." };
        var top = new Option<int>("--top") { Description = "Without --words: how many of the first (most frequent) words to draw.", DefaultValueFactory = _ => 40 }.Require(v => v >= 2, "must be at least 2");
        var output = new Option<string>("--out") { Description = "The PNG to write.", DefaultValueFactory = _ => "word2vec-pca.png" }.Require(v => v.Trim().Length > 0, "must name a file");
        var command = new Command("plot", "A 2-D PCA projection of chosen words' vectors, as a PNG.") { vectors, words, top, output };
        command.SetAction(p => Run(p, () =>
        {
            var v = WordVectorFiles.Load(p.GetValue(vectors)!);
            var chosen = p.GetValue(words) is { } list
                ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : v.Words.Take(p.GetValue(top)).ToArray();
            var (points, explained) = Projection.Pca2(v, chosen);
            string path = p.GetValue(output)!;
            Draw(path, chosen, points, explained);
            p.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {path}: {chosen.Length} words; the two components explain {100 * explained[0]:F1} % and {100 * explained[1]:F1} % of their variance."));
            return 0;
        }));
        return command;
    }

    private static Command Evaluate()
    {
        var vectors = VectorsOption();
        var similarity = new Option<string>("--similarity") { Description = "Rated word pairs (\"word word rating\" lines), or kjv: the 232 pairs written for the King James Bible.", DefaultValueFactory = _ => "kjv" };
        var analogies = new Option<string>("--analogies") { Description = "Analogies in word2vec's questions-words format, or kjv: the 1,158 written for the King James Bible.", DefaultValueFactory = _ => "kjv" };
        var maxVocab = new Option<int>("--max-vocabulary") { Description = "Answer analogies among the most frequent words only (word2vec's tool uses 30000); 0: all.", DefaultValueFactory = _ => 0 }
            .Require(v => v >= 0, "must be non-negative");
        var json = new Option<string?>("--json") { Description = "Also write the scores to this JSON file." };
        var command = new Command("evaluate", "Score word vectors: Spearman's rho on rated word pairs, and analogy accuracy (3CosAdd) per category.")
        {
            vectors, similarity, analogies, maxVocab, json,
        };
        command.SetAction(p => Run(p, () =>
        {
            string file = p.GetValue(vectors)!;
            var v = WordVectorFiles.Load(file);
            string simName = p.GetValue(similarity)!, anaName = p.GetValue(analogies)!;
            var pairs = simName == "kjv" ? WordVectorEvaluation.KjvSimilarity() : WordVectorEvaluation.ReadSimilarity(simName);
            var questions = anaName == "kjv" ? WordVectorEvaluation.KjvAnalogies() : WordVectorEvaluation.ReadAnalogies(anaName);
            var sim = WordVectorEvaluation.Similarity(v, pairs);
            int max = p.GetValue(maxVocab);
            var ana = WordVectorEvaluation.Analogies(v, questions, max == 0 ? int.MaxValue : max);
            var o = p.InvocationConfiguration.Output;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {v.Count:N0} words of dimension {v.Dimension}."));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"similarity ({simName}): Spearman rho {sim.Spearman:F4} on {sim.Scored} of {sim.Total} pairs"));
            o.WriteLine($"analogies ({anaName}):");
            int width = ana.Max(a => a.Category.Length);
            foreach (var a in ana)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {a.Category.PadRight(width)}  {100 * a.Accuracy,6:F2} %  ({a.Correct} of {a.Total}; {a.Answerable} answerable)"));
            if (p.GetValue(json) is { } jsonPath)
            {
                var doc = new Dictionary<string, object?>
                {
                    ["vectors"] = file,
                    ["words"] = v.Count,
                    ["similarity"] = new Dictionary<string, object> { ["set"] = simName, ["spearman"] = sim.Spearman, ["scored"] = sim.Scored, ["total"] = sim.Total },
                    ["analogies"] = ana.Select(a => new Dictionary<string, object>
                    {
                        ["category"] = a.Category,
                        ["accuracy"] = a.Accuracy,
                        ["correct"] = a.Correct,
                        ["answerable"] = a.Answerable,
                        ["total"] = a.Total,
                    }).ToArray(),
                };
                File.WriteAllText(jsonPath, CliJson.Serialize(doc));
            }
            return 0;
        }));
        return command;
    }

    private static Command Tokenize()
    {
        var corpus = new Option<string>("--corpus") { Description = "kjv, gcide or a UTF-8 file (gzip read as such); the Debian packages install when missing.", DefaultValueFactory = _ => "kjv" }
            .Require(v => v.Trim().Length > 0, "must name a corpus or a file");
        var keepCase = new Option<bool>("--keep-case") { Description = "Keep upper case (default: lower-case every token)." };
        var output = new Option<string>("--out") { Description = "The tokenised text: one sentence per line, tokens separated by single spaces.", Required = true }
            .Require(v => v.Trim().Length > 0, "must name a file");
        var command = new Command("tokenize", "Write a corpus as train sees it (one sentence per line, tokens split by spaces), to feed other tools the same words.")
        {
            corpus, keepCase, output,
        };
        command.SetAction(p => Run(p, () =>
        {
            string path = ResolveCorpus(p.GetValue(corpus)!);
            var reader = new CorpusReader { LowerCase = !p.GetValue(keepCase) };
            string file = p.GetValue(output)!;
            long sentences = 0, tokens = 0;
            Axon.IO.AtomicFile.Write(file, stream =>
            {
                using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                foreach (var sentence in reader.ReadFile(path))
                {
                    w.WriteLine(string.Join(' ', sentence));
                    sentences++;
                    tokens += sentence.Count;
                }
            });
            p.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {file}: {sentences:N0} sentences, {tokens:N0} tokens from {path}."));
            return 0;
        }));
        return command;
    }

    private static string ResolveCorpus(string name)
    {
        string path = name switch { "kjv" => KjvCorpus.Ensure(), "gcide" => GcideCorpus.Ensure(), _ => name };
        return File.Exists(path) ? path : throw new FileNotFoundException($"--corpus: no file {path} (kjv and gcide name the built-in corpora).", path);
    }

    private static void Draw(string path, IReadOnlyList<string> words, (double X, double Y)[] points, double[] explained)
    {
        var plot = new ScottPlot.Plot();
        var scatter = plot.Add.ScatterPoints(points.Select(q => q.X).ToArray(), points.Select(q => q.Y).ToArray());
        scatter.MarkerSize = 6;
        for (int i = 0; i < words.Count; i++)
        {
            var label = plot.Add.Text(words[i], points[i].X, points[i].Y);
            label.LabelFontSize = 13;
            label.LabelOffsetX = 4;
        }
        plot.Title("Word vectors: 2-D PCA");
        plot.XLabel(string.Create(CultureInfo.InvariantCulture, $"PC1 ({100 * explained[0]:F1} % of the variance)"));
        plot.YLabel(string.Create(CultureInfo.InvariantCulture, $"PC2 ({100 * explained[1]:F1} %)"));
        Plots.SaveAtomically(path, tmp => plot.SavePng(tmp, 900, 700));
    }

    /// <summary>A title line, then one line per word with its cosine, as word2vec's distance tool lists them.</summary>
    private static void Show(ParseResult p, string title, IReadOnlyList<(string Word, double Similarity)> rows)
    {
        var o = p.InvocationConfiguration.Output;
        o.WriteLine(title + ":");
        int width = rows.Count == 0 ? 0 : rows.Max(r => r.Word.Length);
        foreach (var (word, sim) in rows) o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {word.PadRight(width)}  {sim:F4}"));
    }

    /// <summary>Runs a query; a word outside the vocabulary is an error naming it, like a bad file.</summary>
    private static int Run(ParseResult p, Func<int> action) => Cli.Guard(p, () =>
    {
        try
        {
            return action();
        }
        catch (FileNotFoundException e)
        {
            throw new ArgumentException(e.Message, e);
        }
        catch (KeyNotFoundException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    });
}
