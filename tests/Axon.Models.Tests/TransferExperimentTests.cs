using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

public class TransferExperimentTests
{
    /// <summary>200 images labelled i % 10 whose first pixel is i, so a selection can be traced back.</summary>
    private static FashionMnist Numbered(int n = 200)
    {
        var images = new byte[n * FashionMnist.Pixels];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = (byte)(i % 10);
            images[i * FashionMnist.Pixels] = (byte)i;
        }
        return new FashionMnist(images, labels);
    }

    private static int[] Origins(FashionMnist d) => [.. Enumerable.Range(0, d.Count).Select(i => (int)d.Image(i)[0])];

    [Fact]
    public void SelectRelabelsTheClassesAndDrawsASeededFewPerClass()
    {
        var all = TransferExperiment.Select(Numbered(), [0, 1, 2, 3, 4]);
        Assert.Equal(100, all.Count);
        Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 10 < 5), Origins(all));
        Assert.Equal(Origins(all).Select(i => (byte)(i % 10)), all.Labels.ToArray());

        var few = TransferExperiment.Select(Numbered(), [5, 6, 7, 8, 9], 3, new Generator(7));
        Assert.Equal(15, few.Count);
        Assert.Equal(Origins(few).Select(i => (byte)(i % 10 - 5)), few.Labels.ToArray());   // 5..9 become 0..4
        Assert.All(Enumerable.Range(0, 5), c => Assert.Equal(3, few.Labels.ToArray().Count(l => l == c)));
        Assert.Equal(Origins(few), Origins(TransferExperiment.Select(Numbered(), [5, 6, 7, 8, 9], 3, new Generator(7))));
        Assert.NotEqual(Origins(few), Origins(TransferExperiment.Select(Numbered(), [5, 6, 7, 8, 9], 3, new Generator(8))));

        var e = Assert.Throws<ArgumentException>(() => TransferExperiment.Select(Numbered(), [5, 7], 21));
        Assert.Contains("21 labelled images per class were asked for, but class 5 (Sandal) has only 20 training images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRegimesGetTheirHeadsFrozenPartsAndRates()
    {
        var data = Numbered();
        var x = new TransferExperiment(new TransferRecipe { LabelsPerClass = 4 }, data, data);
        Assert.Equal((100, 100, 20, 100), (x.SourceTrain.Count, x.SourceTest.Count, x.TargetTrain.Count, x.TargetTest.Count));
        var pretrained = x.CreateModel(5, new Generator(1)).StateDict();
        float[] Conv1(Module m) => m.StateDict().Single(kv => kv.Key == "conv1.weight").Value.ToFloatArray();

        var (frozen, frozenGroups) = x.Prepare(TransferRegime.FrozenFeatures, pretrained, new Generator(2));
        Assert.Equal("fc", TransferExperiment.HeadName(frozen));
        Assert.Equal(frozen.NamedParameters().Count() - 2, frozen.FrozenParameterNames().Count);
        Assert.DoesNotContain("fc.weight", frozen.FrozenParameterNames());
        Assert.Equal([0.05], frozenGroups.Select(g => g.Lr));
        Assert.Equal(128 * 5 + 5, frozenGroups.Single().Parameters.Sum(p => p.NumEl));
        Assert.Equal(pretrained.Single(kv => kv.Key == "conv1.weight").Value.ToFloatArray(), Conv1(frozen));
        Assert.Equal([5, 128], frozen.StateDict().Single(kv => kv.Key == "fc.weight").Value.GetShape());
        Assert.Equal([2, 5], frozen.Eval().Forward(Tensor.Zeros([2, 1, 28, 28])).GetShape());

        var (tuned, tunedGroups) = x.Prepare(TransferRegime.FineTune, pretrained, new Generator(2));
        Assert.Empty(tuned.FrozenParameterNames());
        Assert.Equal([0.05, 0.005], tunedGroups.Select(g => g.Lr));
        Assert.Equal(tuned.ParameterCount(), tunedGroups.Sum(g => g.Parameters.Sum(p => (long)p.NumEl)));
        Assert.Equal(Conv1(frozen), Conv1(tuned));

        var (scratch, scratchGroups) = x.Prepare(TransferRegime.Scratch, pretrained, new Generator(2));
        Assert.NotEqual(Conv1(frozen), Conv1(scratch));
        Assert.Equal(scratch.ParameterCount(), scratchGroups.Single().Parameters.Sum(p => (long)p.NumEl));
    }

    [Fact]
    public void TrainingOnFrozenFeaturesMovesOnlyTheHead()
    {
        var data = Numbered(60);
        Assert.Equal("classifier.2", TransferExperiment.HeadName(new LectureCnn()));
        var x = new TransferExperiment(new TransferRecipe { LabelsPerClass = 4, FineTuneEpochs = 1 }, data, data);
        var pretrained = x.CreateModel(5, new Generator(1)).StateDict();
        var (model, groups) = x.Prepare(TransferRegime.FrozenFeatures, pretrained, new Generator(3));
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
        new Trainer(new ClassificationTask(model, 5), new Generator(3), x.FineTuneOptions, groups).Fit(x.TargetTrain);
        // The body's weights and its batch norms' running statistics (kept in eval mode through the trainer's Train()) hold.
        foreach (var (key, value) in model.StateDict())
        {
            if (key.StartsWith("fc.", StringComparison.Ordinal)) Assert.NotEqual(before[key], value.ToFloatArray());
            else Assert.Equal(before[key], value.ToFloatArray());
        }
        Assert.Contains("layer1.0.bn1.running_mean", before.Keys);
    }
}
