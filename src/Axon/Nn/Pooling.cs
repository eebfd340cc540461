namespace Axon.Nn;

/// <summary>
/// 2-D max pooling (torch.nn.MaxPool2d): input [N, C, H, W] or [C, H, W]; stride defaults to the kernel size.
/// Kernel 3 with stride 2 is the overlapping pooling of AlexNet. Repr as PyTorch:
/// <c>MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)</c>.
/// </summary>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false) : Module<Tensor, Tensor>
{
    /// <summary>Window size.</summary>
    public Size2 KernelSize { get; } = PoolArgs.Positive(kernelSize, "kernel size");

    /// <summary>Window stride (the kernel size by default).</summary>
    public Size2 Stride { get; } = PoolArgs.Positive(stride ?? kernelSize, "stride");

    /// <summary>Implicit negative-infinity padding on each side (at most half the kernel).</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Spacing of the window taps.</summary>
    public Size2 Dilation { get; } = PoolArgs.Positive(dilation ?? 1, "dilation");

    /// <summary>Use ceil instead of floor for the output size.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>Whether this pooling of <paramref name="input"/> commutes with ReLU to the bit (see <see cref="Sequential"/>).</summary>
    internal bool CommutesWithRelu(Tensor input) => Tensor.MaxPoolCommutesWithRelu(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>relu(input) pooled, as the one fused op <see cref="Tensor.ReluMaxPool2d"/> (valid where <see cref="CommutesWithRelu"/> holds).</summary>
    internal Tensor ForwardAfterRelu(Tensor input) => Tensor.ReluMaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={(CeilMode ? "True" : "False")}";
}

/// <summary>
/// 2-D average pooling (torch.nn.AvgPool2d): stride defaults to the kernel size; by default padded zeros count in the
/// divisor (count_include_pad=True). Repr as PyTorch: <c>AvgPool2d(kernel_size=2, stride=2, padding=0)</c>.
/// </summary>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <summary>Window size.</summary>
    public Size2 KernelSize { get; } = PoolArgs.Positive(kernelSize, "kernel size");

    /// <summary>Window stride (the kernel size by default).</summary>
    public Size2 Stride { get; } = PoolArgs.Positive(stride ?? kernelSize, "stride");

    /// <summary>Implicit zero padding on each side (at most half the kernel).</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Use ceil instead of floor for the output size.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>
/// Adaptive average pooling to a fixed output size (torch.nn.AdaptiveAvgPool2d); output size 1 is global average pooling.
/// Repr as PyTorch: <c>AdaptiveAvgPool2d(output_size=1)</c>.
/// </summary>
public sealed class AdaptiveAvgPool2d(Size2 outputSize) : Module<Tensor, Tensor>
{
    /// <summary>Output height and width.</summary>
    public Size2 OutputSize { get; } = PoolArgs.Positive(outputSize, "output size");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>
/// Adaptive max pooling to a fixed output size (torch.nn.AdaptiveMaxPool2d): cell (i, j) is the maximum over rows
/// floor(i H / Ho) .. ceil((i + 1) H / Ho) - 1 and the matching columns, so any input size works.
/// Repr as PyTorch: <c>AdaptiveMaxPool2d(output_size=1)</c>.
/// </summary>
public sealed class AdaptiveMaxPool2d(Size2 outputSize) : Module<Tensor, Tensor>
{
    /// <summary>Output height and width.</summary>
    public Size2 OutputSize { get; } = PoolArgs.Positive(outputSize, "output size");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.AdaptiveMaxPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

internal static class PoolArgs
{
    public static Size2 Positive(Size2 v, string what) =>
        v.H > 0 && v.W > 0 ? v : throw new ArgumentOutOfRangeException(nameof(v), $"Pooling: {what} must be positive, got {v.ToPairString()}.");
}
