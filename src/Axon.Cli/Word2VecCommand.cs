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
        Neighbours(),
        Analogy(),
        Similarity(),
        Plot(),
    };

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
        catch (KeyNotFoundException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    });
}
