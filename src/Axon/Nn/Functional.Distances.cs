namespace Axon.Nn;

// Distances, similarities and the losses built on them (autoencoders, VAEs, Siamese and triplet networks): each a
// composite of differentiable ops, so gradients come from theirs and differentiate again. Semantics are PyTorch
// 1.13's, including where it clamps a value without differentiating the clamp.
public static partial class Functional
{
    /// <summary>
    /// The value of <c>x.Clamp(min)</c> with the gradient of <c>x</c>: PyTorch clamps some denominators in place under
    /// no_grad, so the gradient still flows as if nothing had been clamped.
    /// </summary>
    private static Tensor ClampMinNoGrad(Tensor x, double min) => x + (x.Clamp(min: min) - x).Detach();

    private static string Shape(Tensor t) => ShapeUtil.Format(t.Shape);

    /// <summary>
    /// Kullback-Leibler divergence pointwise loss (torch.nn.functional.kl_div): <paramref name="input"/> holds
    /// log-probabilities, <paramref name="target"/> probabilities (or log-probabilities with <paramref name="logTarget"/>);
    /// per element t (log t - x), taken as 0 where t = 0, or e^t (t - x) with log targets. Same shapes.
    /// PyTorch's <c>reduction="batchmean"</c> is <paramref name="reduction"/> = <see cref="Reduction.Mean"/> with
    /// <paramref name="batchMean"/>: the sum divided by the batch size (the first dimension), which is the true KL
    /// divergence per sample; plain Mean divides by the number of elements.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false, bool batchMean = false)
    {
        SameShape(input, target, "KlDiv");
        if (batchMean && reduction != Reduction.Mean)
            throw new ArgumentException($"KlDiv: batchMean divides the sum by the batch size and needs reduction Mean, got {reduction}.", nameof(batchMean));
        Tensor loss;
        if (logTarget) loss = target.Exp() * (target - input);
        else
        {
            // xlogy(t, t): 0 log 0 = 0. The log's argument is replaced where t = 0 so that no NaN reaches the gradient.
            var positive = target.Gt(0);
            var tLogT = Tensor.Where(positive, target * Tensor.Where(positive, target, Tensor.OnesLike(target)).Log(), Tensor.ZerosLike(target));
            loss = tLogT - target * input;
        }
        if (!batchMean) return Reduce(loss, reduction);
        return input.Rank == 0 ? loss.Sum() : loss.Sum() / input.Size(0);
    }

    /// <summary>
    /// The closed-form KL divergence of the diagonal Gaussian N(mu, e^logVar) from the standard normal, as in a VAE's
    /// loss: per sample -0.5 sum_j (1 + logVar_j - mu_j^2 - e^logVar_j), the sum over the last dimension (the latent
    /// code). <see cref="Reduction.Sum"/> (the default, Kingma and Welling's form) adds the samples, Mean averages them,
    /// None keeps one value per sample (the shape without the last dimension). Same shapes.
    /// </summary>
    public static Tensor GaussianKlStandardNormal(Tensor mu, Tensor logVar, Reduction reduction = Reduction.Sum)
    {
        if (!mu.Shape.SequenceEqual(logVar.Shape) || mu.Rank == 0)
            throw new ArgumentException($"GaussianKlStandardNormal: mu shape {Shape(mu)} and logVar shape {Shape(logVar)} must match and have at least one dimension (the latent code).");
        var perSample = ((1.0 + logVar - mu.Square() - logVar.Exp()) * -0.5).Sum(-1);
        return Reduce(perSample, reduction);
    }

