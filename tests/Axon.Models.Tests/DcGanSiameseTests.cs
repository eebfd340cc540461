using Axon.Data;
using Axon.Models.Generative;
using Axon.Models.Siamese;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>The DCGAN for 28x28 images and the Siamese network's task.</summary>
public sealed class DcGanSiameseTests
{
    [Fact]
    public void DcGanMapsCodesToImagesAndImagesToOneLogit()
    {
        var gan = DcGan.Create(latent: 16, width: 8, generator: new Generator(1));
        var images = gan.Sample(3, new Generator(2));
        Assert.Equal([3, 1, 28, 28], images.Shape.ToArray());
        Assert.All(images.ToArray<float>(), v => Assert.InRange(v, -1f, 1f));
        Assert.Equal([3, 1], gan.Discriminator.Call(images).Shape.ToArray());
        // The paper's initialisation: weights N(0, 0.02), batch-norm scales N(1, 0.02), biases 0.
        var w = ((Conv2d)((Sequential)gan.Discriminator)[2]).Weight.ToArray<float>();
        double sd = Math.Sqrt(w.Average(x => x * x));
        Assert.InRange(sd, 0.018, 0.022);
        var scale = ((BatchNorm2d)((Sequential)gan.Generator)[5]).Weight!.ToArray<float>();
        Assert.InRange(scale.Average(), 0.99, 1.01);
        Assert.Contains("generator.4.weight", gan.StateDict().Select(kv => kv.Key));
        var trainer = new Trainer(new GanTask(gan, new Generator(3)), new Generator(4), new TrainerOptions { Epochs = 1, BatchSize = 4, Optimizer = "adam", Schedule = "none", Prefetch = 0 });
        var report = trainer.TrainEpoch(new TensorDataset(Tensor.Rand([8, 1, 28, 28], new Generator(5)) * 2 - 1, Tensor.Zeros([8], DType.Int64)), null);
        Assert.True(double.IsFinite(report.TrainLoss));
        Assert.Equal(2, (long)gan.DiscriminatorSteps.Item());
    }

    private static TensorDataset Clusters(int seed)
    {
        // 4 classes of 8-value "images" [1, 2, 4] around distinct random centres.
        var g = new Generator(seed);
        var centres = Tensor.Randn([4, 8], g).ToArray<float>();
        var x = new float[200 * 8];
        var y = new long[200];
        for (int i = 0; i < 200; i++)
        {
            y[i] = i % 4;
            for (int j = 0; j < 8; j++) x[i * 8 + j] = centres[y[i] * 8 + j] + 0.6f * (float)g.NextNormal();
        }
        return new TensorDataset(Tensor.FromArray(x, 200, 1, 2, 4), Tensor.FromArray(y, 200));
    }

    [Theory]
    [InlineData(SiameseObjective.Contrastive)]
    [InlineData(SiameseObjective.Triplet)]
    public void ASiameseNetworkLearnsAnEmbeddingThatSeparatesClasses(SiameseObjective objective)
    {
        var data = Clusters(3);
        var index = new ClassIndex(data);
        var net = new SiameseNetwork(new Sequential(new Flatten(), new Linear(8, 16, generator: new Generator(1)), new ReLU(), new Linear(16, 4, generator: new Generator(2))));
        var task = new SiameseTask(net, objective, margin: 1.0);
        IDataset train = objective == SiameseObjective.Contrastive ? new SiamesePairs(index, 512, 7) : new SiameseTriplets(index, 512, 7);
        var trainer = new Trainer(task, new Generator(3), new TrainerOptions { Epochs = 1, BatchSize = 32, Optimizer = "adam", OptimizerSettings = new() { Lr = 0.01 }, Schedule = "none", Prefetch = 0 });
        var first = task.Evaluate(train);
        for (int e = 0; e < 5; e++) trainer.TrainEpoch(train, null);
        var last = task.Evaluate(train);
        Assert.True(last.Loss < 0.5 * first.Loss, $"loss {first.Loss:F4} -> {last.Loss:F4}");
        if (objective == SiameseObjective.Contrastive)
            Assert.True(last.Metric("distance_same") < 0.5 * last.Metric("distance_different"));
        else
            Assert.True(last.Metric("triplet_order") > 0.95);
        var shots = FewShot.Evaluate(net, index, ways: 4, shots: 1, queries: 5, episodes: 50, new Generator(9));
        Assert.True(shots.Accuracy > 0.9, $"4-way 1-shot {shots.Accuracy:P1}");
        var e2 = Assert.Throws<ArgumentException>(() => task.Loss(Tensor.Zeros([2, 4, 1, 2, 4]), Tensor.Zeros([2])));
        Assert.Contains("inputs must be [N,", e2.Message, StringComparison.Ordinal);
    }
}
