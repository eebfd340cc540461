using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

public class ShallowPipelineTests
{
    /// <summary>16x16 images of noise plus a vertical (class 0), horizontal (1) or diagonal (2) bar at a random place.</summary>
    private static (Tensor Images, Tensor Labels) Bars(int n, long seed)
    {
        var g = new Generator(seed);
        var pixels = new float[n * 256];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 3;
            int at = 3 + (int)(g.NextDouble() * 10);
            for (int r = 0; r < 16; r++)
            {
                for (int c = 0; c < 16; c++)
                {
                    bool on = labels[i] switch { 0 => Math.Abs(c - at) < 2, 1 => Math.Abs(r - at) < 2, _ => Math.Abs(r - c + at - 8) < 2 };
                    pixels[i * 256 + r * 16 + c] = (float)(0.2 * g.NextDouble() + (on ? 0.8 : 0));
                }
            }
        }
        return (Tensor.FromArray(pixels, n, 1, 16, 16), Tensor.FromArray(labels, n));
    }

    private static ShallowOptions Options(ShallowFeatures features, ShallowClassifier classifier) => new()
    {
        Features = features,
        Classifier = classifier,
        Hog = new HogOptions { CellSize = 4, BlockSize = 2 },
        Threads = 1,
        Training = new ShallowOptions().Training with { Epochs = 6, BatchSize = 16, OptimizerSettings = new() { Lr = 0.02, Momentum = 0.9 } },
    };

    [Theory]
    [InlineData(ShallowClassifier.Svm)]
    [InlineData(ShallowClassifier.LogisticRegression)]
    public void HogAndALinearModelSeparateBarOrientationsWhereverTheBarLies(ShallowClassifier classifier)
    {
        var (x, y) = Bars(90, 1);
        var (xt, yt) = Bars(30, 2);
        var pipeline = new ShallowPipeline(Options(ShallowFeatures.Hog, classifier));
        var result = pipeline.Fit(x, y, xt, yt);
        Assert.Equal(3 * 3 * 36, result.FeatureLength);
        Assert.Equal(6, result.History.Count);
        Assert.Equal(1.0, result.TestAccuracy);
        Assert.Equal(1.0, result.TrainAccuracy);
        Assert.IsType(classifier == ShallowClassifier.Svm ? typeof(LinearSvm) : typeof(LogisticRegression), pipeline.Model);
        // Predict runs the same features, standardisation and model.
        Assert.Equal(yt.ToArray<long>(), pipeline.Predict(xt).ArgMax(1).ToArray<long>());
    }

    [Fact]
    public void PixelFeaturesAreTheFlattenedImages()
    {
        var pipeline = new ShallowPipeline(Options(ShallowFeatures.Pixels, ShallowClassifier.Svm));
        var (x, _) = Bars(4, 3);
        Assert.Equal(x.ToArray<float>(), pipeline.Extract(x).ToArray<float>());
        Assert.Equal([4, 256], pipeline.Extract(x).GetShape());
        Assert.Throws<InvalidOperationException>(() => pipeline.Predict(x));
    }

    [Fact]
    public void TheHingeTaskIsMultiMarginLossAndCountsTheCorrectRows()
    {
        var svm = new LinearSvm(2, 3, generator: new Generator(0));
        using (GradMode.NoGrad())
        {
            svm.Linear.Weight.CopyFrom(Tensor.FromArray(new float[] { 1, 0, 0, 1, -1, -1 }, 3, 2));
            svm.Linear.Bias!.CopyFrom(Tensor.Zeros([3]));
        }
        var task = new HingeClassificationTask(svm);
        var x = Tensor.FromArray(new float[] { 2, 0, 0, 0.5f }, 2, 2);
        var target = Tensor.FromArray(new long[] { 0, 1 }, 2);
        var loss = task.Loss(x, target);
        // Row 0: scores (2, 0, -2), class 0: max(0, 1-2+0) + max(0, 1-2-2) = 0. Row 1: scores (0, 0.5, -0.5), class 1:
        // max(0, 1-0.5+0) + max(0, 1-0.5-0.5) = 0.5. Mean over rows of (sum / 3 classes): 0.5 / 3 / 2.
        Assert.Equal(0.5 / 6, loss.Loss.Item(), 6);
        Assert.Equal(2.0, loss.MetricSums![ClassificationTask.AccuracyKey]);
    }
}
