using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>The delayed-recall task and the memory experiment's models and measurements.</summary>
public class RnnMemoryTests
{
    [Fact]
    public void DelayedRecallLabelsAreTheMarkedFirstSymbol()
    {
        var (x, y) = DelayedRecall.Generate(length: 7, batch: 50, symbols: 5, new Generator(1));
        Assert.Equal([7, 50, 6], x.GetShape());
        Assert.Equal([50], y.GetShape());
        var xs = x.ToFloatArray();
        var ys = y.ToLongArray();
        for (int b = 0; b < 50; b++)
            for (int t = 0; t < 7; t++)
            {
                var row = xs.AsSpan((t * 50 + b) * 6, 6).ToArray();
                Assert.Equal(1, row[..5].Count(v => v == 1));      // one symbol, one-hot
                Assert.Equal(4, row[..5].Count(v => v == 0));
                Assert.Equal(t == 0 ? 1 : 0, row[5]);             // the marker flags the step to remember
                if (t == 0) Assert.Equal(ys[b], Array.IndexOf(row, 1f));
            }
        Assert.All(ys, v => Assert.InRange(v, 0, 4));
        Assert.True(ys.Distinct().Count() == 5, "every symbol appears in 50 draws");
        // The distractors do not give the label away: the last step's symbol agrees with it only by chance.
        int same = Enumerable.Range(0, 50).Count(b => xs[(6 * 50 + b) * 6 + (int)ys[b]] == 1);
        Assert.InRange(same, 0, 25);
        // Deterministic for a seed.
        Assert.Equal(xs, DelayedRecall.Generate(7, 50, 5, new Generator(1)).X.ToFloatArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayedRecall.Generate(0, 1, 4, new Generator(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayedRecall.Generate(3, 1, 1, new Generator(1)));
    }

    [Theory]
    [InlineData(MemoryModelKind.Elman)]
    [InlineData(MemoryModelKind.Jordan)]
    [InlineData(MemoryModelKind.Lstm)]
    [InlineData(MemoryModelKind.Gru)]
    public void EveryModelClassifiesSequencesAndLearnsAShortRecall(MemoryModelKind kind)
    {
        var model = new SequenceClassifier(kind, 5, 16, 4, new Generator(2));
        Assert.Equal([9, 4], model.Forward(Tensor.Zeros([6, 9, 5])).GetShape());
        var r = RnnMemoryExperiment.RunOne(kind, 3, new RnnMemoryOptions(Hidden: 16, Steps: 150, Batch: 32, LearningRate: 0.02, EvalSize: 200), Device.Cpu);
        Assert.True(r.Accuracy > 0.9, $"{kind}: accuracy {r.Accuracy:P1} at T = 3");
        Assert.True(r.GradRatioInit > 0 && double.IsFinite(r.GradRatioInit));
    }

    [Fact]
    public void TheGradientRatioOfAnElmanNetworkVanishesWithLength()
    {
        var model = new SequenceClassifier(MemoryModelKind.Elman, 5, 16, 4, new Generator(3));
        double Ratio(int t)
        {
            var (x, y) = DelayedRecall.Generate(t, 64, 4, new Generator(4));
            return RnnMemoryExperiment.GradientRatio(model, x, y);
        }
        double r5 = Ratio(5), r20 = Ratio(20);
        Assert.True(r5 < 1 && r20 < r5 * 1e-3, $"ratio {r5:E2} at T = 5, {r20:E2} at T = 20");
    }
}
