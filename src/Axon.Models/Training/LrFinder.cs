using System.Globalization;
using Axon.Data;
using Axon.Nn;

namespace Axon.Models.Training;

/// <summary>Settings of the learning-rate range test.</summary>
/// <param name="StartLr">Rate of the first step (&gt; 0).</param>
/// <param name="EndLr">Rate of the last step (&gt; <paramref name="StartLr"/>).</param>
/// <param name="Steps">Number of mini-batches (≥ 2); the rate grows exponentially from start to end over them.</param>
/// <param name="Smoothing">β of the exponential moving average of the loss (fastai's 0.98), in [0, 1).</param>
/// <param name="DivergenceFactor">Stop when the smoothed loss exceeds this multiple of the best one (&gt; 1).</param>
public sealed record LrFinderOptions(double StartLr = 1e-7, double EndLr = 10, int Steps = 100, double Smoothing = 0.98, double DivergenceFactor = 4)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!(StartLr > 0) || !double.IsFinite(StartLr)) throw new ArgumentOutOfRangeException(nameof(StartLr), StartLr, "StartLr must be finite and greater than 0.");
        if (!(EndLr > StartLr) || !double.IsFinite(EndLr)) throw new ArgumentOutOfRangeException(nameof(EndLr), EndLr, "EndLr must be finite and greater than StartLr.");
        if (Steps < 2) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "Steps must be at least 2.");
        if (!(Smoothing >= 0 && Smoothing < 1)) throw new ArgumentOutOfRangeException(nameof(Smoothing), Smoothing, "Smoothing must be in [0, 1).");
        if (!(DivergenceFactor > 1)) throw new ArgumentOutOfRangeException(nameof(DivergenceFactor), DivergenceFactor, "DivergenceFactor must be greater than 1.");
    }
}

/// <summary>One step of the range test.</summary>
/// <param name="Step">Step index (from 0).</param>
/// <param name="LearningRate">The rate of the step.</param>
/// <param name="Loss">The batch's loss (before the step).</param>
/// <param name="SmoothedLoss">The bias-corrected exponential moving average of the loss.</param>
public sealed record LrFinderPoint(int Step, double LearningRate, double Loss, double SmoothedLoss);

/// <summary>The loss curve of a range test and the rates it suggests.</summary>
/// <param name="Points">One point per step with a finite loss.</param>
/// <param name="SteepestLr">The rate where the smoothed loss falls fastest against log(rate) (NaN with too few points).</param>
/// <param name="MinLossLr">The rate of the lowest smoothed loss.</param>
/// <param name="Diverged">True when the test stopped early because the loss exploded (or became non-finite).</param>
public sealed record LrFinderResult(IReadOnlyList<LrFinderPoint> Points, double SteepestLr, double MinLossLr, bool Diverged)
{
    /// <summary>The suggestion: <see cref="SteepestLr"/>, or a tenth of <see cref="MinLossLr"/> when there is no steepest point.</summary>
    public double SuggestedLr => double.IsFinite(SteepestLr) ? SteepestLr : MinLossLr / 10;
}

