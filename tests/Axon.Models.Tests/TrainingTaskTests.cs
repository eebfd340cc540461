using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>The trainer on tasks other than classification: an autoencoder, a regression, a task with its own step; and the one table of settings.</summary>
public sealed class TrainingTaskTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-tasks-");

    public void Dispose() => dir.Delete(true);

    /// <summary>An autoencoder's task: reconstruct the input (the target is ignored), reporting the mean absolute error as a metric.</summary>
    private sealed class Reconstruction(Module<Tensor, Tensor> autoencoder) : TrainingTask
    {
        public override Module Model => autoencoder;

        public override TaskLoss Loss(Tensor input, Tensor target)
        {
            var flat = input.Reshape(input.Size(0), -1);
            var output = autoencoder.Forward(flat);
            var loss = Functional.MseLoss(output, flat);
            double abs = (output - flat).Abs().Mean().Item() * input.Size(0);
            return new TaskLoss(loss, input.Size(0), new Dictionary<string, double> { ["mae"] = abs });
        }
    }

    /// <summary>Points near a 3-dimensional subspace of R^12, which a 3-unit bottleneck can learn to reconstruct.</summary>
    private static TensorDataset LowRank(int n, int seed)
    {
        var g = new Generator(seed);
        var basis = Tensor.Randn([3, 12], new Generator(100));
        var x = Tensor.Randn([n, 3], g).MatMul(basis) + Tensor.Randn([n, 12], g) * 0.01;
        return new TensorDataset(x, Tensor.Zeros([n]));
    }

    private static (Trainer Trainer, Module<Tensor, Tensor> Model) Autoencoder(TrainerOptions options, long seed = 5)
    {
        var g = new Generator(seed);
        var model = new Sequential(new Linear(12, 3, generator: g), new Linear(3, 12, generator: g));
        return (new Trainer(new Reconstruction(model), g, options), model);
    }

    private static readonly TrainerOptions AutoencoderOptions = new()
    {
        Epochs = 40,
        BatchSize = 16,
        Optimizer = "adam",
        OptimizerSettings = new() { Lr = 0.03 },
        Schedule = "cosine",
        ValidationFraction = 0.25,
        Seed = 2,
        Prefetch = 0,
    };

    [Fact]
    public void AnAutoencoderTrainsWithValidationMetricsAndResumesExactly()
    {
        var data = LowRank(160, 1);
        var (straight, model) = Autoencoder(AutoencoderOptions);
        straight.Fit(data);
        var h = straight.History;
        Assert.Equal(40, h.Count);
        Assert.True(h[^1].ValidationLoss < 0.05 * h[0].ValidationLoss, $"validation loss {h[0].ValidationLoss} -> {h[^1].ValidationLoss}");
        Assert.True(h.All(r => r.HeldOut && r.TrainMetrics.ContainsKey("mae") && r.ValidationMetrics.ContainsKey("mae")));
        Assert.True(double.IsNaN(h[0].TrainAccuracy));  // no classification metric on this task
        var (fit, validation) = straight.SplitTrainingSet(data);
        Assert.Equal((120, 40), (fit.Count, validation!.Count));
        Assert.Equal(straight.Evaluate(validation).Loss, h[^1].ValidationLoss, 12);

        var path = Path.Combine(dir.FullName, "ae.safetensors");
        var (first, _) = Autoencoder(AutoencoderOptions);
        for (int e = 0; e < 17; e++) first.TrainEpoch(data, null);
        first.SaveCheckpoint(path);
        var (resumed, resumedModel) = Autoencoder(AutoencoderOptions, seed: 77);
        resumed.LoadCheckpoint(path);
        resumed.Fit(data);
        Assert.Equal(h.Select(r => r.ValidationLoss), resumed.History.Select(r => r.ValidationLoss));
        foreach (var ((name, a), (_, b)) in model.NamedParameters().Zip(resumedModel.NamedParameters()))
            Assert.True(a.ToFloatArray().SequenceEqual(b.ToFloatArray()), name);
    }

    [Fact]
    public void ARegressionWithTheSupervisedTaskFitsALine()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([128, 1], g);
        var y = x * 2.5 + 1;
        var model = new Linear(1, 1, generator: g);
        var task = new SupervisedTask(model, (output, target) => Functional.MseLoss(output, target));
        var trainer = new Trainer(task, g, new TrainerOptions { Epochs = 30, BatchSize = 16, OptimizerSettings = new() { Lr = 0.1 }, Schedule = "none", Prefetch = 0 });
        trainer.Fit(new TensorDataset(x, y));
        Assert.Equal(2.5, model.Weight.Item(), 3);
        Assert.Equal(1.0, model.Bias!.Item(), 3);
        Assert.Empty(trainer.History[^1].TrainMetrics);
        var bad = new SupervisedTask(model, (output, target) => Functional.MseLoss(output, target, Reduction.None));
        var ex = Assert.Throws<InvalidOperationException>(() => bad.Loss(x, y));
        Assert.Contains("[128, 1]", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A task with its own step: two optimiser steps per batch (as a GAN's k discriminator steps), each through the trainer's standard minimisation.</summary>
    private sealed class TwoSteps(Module<Tensor, Tensor> model) : TrainingTask
    {
        public int Forwards { get; private set; }

        public override Module Model => model;

        public override TaskLoss Loss(Tensor input, Tensor target)
        {
            Forwards++;
            return new TaskLoss(Functional.MseLoss(model.Forward(input), target), input.Size(0));
        }

        public override (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target, StepContext context)
        {
            base.TrainStep(input, target, context);
            return base.TrainStep(input, target, context);
        }
    }

    [Fact]
    public void ATaskMayTakeItsOwnStep()
    {
        var g = new Generator(4);
        var x = Tensor.Randn([32, 2], g);
        var y = x.Sum(1, keepDim: true);
        var task = new TwoSteps(new Linear(2, 1, generator: g));
        var trainer = new Trainer(task, g, new TrainerOptions { Epochs = 1, BatchSize = 8, OptimizerSettings = new() { Lr = 0.1 }, Schedule = "none", Prefetch = 0 });
        trainer.Fit(new TensorDataset(x, y));
        Assert.Equal(8, task.Forwards);  // 4 batches, 2 steps each
        Assert.Equal(4, trainer.Steps);  // the trainer counts batches
    }

    [Fact]
    public void EveryOptionAndEveryHyperParameterIsInTheOneTable()
    {
        // Every option of the trainer is a setting, except the ones that are not about what is trained.
        var notSettings = new HashSet<string> { nameof(TrainerOptions.OptimizerSettings), nameof(TrainerOptions.Prefetch), nameof(TrainerOptions.RestoreBestWeights) };
        var defaults = new TrainerOptions();
        var covered = new HashSet<string>();
        foreach (var s in TrainingSettings.All)
        {
            var before = s.Get(defaults);
            object? other = s.Type == typeof(int) ? 7 : s.Type == typeof(long) ? 7L : s.Type == typeof(double) || s.Type == typeof(double?) ? 0.375
                : s.Type == typeof(bool) || s.Type == typeof(bool?) ? !(before is true) : s.Choices![^1];
            var changed = s.Set(defaults, other);
            Assert.Equal(other, s.Get(changed));
            foreach (var p in typeof(TrainerOptions).GetProperties().Where(p => p.CanWrite))
                if (!Equals(p.GetValue(defaults), p.GetValue(changed))) covered.Add(p.Name);
        }
        var options = typeof(TrainerOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Except(notSettings);
        Assert.Empty(options.Except(covered));
        // And every optimiser hyper-parameter the factory takes.
        var hyper = TrainingSettings.All.Where(s => s.OptimizerSetting is not null).Select(s => s.OptimizerSetting!).ToHashSet();
        Assert.Equal(typeof(OptimizerSettings).GetProperties().Select(p => p.Name).Order(), hyper.Order());
        Assert.All(OptimizerFactory.Names.SelectMany(OptimizerFactory.SettingsOf), n => Assert.Contains(n, hyper));
    }

    [Fact]
    public void TheRecipeIsSgdsAndOtherOptimisersTakeTheirOwnDefaults()
    {
        var sgd = new TrainerOptions();
        Assert.Equal((0.05, 0.9, 5e-4), (sgd.LearningRate, sgd.Hyperparameters.Momentum, sgd.Hyperparameters.WeightDecay));
        var adam = new TrainerOptions { Optimizer = "adam" };
        Assert.Equal(1e-3, adam.LearningRate);
        Assert.Null(adam.Hyperparameters.WeightDecay);
        Assert.Equal(1.0, new TrainerOptions { Optimizer = "adadelta" }.LearningRate);
        Assert.Equal(["lr 0.01", "beta1 0.8"], TrainingSettings.Describe(adam with { OptimizerSettings = new() { Lr = 0.01, Beta1 = 0.8 } }, s => s.Kind == SettingKind.Optimizer));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => (sgd with { Epochs = 0 }).Validate());
        Assert.Equal("epochs must be at least 1 (got 0). (Parameter 'epochs')\nActual value was 0.", ex.Message.ReplaceLineEndings("\n"));
        Assert.Throws<ArgumentException>(() => (sgd with { Schedule = "linear" }).Validate());
        var momentum = Assert.Throws<ArgumentException>(() => (adam with { OptimizerSettings = new() { Momentum = 0.9 } }).Validate());
        Assert.Contains("adam has no setting Momentum", momentum.Message, StringComparison.Ordinal);
    }
}
