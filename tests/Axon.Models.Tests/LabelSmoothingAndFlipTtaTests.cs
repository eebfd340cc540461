using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>The classifier's training tricks of <see cref="TrainerOptions"/>: label smoothing of the training loss, and test-time flip augmentation.</summary>
public sealed class LabelSmoothingAndFlipTtaTests
{
    /// <summary>Plain cross-entropy of one row of logits, in double: log Σ exp(l) − l[y].</summary>
    private static double CrossEntropy(double[] logits, int y) => Math.Log(logits.Sum(Math.Exp)) - logits[y];

    /// <summary>The smoothed cross-entropy of one row by its definition: (1 − ε)·(−log p[y]) + ε/C·Σ_c (−log p[c]).</summary>
    private static double SmoothedCrossEntropy(double[] logits, int y, double eps)
    {
        double lse = Math.Log(logits.Sum(Math.Exp));
        return (1 - eps) * (lse - logits[y]) + eps / logits.Length * logits.Sum(l => lse - l);
    }

    private static TrainerOptions Frozen(TrainerOptions o) => o with { OptimizerSettings = new() { Lr = 0 }, Schedule = "none", Prefetch = 0 };

    [Fact]
    public void LabelSmoothingSmoothsTheTrainingLossOnlyAndIsChecked()
    {
        var g = new Generator(5);
        var model = new Sequential(new Flatten(), new Linear(4, 3, generator: g));
        var x = Tensor.Randn([4, 1, 2, 2], g);
        var y = Tensor.FromArray(new long[] { 0, 1, 2, 1 });
        var task = new ClassificationTask(model, 3, topK: 1);
        var options = Frozen(new TrainerOptions { LabelSmoothing = 0.2, BatchSize = 4 });
        var trainer = new Trainer(task, g, options);

        Tensor logits;
        using (GradMode.NoGrad()) logits = model.Forward(x);
        double byFunctional = Functional.CrossEntropy(logits, y, labelSmoothing: 0.2).Item();
        double plain = Functional.CrossEntropy(logits, y).Item();
        var rows = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 3).Select(c => logits.GetDouble(i, c)).ToArray()).ToArray();
        long[] labels = y.ToLongArray();
        double byHand = Enumerable.Range(0, 4).Average(i => SmoothedCrossEntropy(rows[i], (int)labels[i], 0.2));
        double plainByHand = Enumerable.Range(0, 4).Average(i => CrossEntropy(rows[i], (int)labels[i]));
        Assert.Equal(byHand, byFunctional, 5);
        Assert.Equal(plainByHand, plain, 5);
        Assert.True(Math.Abs(byFunctional - plain) > 0.01, $"smoothed {byFunctional}, plain {plain}");  // the smoothing is not a no-op here

        // The trainer's step minimises the smoothed loss, and reports it as the batch's loss and objective.
        var (loss, objective) = trainer.TrainStep(x, y);
        Assert.Equal(byFunctional, loss.Loss.Item(), 6);
        Assert.Equal(byFunctional, objective, 6);
        Assert.Equal(byFunctional, task.Loss(x, y, labelSmoothing: 0.2).Loss.Item(), 6);
        Assert.Equal(plain, task.Loss(x, y).Loss.Item(), 6);
        // Evaluation stays plain cross-entropy.
        Assert.Equal(plain, trainer.Evaluate(new TensorDataset(x, y)).Loss, 5);
        Assert.Equal(plain, task.EvaluateClasses(new TensorDataset(x, y)).Loss, 5);
        var report = trainer.TrainEpoch(new TensorDataset(x, y), new TensorDataset(x, y));
        Assert.Equal(byFunctional, report.TrainLoss, 5);
        Assert.Equal(plain, report.TestLoss, 5);

        // The checks name the setting.
        foreach (double bad in new[] { 1.0, 1.5, -0.1, double.NaN })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { LabelSmoothing = bad }.Validate());
            Assert.Equal("label-smoothing", e.ParamName);
            Assert.StartsWith($"label-smoothing must be in [0, 1) (0 = off) (got {TrainingSetting.Show(bad)}).", e.Message, StringComparison.Ordinal);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => task.Loss(x, y, labelSmoothing: 1));
    }

    [Fact]
    public void TheErasingSettingSetsTheRandomErasingOfTheAugmentation()
    {
        var g = new Generator(3);
        var task = new ClassificationTask(new Sequential(new Flatten(), new Linear(16, 3, generator: g)), 3, topK: 1);
        var data = new TensorDataset(Tensor.Randn([4, 1, 4, 4], g), Tensor.FromArray(new long[] { 0, 1, 2, 0 }));
        static string[] Names(Transform? t) => [.. ((Compose)t!).Transforms.Select(x => x.GetType().Name)];
        Assert.Equal(["RandomCrop", "RandomHorizontalFlip", "RandomErasing"], Names(task.Augmentation(data)));
        Assert.Equal(0.25, ((RandomErasing)((Compose)task.Augmentation(data, new TrainerOptions())!).Transforms[2]).P);
        Assert.Equal(0.5, ((RandomErasing)((Compose)task.Augmentation(data, new TrainerOptions { Erasing = 0.5 })!).Transforms[2]).P);
        Assert.Equal(["RandomCrop", "RandomHorizontalFlip"], Names(task.Augmentation(data, new TrainerOptions { Erasing = 0 })));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { Erasing = 1.5 }.Validate());
        Assert.Contains("erasing must be in [0, 1] (got 1.5)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["erasing 0"], TrainingSettings.Describe(new TrainerOptions { Erasing = 0 }, s => s.Name == "erasing"));
    }

    [Fact]
    public void TheNewSettingsRoundTripThroughACheckpoint()
    {
        var g = new Generator(2);
        var model = new Sequential(new Flatten(), new Linear(4, 3, generator: g));
        var options = new TrainerOptions { Epochs = 1, BatchSize = 4, LabelSmoothing = 0.125, FlipTta = true };
        var trainer = new Trainer(new ClassificationTask(model, 3, topK: 1), g, options);
        var dir = Directory.CreateTempSubdirectory("axon-tricks-");
        try
        {
            string path = Path.Combine(dir.FullName, "checkpoint.safetensors");
            trainer.SaveCheckpoint(path);
            var (saved, _) = Trainer.ReadCheckpointSettings(path);
            Assert.Equal((0.125, true), (saved.LabelSmoothing, saved.FlipTta));
            Assert.Equal(options, saved);
            Assert.Equal(["label-smoothing 0.125", "flip-tta"], TrainingSettings.Describe(saved, s => s.Name is "label-smoothing" or "flip-tta"));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    /// <summary>
    /// Two-pixel images [4, 1, 1, 2] and a linear classifier that reads only the left pixel: logits (x₀, 0.25), so its
    /// mirror's are (x₁, 0.25) and the flip-averaged ones ((x₀ + x₁) / 2, 0.25). The images are chosen so that plain and
    /// flip-averaged predictions differ: plain gets A and C right (0.5), flip-averaged only B (0.25).
    /// </summary>
    private static (ClassificationTask Task, Tensor Images, TensorDataset Data, double[][] Pixels, long[] Labels) MirrorAsymmetric()
    {
        var linear = new Linear(2, 2, generator: new Generator(0));
        linear.Weight.CopyFrom(Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 0 } }));
        linear.Bias!.CopyFrom(Tensor.FromArray(new float[] { 0, 0.25f }, 2));
        var model = new Sequential(new Flatten(), linear);
        double[][] pixels = [[1, -1], [0, 1], [-1, 2], [0.5, 0.5]];
        long[] labels = [0, 0, 1, 1];
        var images = Tensor.FromArray(pixels.SelectMany(p => p.Select(v => (float)v)).ToArray(), 4, 1, 1, 2);
        return (new ClassificationTask(model, 2, topK: 1), images, new TensorDataset(images, Tensor.FromArray(labels)), pixels, labels);
    }

    [Fact]
    public void FlipTtaEvaluatesTheMeanOfTheLogitsOnTheImagesAndTheirMirrors()
    {
        var (task, x, data, pixels, labels) = MirrorAsymmetric();
        double[][] plainLogits = pixels.Select(p => new[] { p[0], 0.25 }).ToArray();
        double[][] flipLogits = pixels.Select(p => new[] { (p[0] + p[1]) / 2, 0.25 }).ToArray();
        double Loss(double[][] l) => Enumerable.Range(0, 4).Average(i => CrossEntropy(l[i], (int)labels[i]));
        double Accuracy(double[][] l) => Enumerable.Range(0, 4).Average(i => (l[i][1] > l[i][0] ? 1 : 0) == labels[i] ? 1.0 : 0.0);
        Assert.Equal((0.5, 0.25), (Accuracy(plainLogits), Accuracy(flipLogits)));

        var logits = task.Logits(x, flipTta: true);
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 2; c++) Assert.Equal(flipLogits[i][c], logits.GetDouble(i, c), 6);

        var plain = task.EvaluateClasses(data);
        var flipped = task.EvaluateClasses(data, flipTta: true);
        Assert.Equal((0.5, 0.5), (plain.Accuracy, plain.TopKAccuracy));
        Assert.Equal((0.25, 0.25), (flipped.Accuracy, flipped.TopKAccuracy));
        Assert.Equal(Loss(plainLogits), plain.Loss, 5);
        Assert.Equal(Loss(flipLogits), flipped.Loss, 5);
        Assert.True(Math.Abs(plain.Loss - flipped.Loss) > 0.05, $"plain {plain.Loss}, flipped {flipped.Loss}");
        // Rows: true class; columns: predicted. Flip-averaged: A → 1, B → 0, C → 0, D → 0.
        Assert.Equal(new long[,] { { 1, 1 }, { 2, 0 } }, flipped.Confusion);

        // The trainer's evaluations (each epoch's test and validation) follow the option; frozen weights (lr 0) keep the model.
        foreach (var (flip, accuracy, loss) in new[] { (false, 0.5, Loss(plainLogits)), (true, 0.25, Loss(flipLogits)) })
        {
            var trainer = new Trainer(task, new Generator(1), Frozen(new TrainerOptions { FlipTta = flip, BatchSize = 2, ValidationFraction = 0 }));
            var score = trainer.Evaluate(data);
            Assert.Equal(accuracy, score.Metric(ClassificationTask.AccuracyKey));
            Assert.Equal(loss, score.Loss, 5);
            var report = trainer.TrainEpoch(data, data);
            Assert.Equal((accuracy, accuracy), (report.TestAccuracy, report.ValidationAccuracy));
            Assert.Equal(loss, report.TestLoss, 5);
        }

        // Only images can be mirrored.
        var e = Assert.Throws<ArgumentException>(() => task.Logits(Tensor.Zeros([4, 2]), flipTta: true));
        Assert.Contains("[N, C, H, W]", e.Message, StringComparison.Ordinal);
    }
}
