using System.CommandLine;
using Axon.Cli;

namespace Axon.Cli.Tests;

/// <summary><c>axon lm train</c> and <c>axon lm sample</c> end to end on a tiny text.</summary>
public sealed class LmCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-lm-");

    public void Dispose() => dir.Delete(true);

    private string Corpus
    {
        get
        {
            string path = Path.Combine(dir.FullName, "corpus.txt");
            if (!File.Exists(path)) File.WriteAllText(path, string.Concat(Enumerable.Repeat("And God said, Let there be light: and there was light.\n", 30)));
            return path;
        }
    }

    private static (int Code, string Output, string Errors) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = output, Error = errors });
        return (code, output.ToString(), errors.ToString());
    }

    private string[] Train(string output, params string[] extra) =>
        ["lm", "train", "--corpus", Corpus, "--hidden", "24", "--layers", "2", "--seq-len", "16", "--batch", "4", "--lr", "0.01", "--dropout", "0.1",
            "--threads", "1", "--out", output, .. extra];

    [Fact]
    public void TensorBoardLogsEachEpochsLossesAndHistograms()
    {
        string run = Path.Combine(dir.FullName, "run"), logs = Path.Combine(dir.FullName, "tb");
        var (code, _, errors) = Invoke(Train(run, "--epochs", "2", "--tensorboard", logs));
        Assert.True(code == 0, errors);
        var file = Assert.Single(Directory.GetFiles(logs, "events.out.tfevents.*"));
        var values = Axon.TensorBoard.RecordFile.Read(file).Select(Axon.TensorBoard.Protos.Event.Parser.ParseFrom)
            .Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag))).ToList();
        foreach (var tag in new[] { "epoch/train_loss", "epoch/train_bpc", "epoch/validation_loss", "epoch/chars_per_second" })
            Assert.Equal([1L, 2], values.Where(v => v.Tag == tag).Select(v => v.Step));
        Assert.Contains(values, v => v.Tag.StartsWith("weights/", StringComparison.Ordinal) && v.Step == 2);
        Assert.Contains(values, v => v.Tag.StartsWith("gradients/", StringComparison.Ordinal) && v.Step == 2);
    }

    [Fact]
    public void TrainThenSample()
    {
        string run = Path.Combine(dir.FullName, "run");
        var (code, _, errors) = Invoke(Train(run, "--epochs", "2"));
        Assert.True(code == 0, errors);
        Assert.True(File.Exists(Path.Combine(run, LmCommand.ModelFile)));
        Assert.True(File.Exists(Path.Combine(run, LmCommand.CheckpointFile)));
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));

        var (c1, text, e1) = Invoke("lm", "sample", "--model", run, "--seed-text", "And God", "--length", "40", "--temperature", "0.8", "--seed", "1", "--threads", "1");
        Assert.True(c1 == 0, e1);
        Assert.StartsWith("And God", text, StringComparison.Ordinal);
        Assert.Equal("And God".Length + 40 + Environment.NewLine.Length, text.Length);
        Assert.Equal(text, Invoke("lm", "sample", "--model", run, "--seed-text", "And God", "--length", "40", "--temperature", "0.8", "--seed", "1", "--threads", "1").Output);

        var (c2, _, e2) = Invoke("lm", "sample", "--model", run, "--seed-text", "Zebra?");
        Assert.Equal(1, c2);
        Assert.Contains("The seed text has 2 characters not in the vocabulary", e2, StringComparison.Ordinal);
    }

    [Fact]
    public void ResumeMatchesAnUninterruptedRunBitForBit()
    {
        string straight = Path.Combine(dir.FullName, "straight"), split = Path.Combine(dir.FullName, "split");
        Assert.Equal(0, Invoke(Train(straight, "--epochs", "2")).Code);
        Assert.Equal(0, Invoke(Train(split, "--epochs", "1")).Code);
        var (code, output, errors) = Invoke("lm", "train", "--resume", "--out", split, "--epochs", "2");
        Assert.True(code == 0, errors + output);
        var a = Axon.IO.Safetensors.Load(Path.Combine(straight, LmCommand.ModelFile)).Tensors;
        var b = Axon.IO.Safetensors.Load(Path.Combine(split, LmCommand.ModelFile)).Tensors;
        Assert.Equal(a.Select(kv => kv.Key), b.Select(kv => kv.Key));
        foreach (var ((key, x), (_, y)) in a.Zip(b)) Assert.True(x.ToFloatArray().SequenceEqual(y.ToFloatArray()), key);

        // Changing a setting of the run is refused with the option's name.
        var (bad, _, message) = Invoke("lm", "train", "--resume", "--out", split, "--epochs", "3", "--hidden", "32");
        Assert.Equal(1, bad);
        Assert.Contains("--hidden 32: the run was started with 24", message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadCorporaGetOneClearError()
    {
        string empty = Path.Combine(dir.FullName, "empty.txt"), bad = Path.Combine(dir.FullName, "bad.txt");
        File.WriteAllBytes(empty, []);
        File.WriteAllBytes(bad, [0x61, 0x62, 0xC3, 0x28]);
        var (c1, _, e1) = Invoke("lm", "train", "--corpus", empty, "--out", Path.Combine(dir.FullName, "x"));
        Assert.Equal(1, c1);
        Assert.Contains($"{empty}: the file is empty", e1, StringComparison.Ordinal);
        var (c2, _, e2) = Invoke("lm", "train", "--corpus", bad, "--out", Path.Combine(dir.FullName, "x"));
        Assert.Equal(1, c2);
        Assert.Contains($"{bad}: not valid UTF-8 at byte offset 2 (0xC3)", e2, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.FullName, "x")));
        Assert.Equal(1, Invoke("lm", "train", "--corpus", Path.Combine(dir.FullName, "none.txt")).Code);
        Assert.Equal(1, Invoke("lm", "train", "--cell", "rnn").Code);
    }
}
