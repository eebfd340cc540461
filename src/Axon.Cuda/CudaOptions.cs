namespace Axon.Cuda;

/// <summary>
/// Settings of one CUDA device's backend, as PyTorch's <c>torch.backends.cuda.matmul.allow_tf32</c> and
/// <c>torch.backends.cudnn.deterministic</c>. Equal options give the same <see cref="Device"/> (<see cref="CudaBackend.DeviceWith"/>).
/// </summary>
public sealed record CudaOptions
{
    /// <summary>
    /// Lets float32 matrix products and convolutions use TF32 tensor cores (10-bit mantissa inputs, about 8x the FP32
    /// throughput on an H200, results differing from FP32 in the fourth significant digit). Off by default, as PyTorch's
    /// matmul setting; on, cuBLAS runs in CUBLAS_TF32_TENSOR_OP_MATH and cuDNN in CUDNN_TENSOR_OP_MATH, off in
    /// CUBLAS_DEFAULT_MATH and CUDNN_FMA_MATH.
    /// </summary>
    public bool AllowTf32 { get; init; }

    /// <summary>
    /// Restricts cuDNN to algorithms it reports deterministic (bit-identical results run to run). Off by default; the
    /// fastest algorithm is then chosen even when it adds with atomics (the weight gradient's usually does).
    /// </summary>
    public bool Deterministic { get; init; }

    /// <summary>The directory of compiled kernels (null: $XDG_CACHE_HOME/axon/cuda or ~/.cache/axon/cuda).</summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>The most workspace cuDNN's algorithm search may use, in bytes (1 GiB by default).</summary>
    public long MaxConvolutionWorkspace { get; init; } = 1L << 30;
}
