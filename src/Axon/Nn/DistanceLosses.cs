namespace Axon.Nn;

/// <summary>Cosine similarity of two inputs along a dimension, as torch.nn.CosineSimilarity (see <see cref="Functional.CosineSimilarity"/>).</summary>
public sealed class CosineSimilarity(int dim = 1, double eps = 1e-8) : Module<(Tensor X1, Tensor X2), Tensor>
{
    /// <summary>The dimension reduced.</summary>
    public int Dim { get; } = dim;

    /// <summary>The smallest norm each input is given.</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public override Tensor Forward((Tensor X1, Tensor X2) input) => Functional.CosineSimilarity(input.X1, input.X2, Dim, Eps);

    /// <summary>The similarity of <paramref name="x1"/> and <paramref name="x2"/>.</summary>
    public Tensor Forward(Tensor x1, Tensor x2) => Forward((x1, x2));
}

/// <summary>The p-norm distance of pairs of rows, as torch.nn.PairwiseDistance (see <see cref="Functional.PairwiseDistance"/>).</summary>
public sealed class PairwiseDistance(double p = 2, double eps = 1e-6, bool keepdim = false) : Module<(Tensor X1, Tensor X2), Tensor>
{
    /// <summary>The norm degree.</summary>
    public double P { get; } = p > 0 && !double.IsInfinity(p) ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "PairwiseDistance: p must be positive and finite.");

    /// <summary>Added to every difference.</summary>
    public double Eps { get; } = eps;

    /// <summary>Whether the reduced dimension is kept with size 1.</summary>
    public bool Keepdim { get; } = keepdim;

    /// <inheritdoc/>
    public override Tensor Forward((Tensor X1, Tensor X2) input) => Functional.PairwiseDistance(input.X1, input.X2, P, Eps, Keepdim);

    /// <summary>The distance of <paramref name="x1"/> and <paramref name="x2"/>.</summary>
    public Tensor Forward(Tensor x1, Tensor x2) => Forward((x1, x2));
}

/// <summary>KL divergence of log-probability inputs from probability targets, as torch.nn.KLDivLoss (see <see cref="Functional.KlDiv"/>).</summary>
/// <remarks>PyTorch's <c>reduction="batchmean"</c> is <c>new KLDivLoss(Reduction.Mean, batchMean: true)</c>.</remarks>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false, bool batchMean = false) : Loss(reduction)
{
    /// <summary>Whether the target holds log-probabilities.</summary>
    public bool LogTarget { get; } = logTarget;

    /// <summary>Whether Mean divides by the batch size (PyTorch's "batchmean") rather than by the number of elements.</summary>
    public bool BatchMean { get; } = batchMean && reduction != Reduction.Mean
        ? throw new ArgumentException($"KLDivLoss: batchMean divides the sum by the batch size and needs reduction Mean, got {reduction}.", nameof(batchMean))
        : batchMean;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KlDiv(input, target, Reduction, LogTarget, BatchMean);
}

/// <summary>A loss of three tensors (two inputs and a target, or an anchor, a positive and a negative); repr as PyTorch's, <c>Name()</c>.</summary>
public abstract class TripleLoss(Reduction reduction)
{
    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Computes the loss.</summary>
    public abstract Tensor Forward(Tensor first, Tensor second, Tensor third);

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}()";
}

/// <summary>Gaussian negative log-likelihood of a target given a mean and a variance, as torch.nn.GaussianNLLLoss: <c>Forward(input, target, var)</c> (see <see cref="Functional.GaussianNllLoss"/>).</summary>
public sealed class GaussianNLLLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean) : TripleLoss(reduction)
{
    /// <summary>Whether the constant 0.5 log 2 pi is included.</summary>
    public bool Full { get; } = full;

    /// <summary>The smallest variance used.</summary>
    public double Eps { get; } = eps > 0 ? eps : throw new ArgumentOutOfRangeException(nameof(eps), eps, "GaussianNLLLoss: eps must be positive.");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor first, Tensor second, Tensor third) => Functional.GaussianNllLoss(first, second, third, Full, Eps, Reduction);
}

/// <summary>Triplet margin loss, as torch.nn.TripletMarginLoss: <c>Forward(anchor, positive, negative)</c> (see <see cref="Functional.TripletMarginLoss"/>).</summary>
public sealed class TripletMarginLoss(double margin = 1.0, double p = 2, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean) : TripleLoss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <summary>The norm degree of the distance.</summary>
    public double P { get; } = p > 0 && !double.IsInfinity(p) ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "TripletMarginLoss: p must be positive and finite.");

    /// <summary>Added to every difference in the distance.</summary>
    public double Eps { get; } = eps;

    /// <summary>Whether the distance swap (the positive-negative distance when smaller) is used.</summary>
    public bool Swap { get; } = swap;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor first, Tensor second, Tensor third) => Functional.TripletMarginLoss(first, second, third, Margin, P, Eps, Swap, Reduction);
}

/// <summary>Contrastive loss of Siamese embeddings (Hadsell et al. 2006): <c>Forward(x1, x2, target)</c>, target 1 for a similar pair (see <see cref="Functional.ContrastiveLoss"/>). PyTorch has no such module.</summary>
public sealed class ContrastiveLoss(double margin = 1.0, double eps = 1e-6, Reduction reduction = Reduction.Mean) : TripleLoss(reduction)
{
    /// <summary>The distance beyond which dissimilar pairs cost nothing.</summary>
    public double Margin { get; } = margin;

    /// <summary>Added to every difference in the distance.</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor first, Tensor second, Tensor third) => Functional.ContrastiveLoss(first, second, third, Margin, Eps, Reduction);
}

/// <summary>Cosine embedding loss, as torch.nn.CosineEmbeddingLoss: <c>Forward(x1, x2, target)</c>, target in {1, -1} (see <see cref="Functional.CosineEmbeddingLoss"/>).</summary>
public sealed class CosineEmbeddingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : TripleLoss(reduction)
{
    /// <summary>The margin for dissimilar pairs.</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor first, Tensor second, Tensor third) => Functional.CosineEmbeddingLoss(first, second, third, Margin, Reduction);
}

/// <summary>Margin ranking loss, as torch.nn.MarginRankingLoss: <c>Forward(input1, input2, target)</c>, target in {1, -1} (see <see cref="Functional.MarginRankingLoss"/>).</summary>
public sealed class MarginRankingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : TripleLoss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor first, Tensor second, Tensor third) => Functional.MarginRankingLoss(first, second, third, Margin, Reduction);
}
