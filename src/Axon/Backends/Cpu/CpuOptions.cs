namespace Axon.Backends;

/// <summary>
/// The settings of one CPU backend (and so of one CPU <see cref="Device"/>): its thread count and the switches that
/// pick kernels. Owned by the backend, never process-wide: code that needs other settings makes its own device with
/// <see cref="Device.CpuWith"/>. Results are bit-identical for a given thread count; the switches exist for tests
/// and tuning (each kernel path must agree with the others).
/// </summary>
public sealed record CpuOptions
{
    /// <summary>Threads the kernels may use (1 = serial). Defaults to the processor count.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Elements per partition below which an element-wise op is not split over threads (256 KiB of float).</summary>
    public int ElementwiseGrain { get; init; } = 1 << 16;

    /// <summary>
    /// Largest column matrix (in elements) the im2col convolution builds at once: samples are unfolded side by side so
    /// that one GEMM per group serves several, and chunks run on different threads. 1 gives the per-sample lowering.
    /// </summary>
    public int ConvColumnBudget { get; init; } = 1 << 18;

    /// <summary>Whether the forward and the input gradient take the implicit GEMM (AVX-512 only) rather than im2col + GEMM.</summary>
    public bool ConvImplicitGemm { get; init; } = true;

    /// <summary>Output channels per group from which the input gradient takes the implicit GEMM.</summary>
    public int ConvGemmMinBackwardChannels { get; init; } = 16;

    /// <summary>
    /// Whether float 1x1 unit-stride unpadded convolutions on planes of at least 14x14 with at least 64 input channels
    /// run as one GEMM per sample (forward, input gradient and weight gradient), where the flat kernel or the implicit
    /// GEMM would otherwise take them. Off: those kernels, which sum in another order.
    /// </summary>
    public bool ConvPointwiseGemm { get; init; } = true;

    /// <summary>
    /// Whether the input gradient of a unit-stride convolution with a kernel of up to 3x3 that neither Winograd nor the
    /// flat kernel takes runs as the implicit GEMM's forward of the flipped kernel (gx = conv(gy, flip(w)ᵀ), padding
    /// k - 1 - pad), overwriting gx: no clearing, no fold (DenseNet's bottlenecks and narrow 3x3 layers, the 1x1 layers
    /// of bottleneck ResNets). Off: the implicit GEMM's column gradient and fold, which sum in another order.
    /// </summary>
    public bool ConvFlippedInputGradient { get; init; } = true;

    /// <summary>Whether the weight gradient takes the dot-product kernel (AVX-512 only, with <see cref="ConvImplicitGemm"/>) rather than im2col + GEMM.</summary>
    public bool ConvImplicitWeightGrad { get; init; } = true;

    /// <summary>Whether few-tap, unit-stride float convolutions take the direct kernel where its measured rule picks it.</summary>
    public bool ConvDirectKernel { get; init; } = true;

    /// <summary>Whether the direct kernel takes every convolution it supports, whatever the measured rule (tests).</summary>
    public bool ConvDirectEverywhere { get; init; }

    /// <summary>
    /// Whether unit-stride float convolutions with many taps (the 3x3 layers of deep CNNs) take the direct kernel over
    /// flat padded planes (<c>ConvDirect.ForwardFlat</c>) for the forward and the input gradient, where its measured
    /// rule picks it. Off: the implicit GEMM, which sums in another order (results differ in the last bits).
    /// </summary>
    public bool ConvFlatKernel { get; init; } = true;

    /// <summary>
    /// Whether stride-2 float convolutions that the flat kernel's rule picks (ResNet's 3x3 downsampling layers) take it
    /// for the forward and the weight gradient, reading each sample's stride phases (<c>ConvDirect.SupportsFlat</c>).
    /// Off: the implicit GEMM, which sums in another order (results differ in the last bits).
    /// </summary>
    public bool ConvFlatStrided { get; init; } = true;

    /// <summary>
    /// Whether unit-stride 3x3 float convolutions with many channels take Winograd's F(2x2, 3x3) for the forward and the
    /// input gradient (<c>ConvWinograd</c>: 2.25x fewer multiply-adds), where its measured rule picks it. Off: the flat
    /// direct kernel, which rounds differently (results differ in the last bits).
    /// </summary>
    public bool ConvWinograd { get; init; } = true;

    /// <summary>
    /// Whether a float convolution that one of the direct kernels computes, followed by ReLU and max pooling
    /// (<c>IBackend.Conv2dReluMaxPool2d</c>), runs one sample at a time per thread, pooled while the sample's convolution
    /// output is in cache (<c>ConvDirect.ForwardMaxPool</c>). Off: the three passes over the whole batch. The values
    /// are the same either way.
    /// </summary>
    public bool ConvPoolFusion { get; init; } = true;

    /// <summary>
    /// Whether strided float convolutions with small outputs (DCGAN's 4x4 stride-2 layers) take the channels-last column
    /// matrix and one GEMM (<c>ConvChannelsLast</c>) where its measured rule picks it. Off: the implicit GEMM, which sums
    /// in another order (results differ in the last bits).
    /// </summary>
    public bool ConvChannelsLast { get; init; } = true;

    /// <summary>Throws when a setting is out of range.</summary>
    internal CpuOptions Validated()
    {
        Kernels.KernelThreads.CheckThreads(Threads);
        if (ElementwiseGrain < 1) throw new ArgumentOutOfRangeException(nameof(ElementwiseGrain), ElementwiseGrain, "CpuOptions: ElementwiseGrain must be at least 1.");
        if (ConvColumnBudget < 1) throw new ArgumentOutOfRangeException(nameof(ConvColumnBudget), ConvColumnBudget, "CpuOptions: ConvColumnBudget must be at least 1.");
        if (ConvGemmMinBackwardChannels < 0) throw new ArgumentOutOfRangeException(nameof(ConvGemmMinBackwardChannels), ConvGemmMinBackwardChannels, "CpuOptions: ConvGemmMinBackwardChannels cannot be negative.");
        return this;
    }
}
