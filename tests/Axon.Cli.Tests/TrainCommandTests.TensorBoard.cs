using Axon.TensorBoard;
using Axon.TensorBoard.Protos;

namespace Axon.Cli.Tests;

public sealed partial class TrainCommandTests
{
    /// <summary>The (step, value) pairs of every summary value in the one event file under <paramref name="logDir"/>.</summary>
    private static List<(long Step, Summary.Types.Value Value)> ReadLogs(string logDir)
    {
        var file = Assert.Single(Directory.GetFiles(logDir, "events.out.tfevents.*"));
        var events = RecordFile.Read(file).Select(Event.Parser.ParseFrom).ToList();
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        return [.. events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v)))];
    }

    [Fact]
    public void TensorBoardLogsTheClassifiersRun()
    {
        string logs = Path.Combine(dir.FullName, "tb");
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "2", "--batch-size", "32", "--data-dir", Data, "--output", Run, "--threads", "1", "--tensorboard", logs));
        var values = ReadLogs(logs);
        var tags = values.Select(v => v.Value.Tag).ToHashSet();
        foreach (var tag in new[] { "batch/loss", "batch/lr", "epoch/train_loss", "epoch/test_loss", "epoch/test_accuracy", "epoch/lr", "weights/1.weight", "gradients/1.weight", "samples/inputs" })
            Assert.Contains(tag, tags);
        // 240 images in batches of 32: 8 steps an epoch, the batch scalars every 10 steps.
        Assert.Equal([10L], values.Where(v => v.Value.Tag == "batch/loss").Select(v => v.Step));
        Assert.Equal([1L, 2], values.Where(v => v.Value.Tag == "epoch/train_loss").Select(v => v.Step));
        var samples = Assert.Single(values, v => v.Value.Tag == "samples/inputs").Value.Image;
        Assert.Equal((8 * 30 + 2, 2 * 30 + 2, 1), (samples.Width, samples.Height, samples.Colorspace));   // 16 test images, 8 a row
    }

    [Fact]
    public void TensorBoardShowsAGenerativeModelsSamplesEachEpoch()
    {
        string logs = Path.Combine(dir.FullName, "tb-ae");
        Assert.Equal(0, Invoke("train", "--model", "autoencoder", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1", "--tensorboard", logs));
        var values = ReadLogs(logs);
        var grid = Assert.Single(values, v => v.Value.Tag == "samples/epoch");
        Assert.Equal(1, grid.Step);
        Assert.Equal(8 * 30 + 2, grid.Value.Image.Width);
        Assert.Contains(values, v => v.Value.Tag == "epoch/train_loss");
    }
}
