using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// Shared implementation of batch normalisation (torch.nn's _BatchNorm): per-channel learnable scale
/// <c>weight</c> (ones) and shift <c>bias</c> (zeros) when affine; buffers <c>running_mean</c> (zeros),
/// <c>running_var</c> (ones) and <c>num_batches_tracked</c> (int64) when tracking running statistics.
/// Training normalises with the batch mean and biased variance and updates
/// running = (1 - momentum) running + momentum stat (the unbiased batch variance for running_var; with momentum null,
/// the cumulative average with factor 1 / num_batches_tracked); evaluation uses the running statistics.
/// </summary>
public abstract partial class BatchNormBase : Module<Tensor, Tensor>
{
    private protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, $"{GetType().Name}: numFeatures must be positive.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{GetType().Name}: eps must be positive.");
        if (momentum is double m && !(m >= 0 && m <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{GetType().Name}: momentum must be in [0, 1] or null.");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Weight = RegisterParameter("weight", affine ? Tensor.Ones([numFeatures], dtype) : null);
        Bias = RegisterParameter("bias", affine ? Tensor.Zeros([numFeatures], dtype) : null);
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64));
        }
    }

    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>Weight of the new statistic in the running averages; null for a cumulative moving average.</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept (and used in evaluation).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Scale [C] (gamma), or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift [C] (beta), or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean [C], or null when not tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance [C], or null when not tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Number of training batches seen (int64 scalar), or null when not tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Checks the input's rank (and says what the layer expects).</summary>
    private protected abstract void CheckInput(Tensor input);

    /// <summary>Resets the running statistics: mean 0, variance 1, no batches tracked.</summary>
    public void ResetRunningStats()
    {
        if (!TrackRunningStats) return;
        RunningMean!.Fill(0);
        RunningVar!.Fill(1);
        NumBatchesTracked!.Fill(0);
    }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        ResetRunningStats();
        if (Weight is not null) Init.Ones(Weight);
        if (Bias is not null) Init.Zeros(Bias);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ForwardAct(input, null, relu: false);

    /// <summary>
    /// relu(this(input) + residual), the residual and the ReLU each optional, in one fused op
    /// (<see cref="Tensor.BatchNormAct"/>): what a residual block does after its convolutions, in fewer passes over memory
    /// than the three ops. The same values and gradients as <c>(Forward(input) + residual).Relu()</c>; the running
    /// statistics are updated as <see cref="Forward"/> does. Forward hooks are not called (it is not <c>Call</c>).
    /// </summary>
    public Tensor ForwardAct(Tensor input, Tensor? residual, bool relu)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input);
        if (input.Size(1) != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: expected input with {NumFeatures} channels (dimension 1), got [{string.Join(", ", input.GetShape())}].", nameof(input));
        double factor = Momentum ?? 0;
        if (Training && TrackRunningStats)
        {
            NumBatchesTracked!.Fill(NumBatchesTracked.Item() + 1);
            if (Momentum is null) factor = 1 / NumBatchesTracked.Item();
        }
        // Batch statistics in training, and in evaluation when there are no running statistics.
        bool useBatch = Training || !TrackRunningStats;
        if (useBatch && CrossReplica is not null) return ForwardSynchronized(input, residual, relu, factor);
        return Tensor.BatchNormAct(input, TrackRunningStats ? RunningMean : null, TrackRunningStats ? RunningVar : null, Weight, Bias, useBatch, factor, Eps, residual, relu);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture,
        $"{NumFeatures}, eps={PyFloat(Eps)}, momentum={(Momentum is double m ? PyFloat(m) : "None")}, affine={(Affine ? "True" : "False")}, track_running_stats={(TrackRunningStats ? "True" : "False")}");

    /// <summary>A double as Python's repr prints it: 1e-05, 0.1, 1.0.</summary>
    internal static string PyFloat(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        var s = v.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        if (s.Contains('e', StringComparison.Ordinal))
        {
            // Python writes at least two exponent digits (1e-05), .NET already does; keep the sign as Python does.
            return s;
        }
        return s.Contains('.', StringComparison.Ordinal) ? s : s + ".0";
    }
}

/// <summary>
/// Batch normalisation over [N, C] or [N, C, L] (torch.nn.BatchNorm1d): statistics per channel C over N (and L).
/// Repr: <c>BatchNorm1d(100, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)</c>.
/// </summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    private protected override void CheckInput(Tensor input)
    {
        if (input.Rank is not (2 or 3)) throw new ArgumentException($"BatchNorm1d: expected 2D or 3D input (got {input.Rank}D input [{string.Join(", ", input.GetShape())}]).", nameof(input));
    }
}

/// <summary>
/// Batch normalisation over [N, C, H, W] (torch.nn.BatchNorm2d): statistics per channel C over N, H and W.
/// Repr: <c>BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)</c>.
/// </summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    private protected override void CheckInput(Tensor input)
    {
        if (input.Rank != 4) throw new ArgumentException($"BatchNorm2d: expected 4D input (got {input.Rank}D input [{string.Join(", ", input.GetShape())}]).", nameof(input));
    }
}
