using Axon.Data;
using Axon.Nn;

namespace Axon.Models.Training;

/// <summary>Loss, accuracy and confusion matrix (rows: true class, columns: predicted class) of a classifier on a data set.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction correct.</param>
/// <param name="Confusion">Counts [true, predicted].</param>
public sealed record Evaluation(double Loss, double Accuracy, long[,] Confusion)
{
    /// <summary>Fraction of samples whose true class is among the <see cref="TopK"/> highest scores (NaN when not computed).</summary>
    public double TopKAccuracy { get; init; } = double.NaN;

    /// <summary>The k of <see cref="TopKAccuracy"/>.</summary>
    public int TopK { get; init; }

    /// <summary>Accuracy per true class (recall).</summary>
    public double[] PerClassAccuracy()
    {
        int k = Confusion.GetLength(0);
        var r = new double[k];
        for (int i = 0; i < k; i++)
        {
            long total = 0;
            for (int j = 0; j < k; j++) total += Confusion[i, j];
            r[i] = total == 0 ? double.NaN : (double)Confusion[i, i] / total;
        }
        return r;
    }
}

/// <summary>
/// Classification as a training task: a model mapping inputs to logits [N, C], trained with cross-entropy against int64
/// class indices [N]; it reports accuracy ("accuracy") and top-k accuracy ("top_k_accuracy"), and evaluates a data set
/// with its confusion matrix. The number of classes is the model's, read from its logits; nothing is specific to a
/// data set but the optional image augmentation, whose crop follows the images' own size.
/// </summary>
public sealed class ClassificationTask : TrainingTask
{
    /// <summary>The key of the accuracy metric.</summary>
    public const string AccuracyKey = "accuracy";

    /// <summary>The key of the top-k accuracy metric.</summary>
    public const string TopKKey = "top_k_accuracy";

    private readonly Module<Tensor, Tensor> model;

    /// <summary>A task over <paramref name="model"/> with <paramref name="numClasses"/> classes, reporting top-<paramref name="topK"/> accuracy.</summary>
    public ClassificationTask(Module<Tensor, Tensor> model, int numClasses, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classification task needs at least 2 classes.");
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        this.model = model;
        NumClasses = numClasses;
        TopK = topK;
    }

    /// <inheritdoc/>
    public override Module Model => model;

    /// <summary>The classifier.</summary>
    public Module<Tensor, Tensor> Classifier => model;

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The k of the reported top-k accuracy.</summary>
    public int TopK { get; }

    /// <summary>The forward pass and the plain cross-entropy of one batch (no label smoothing).</summary>
    public override TaskLoss Loss(Tensor input, Tensor target) => Loss(input, target, labelSmoothing: 0);

    /// <summary>
    /// The forward pass and the cross-entropy of one batch with label smoothing <paramref name="labelSmoothing"/> in
    /// [0, 1) (<see cref="Functional.CrossEntropy"/>'s: targets (1 − ε)·one-hot + ε/C); the reported accuracy is the
    /// plain one. This is the training loss; evaluation (<see cref="Score(Tensor, Tensor)"/>,
    /// <see cref="EvaluateClasses"/>) reports plain cross-entropy.
    /// </summary>
    public TaskLoss Loss(Tensor input, Tensor target, double labelSmoothing)
    {
        CheckLabelSmoothing(labelSmoothing);
        var logits = model.Forward(input);
        var loss = Functional.CrossEntropy(logits, target, labelSmoothing: labelSmoothing);
        return new TaskLoss(loss, target.NumEl, new Dictionary<string, double>(StringComparer.Ordinal) { [AccuracyKey] = Correct(logits, target) });
    }

    /// <summary>The standard step on the training loss smoothed by the run's <see cref="TrainerOptions.LabelSmoothing"/>.</summary>
    public override (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Optimizer.ZeroGrad(setToNone: false);
        var loss = Loss(input, target, context.Options.LabelSmoothing);
        return (loss, context.Minimize(loss.Loss));
    }

    /// <summary>
    /// The classifier's logits [N, C] for <paramref name="input"/>; with <paramref name="flipTta"/> (test-time flip
    /// augmentation), the mean of its logits on the images [N, C, H, W] and on the same images mirrored left-right.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="flipTta"/> with an input that is not images [N, C, H, W].</exception>
    public Tensor Logits(Tensor input, bool flipTta = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!flipTta) return model.Forward(input);
        if (input.Rank != 4)
            throw new ArgumentException($"Flip test-time augmentation mirrors images [N, C, H, W]; the input has the shape [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        int w = input.Size(3);
        var reversed = new long[w];
        for (int i = 0; i < w; i++) reversed[i] = w - 1 - i;
        // Each pass in its own scope, keeping only its logits: the two passes' activations are never alive together.
        Tensor Pass(Func<Tensor> make)
        {
            using var scope = new TensorScope();
            return scope.Keep(model.Forward(make()));
        }
        var logits = Pass(() => input);
        var mirrored = Pass(() => input.IndexSelect(3, Tensor.FromArray(reversed).To(input.Device)));
        return (logits + mirrored) * 0.5;
    }

