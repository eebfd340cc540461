using System.Diagnostics;
using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models;

/// <summary>The hand-designed features of a <see cref="ShallowPipeline"/>.</summary>
public enum ShallowFeatures
{
    /// <summary>The raw pixels, flattened.</summary>
    Pixels,

    /// <summary>Histograms of Oriented Gradients (<see cref="Hog"/>).</summary>
    Hog,
}

/// <summary>The linear classifier on top of a <see cref="ShallowPipeline"/>'s features.</summary>
public enum ShallowClassifier
{
    /// <summary>A linear SVM: <see cref="LinearSvm"/> on the multiclass hinge loss.</summary>
    Svm,

    /// <summary>Multiclass logistic regression: <see cref="Models.LogisticRegression"/> on cross-entropy.</summary>
    LogisticRegression,
}

/// <summary>The settings of a <see cref="ShallowPipeline"/>.</summary>
public sealed record ShallowOptions
{
    /// <summary>The features.</summary>
    public ShallowFeatures Features { get; init; } = ShallowFeatures.Hog;

    /// <summary>The classifier.</summary>
    public ShallowClassifier Classifier { get; init; } = ShallowClassifier.Svm;

    /// <summary>The HOG geometry (with <see cref="ShallowFeatures.Hog"/>); by default 4-pixel cells and 2x2 blocks, which suit 28x28 images.</summary>
    public HogOptions Hog { get; init; } = new() { CellSize = 4, BlockSize = 2 };

    /// <summary>
    /// The training recipe: by default 15 epochs of SGD (rate 0.01, momentum 0.9) in batches of 128 with a cosine
    /// schedule, and the L2 penalty λ‖W‖² on the weights (<see cref="TrainerOptions.L2"/>, 1e-4: the SVM's λ, C = 1/(2λN)).
    /// </summary>
    public TrainerOptions Training { get; init; } = new()
    {
        Epochs = 15,
        BatchSize = 128,
        Optimizer = "sgd",
        OptimizerSettings = new() { Lr = 0.01, Momentum = 0.9 },
        Schedule = "cosine",
        L2 = 1e-4,
        Prefetch = 0,
    };

    /// <summary>Threads for the feature extraction and the kernels (0: one per processor).</summary>
    public int Threads { get; init; }
}

/// <summary>The outcome of <see cref="ShallowPipeline.Fit"/>.</summary>
/// <param name="FeatureLength">The dimension D of the features.</param>
/// <param name="TrainAccuracy">Accuracy on the training set after training.</param>
/// <param name="TestAccuracy">Accuracy on the test set.</param>
/// <param name="FeatureTime">Wall time of the feature extraction of both sets.</param>
/// <param name="StandardizeTime">Wall time of fitting the standardisation and applying it to both sets.</param>
/// <param name="TrainTime">Wall time of the training (with the per-epoch test evaluations).</param>
/// <param name="History">The trainer's report of each epoch.</param>
public sealed record ShallowResult(int FeatureLength, double TrainAccuracy, double TestAccuracy, TimeSpan FeatureTime, TimeSpan StandardizeTime, TimeSpan TrainTime, IReadOnlyList<EpochReport> History);

/// <summary>
/// "Shallow learning" as the lectures contrast it with deep networks: hand-designed features (HOG or raw pixels),
/// standardised with the training set's statistics, and one trained linear map on top (a linear SVM or logistic
/// regression), trained with the <see cref="Trainer"/>. Only the linear map learns from the data.
/// <code>
/// var pipeline = new ShallowPipeline(new ShallowOptions { Features = ShallowFeatures.Hog, Classifier = ShallowClassifier.Svm });
/// var result = pipeline.Fit(trainImages, trainLabels, testImages, testLabels);   // images [N, 1, H, W], labels int64 [N]
/// var predicted = pipeline.Predict(newImages).ArgMax(1);
/// </code>
/// </summary>
public sealed class ShallowPipeline
{
    private Module<Tensor, Tensor>? model;
    private FeatureStandardizer? standardizer;

