using System.CommandLine;
using Axon.Cli;

namespace Axon.Cli.Tests;

public class ToyCommandTests
{
    private static int Invoke(params string[] args) =>
        Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null });

    [Fact]
    public void TensorBoardGetsOneRunPerModel()
    {
        var dir = Directory.CreateTempSubdirectory("axon-toy-tb-");
        Assert.Equal(0, Invoke("toy", "--dataset", "xor", "--samples", "20", "--steps", "100", "--hidden", "8", "--tensorboard", dir.FullName));
        var runs = Directory.GetDirectories(dir.FullName).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["a-logistic-regression", "b-random-relu-features", "c-trained-relu-layer"], runs);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(dir.FullName, "c-trained-relu-layer")));
        var values = Axon.TensorBoard.RecordFile.Read(file).Select(Axon.TensorBoard.Protos.Event.Parser.ParseFrom)
            .Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag))).ToList();
        Assert.Equal([50L, 100], values.Where(v => v.Tag == "train/loss").Select(v => v.Step));
        Assert.Contains((100L, "accuracy/test"), values);
        Assert.Contains((100L, "weights/layers.0.weight"), values);
        dir.Delete(true);
    }

    [Fact]
    public void ToyWritesThePlotAndSucceeds()
    {
        var dir = Directory.CreateTempSubdirectory("axon-toy-");
        var png = Path.Combine(dir.FullName, "regions.png");
        Assert.Equal(0, Invoke("toy", "--dataset", "moons", "--samples", "30", "--steps", "50", "--hidden", "16", "--plot", png));
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.Single(Directory.GetFiles(dir.FullName));  // no temporary file left behind
        dir.Delete(true);
    }

    [Fact]
    public void ToyRejectsUnknownDataSetsAndBadHyperParameters()
    {
        Assert.NotEqual(0, Invoke("toy", "--dataset", "mnist"));
        Assert.Equal(1, Invoke("toy", "--lr", "-1"));  // an invalid option value is a usage error, like an unknown one
    }

    [Fact]
    public void EveryDataSetNameGenerates()
    {
        foreach (var name in new[] { "spirals", "moons", "circles", "xor", "blobs" })
        {
            var (x, y) = ToyCommand.Generate(name, 10, 3, double.NaN, new Generator(1));
            Assert.Equal(2, x.Size(1));
            Assert.Equal(x.Size(0), y.Size(0));
        }
    }
}
