using System.CommandLine;
using Axon.Cli;

namespace Axon.Cli.Tests;

public class RnnMemoryCommandTests
{
    private static int Invoke(TextWriter output, params string[] args) =>
        Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = output, Error = TextWriter.Null });

    [Fact]
    public void ATinySweepPrintsTheTablesAndWritesThePlotAndCsv()
    {
        var dir = Directory.CreateTempSubdirectory("axon-rnn-memory-");
        Assert.Equal(0, Invoke(TextWriter.Null, "rnn-memory", "--lengths", "2,4", "--steps", "5", "--hidden", "4", "--batch-size", "8", "--eval-size", "16", "--threads", "1", "--out", dir.FullName));
        var png = File.ReadAllBytes(Path.Combine(dir.FullName, "rnn-memory.png"));
        Assert.True(png.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var csv = File.ReadAllLines(Path.Combine(dir.FullName, "rnn-memory.csv"));
        Assert.Equal("model,length,accuracy,final_loss,grad_ratio_init,grad_ratio_trained,seconds", csv[0]);
        Assert.Equal(1 + 2 * 4, csv.Length);                          // 2 lengths x 4 models
        Assert.Contains(csv, l => l.StartsWith("jordan,4,", StringComparison.Ordinal));
        Assert.Equal(2, Directory.GetFiles(dir.FullName).Length);      // no temporary file left behind
        dir.Delete(true);
    }

    [Fact]
    public void BadListsAreUsageErrors()
    {
        Assert.Equal(1, Invoke(TextWriter.Null, "rnn-memory", "--lengths", "5,1"));
        Assert.Equal(1, Invoke(TextWriter.Null, "rnn-memory", "--lengths", "five"));
        Assert.Equal(1, Invoke(TextWriter.Null, "rnn-memory", "--models", "elman,transformer"));
    }
}
