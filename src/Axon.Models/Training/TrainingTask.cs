using Axon.Data;
using Axon.Nn;

namespace Axon.Models.Training;

/// <summary>One training batch's loss (a recorded scalar to minimise), its size, and its metrics summed over the batch.</summary>
/// <param name="Loss">The mean loss of the batch (recorded, so the trainer can differentiate it).</param>
/// <param name="Count">The number of samples in the batch.</param>
/// <param name="MetricSums">Each metric summed over the batch (e.g. "accuracy": the number correct); the trainer reports running means.</param>
public sealed record TaskLoss(Tensor Loss, int Count, IReadOnlyDictionary<string, double>? MetricSums = null);

/// <summary>One evaluation batch's score: the loss summed over its samples, its size, and its metrics summed over it.</summary>
/// <param name="LossSum">The loss summed over the batch's samples.</param>
/// <param name="Count">The number of samples.</param>
/// <param name="MetricSums">Each metric summed over the batch.</param>
public sealed record BatchScore(double LossSum, int Count, IReadOnlyDictionary<string, double>? MetricSums = null);

/// <summary>The loss and the metrics of a whole data set (means over its samples).</summary>
/// <param name="Loss">The mean loss.</param>
/// <param name="Metrics">Each metric's mean.</param>
/// <param name="Count">The number of samples.</param>
public sealed record Score(double Loss, IReadOnlyDictionary<string, double> Metrics, long Count)
{
    /// <summary>A metric's value, or NaN when the task does not report it.</summary>
    public double Metric(string name) => Metrics.TryGetValue(name, out var v) ? v : double.NaN;
}

/// <summary>
/// What one optimisation step needs from the trainer: the optimiser, and the options' penalties, clipping and
/// constraints applied around a backward pass (<see cref="Minimize"/>). A task with its own step (several optimisers, k
/// discriminator steps per generator step) uses the parts it needs.
/// </summary>
public sealed class StepContext
{
    private readonly Trainer trainer;

    internal StepContext(Trainer trainer) => this.trainer = trainer;

    /// <summary>The trainer's optimiser (over the task model's parameters).</summary>
    public Optim.Optimizer Optimizer => trainer.Optimizer;

    /// <summary>The run's options.</summary>
    public TrainerOptions Options => trainer.Options;

    /// <summary>
    /// The standard step: zero the gradients, add the L1/L2 penalties to <paramref name="loss"/>, backward, clip the
    /// gradients, step the optimiser, apply the max-norm constraint. Returns the objective (the loss plus penalties).
    /// </summary>
    public double Minimize(Tensor loss) => trainer.Minimize(loss);

    /// <summary>
    /// In data-parallel training, averages the gradients of the backward pass just run over the ranks (nothing
    /// otherwise): a task with its own step calls it between its backward pass and the optimiser step. <see cref="Minimize"/> calls it.
    /// </summary>
    public void SynchronizeGradients() => trainer.SynchronizeGradients();
}

/// <summary>
/// A training task: what one training step does with a batch of (input, target) and how a batch is scored, for the
/// <see cref="Trainer"/>, which owns the loop (epochs, data order, schedules, validation, callbacks, checkpoints). A
/// task is usually a model and a loss (<see cref="Loss"/>); one that needs its own step (a GAN) overrides
/// <see cref="TrainStep"/>. Classification (<see cref="ClassificationTask"/>) is one task among others.
/// </summary>
public abstract class TrainingTask
{
    /// <summary>The module that is trained and checkpointed (its parameters are what the trainer's optimiser updates).</summary>
    public abstract Module Model { get; }

    /// <summary>The forward pass and the loss of one batch, with recording on (the model is in training mode).</summary>
    public abstract TaskLoss Loss(Tensor input, Tensor target);

    /// <summary>
    /// One optimisation step on a batch: by default <see cref="Loss"/> then <see cref="StepContext.Minimize"/>. Returns the
    /// batch's loss and metrics as reported, and the objective the step minimised.
    /// </summary>
    public virtual (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Optimizer.ZeroGrad(setToNone: false);
        var loss = Loss(input, target);
        return (loss, context.Minimize(loss.Loss));
    }

