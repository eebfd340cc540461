using Axon.Data;
using Axon.Models.Generative;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>InfoGAN: the generator's input layout, the information terms, and Q learning to read the code back.</summary>
public sealed class InfoGanTests
{
    private static InfoGan Tiny(int seed) => new(
        new Sequential(new Linear(6, 16, generator: new Generator(seed)), new ReLU(), new Linear(16, 4, generator: new Generator(seed + 1))),
        new Sequential(new Linear(4, 16, generator: new Generator(seed + 2)), new LeakyReLU(0.2)),
        features: 16, noise: 2, categories: 3, continuous: 1, init: new Generator(seed + 3));

    [Fact]
    public void GeneratorInputsAreNoiseOneHotAndContinuousCodes()
    {
        var gan = Tiny(1);
        var (input, cats) = gan.Inputs(2, new Generator(4), [2, 0], [0.5f, -0.25f]);
        Assert.Equal([2L, 0L], cats);
        var v = input.ToArray<float>();
        Assert.Equal([0f, 0f, 1f, 0.5f], v[2..6]);
        Assert.Equal([1f, 0f, 0f, -0.25f], v[8..12]);
        Assert.Equal(Tensor.Randn([2, 2], new Generator(4)).ToArray<float>(), new[] { v[0], v[1], v[6], v[7] });
        Assert.Throws<ArgumentException>(() => gan.Inputs(2, null, [3, 0]));
        var e = Assert.Throws<ArgumentException>(() => gan.Forward(Tensor.Zeros([1, 5])));
        Assert.Contains("must be [N, 6] (noise 2 + categories 3 + continuous 1), got [1, 5]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InformationTermsAreCrossEntropyAndHalfSquaredError()
    {
        var gan = Tiny(1);
        var task = new InfoGanTask(gan);
        var codes = Tensor.FromArray([2f, 0f, -1f, 0.3f, 0f, 1f, 0f, -0.5f], 2, 4);
        var input = Tensor.FromArray([9f, 9f, 1f, 0f, 0f, 0.5f, 9f, 9f, 0f, 1f, 0f, -1f], 2, 6);
        var (cat, cont) = task.InformationTerms(codes, input, [0, 1]);
        double Ce(double[] l, int k) => Math.Log(l.Sum(Math.Exp)) - l[k];
        Assert.Equal((Ce([2, 0, -1], 0) + Ce([0, 1, 0], 1)) / 2, cat.Item(), 5);
        Assert.Equal(0.5 * (0.2 * 0.2 + 0.5 * 0.5) / 2, cont.Item(), 6);
    }

    [Fact]
    public void QLearnsToReadTheCategoricalCodeFromTheImages()
    {
        var gan = Tiny(3);
        var task = new InfoGanTask(gan, new Generator(5));
        var data = new TensorDataset(Tensor.Randn([64 * 40, 4], new Generator(6)), Tensor.Zeros([64 * 40], DType.Int64));
        var trainer = new Trainer(task, new Generator(7), new TrainerOptions
        {
            Epochs = 1,
            BatchSize = 64,
            Optimizer = "adam",
            OptimizerSettings = new() { Lr = 0.005, Beta1 = 0.5 },
            Schedule = "none",
            Prefetch = 0,
        });
        for (int e = 0; e < 4; e++) trainer.TrainEpoch(data, null);
        var score = task.Evaluate(data);
        Assert.True(score.Metric("q_accuracy") > 0.95, $"Q recovers c from G(z, c) in {100 * score.Metric("q_accuracy"):F1} % (chance 33 %)");
        Assert.Equal(160, (long)gan.DiscriminatorSteps.Item());
    }
}