    /// <summary>The batch's plain cross-entropy summed, its accuracy and its top-k accuracy (no flip augmentation).</summary>
    public override BatchScore Score(Tensor input, Tensor target) => Score(input, target, flipTta: false);

    /// <summary>The batch's score under the run's <see cref="TrainerOptions.FlipTta"/> (the loss is plain cross-entropy whatever <see cref="TrainerOptions.LabelSmoothing"/>).</summary>
    public override BatchScore Score(Tensor input, Tensor target, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Score(input, target, options.FlipTta);
    }

    /// <summary>The batch's plain cross-entropy summed, its accuracy and its top-k accuracy, from <see cref="Logits"/> with or without <paramref name="flipTta"/>.</summary>
    public BatchScore Score(Tensor input, Tensor target, bool flipTta)
    {
        var logits = Logits(input, flipTta);
        double lossSum = Functional.CrossEntropy(logits, target, reduction: Reduction.Sum).Item();
        return new BatchScore(lossSum, target.NumEl, new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [AccuracyKey] = Correct(logits, target),
            [TopKKey] = Metrics.TopKCorrect(logits, target, TopK),
        });
    }

    private static void CheckLabelSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing is >= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"Label smoothing must be in [0, 1) (got {labelSmoothing.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
    }

    private static double Correct(Tensor logits, Tensor target)
    {
        using var pred = logits.ArgMax(1);
        using var hits = pred.Eq(target);
        return hits.Sum().Item();
    }

    /// <summary>Random crop (padding 2, to the images' own size), horizontal flip and random erasing (p 0.25), for [N, C, H, W] images.</summary>
    public override Transform? Augmentation(IDataset train) => Augmentation(train, erasing: 0.25);

    /// <summary>As <see cref="Augmentation(IDataset)"/>, with the random-erasing probability of <see cref="TrainerOptions.Erasing"/> (0: no erasing).</summary>
    public override Transform? Augmentation(IDataset train, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Augmentation(train, options.Erasing);
    }

    private static Transform? Augmentation(IDataset train, double erasing)
    {
        ArgumentNullException.ThrowIfNull(train);
        var (x, _) = train.Get(0);
        if (x.Rank < 2) return null;
        var crop = new RandomCrop(x.Size(-2), x.Size(-1), padding: 2);
        return erasing > 0 ? new Compose(crop, new RandomHorizontalFlip(), new RandomErasing(p: erasing)) : new Compose(crop, new RandomHorizontalFlip());
    }

    /// <summary>
    /// The loss and metrics of <see cref="TrainingTask.Evaluate"/>, computed by <see cref="EvaluateClasses"/> (the same
    /// values, with the confusion matrix), which is kept as <see cref="LastEvaluation"/>: a final evaluation right after
    /// the last epoch's (<see cref="Trainer.Evaluate"/>, nothing stepped since) can take it instead of another pass.
    /// </summary>
    public override Score Evaluate(IDataset data, int batchSize = 256, TrainerOptions? options = null)
    {
        var e = EvaluateClasses(data, batchSize, options?.FlipTta ?? false);
        LastEvaluation = (data, e);
        long seen = 0;
        foreach (long count in e.Confusion) seen += count;
        return new Score(e.Loss, new Dictionary<string, double>(StringComparer.Ordinal) { [AccuracyKey] = e.Accuracy, [TopKKey] = e.TopKAccuracy }, seen);
    }

    /// <summary>The data set and result of the latest <see cref="Evaluate"/>, or null before the first.</summary>
    public (IDataset Data, Evaluation Result)? LastEvaluation { get; private set; }

    /// <summary>
    /// Evaluates the classifier on <paramref name="data"/> in eval mode: loss (plain cross-entropy), accuracy, top-k
    /// accuracy and the confusion matrix; with <paramref name="flipTta"/> (<see cref="TrainerOptions.FlipTta"/>), from the
    /// mean of the logits on each image and on its left-right mirror (<see cref="Logits"/>).
    /// </summary>
    public Evaluation EvaluateClasses(IDataset data, int batchSize = 256, bool flipTta = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = model.Training;
        model.Eval();
        var confusion = new long[NumClasses, NumClasses];
        double lossSum = 0;
        long correct = 0, topCorrect = 0, seen = 0;
        try
        {
            using var noGrad = GradMode.NoGrad();
            foreach (var (x, y) in new DataLoader(data, batchSize, device: Device))
            {
                using var input = x;
                using var target = y;
                using var scope = new TensorScope();
                var logits = Logits(x, flipTta);
                lossSum += Functional.CrossEntropy(logits, y, reduction: Reduction.Sum).Item();
                topCorrect += Metrics.TopKCorrect(logits, y, TopK);
                var pred = logits.ArgMax(1).ToLongArray();
                var truth = y.ToLongArray();
                for (int i = 0; i < pred.Length; i++)
                {
                    confusion[truth[i], pred[i]]++;
                    if (pred[i] == truth[i]) correct++;
                }
                seen += pred.Length;
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        long n = Math.Max(seen, 1);
        return new Evaluation(lossSum / n, (double)correct / n, confusion) { TopKAccuracy = (double)topCorrect / n, TopK = TopK };
    }
}
