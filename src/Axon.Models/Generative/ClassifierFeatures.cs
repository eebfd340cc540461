using Axon.Data;
using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>What a classifier makes of a set of images: its penultimate-layer features and its predicted classes.</summary>
/// <param name="Features">Count x Dimension values, row-major: the activations feeding the classifier's last layer.</param>
/// <param name="Count">The number of images N.</param>
/// <param name="Dimension">The feature dimension d.</param>
/// <param name="Predictions">The arg-max class of each image.</param>
public sealed record ClassifierOutput(double[] Features, int Count, int Dimension, int[] Predictions)
{
    /// <summary>The mean and covariance of the features (N ≥ 2).</summary>
    public FeatureStatistics Statistics() => FeatureStatistics.From(Features, Count, Dimension);
}

/// <summary>
/// The feature space of a trained image classifier from <see cref="ModelZoo"/>: the activations that feed its last
/// (linear) layer, the representation the classifier separates the classes in. A Fréchet distance between the features
/// of generated and real Fashion-MNIST images (<see cref="FrechetDistance"/>) is then a "FID" in the feature space of
/// Axon's own classifier, NOT the Inception network's FID: the values are comparable with each other (same classifier,
/// same number of images) but not with published FIDs.
/// Supported: <see cref="LectureCnn"/>, <see cref="LeNet5"/>, <see cref="SmallVgg"/> and any <see cref="Sequential"/>
/// of at least two layers (e.g. the zoo's <c>mlp</c>); other models are refused with an error naming them.
/// </summary>
public sealed class ClassifierFeatures
{
    private readonly Module<Tensor, Tensor> model;
    private readonly Func<Tensor, Tensor> body;
    private readonly Module<Tensor, Tensor> head;
    private readonly float mean, std;
    private readonly int batchSize;

    /// <summary>Wraps <paramref name="classifier"/>, which is put in evaluation mode for every pass.</summary>
    /// <param name="classifier">A trained classifier taking normalised [N, 1, 28, 28] images.</param>
    /// <param name="mean">The normalisation the classifier was trained with: inputs are (x − mean) / std for x in [0, 1]
    /// (Fashion-MNIST's training statistics by default, as <c>axon train</c> uses).</param>
    /// <param name="std">See <paramref name="mean"/>; positive.</param>
    /// <param name="batchSize">Images per forward pass (500 by default).</param>
    public ClassifierFeatures(Module<Tensor, Tensor> classifier, float mean = FashionMnist.TrainMean, float std = FashionMnist.TrainStd, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (!(std > 0) || !float.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "ClassifierFeatures: the standard deviation must be positive and finite.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "ClassifierFeatures: the batch size must be at least 1.");
        model = classifier;
        (this.mean, this.std, this.batchSize) = (mean, std, batchSize);
        (body, head) = Split(classifier);
    }

    /// <summary>Whether <paramref name="classifier"/> is a model whose penultimate features this class can take.</summary>
    public static bool Supports(Module<Tensor, Tensor> classifier) =>
        classifier is LectureCnn or LeNet5 or SmallVgg || classifier is Sequential { Count: >= 2 };

    private static (Func<Tensor, Tensor> Body, Module<Tensor, Tensor> Head) Split(Module<Tensor, Tensor> classifier) => classifier switch
    {
        LectureCnn m => (m.Penultimate, m.Classifier[m.Classifier.Count - 1]),
        LeNet5 m => (m.Penultimate, m.Classifier[m.Classifier.Count - 1]),
        SmallVgg m => (x => AllButLast(m.Classifier, m.Pool.Call(m.Features.Call(x))), m.Classifier[m.Classifier.Count - 1]),
        Sequential { Count: >= 2 } s => (x => AllButLast(s, x), s[s.Count - 1]),
        _ => throw new ArgumentException(
            $"ClassifierFeatures: cannot take penultimate features from a {classifier.GetType().Name}; " +
            "use lecture-cnn, lenet5, vgg-small or mlp (a Sequential).", nameof(classifier)),
    };

    private static Tensor AllButLast(Sequential s, Tensor x)
    {
        for (int i = 0; i < s.Count - 1; i++) x = s[i].Call(x);
        return x;
    }

    /// <summary>
    /// Runs the classifier on <paramref name="count"/> images given as row-major pixels in [0, 1] (784 per image), in
    /// batches, in evaluation mode without gradients.
    /// </summary>
    /// <param name="pixels">count · 784 values in [0, 1].</param>
    /// <param name="count">The number of images.</param>
    public ClassifierOutput Evaluate(ReadOnlySpan<float> pixels, int count)
    {
        const int P = FashionMnist.Pixels;
        if (count < 1) throw new ArgumentException($"ClassifierFeatures: no images to evaluate (count {count}).", nameof(count));
        if (pixels.Length != (long)count * P)
            throw new ArgumentException($"ClassifierFeatures: {count} images of 28x28 need {(long)count * P} pixels, got {pixels.Length}.", nameof(pixels));
        bool wasTraining = model.Training;
        model.Eval();
        var device = model.Device;
        double[]? features = null;
        int dim = 0;
        var predictions = new int[count];
        try
        {
            using var noGrad = GradMode.NoGrad();
            var buffer = new float[Math.Min(batchSize, count) * P];
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                var source = pixels.Slice(start * P, n * P);
                for (int i = 0; i < source.Length; i++) buffer[i] = (source[i] - mean) / std;
                using var scope = new TensorScope();
                var x = Tensor.FromArray(n == buffer.Length / P ? buffer : buffer[..(n * P)], n, 1, FashionMnist.ImageSize, FashionMnist.ImageSize).To(device);
                var h = body(x);
                if (h.Rank != 2 || h.Size(0) != n)
                    throw new InvalidOperationException($"ClassifierFeatures: the penultimate layer of {model.GetType().Name} gave {FeatureStatistics.Format(h.GetShape())}, expected [{n}, d].");
                if (features is null)
                {
                    dim = h.Size(1);
                    features = new double[(long)count * dim];
                }
                h.ToArray<double>().CopyTo(features, (long)start * dim);
                var predicted = head.Call(h).ArgMax(1).ToArray<long>();
                for (int i = 0; i < n; i++) predictions[start + i] = (int)predicted[i];
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return new ClassifierOutput(features!, count, dim, predictions);
    }

    /// <summary>Runs the classifier on images [N, 1, 28, 28] (or [N, 28, 28]) with values in [0, 1].</summary>
    /// <param name="images">The images, float32 or float64.</param>
    public ClassifierOutput Evaluate(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var shape = images.GetShape();
        if (shape is not ([_, 1, 28, 28] or [_, 28, 28]))
            throw new ArgumentException($"ClassifierFeatures: images must be [N, 1, 28, 28], got {FeatureStatistics.Format(shape)}.", nameof(images));
        return Evaluate(images.ToArray<float>(), shape[0]);
    }
}
