using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;
using Axon.TensorBoard.Protos;

namespace Axon.TensorBoard.Tests;

public class TensorBoardCallbackTests
{
    [Fact]
    public void LogsTheTrainersLossesMetricsHistogramsAndImages()
    {
        var g = new Generator(1);
        var images = Tensor.Rand([48, 1, 8, 8], g);
        var labels = Tensor.Randint(0, 3, [48], g);
        var data = new TensorDataset(images, labels);
        var model = new Sequential(new Flatten(), new Linear(64, 16, generator: g), new ReLU(), new Linear(16, 3, generator: g));
        var trainer = new Trainer(new ClassificationTask(model, 3), g, new TrainerOptions { Epochs = 2, BatchSize = 16, Seed = 1 });
        var dir = Directory.CreateTempSubdirectory("axon-tb-trainer-");
        string path;
        using (var tb = new SummaryWriter(dir.FullName))
        {
            path = tb.FilePath;
            trainer.Callbacks.Add(new TensorBoardCallback(tb) { BatchInterval = 2, SampleImages = images.Slice(0, 0, 4) });
            trainer.Fit(data, data);
        }
        var events = RecordFile.Read(path).Select(Event.Parser.ParseFrom).ToList();
        dir.Delete(true);
        var values = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v))).ToList();
        float Scalar(string tag, long step) => Assert.Single(values, x => x.v.Tag == tag && x.Step == step).v.SimpleValue;

        // 3 batches an epoch, 6 steps: batch scalars at steps 2, 4 and 6.
        Assert.Equal([2L, 4, 6], values.Where(x => x.v.Tag == "batch/loss").Select(x => x.Step));
        for (int e = 1; e <= 2; e++)
        {
            var r = trainer.History[e - 1];
            Assert.Equal((float)r.TrainLoss, Scalar("epoch/train_loss", e));
            Assert.Equal((float)r.TestLoss, Scalar("epoch/test_loss", e));
            Assert.Equal((float)r.TestAccuracy, Scalar("epoch/test_accuracy", e));
            Assert.Equal((float)r.LearningRate, Scalar("epoch/lr", e));
            foreach (var (name, p) in model.NamedParameters())
            {
                var w = Assert.Single(values, x => x.v.Tag == "weights/" + name && x.Step == e).v.Histo;
                Assert.Equal(p.NumEl, (long)w.Num);
                Assert.Equal(p.NumEl, (long)Assert.Single(values, x => x.v.Tag == "gradients/" + name && x.Step == e).v.Histo.Num);
            }
        }
        // The last epoch's weights are the model's.
        var last = Assert.Single(values, x => x.v.Tag == "weights/1.weight" && x.Step == 2).v.Histo;
        Assert.Equal(model.NamedParameters().First(p => p.Name == "1.weight").Parameter.ToFloatArray().Max(), last.Max);
        var sample = Assert.Single(values, x => x.v.Tag == "samples/inputs").v.Image;
        Assert.Equal((4 * 10 + 2, 12, 1), (sample.Width, sample.Height, sample.Colorspace));
    }
}
