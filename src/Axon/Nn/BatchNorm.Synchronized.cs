namespace Axon.Nn;

// Batch norm with the statistics of the global batch of a data-parallel run (what SyncBatchNorm switches on).
public abstract partial class BatchNormBase
{
    /// <summary>
    /// When set, training normalises with the mean and variance of the batches of all replicas together (PyTorch's
    /// SyncBatchNorm) instead of this process's batch, through <see cref="ICrossReplicaSum"/>: two sums over the replicas
    /// in the forward pass (the channel sums with the sample count, then the centred squares) and two in the backward.
    /// The running statistics are then the same on every replica. Null (the default): the local batch, the fused kernel.
    /// </summary>
    public ICrossReplicaSum? CrossReplica { get; set; }

    /// <summary>
    /// The synchronised forward as a composite of recorded ops, so autograd derives its backward (with the replica sums'
    /// own backward): mean = Σx / M, var = Σ(x − mean)² / M over all replicas' M samples per channel.
    /// </summary>
    private Tensor ForwardSynchronized(Tensor input, Tensor? residual, bool relu, double factor)
    {
        int c = NumFeatures;
        int[] dims = [0, .. Enumerable.Range(2, input.Rank - 2)];
        var view = Enumerable.Repeat(1, input.Rank).ToArray();
        view[1] = c;
        // Each replica's channel sums and sample count in one reduction; the count carries no gradient.
        var local = Tensor.Cat([input.Sum(dims), Tensor.Full([1], input.NumEl / c, input.DType, input.Device)]);
        var total = CrossReplica!.Sum(local);
        double m = total.Narrow(0, c, 1).Item();
        if (m <= 1) throw new ArgumentException($"{GetType().Name}: expected more than 1 value per channel when training, got {m} over all replicas (input [{string.Join(", ", input.GetShape())}] here).", nameof(input));
        var mean = total.Narrow(0, 0, c) / m;
        var centered = input - mean.View(view);
        var variance = CrossReplica.Sum(centered.Square().Sum(dims)) / m;
        var y = centered * (variance + Eps).Pow(-0.5).View(view);
        if (Weight is not null) y = y * Weight.View(view) + Bias!.View(view);
        if (TrackRunningStats)
            using (GradMode.NoGrad())
            {
                RunningMean!.CopyFrom(RunningMean * (1 - factor) + mean * factor);
                RunningVar!.CopyFrom(RunningVar * (1 - factor) + variance * (factor * m / (m - 1)));
            }
        if (residual is not null) y = y + residual;
        return relu ? y.Relu() : y;
    }
}