    /// <summary>A pipeline with <paramref name="options"/> (validated now).</summary>
    public ShallowPipeline(ShallowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Training.Validate();
        if (options.Features == ShallowFeatures.Hog) options.Hog.Validate();
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "ShallowOptions.Threads must be non-negative (0 = one per processor).");
        Options = options;
    }

    /// <summary>The settings.</summary>
    public ShallowOptions Options { get; }

    /// <summary>The trained linear model (null before <see cref="Fit"/>).</summary>
    public Module<Tensor, Tensor>? Model => model;

    /// <summary>The standardisation fitted on the training features (null before <see cref="Fit"/>).</summary>
    public FeatureStandardizer? Standardizer => standardizer;

    private int ThreadCount => Options.Threads == 0 ? Environment.ProcessorCount : Options.Threads;

    /// <summary>The raw features of grey images [N, 1, H, W] or [N, H, W]: [N, D] (HOG descriptors, or the flattened pixels).</summary>
    public Tensor Extract(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank is not (3 or 4)) throw new ArgumentException($"ShallowPipeline: expected images [N, 1, H, W] or [N, H, W], got [{string.Join(", ", images.GetShape())}].", nameof(images));
        if (Options.Features == ShallowFeatures.Hog) return Hog.Compute(images, Options.Hog, ThreadCount);
        using var noGrad = GradMode.NoGrad();
        return images.Reshape(images.Size(0), -1).Contiguous();
    }

    /// <summary>
    /// Extracts the features of both sets, fits the standardisation on the training features, trains a fresh linear model
    /// (initialised from <see cref="TrainerOptions.Seed"/>) and scores it on both sets.
    /// </summary>
    /// <param name="trainImages">Training images [N, 1, H, W] or [N, H, W], float32.</param>
    /// <param name="trainLabels">Their classes, int64 [N], in 0..K−1; K is the largest label plus one (at least 2).</param>
    /// <param name="testImages">Test images of the same size.</param>
    /// <param name="testLabels">Their classes.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="onBatch">Called after each batch.</param>
    public ShallowResult Fit(Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels, Action<EpochReport>? onEpoch = null, Action<BatchReport>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(trainLabels);
        ArgumentNullException.ThrowIfNull(testLabels);
        var clock = Stopwatch.StartNew();
        var trainFeatures = Extract(trainImages);
        var testFeatures = Extract(testImages);
        var featureTime = clock.Elapsed;
        clock.Restart();
        standardizer = FeatureStandardizer.Fit(trainFeatures);
        var train = new TensorDataset(standardizer.Transform(trainFeatures), trainLabels);
        var test = new TensorDataset(standardizer.Transform(testFeatures), testLabels);
        var standardizeTime = clock.Elapsed;

        int d = trainFeatures.Size(1);
        int classes = (int)Math.Max(trainLabels.Max().Item(), testLabels.Max().Item()) + 1;
        if (classes < 2) throw new ArgumentException($"ShallowPipeline: the labels name {classes} class; a classifier needs at least 2.", nameof(trainLabels));
        var generator = new Generator(Options.Training.Seed);
        model = Options.Classifier == ShallowClassifier.Svm
            ? new LinearSvm(d, classes, generator: generator)
            : new LogisticRegression(d, classes, generator: generator);
        model.To(Device.CpuWith(new Backends.CpuOptions { Threads = ThreadCount }));
        TrainingTask task = Options.Classifier == ShallowClassifier.Svm ? new HingeClassificationTask(model) : new ClassificationTask(model, classes, topK: Math.Min(5, classes));

        clock.Restart();
        var trainer = new Trainer(task, generator, Options.Training);
        trainer.Fit(train, test, onBatch, onEpoch);
        var trainTime = clock.Elapsed;
        double trainAccuracy = task.Evaluate(train).Metric(ClassificationTask.AccuracyKey);
        double testAccuracy = task.Evaluate(test).Metric(ClassificationTask.AccuracyKey);
        return new ShallowResult(d, trainAccuracy, testAccuracy, featureTime, standardizeTime, trainTime, trainer.History);
    }

    /// <summary>The class scores [N, K] of images, through the fitted features, standardisation and model.</summary>
    /// <exception cref="InvalidOperationException">The pipeline has not been fitted.</exception>
    public Tensor Predict(Tensor images)
    {
        if (model is null || standardizer is null) throw new InvalidOperationException("ShallowPipeline.Predict: call Fit first.");
        using var noGrad = GradMode.NoGrad();
        return model.Forward(standardizer.Transform(Extract(images)).To(model.Device));
    }
}
