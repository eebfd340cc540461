namespace Axon;

// Fused losses: one recorded node where the composite would record several.
public sealed partial class Tensor
{
    /// <summary>
    /// Softmax cross-entropy of floating-point logits [N, C] against int64 class indices <paramref name="target"/> [N],
    /// with optional class weights [C] of the logits' dtype that do not require grad: the composite
    /// LogSoftmax(1) + NllLoss in one pass and one node. Per sample loss_i = w[t_i] (lse_i - x_i[t_i]); Mean divides the
    /// sum by N (or by the sum of w[t_i]), Sum adds, None keeps [N]. The caller checks the shapes (and gives the
    /// composite's messages for bad targets). Backward: gx_i = (softmax(x_i) - onehot(t_i)) s_i with s_i the output
    /// gradient times w[t_i], divided by N (or by the sum of w[t_i]) for Mean.
    /// </summary>
    internal static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor target, Tensor? weight, Reduction reduction)
    {
        if (logits.Rank != 2 || !logits.DType.IsFloatingPoint()) throw new ArgumentException($"CrossEntropy: expected floating-point logits [N, C], got {logits.DType.TorchName()} {ShapeUtil.Format(logits.shape)}.", nameof(logits));
        if (target.DType != DType.Int64 || target.Rank != 1 || target.shape[0] != logits.shape[0])
            throw new ArgumentException($"CrossEntropy: expected an int64 target of shape [{logits.shape[0]}], got {target.DType.TorchName()} {ShapeUtil.Format(target.shape)}.", nameof(target));
        if (weight is not null && (weight.Rank != 1 || weight.shape[0] != logits.shape[1] || weight.DType != logits.DType || weight.requiresGrad))
            throw new ArgumentException($"CrossEntropy: expected class weights of shape [{logits.shape[1]}] and dtype {logits.DType.TorchName()} that do not require grad.", nameof(weight));
        var x = logits.ContiguousData();
        var t = target.ContiguousData();
        var (loss, lse, weightSum) = Compute.CrossEntropy(x, t, weight, reduction);
        Tensor[] inputs = weight is null ? [logits, target] : [logits, target, weight];
        return loss.Record("CrossEntropy", inputs, new OpAttributes(("reduction", reduction)), g =>
        {
            var gx = Recording(g, logits) ? CrossEntropyGradient(logits, target, weight, reduction, g) : Compute.CrossEntropyBackward(x, lse, t, weight, reduction, weightSum, g);
            return weight is null ? [gx, null] : [gx, null, null];
        });
    }

    /// <summary>
    /// Binary cross-entropy of logits against targets of the same shape and floating-point dtype, element-wise (no
    /// reduction): loss = (1 − t) x + log(1 + e^−|x|) + max(−x, 0), in one pass and one node where the composite
    /// records eleven; the forward rounds exactly as the composite does. Backward: gx = (σ(x) − t) g and gt = −x g.
    /// </summary>
    internal static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target)
    {
        var loss = Compute.BinaryCrossEntropyWithLogits(logits, target);
        return loss.Record("BinaryCrossEntropyWithLogits", [logits, target], g =>
        {
            // Under createGraph (or with a target that takes a gradient) the gradient is written with ops, so it differentiates again.
            Tensor? gx = !logits.requiresGrad ? null
                : Recording(g, logits) || (GradMode.IsEnabled && target.requiresGrad) ? (logits.Sigmoid() - target) * g
                : Compute.BinaryCrossEntropyWithLogitsBackward(logits, target, g);
            Tensor? gt = target.requiresGrad ? -logits * g : null;
            return [gx, gt];
        });
    }

    /// <summary>The fused op's gradient written with ops (under createGraph): (softmax(x) − onehot(t)) times the output gradient, the target's weight and the reduction's scale.</summary>
    private static Tensor CrossEntropyGradient(Tensor logits, Tensor target, Tensor? weight, Reduction reduction, Tensor g)
    {
        int n = logits.shape[0], c = logits.shape[1];
        var diff = logits.Softmax(1) - target.OneHot(c, logits.DType).To(logits.Device);
        var rowScale = reduction == Reduction.None ? g.Unsqueeze(1) : g;
        if (weight is null) return diff * (reduction == Reduction.Mean ? rowScale / n : rowScale);
        var w = weight.IndexSelect(0, target).Unsqueeze(1);
        var scaled = diff * w * rowScale;
        return reduction == Reduction.Mean ? scaled / weight.IndexSelect(0, target).Sum() : scaled;
    }
}
