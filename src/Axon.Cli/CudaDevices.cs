using System.Runtime.CompilerServices;
using Axon.Cuda;

namespace Axon.Cli;

/// <summary>
/// Every use the command line makes of Axon.Cuda. Its methods run only when the user asks for a CUDA device, and they are
/// never inlined into their callers: so the JIT compiles them, loads the Axon.Cuda assembly and registers the backend
/// only then, and on the CPU path no CUDA library is ever searched for (the backend loads libcuda, NVRTC, cuBLAS and cuDNN
/// lazily even once registered). The static fields hold no Axon.Cuda types for the same reason.
/// </summary>
internal static class CudaDevices
{
    private static volatile bool used;

    /// <summary>True once a command has asked for a CUDA device in this process.</summary>
    public static bool Used => used;

    /// <summary>Registers the CUDA backend and opens cuda:<paramref name="index"/> with TF32 on or off.</summary>
    /// <exception cref="InvalidOperationException">No usable driver or GPU: the message says what is missing and where it looked.</exception>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Device Open(int index, bool tf32)
    {
        used = true;
        CudaBackend.Register();
        try
        {
            return CudaBackend.DeviceWith(index, new CudaOptions { AllowTf32 = tf32 });
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException)
        {
            throw new InvalidOperationException($"--device cuda:{index}: {e.Message}", e);
        }
    }

    /// <summary>Whether <paramref name="e"/> is a CUDA error (a failed driver or library call), to report as one line.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsCudaError(Exception e) => e is CudaException or CudaUnavailableException;
}
