namespace Axon.Nn;

/// <summary>
/// Loss functions in functional form (torch.nn.functional). Each is a composite of differentiable ops,
/// so its gradient comes from theirs, except the common case of <see cref="CrossEntropy"/> (one fused op with the
/// composite's values and gradient). Shapes: input [N, C] logits or scores and target [N] class indices
/// (int64) unless stated otherwise.
/// </summary>
public static partial class Functional
{
    internal static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.Mean => perElement.Mean(),
        Reduction.Sum => perElement.Sum(),
        _ => perElement,
    };

    private static void SameShape(Tensor input, Tensor target, string op)
    {
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"{op}: input shape [{string.Join(", ", input.GetShape())}] and target shape [{string.Join(", ", target.GetShape())}] must match.");
    }

    private static void CheckClassTarget(Tensor input, Tensor target, string op)
    {
        if (input.Rank != 2) throw new ArgumentException($"{op}: expected input [N, C], got [{string.Join(", ", input.GetShape())}].", nameof(input));
        if (target.DType != DType.Int64 || target.Rank != 1 || target.Size(0) != input.Size(0))
            throw new ArgumentException($"{op}: expected an int64 target of shape [{input.Size(0)}] (class indices), got {target.DType.TorchName()} [{string.Join(", ", target.GetShape())}].", nameof(target));
        int c = input.Size(1);
        Compute.CheckIndexRange(target, c, t => $"{op}: target {t} is out of bounds for {c} classes.");
    }

    /// <summary>Mean squared error (input - target)^2.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "MseLoss");
        return Reduce((input - target).Square(), reduction);
    }

    /// <summary>Binary cross-entropy on probabilities: -(t log p + (1-t) log(1-p)), logs clamped at -100 as in PyTorch.</summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "BinaryCrossEntropy");
        // Clamping before the log (at e^-100) keeps both the value and the gradient finite at p = 0 or 1.
        double tiny = Math.Exp(-100);
        var logP = input.Clamp(min: tiny).Log();
        var log1mP = (1.0 - input).Clamp(min: tiny).Log();
        return Reduce(-(target * logP + (1.0 - target) * log1mP), reduction);
    }

    /// <summary>Binary cross-entropy on logits, stable: max(x,0) - x t + log(1 + e^-|x|); <paramref name="posWeight"/> weights positive examples.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        SameShape(input, target, "BinaryCrossEntropyWithLogits");
        if (posWeight is null && input.DType.IsFloatingPoint() && target.DType == input.DType && input.Device == target.Device)
            return Reduce(Tensor.BinaryCrossEntropyWithLogits(input, target), reduction);
        // log(1 + e^-|x|) + max(-x, 0) = -log sigmoid(x), written without overflow.
        var logSigmoidNeg = (input.Abs().Neg().Exp() + 1.0).Log() + (-input).Relu();  // -log sigmoid(x)
        var loss = posWeight is null
            ? (1.0 - target) * input + logSigmoidNeg
            : (1.0 - target) * input + (1.0 + (posWeight - 1.0) * target) * logSigmoidNeg;
        return Reduce(loss, reduction);
    }

    /// <summary>Negative log-likelihood of class indices given log-probabilities [N, C], with optional class weights [C] (weighted mean as in PyTorch).</summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        CheckClassTarget(input, target, "NllLoss");
        var picked = -input.Gather(1, target.Unsqueeze(1)).Squeeze(1);   // [N]
        if (weight is null) return Reduce(picked, reduction);
        var w = weight.IndexSelect(0, target);
        var weighted = picked * w;
        return reduction switch
        {
            Reduction.Mean => weighted.Sum() / w.Sum(),
            Reduction.Sum => weighted.Sum(),
            _ => weighted,
        };
    }

    /// <summary>
    /// Cross-entropy from logits [N, C]. The target is either class indices [N] (int64) or class
    /// probabilities [N, C] (float). <paramref name="labelSmoothing"/> mixes the target with the uniform distribution.
    /// Class indices without label smoothing, on floating-point logits, with no weights or weights [C] of the logits'
    /// dtype that do not require grad, run as one fused op (log-sum-exp and the pick in one pass per row, one graph
    /// node whose backward is (softmax - onehot(target)) times the output gradient, the target's weight and 1/N or
    /// 1/sum of the targets' weights for Mean); every other case is a composite of LogSoftmax and NllLoss. With label
    /// smoothing e over C classes, class indices give PyTorch's (1 - e) NllLoss + (e / C) sum_c -w_c log p_c, whose Mean
    /// divides by the sum of the targets' weights (N without weights); probability targets are smoothed as
    /// (1 - e) target + e / C, and their Mean divides by N even with weights.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "CrossEntropy: labelSmoothing must be in [0, 1].");
        if (input.Rank != 2) throw new ArgumentException($"CrossEntropy: expected logits [N, C], got [{string.Join(", ", input.GetShape())}].", nameof(input));
        if (target.DType == DType.Int64 && labelSmoothing == 0 && CanFuse(input, weight))
        {
            // The common case as one fused op; same checks and messages as NllLoss on the log-softmax below.
            CheckClassTarget(input, target, "NllLoss");
            return Tensor.SoftmaxCrossEntropy(input, target, weight, reduction);
        }
        var logP = input.LogSoftmax(1);
        int c = input.Size(1);
        if (target.DType == DType.Int64)
        {
            if (labelSmoothing == 0) return NllLoss(logP, target, weight, reduction);
            CheckClassTarget(input, target, "CrossEntropy");
            // PyTorch's (1 - eps) nll + (eps / C) smooth, not a smoothed one-hot target: with weights, Mean divides both
            // terms by the sum of the targets' weights, where a per-sample mean would divide by N.
            var nll = NllLoss(logP, target, weight, reduction);
            var smooth = -(weight is null ? logP : logP * weight).Sum(1);   // [N]
            smooth = reduction switch
            {
                Reduction.Mean => weight is null ? smooth.Mean() : smooth.Sum() / weight.IndexSelect(0, target).Sum(),
                Reduction.Sum => smooth.Sum(),
                _ => smooth,
            };
            return nll * (1 - labelSmoothing) + smooth * (labelSmoothing / c);
        }
        SameShape(input, target, "CrossEntropy");
        // Probability targets: PyTorch's Mean divides by N even with class weights.
        if (labelSmoothing > 0) target = target * (1 - labelSmoothing) + labelSmoothing / c;
        var perClass = weight is null ? target * logP : target * logP * weight;
        return Reduce(-perClass.Sum(1), reduction);
    }

    /// <summary>
    /// Whether CrossEntropy on class indices can run fused: non-empty floating-point logits, and class weights (if any)
    /// of shape [C] and the logits' dtype that take no gradient. Anything else (empty batches, mixed dtypes, odd weight
    /// shapes, weights that require grad) goes through the composite, which gives PyTorch's promotion and errors.
    /// </summary>
    private static bool CanFuse(Tensor input, Tensor? weight) =>
        input.DType.IsFloatingPoint() && input.NumEl > 0 &&
        (weight is null || (weight.Rank == 1 && weight.Size(0) == input.Size(1) && weight.DType == input.DType && !weight.RequiresGrad));

    /// <summary>Multilabel cross-entropy (one sigmoid per label): mean over the C labels of the binary cross-entropy with logits; target [N, C] in {0, 1}.</summary>
    public static Tensor MultiLabelSoftMarginLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "MultiLabelSoftMarginLoss");
        var perSample = BinaryCrossEntropyWithLogits(input, target, Reduction.None).Mean(-1);
        return Reduce(perSample, reduction);
    }

    /// <summary>Binary hinge (SVM) loss max(0, margin - y f(x)) with labels y in {-1, +1}.</summary>
    public static Tensor HingeLoss(Tensor input, Tensor target, double margin = 1.0, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "HingeLoss");
        return Reduce((margin - target * input).Relu(), reduction);
    }

    /// <summary>Multiclass hinge (Weston-Watkins SVM, PyTorch's MultiMarginLoss with p=1): sum over j != y of max(0, margin - x_y + x_j), divided by C.</summary>
    public static Tensor MultiMarginLoss(Tensor input, Tensor target, double margin = 1.0, Reduction reduction = Reduction.Mean)
    {
        CheckClassTarget(input, target, "MultiMarginLoss");
        int c = input.Size(1);
        var correct = input.Gather(1, target.Unsqueeze(1));             // [N, 1]
        var margins = (input - correct + margin).Relu();                  // [N, C]
        var notTarget = 1.0 - target.OneHot(c, input.DType);              // the j = y term is excluded
        return Reduce((margins * notTarget).Sum(1) / c, reduction);
    }

    /// <summary>The perceptron criterion max(0, -y f(x)) with labels y in {-1, +1}: zero for correct predictions, |f(x)| for mistakes.</summary>
    public static Tensor PerceptronLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "PerceptronLoss");
        return Reduce((-(target * input)).Relu(), reduction);
    }

    /// <summary>Fraction of rows whose arg-max equals the int64 target.</summary>
    public static double Accuracy(Tensor logits, Tensor target)
    {
        using var pred = logits.ArgMax(1);
        using var hits = pred.Eq(target);
        return target.NumEl == 0 ? 0 : hits.Sum().Item() / target.NumEl;
    }
}
