using Axon.Data;
using Axon.Models.Generative;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>The GAN: Goodfellow's alternating steps, the two generator objectives, and a 1-D GAN that finds its target.</summary>
public sealed class GanTests
{
    private static Gan Small(int seed) => new(
        new Sequential(new Linear(2, 8, generator: new Generator(seed)), new ReLU(), new Linear(8, 1, generator: new Generator(seed + 1))),
        new Sequential(new Linear(1, 16, generator: new Generator(seed + 2)), new LeakyReLU(0.2), new Linear(16, 1, generator: new Generator(seed + 3))),
        latent: 2);

    private static TensorDataset Gaussian(int n, double mean, double std, int seed) =>
        new(Tensor.Randn([n, 1], new Generator(seed), mean: mean, std: std), Tensor.Zeros([n], DType.Int64));

    [Fact]
    public void EachBatchStepsTheDiscriminatorAndEveryKthTheGenerator()
    {
        var gan = Small(1);
        var task = new GanTask(gan, new Generator(9)) { K = 2 };
        var trainer = new Trainer(task, new Generator(3), new TrainerOptions { Epochs = 1, BatchSize = 8, Optimizer = "adam", Schedule = "none", Prefetch = 0 });
        float[] G() => gan.Generator.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
        float[] D() => gan.Discriminator.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
        var (g0, d0) = (G(), D());
        trainer.TrainEpoch(Gaussian(8, 3, 0.5, 4), null); // one batch: a discriminator step only
        Assert.Equal(1, (long)gan.DiscriminatorSteps.Item());
        Assert.Equal(g0, G());
        Assert.NotEqual(d0, D());
        var d1 = D();
        trainer.TrainEpoch(Gaussian(8, 3, 0.5, 4), null); // the second: the discriminator, then the generator
        Assert.Equal(2, (long)gan.DiscriminatorSteps.Item());
        Assert.NotEqual(g0, G());
        Assert.NotEqual(d1, D());
        Assert.Contains("d_steps", gan.StateDict().Select(kv => kv.Key));
    }

    [Fact]
    public void AStepGivesTheGradientsItClearsBackToThePool()
    {
        var gan = Small(1);
        var trainer = new Trainer(new GanTask(gan, new Generator(9)), new Generator(3), new TrainerOptions { Epochs = 1, BatchSize = 8, Optimizer = "adam", Schedule = "none", Prefetch = 0 });
        trainer.TrainEpoch(Gaussian(8, 3, 0.5, 4), null);
        // K = 1: the generator stepped last, so it holds gradients and the discriminator's were cleared.
        var generatorGrads = gan.Generator.Parameters().Select(p => p.Grad!).ToList();
        Assert.All(generatorGrads, g => Assert.False(g.IsDisposed));
        Assert.All(gan.Discriminator.Parameters(), p => Assert.Null(p.Grad));
        trainer.TrainEpoch(Gaussian(8, 3, 0.5, 4), null);
        Assert.All(generatorGrads, g => Assert.True(g.IsDisposed));
        Assert.All(gan.Generator.Parameters().Zip(generatorGrads), pair => Assert.NotSame(pair.Second, pair.First.Grad));
    }

    [Fact]
    public void TheTwoGeneratorObjectivesAreMinusLogDAndLogOneMinusD()
    {
        var logits = Tensor.FromArray([-2f, 0f, 1.5f], 3, 1);
        double ns = 0, sat = 0;
        foreach (double l in (double[])[-2, 0, 1.5])
        {
            double d = 1 / (1 + Math.Exp(-l));
            ns += -Math.Log(d) / 3;
            sat += Math.Log(1 - d) / 3;
        }
        Assert.Equal(ns, new GanTask(Small(1)).GeneratorObjective(logits).Item(), 5);
        Assert.Equal(sat, new GanTask(Small(1)) { GeneratorLoss = GanGeneratorLoss.Saturating }.GeneratorObjective(logits).Item(), 5);
    }

    [Fact]
    public void AOneDimensionalGanMovesItsSamplesToTheData()
    {
        // Data N(3, 0.5^2); the generator starts near 0 and ends with its sample mean near 3.
        var gan = Small(5);
        var task = new GanTask(gan, new Generator(6));
        var trainer = new Trainer(task, new Generator(7), new TrainerOptions
        {
            Epochs = 1,
            BatchSize = 64,
            Optimizer = "adam",
            OptimizerSettings = new() { Lr = 0.005, Beta1 = 0.5 },
            Schedule = "none",
            Prefetch = 0,
        });
        double before = gan.Sample(2000, new Generator(8)).Mean().Item();
        var data = Gaussian(64 * 60, 3, 0.5, 9);
        for (int e = 0; e < 5; e++) trainer.TrainEpoch(data, null);
        var samples = gan.Sample(2000, new Generator(8)).ToArray<float>();
        double mean = samples.Average();
        Assert.InRange(before, -1, 1);
        Assert.True(Math.Abs(mean - 3) < 0.3, $"sample mean {before:F2} -> {mean:F2}, target 3");
        var e2 = Assert.Throws<ArgumentException>(() => gan.Forward(Tensor.Zeros([4, 3])));
        Assert.Contains("codes must be [N, 2], got [4, 3]", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResumingFromACheckpointIsExact()
    {
        // Two epochs straight against one, a checkpoint, a fresh model and trainer, and the second: the same bits,
        // because the checkpoint holds the task's code generator and the k-step counter with the weights.
        static (Gan Gan, Trainer Trainer) Make() =>
            (Small(5) is var gan ? gan : null!, new Trainer(new GanTask(gan, new Generator(6)) { K = 2 }, new Generator(7),
                new TrainerOptions { Epochs = 2, BatchSize = 16, Optimizer = "adam", Schedule = "none", Prefetch = 0 }));
        var data = Gaussian(16 * 5, 3, 0.5, 9);
        var (straight, t1) = Make();
        t1.TrainEpoch(data, null);
        t1.TrainEpoch(data, null);
        var (first, t2) = Make();
        t2.TrainEpoch(data, null);
        string path = Path.Combine(Path.GetTempPath(), $"axon-gan-{Environment.ProcessId}-{Guid.NewGuid():N}.safetensors");
        try
        {
            t2.SaveCheckpoint(path);
            var (resumed, t3) = Make();
            t3.LoadCheckpoint(path);
            t3.TrainEpoch(data, null);
            var expected = straight.Parameters().SelectMany(p => p.ToArray<float>()).Select(BitConverter.SingleToInt32Bits);
            Assert.Equal(expected, resumed.Parameters().SelectMany(p => p.ToArray<float>()).Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(10, (long)resumed.DiscriminatorSteps.Item());
            Assert.NotEqual(expected, first.Parameters().SelectMany(p => p.ToArray<float>()).Select(BitConverter.SingleToInt32Bits));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PictureTitlesNameTheDcganAsSuch()
    {
        var g = new Generator(1);
        Assert.StartsWith("DCGAN: G(z)", GenerativePictures.Samples(DcGan.Create(8, 4, g), 1, 2, g).Title, StringComparison.Ordinal);
        Assert.StartsWith("GAN: G(z)", GenerativePictures.Samples(MlpGan.Create(8, 16, g), 1, 2, g).Title, StringComparison.Ordinal);
        Assert.StartsWith("DCGAN: G along", GenerativePictures.Interpolation(DcGan.Create(8, 4, g), 1, 3, g).Title, StringComparison.Ordinal);
    }
}
