using Axon.Data;
using Axon.Models;

namespace Axon.Models.Tests;

public class ToyLabTests
{
    [Fact]
    public void TrainedHiddenLayerBeatsRandomFeaturesOnSpirals()
    {
        var (trainX, trainY) = ToyDatasets.Spirals(100, 3, 0.2, new Generator(0));
        var (testX, testY) = ToyDatasets.Spirals(100, 3, 0.2, new Generator(1));
        var results = ToyLab.Run(trainX, trainY, testX, testY, new ToyLabOptions(Hidden: 100, Steps: 1500));
        var (linear, random, trained) = (results[0], results[1], results[2]);
        Assert.True(trained.TestAccuracy >= 0.95, $"trained hidden layer: test accuracy {trained.TestAccuracy:P1}");
        Assert.True(trained.TestAccuracy > random.TestAccuracy, $"trained {trained.TestAccuracy:P1} vs random {random.TestAccuracy:P1}");
        Assert.True(random.TestAccuracy > linear.TestAccuracy, $"random features {random.TestAccuracy:P1} vs linear {linear.TestAccuracy:P1}");
        Assert.InRange(linear.TestAccuracy, 0.4, 0.7);  // three spiral arms are not linearly separable
    }

    [Fact]
    public void RandomFeatureModelKeepsItsHiddenLayerFixed()
    {
        var (x, y) = ToyDatasets.Blobs(60, 3, 0.5, new Generator(2));
        var mlp = new Mlp([2, 16, 3], generator: new Generator(3)).FreezeFirstLayer();
        var hidden = mlp.StateDict()[0].Value.ToFloatArray();
        var output = mlp.StateDict()[2].Value.ToFloatArray();
        ToyLab.Train(mlp, x, y, new ToyLabOptions(Steps: 20));
        Assert.Equal(hidden, mlp.StateDict()[0].Value.ToFloatArray());
        Assert.NotEqual(output, mlp.StateDict()[2].Value.ToFloatArray());
    }

    [Fact]
    public void TrainedTwoLayerMlpSolvesXor()
    {
        var x = Tensor.FromArray(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, 4, 2);
        var y = Tensor.FromArray(new long[] { 0, 1, 1, 0 });
        var mlp = new Mlp([2, 8, 2], generator: new Generator(4));
        ToyLab.Train(mlp, x, y, new ToyLabOptions(Steps: 500, WeightDecay: 0));
        Assert.Equal(1.0, ToyLab.Accuracy(mlp, x, y));
        Assert.Equal(new long[] { 0, 1, 1, 0 }, mlp.Forward(x).ArgMax(1).ToLongArray());
    }
}