    /// <summary>
    /// Gaussian negative log-likelihood (torch.nn.functional.gaussian_nll_loss): 0.5 (log v + (x - t)^2 / v), plus
    /// 0.5 log 2 pi with <paramref name="full"/>, where v is the variance clamped below at <paramref name="eps"/>
    /// (the clamp is not differentiated, as in PyTorch). <paramref name="var"/> has the input's shape, that shape
    /// without its last dimension, or that shape with last dimension 1 (one variance for all features); it must not be negative.
    /// </summary>
    public static Tensor GaussianNllLoss(Tensor input, Tensor target, Tensor var, bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "GaussianNllLoss");
        if (!var.Shape.SequenceEqual(input.Shape))
        {
            var lead = input.Rank == 0 ? [] : input.Shape[..^1];
            if (input.Rank > 0 && var.Shape.SequenceEqual(lead)) var = var.Unsqueeze(-1);
            else if (!(input.Rank > 0 && var.Rank == input.Rank && var.Shape[..^1].SequenceEqual(lead) && var.Size(-1) == 1))
                throw new ArgumentException($"GaussianNllLoss: var shape {Shape(var)} must be the input shape {Shape(input)}, that shape without its last dimension, or that shape with last dimension 1.", nameof(var));
        }
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "GaussianNllLoss: eps must be positive.");
        using (var negative = var.Lt(0).Sum())
            if (negative.Item() > 0) throw new ArgumentException("GaussianNllLoss: var has negative entries.", nameof(var));
        var v = ClampMinNoGrad(var, eps);
        var loss = (v.Log() + (input - target).Square() / v) * 0.5;
        if (full) loss += 0.5 * Math.Log(2 * Math.PI);
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Cosine similarity along <paramref name="dim"/> (torch.nn.functional.cosine_similarity): x1.x2 /
    /// sqrt(max(|x1|^2, eps^2) max(|x2|^2, eps^2)), so each norm is at least <paramref name="eps"/> (clamps not
    /// differentiated, as in PyTorch 1.13). The inputs broadcast; <paramref name="dim"/> indexes the broadcast shape and is removed.
    /// </summary>
    public static Tensor CosineSimilarity(Tensor x1, Tensor x2, int dim = 1, double eps = 1e-8)
    {
        var shape = ShapeUtil.Broadcast(x1.Shape, x2.Shape, "CosineSimilarity");
        int d = ShapeUtil.NormDim(dim, shape.Length, "CosineSimilarity");
        var a = x1.Shape.SequenceEqual(shape) ? x1 : x1.Expand(shape);
        var b = x2.Shape.SequenceEqual(shape) ? x2 : x2.Expand(shape);
        var dot = (a * b).Sum(d);
        var s1 = ClampMinNoGrad(a.Square().Sum(d), eps * eps);
        var s2 = ClampMinNoGrad(b.Square().Sum(d), eps * eps);
        return dot / (s1 * s2).Sqrt();
    }

    /// <summary>
    /// The p-norm distance of each pair of rows along the last dimension (torch.nn.functional.pairwise_distance):
    /// ||x1 - x2 + eps||_p, with <paramref name="eps"/> added to every difference as PyTorch does (it keeps the norm,
    /// and so its gradient, away from zero). The inputs broadcast; <paramref name="p"/> must be positive and finite.
    /// </summary>
    public static Tensor PairwiseDistance(Tensor x1, Tensor x2, double p = 2, double eps = 1e-6, bool keepdim = false)
    {
        if (!(p > 0) || double.IsInfinity(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "PairwiseDistance: p must be positive and finite.");
        var shape = ShapeUtil.Broadcast(x1.Shape, x2.Shape, "PairwiseDistance");
        if (shape.Length == 0) throw new ArgumentException($"PairwiseDistance: inputs {Shape(x1)} and {Shape(x2)} need at least one dimension.");
        var diff = x1 - x2 + eps;
        return p switch
        {
            1 => diff.Abs().Sum(-1, keepdim),
            2 => diff.Square().Sum(-1, keepdim).Sqrt(),
            _ => diff.Abs().Pow(p).Sum(-1, keepdim).Pow(1 / p),
        };
    }

    /// <summary>
    /// Triplet margin loss (torch.nn.functional.triplet_margin_loss): max(0, margin + d(a, p) - d(a, n)) with d the
    /// <see cref="PairwiseDistance"/>; with <paramref name="swap"/>, d(a, n) is replaced by min(d(a, n), d(p, n))
    /// (Balntas et al. 2016). The three inputs must have the same shape [N, D] or [D].
    /// </summary>
    public static Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1.0, double p = 2, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean)
    {
        if (!anchor.Shape.SequenceEqual(positive.Shape) || !anchor.Shape.SequenceEqual(negative.Shape) || anchor.Rank is < 1 or > 2)
            throw new ArgumentException($"TripletMarginLoss: anchor {Shape(anchor)}, positive {Shape(positive)} and negative {Shape(negative)} must have the same shape, [N, D] or [D].");
        var dPos = PairwiseDistance(anchor, positive, p, eps);
        var dNeg = PairwiseDistance(anchor, negative, p, eps);
        if (swap) dNeg = dNeg.Minimum(PairwiseDistance(positive, negative, p, eps));
        return Reduce((margin + dPos - dNeg).Clamp(min: 0), reduction);
    }

    /// <summary>
    /// Contrastive loss for Siamese networks (Hadsell, Chopra and LeCun 2006), halved as in the paper:
    /// 0.5 (y d^2 + (1 - y) max(0, margin - d)^2), d the Euclidean <see cref="PairwiseDistance"/> (with its eps) of the
    /// two embeddings [N, D] (or [D]) and y = 1 for a similar pair, 0 for a dissimilar one (the paper's Y is 1 - y);
    /// target has the shape of d, [N] (or []).
    /// </summary>
    public static Tensor ContrastiveLoss(Tensor x1, Tensor x2, Tensor target, double margin = 1.0, double eps = 1e-6, Reduction reduction = Reduction.Mean)
    {
        CheckPairTarget(x1, x2, target, "ContrastiveLoss");
        var d = PairwiseDistance(x1, x2, 2, eps);
        var loss = (target * d.Square() + (1.0 - target) * (margin - d).Clamp(min: 0).Square()) * 0.5;
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Cosine embedding loss (torch.nn.functional.cosine_embedding_loss): 1 - cos(x1, x2) where y = 1,
    /// max(0, cos(x1, x2) - margin) where y = -1 (0 for other labels), the cosine along the last dimension of [N, D] (or [D])
    /// computed as PyTorch does, x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)); target [N] (or []).
    /// </summary>
    public static Tensor CosineEmbeddingLoss(Tensor x1, Tensor x2, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean)
    {
        CheckPairTarget(x1, x2, target, "CosineEmbeddingLoss");
        const double epsilon = 1e-12;
        var cos = (x1 * x2).Sum(-1) / ((x1.Square().Sum(-1) + epsilon) * (x2.Square().Sum(-1) + epsilon)).Sqrt();
        var zeros = Tensor.ZerosLike(cos);
        var loss = Tensor.Where(target.Eq(1), 1.0 - cos, zeros) + Tensor.Where(target.Eq(-1), (cos - margin).Clamp(min: 0), zeros);
        return Reduce(loss, reduction);
    }

    /// <summary>Margin ranking loss (torch.nn.functional.margin_ranking_loss): max(0, -y (x1 - x2) + margin), y = 1 when x1 should rank higher, -1 when x2; all three the same shape.</summary>
    public static Tensor MarginRankingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean)
    {
        if (!input1.Shape.SequenceEqual(input2.Shape) || !input1.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"MarginRankingLoss: input1 {Shape(input1)}, input2 {Shape(input2)} and target {Shape(target)} must have the same shape.");
        return Reduce((margin - target * (input1 - input2)).Clamp(min: 0), reduction);
    }

    /// <summary>Two embeddings [N, D] (or [D]) of one shape and a target of one label per pair, [N] (or []).</summary>
    private static void CheckPairTarget(Tensor x1, Tensor x2, Tensor target, string op)
    {
        if (!x1.Shape.SequenceEqual(x2.Shape) || x1.Rank is < 1 or > 2)
            throw new ArgumentException($"{op}: input shapes {Shape(x1)} and {Shape(x2)} must match, [N, D] or [D].");
        if (!target.Shape.SequenceEqual(x1.Shape[..^1]))
            throw new ArgumentException($"{op}: target shape {Shape(target)} must be {ShapeUtil.Format(x1.Shape[..^1])}, one label per pair of inputs {Shape(x1)}.", nameof(target));
    }
}
