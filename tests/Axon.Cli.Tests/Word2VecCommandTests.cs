using System.CommandLine;
using Axon.Models.Word2Vec;

namespace Axon.Cli.Tests;

/// <summary><c>axon word2vec neighbours|analogy|similarity|plot</c> on a small vector file.</summary>
public sealed class Word2VecCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-w2v-");

    public void Dispose() => dir.Delete(true);

    private static (int Code, string Output, string Errors) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = output, Error = errors });
        return (code, output.ToString().ReplaceLineEndings("\n"), errors.ToString());
    }

    private string Vectors(string name)
    {
        string path = Path.Combine(dir.FullName, name);
        WordVectorFiles.Save(new WordVectors(["man", "woman", "king", "queen", "apple"], [1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0.5f, 0.5f, -1], 3), path);
        return path;
    }

    [Fact]
    public void QueriesPrintWhatTheVectorsSay()
    {
        string bin = Vectors("v.bin");
        var (code, text, errors) = Invoke("word2vec", "neighbours", "--vectors", bin, "-k", "2", "king");
        Assert.True(code == 0, errors);
        Assert.Equal("nearest to king:\n  man    0.7071\n  queen  0.5000\n", text);
        (code, text, errors) = Invoke("word2vec", "analogy", "--vectors", Vectors("v.txt"), "-k", "1", "king", "man", "woman");
        Assert.True(code == 0, errors);
        Assert.Equal("king - man + woman:\n  queen  0.9586\n", text);
        (code, text, _) = Invoke("word2vec", "similarity", "--vectors", bin, "man", "queen");
        Assert.Equal((0, "man queen 0.0000\n"), (code, text));
    }

    [Fact]
    public void TrainWritesVectorsTheQueriesRead()
    {
        // Two topics whose words only meet within their topic: the trained neighbours of "cat" are animals.
        var rng = new Random(5);
        string[] animals = ["cat", "dog", "horse", "cow"], tools = ["hammer", "saw", "drill", "wrench"];
        var lines = Enumerable.Range(0, 400).Select(i =>
        {
            var topic = i % 2 == 0 ? animals : tools;
            return string.Join(' ', Enumerable.Range(0, 12).Select(_ => topic[rng.Next(topic.Length)]));
        });
        string corpus = Path.Combine(dir.FullName, "corpus.txt");
        File.WriteAllLines(corpus, lines);
        string vectors = Path.Combine(dir.FullName, "out", "v.bin");
        var (code, text, errors) = Invoke("word2vec", "train", "--corpus", corpus, "--dim", "16", "--epochs", "3", "--threads", "1", "--sample", "0", "--min-count", "1", "--out", vectors);
        Assert.True(code == 0, errors);
        Assert.Contains("8 words of dimension 16", text, StringComparison.Ordinal);
        (code, text, errors) = Invoke("word2vec", "neighbours", "--vectors", vectors, "-k", "3", "cat");
        Assert.True(code == 0, errors);
        var neighbours = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Trim().Split(' ')[0]).ToArray();
        Assert.Equal(["cow", "dog", "horse"], neighbours.Order());

        File.WriteAllText(corpus, "");
        (code, _, errors) = Invoke("word2vec", "train", "--corpus", corpus, "--out", vectors);
        Assert.Equal(1, code);
        Assert.Contains("empty", errors, StringComparison.Ordinal);
        (code, _, errors) = Invoke("word2vec", "train", "--corpus", corpus, "--negative", "0", "--out", vectors);
        Assert.Equal(1, code);
        Assert.Contains("--negative 0 needs --hs", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void PlotWritesAPicture()
    {
        string png = Path.Combine(dir.FullName, "pca.png");
        var (code, text, errors) = Invoke("word2vec", "plot", "--vectors", Vectors("v.safetensors"), "--words", "man,woman,king,queen", "--out", png);
        Assert.True(code == 0, errors);
        Assert.StartsWith("Wrote " + png + ": 4 words; the two components explain ", text, StringComparison.Ordinal);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png).Take(4));
    }

    [Fact]
    public void UnknownWordsAndBadFilesAreErrorsNotCrashes()
    {
        var (code, _, errors) = Invoke("word2vec", "neighbours", "--vectors", Vectors("v.txt"), "pear");
        Assert.Equal(1, code);
        Assert.Contains("the word 'pear' is not in the vocabulary (5 words)", errors, StringComparison.Ordinal);
        string bad = Path.Combine(dir.FullName, "bad.txt");
        File.WriteAllText(bad, "3 2\na 1 2\n");
        (code, _, errors) = Invoke("word2vec", "similarity", "--vectors", bad, "a", "a");
        Assert.Equal(1, code);
        Assert.Contains("the header announces 3 words, the file has 1", errors, StringComparison.Ordinal);
        (code, _, errors) = Invoke("word2vec", "analogy", "--vectors", bad, "a", "b");
        Assert.Equal(1, code);
    }

    [Fact]
    public void EvaluateScoresPairsAndAnalogiesAndWritesJson()
    {
        string sim = Path.Combine(dir.FullName, "sim.txt"), ana = Path.Combine(dir.FullName, "ana.txt"), json = Path.Combine(dir.FullName, "e.json");
        // Cosines: king-queen 0.5, man-king 0.7071, man-apple 0.4082: the ratings rank them alike.
        File.WriteAllText(sim, "king queen 5\nman king 8\nman apple 1\nman pear 3\n");
        File.WriteAllText(ana, ": gender\nman woman king queen\nwoman man queen king\n: other\nman apple woman pear\n");
        var (code, text, errors) = Invoke("word2vec", "evaluate", "--vectors", Vectors("v.txt"), "--similarity", sim, "--analogies", ana, "--json", json);
        Assert.True(code == 0, errors);
        Assert.Contains("similarity (" + sim + "): Spearman rho 1.0000 on 3 of 4 pairs", text, StringComparison.Ordinal);
        Assert.Contains("  gender  100.00 %  (2 of 2; 2 answerable)\n  other     0.00 %  (0 of 1; 0 answerable)\n  all      66.67 %  (2 of 3; 2 answerable)\n", text, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(3, doc.RootElement.GetProperty("similarity").GetProperty("scored").GetInt32());
        Assert.Equal(2.0 / 3, doc.RootElement.GetProperty("analogies")[2].GetProperty("accuracy").GetDouble(), 12);
    }

    [Fact]
    public void TokenizeWritesTheSentencesTrainSees()
    {
        string corpus = Path.Combine(dir.FullName, "c.txt"), tokens = Path.Combine(dir.FullName, "t.txt");
        File.WriteAllText(corpus, "In the beginning, God created\n\n  the heaven; and the Earth.\n");
        var (code, text, errors) = Invoke("word2vec", "tokenize", "--corpus", corpus, "--out", tokens);
        Assert.True(code == 0, errors);
        Assert.Equal("Wrote " + tokens + ": 2 sentences, 10 tokens from " + corpus + ".\n", text);
        Assert.Equal("in the beginning god created\nthe heaven and the earth\n", File.ReadAllText(tokens));
        (code, _, errors) = Invoke("word2vec", "tokenize", "--corpus", Path.Combine(dir.FullName, "none.txt"), "--out", tokens);
        Assert.Equal(1, code);
        Assert.Contains("--corpus: no file", errors, StringComparison.Ordinal);
    }
}
