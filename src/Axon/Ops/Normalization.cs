namespace Axon;

// Batch normalisation (fused forward and backward).
public sealed partial class Tensor
{
    /// <summary>
    /// Batch normalisation as PyTorch's batch_norm over input [N, C, *] (statistics per channel C over N and the trailing
    /// dimensions): y = (x - mean) / sqrt(var + eps) * weight + bias. In training the batch mean and biased variance are
    /// used, and the running statistics (when given) are updated in place, unrecorded:
    /// running = (1 - momentum) running + momentum stat, with the unbiased variance M / (M - 1) var for running_var.
    /// Otherwise the running statistics are used. Backward (training): gx = weight / sqrt(var + eps) (gy - mean(gy) - xhat mean(gy xhat));
    /// gweight = sum(gy xhat); gbias = sum(gy).
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        CheckBatchNorm(op, input, runningMean, runningVar, weight, bias, training, eps);
        var (y, mean, invstd) = Compute.BatchNorm(input, weight, bias, runningMean, runningVar, training, momentum, eps);
        // Inputs in the op's argument order, the absent optional ones left out (the attributes say which are there).
        var inputs = new List<Tensor> { input };
        if (runningMean is not null) inputs.Add(runningMean);
        if (runningVar is not null) inputs.Add(runningVar);
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        var attributes = new OpAttributes(("training", training), ("momentum", momentum), ("eps", eps),
            ("has_running_mean", runningMean is not null), ("has_running_var", runningVar is not null), ("has_weight", weight is not null), ("has_bias", bias is not null));
        return y.Record(op, [.. inputs], attributes, g =>
        {
            var (gx, gw, gb) = Compute.BatchNormBackward(input, g, mean, invstd, weight, training, input.requiresGrad, weight?.requiresGrad ?? false, bias?.requiresGrad ?? false);
            // One fused kernel with no backward of its own: a gradient through it cannot be differentiated again.
            Tensor[] read = weight is null ? [g, input] : [g, input, weight];
            var result = new List<Tensor?> { NotTwiceDifferentiable(op, gx, read) };
            if (runningMean is not null) result.Add(null);
            if (runningVar is not null) result.Add(null);
            if (weight is not null) result.Add(NotTwiceDifferentiable(op, gw, read));
            if (bias is not null) result.Add(NotTwiceDifferentiable(op, gb, read));
            return [.. result];
        });
    }

    /// <summary>
    /// y = relu(BatchNorm(input) + residual), the residual and the ReLU each optional: batch normalisation fused with
    /// what follows it in a residual block (PyTorch's composite <c>relu(bn(x) + shortcut)</c>, and <c>relu(bn(x))</c>),
    /// with the same values and gradients as the composite, in fewer passes over memory on backends that fuse it. The
    /// running statistics are updated as in <see cref="BatchNorm"/>. Backward: gz = relu ? gy (y &gt; 0) : gy is the
    /// residual's gradient and the batch norm's output gradient (see <see cref="BatchNorm"/>).
    /// </summary>
    public static Tensor BatchNormAct(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, double momentum, double eps,
        Tensor? residual, bool relu)
    {
        const string op = "BatchNormAct";
        CheckBatchNorm(op, input, runningMean, runningVar, weight, bias, training, eps);
        if (residual is not null && (!residual.shape.AsSpan().SequenceEqual(input.shape) || residual.DType != input.DType))
            throw new ArgumentException($"{op}: expected a residual of the input's shape {ShapeUtil.Format(input.shape)} and dtype {input.DType.TorchName()}, got {ShapeUtil.Format(residual.shape)} {residual.DType.TorchName()}.", nameof(residual));
        if (residual is null && !relu) return BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);
        var (y, mean, invstd) = Compute.BatchNormAct(input, weight, bias, runningMean, runningVar, training, momentum, eps, residual, relu);
        var inputs = new List<Tensor> { input };
        if (runningMean is not null) inputs.Add(runningMean);
        if (runningVar is not null) inputs.Add(runningVar);
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        if (residual is not null) inputs.Add(residual);
        var attributes = new OpAttributes(("training", training), ("momentum", momentum), ("eps", eps), ("relu", relu),
            ("has_running_mean", runningMean is not null), ("has_running_var", runningVar is not null), ("has_weight", weight is not null), ("has_bias", bias is not null),
            ("has_residual", residual is not null));
        return y.Record(op, [.. inputs], attributes, g =>
        {
            var (gx, gw, gb, gr) = Compute.BatchNormActBackward(input, y, g, mean, invstd, weight, training, relu, input.requiresGrad, weight?.requiresGrad ?? false,
                bias?.requiresGrad ?? false, residual?.requiresGrad ?? false);
            Tensor[] read = weight is null ? [g, input, y] : [g, input, y, weight];
            var result = new List<Tensor?> { NotTwiceDifferentiable(op, gx, read) };
            if (runningMean is not null) result.Add(null);
            if (runningVar is not null) result.Add(null);
            if (weight is not null) result.Add(NotTwiceDifferentiable(op, gw, read));
            if (bias is not null) result.Add(NotTwiceDifferentiable(op, gb, read));
            if (residual is not null) result.Add(NotTwiceDifferentiable(op, gr, read));
            return [.. result];
        });
    }

    private static void CheckBatchNorm(string op, Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, double eps)
    {
        if (input.Rank < 2) throw new ArgumentException($"{op}: expected an input [N, C, *] with at least 2 dimensions, got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (!input.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: expected a floating-point input, got {input.DType.TorchName()}.", nameof(input));
        int c = input.shape[1];
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            if (t.Rank != 1 || t.shape[0] != c)
                throw new ArgumentException($"{op}: expected {name} of shape [{c}] for input {ShapeUtil.Format(input.shape)}, got {ShapeUtil.Format(t.shape)}.");
            if (t.DType != input.DType) throw new ArgumentException($"{op}: {name} is {t.DType.TorchName()} but the input is {input.DType.TorchName()}.");
        }
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be positive.");
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"{op}: evaluation mode needs running_mean and running_var (or use batch statistics with training: true).");

        if (training)
        {
            long m = input.NumEl / Math.Max(c, 1);
            if (m <= 1) throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input size {ShapeUtil.Format(input.shape)}.", nameof(input));
        }
    }
}