/// <summary>
/// The learning-rate range test (Leslie Smith 2015; fastai's <c>lr_find</c>): trains for a few mini-batches with the rate
/// growing exponentially from <see cref="LrFinderOptions.StartLr"/> to <see cref="LrFinderOptions.EndLr"/>, records the smoothed
/// loss, and stops once it exceeds <see cref="LrFinderOptions.DivergenceFactor"/> times the best. A good rate lies where the loss
/// falls fastest, well before the minimum. The model's weights, buffers and generator are restored afterwards.
/// </summary>
public static class LrFinder
{
    /// <summary>Runs the test on <paramref name="train"/> with the optimiser, penalties, clipping and augmentation of <paramref name="options"/> (its rate and schedule are ignored).</summary>
    /// <param name="task">The task (its model's state is restored at the end, even on an exception).</param>
    /// <param name="modelGenerator">The model's generator (dropout); its state is restored too.</param>
    /// <param name="train">The training data (batches are drawn shuffled, seeded by <see cref="TrainerOptions.Seed"/>; it is cycled if too small).</param>
    /// <param name="options">Optimiser, batch size, penalties, clipping, augmentation and seed.</param>
    /// <param name="finder">The range-test settings (default: 1e-7 to 10 over 100 steps).</param>
    /// <param name="onStep">Called after each step.</param>
    public static LrFinderResult Run(TrainingTask task, Generator modelGenerator, IDataset train, TrainerOptions options, LrFinderOptions? finder = null, Action<LrFinderPoint>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(modelGenerator);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        finder ??= new LrFinderOptions();
        finder.Validate();
        if (train.Count == 0) throw new ArgumentException("The range test needs at least one training sample.", nameof(train));

        var model = task.Model;
        List<KeyValuePair<string, Tensor>> saved;
        using (GradMode.NoGrad()) saved = [.. model.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.Detach().Clone()))];
        var generatorState = modelGenerator.GetState();
        bool wasTraining = model.Training;
        var points = new List<LrFinderPoint>();
        bool diverged = false;
        try
        {
            var trainer = new Trainer(task, modelGenerator, options with
            {
                Epochs = 1,
                Schedule = "none",
                ValidationFraction = 0,
                EarlyStoppingPatience = 0,
                OptimizerSettings = options.Hyperparameters with { Lr = finder.StartLr },
            });
            var dataGenerator = new Generator(options.Seed + 1);
            Transform? augment = options.Augment ? task.Augmentation(train, options) : null;
            double ratio = finder.EndLr / finder.StartLr, average = 0, best = double.PositiveInfinity;
            model.Train();
            int step = 0;
            while (step < finder.Steps && !diverged)
            {
                foreach (var (x, y) in new DataLoader(train, options.BatchSize, shuffle: true, generator: dataGenerator, transform: augment, prefetch: options.Prefetch, device: model.Device))
                {
                    double lr = finder.StartLr * Math.Pow(ratio, (double)step / (finder.Steps - 1));
                    foreach (var group in trainer.Optimizer.ParamGroups) group.Lr = lr;
                    double loss;
                    using (x) using (y) using (new TensorScope()) loss = trainer.TrainStep(x, y).Loss.Loss.Item();
                    if (!double.IsFinite(loss)) { diverged = true; break; }
                    average = finder.Smoothing * average + (1 - finder.Smoothing) * loss;
                    double smoothed = average / (1 - Math.Pow(finder.Smoothing, step + 1));
                    var point = new LrFinderPoint(step, lr, loss, smoothed);
                    points.Add(point);
                    onStep?.Invoke(point);
                    step++;
                    if (step > 1 && smoothed > finder.DivergenceFactor * best) { diverged = true; break; }
                    best = Math.Min(best, smoothed);
                    if (step >= finder.Steps) break;
                }
            }
        }
        finally
        {
            model.LoadStateDict(saved);
            foreach (var kv in saved) kv.Value.Dispose();
            modelGenerator.SetState(generatorState);
            model.Train(wasTraining);
        }
        if (points.Count == 0) throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The range test's first loss was not finite (rate {finder.StartLr}); try a smaller start rate."));
        return new LrFinderResult(points, Steepest(points), points.MinBy(p => p.SmoothedLoss)!.LearningRate, diverged);
    }

    /// <summary>The rate of the most negative slope of the smoothed loss against log10(rate), skipping the noisy first and the exploding last points.</summary>
    internal static double Steepest(IReadOnlyList<LrFinderPoint> points)
    {
        int n = points.Count, skipStart = Math.Min(10, n / 10), skipEnd = Math.Min(5, n / 20);
        double bestSlope = 0, lr = double.NaN;
        for (int i = Math.Max(1, skipStart); i < n - 1 - skipEnd; i++)
        {
            // Central difference, as numpy.gradient.
            double slope = (points[i + 1].SmoothedLoss - points[i - 1].SmoothedLoss) / (Math.Log10(points[i + 1].LearningRate) - Math.Log10(points[i - 1].LearningRate));
            if (slope < bestSlope) (bestSlope, lr) = (slope, points[i].LearningRate);
        }
        return lr;
    }
}
