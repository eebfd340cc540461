using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Axon.Kernels;

/// <summary>
/// Reusable scratch for kernels that work on raw pointers: a pinned array that grows on demand (never per call in
/// steady state) and hands out its first 64-byte aligned address. Callers keep the array in a [ThreadStatic]
/// field, one per kernel thread (the worker threads are long-lived).
/// </summary>
internal static unsafe class AlignedBuffer
{
    /// <summary>At least <paramref name="length"/> elements at a 64-byte aligned address, reusing <paramref name="buffer"/> when it is large enough.</summary>
    public static T* Get<T>(ref T[]? buffer, nint length) where T : unmanaged
    {
        nint pad = 64 / sizeof(T);
        if (buffer is null || buffer.Length < length + pad)
            buffer = GC.AllocateUninitializedArray<T>((int)(length + pad), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((address + 63) & ~(nint)63);
    }
}
