using Axon.Data;

namespace Axon.Tests.Data;

public class FeatureStandardizerTests
{
    [Fact]
    public void CentresAndScalesWithTheTrainingStatisticsAndOnlyCentresAConstantFeature()
    {
        var train = Tensor.FromArray(new float[] { 1, 2, 3, 2, 5, 2 }, 3, 2);
        var s = FeatureStandardizer.Fit(train);
        Assert.Equal([3f, 2f], s.Mean);
        // Population deviation of 1, 3, 5: sqrt(8/3); the second feature is constant.
        Assert.Equal((float)Math.Sqrt(8.0 / 3), s.Std[0]);
        Assert.Equal(0f, s.Std[1]);
        float z = (float)(2 / Math.Sqrt(8.0 / 3));
        var y = s.Transform(train).ToArray<float>();
        Assert.Equal(-z, y[0], 6);
        Assert.Equal(0f, y[2]);
        Assert.Equal(z, y[4], 6);
        Assert.Equal([0f, 0f, 0f], new[] { y[1], y[3], y[5] });
        // A test row is scaled with the training statistics, not its own.
        var test = s.Transform(Tensor.FromArray(new float[] { 7, 4 }, 1, 2)).ToArray<float>();
        Assert.Equal(2 * z, test[0], 5);
        Assert.Equal(2f, test[1]);
    }

    [Fact]
    public void BadFeaturesAreClearErrors()
    {
        Assert.Contains("expected float32 features [N, D], got float32 [6]", Assert.Throws<ArgumentException>(() => FeatureStandardizer.Fit(Tensor.Zeros([6]))).Message, StringComparison.Ordinal);
        Assert.Contains("the features have no rows", Assert.Throws<ArgumentException>(() => FeatureStandardizer.Fit(Tensor.Zeros([0, 3]))).Message, StringComparison.Ordinal);
        var s = FeatureStandardizer.Fit(Tensor.Zeros([2, 3]));
        Assert.Contains("it was fitted on 3 features, got [2, 4]", Assert.Throws<ArgumentException>(() => s.Transform(Tensor.Zeros([2, 4]))).Message, StringComparison.Ordinal);
        Assert.Contains("feature 1 has a non-finite value", Assert.Throws<ArgumentException>(() => FeatureStandardizer.Fit(Tensor.FromArray(new[] { 0f, float.NaN }, 1, 2))).Message, StringComparison.Ordinal);
    }
}