    /// <summary>Scores one batch in evaluation mode, without recording: by default <see cref="Loss"/>'s loss times the batch size, and its metrics.</summary>
    public virtual BatchScore Score(Tensor input, Tensor target)
    {
        var loss = Loss(input, target);
        return new BatchScore(loss.Loss.Item() * loss.Count, loss.Count, loss.MetricSums);
    }

    /// <summary>
    /// Scores one batch as <see cref="Score(Tensor, Tensor)"/> does, under a run's <paramref name="options"/> (for a
    /// classifier, <see cref="TrainerOptions.FlipTta"/>); <see cref="Trainer.Evaluate"/> calls it. By default the options
    /// change nothing.
    /// </summary>
    public virtual BatchScore Score(Tensor input, Tensor target, TrainerOptions options) => Score(input, target);

    /// <summary>
    /// The random sources the task draws from while training (a GAN's codes, a VAE's ε, a corruption), by name: the
    /// trainer's checkpoints save and restore them (as <c>task.NAME</c>), so that resuming is exact. None by default.
    /// </summary>
    public virtual IReadOnlyDictionary<string, Generator> Generators => NoGenerators;

    private static readonly Dictionary<string, Generator> NoGenerators = [];

    /// <summary>The augmentation of the training batches when <see cref="TrainerOptions.Augment"/> is set (none by default).</summary>
    public virtual Transform? Augmentation(IDataset train) => null;

    /// <summary>
    /// The augmentation of the training batches under <paramref name="options"/> (<see cref="TrainerOptions.Augment"/>
    /// set; a classifier also reads <see cref="TrainerOptions.Erasing"/>). By default <see cref="Augmentation(IDataset)"/>.
    /// </summary>
    public virtual Transform? Augmentation(IDataset train, TrainerOptions options) => Augmentation(train);

    /// <summary>
    /// Why the task cannot be trained data-parallel, or null when it can (the default): its step must run one backward
    /// pass and one optimiser step (<see cref="StepContext.Minimize"/>), between which the gradients are averaged.
    /// </summary>
    public virtual string? DataParallelUnsupported => null;

    /// <summary>The device the batches go to: the model's.</summary>
    public Device Device => Model.Device;

    /// <summary>
    /// Scores a whole data set in evaluation mode (<see cref="Score(Tensor, Tensor)"/> per batch, or
    /// <see cref="Score(Tensor, Tensor, TrainerOptions)"/> under a run's <paramref name="options"/>): the mean loss and
    /// metrics. The model's mode is restored afterwards.
    /// </summary>
    public virtual Score Evaluate(IDataset data, int batchSize = 256, TrainerOptions? options = null)
    {
        var (lossSum, seen, sums) = EvaluateSums(data, batchSize, options);
        long n = Math.Max(seen, 1);
        return new Score(lossSum / n, sums.ToDictionary(kv => kv.Key, kv => kv.Value / n, StringComparer.Ordinal), seen);
    }

    /// <summary>The loss and metrics of <paramref name="data"/> summed over its samples, and their number (what ranks add up).</summary>
    internal (double LossSum, long Count, Dictionary<string, double> MetricSums) EvaluateSums(IDataset data, int batchSize, TrainerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = Model.Training;
        Model.Eval();
        double lossSum = 0;
        long seen = 0;
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using var noGrad = GradMode.NoGrad();
            foreach (var (x, y) in new DataLoader(data, batchSize, device: Device))
            {
                using var input = x;
                using var target = y;
                using var scope = new TensorScope();
                var score = options is null ? Score(x, y) : Score(x, y, options);
                lossSum += score.LossSum;
                seen += score.Count;
                foreach (var (k, v) in score.MetricSums ?? new Dictionary<string, double>()) sums[k] = sums.GetValueOrDefault(k) + v;
            }
        }
        finally
        {
            Model.Train(wasTraining);
        }
        return (lossSum, seen, sums);
    }
}
