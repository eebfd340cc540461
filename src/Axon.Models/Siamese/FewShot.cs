using Axon.Data;
using Axon.Nn;

namespace Axon.Models.Siamese;

/// <summary>The accuracy of N-way K-shot episodes, with its standard error over the episodes.</summary>
/// <param name="Accuracy">Queries classified right over all queries.</param>
/// <param name="StandardError">The standard error of the per-episode accuracies' mean.</param>
/// <param name="Episodes">Episodes run.</param>
/// <param name="Queries">Queries in all.</param>
public sealed record FewShotResult(double Accuracy, double StandardError, int Episodes, int Queries);

/// <summary>
/// N-way K-shot evaluation of an embedding (Koch et al. 2015; Snell et al. 2017): each episode draws N classes, K
/// support images and Q query images per class (distinct), embeds them, and labels each query with the class whose
/// support embeddings' mean (the prototype; with K = 1 the one support image) is nearest in Euclidean distance.
/// Classes held out of training measure one-shot learning.
/// </summary>
public static class FewShot
{
    /// <summary>
    /// Runs <paramref name="episodes"/> episodes drawn from <paramref name="generator"/> over the classes of
    /// <paramref name="index"/>. Classes in <paramref name="always"/> are in every episode (for example the classes held
    /// out of training), and the other ways are drawn from the remaining classes (distractors).
    /// </summary>
    public static FewShotResult Evaluate(Module<Tensor, Tensor> encoder, ClassIndex index, int ways, int shots, int queries, int episodes, Generator generator,
        IReadOnlyList<int>? always = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(generator);
        if (ways < 2 || ways > index.Classes.Count)
            throw new ArgumentOutOfRangeException(nameof(ways), ways, $"FewShot: ways must be between 2 and the {index.Classes.Count} classes.");
        always ??= [];
        if (always.Count > ways || always.Distinct().Count() != always.Count || always.Any(c => !index.Classes.Contains(c)))
            throw new ArgumentException($"FewShot: the classes in every episode ({string.Join(", ", always)}) must be distinct classes of the index ({string.Join(", ", index.Classes)}), at most {ways}.", nameof(always));
        var others = index.Classes.Where(c => !always.Contains(c)).ToArray();
        ArgumentOutOfRangeException.ThrowIfLessThan(shots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        foreach (int c in index.Classes)
            if (index.Of(c).Count < shots + queries)
                throw new ArgumentException($"FewShot: class {c} has {index.Of(c).Count} samples, fewer than {shots} shots + {queries} queries.", nameof(shots));
        bool wasTraining = encoder.Training;
        encoder.Eval();
        var perEpisode = new double[episodes];
        int correct = 0;
        try
        {
            using var noGrad = GradMode.NoGrad();
            for (int e = 0; e < episodes; e++)
            {
                var order = generator.Permutation(others.Length);
                var classes = always.Concat(order.Take(ways - always.Count).Select(k => others[k])).ToArray();
                var support = new List<int>();
                var query = new List<int>();
                foreach (int c in classes)
                {
                    var members = index.Of(c);
                    var pick = generator.Permutation(members.Count);
                    for (int s = 0; s < shots; s++) support.Add(members[pick[s]]);
                    for (int k = 0; k < queries; k++) query.Add(members[pick[shots + k]]);
                }
                var prototypes = Embed(encoder, index.Data, support);
                int dim = prototypes.Length / support.Count;
                var centres = new double[ways * dim];
                for (int i = 0; i < support.Count; i++)
                    for (int j = 0; j < dim; j++) centres[i / shots * dim + j] += prototypes[i * dim + j] / shots;
                var embedded = Embed(encoder, index.Data, query);
                int right = 0;
                for (int i = 0; i < query.Count; i++)
                {
                    int best = 0;
                    double bestD = double.PositiveInfinity;
                    for (int c = 0; c < ways; c++)
                    {
                        double d = 0;
                        for (int j = 0; j < dim; j++) { double t = embedded[i * dim + j] - centres[c * dim + j]; d += t * t; }
                        if (d < bestD) (bestD, best) = (d, c);
                    }
                    if (best == i / queries) right++;
                }
                correct += right;
                perEpisode[e] = right / (double)query.Count;
            }
        }
        finally
        {
            encoder.Train(wasTraining);
        }
        double mean = perEpisode.Average();
        double se = episodes < 2 ? 0 : Math.Sqrt(perEpisode.Sum(a => (a - mean) * (a - mean)) / (episodes - 1) / episodes);
        return new FewShotResult(correct / (double)(episodes * ways * queries), se, episodes, episodes * ways * queries);
    }

    private static float[] Embed(Module<Tensor, Tensor> encoder, IDataset data, List<int> indices)
    {
        var batch = Tensor.Stack(indices.Select(i => data.Get(i).Input).ToArray()).To(encoder.Device);
        var z = encoder.Call(batch);
        return z.Reshape(indices.Count, -1).To(DType.Float32).To(Device.Cpu).ToArray<float>();
    }
}
