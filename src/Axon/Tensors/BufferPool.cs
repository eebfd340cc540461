namespace Axon;

/// <summary>
/// Recycles the arrays behind tensors so that a steady-state training step allocates no large arrays.
/// Arrays are kept by exact length (training repeats the same shapes step after step), up to a cap on
/// retained bytes. An array that is never returned is simply collected by the GC.
/// </summary>
public static class BufferPool
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(Type, int), Stack<Array>> Free = [];
    private static long retainedBytes;

    /// <summary>Arrays shorter than this are not pooled: the GC's allocator is faster for them.</summary>
    public const int MinPooledLength = 1024;

    /// <summary>Upper bound on bytes kept for reuse (default 1 GiB).</summary>
    public static long MaxRetainedBytes { get; set; } = 1L << 30;

    /// <summary>Number of arrays handed out by <see cref="Rent{T}"/> that had to be freshly allocated.</summary>
    public static long Misses { get; private set; }

    /// <summary>Number of arrays handed out by <see cref="Rent{T}"/> from the pool.</summary>
    public static long Hits { get; private set; }

    /// <summary>Returns an array of exactly <paramref name="length"/> elements; its contents are unspecified unless <paramref name="clear"/>.</summary>
    public static T[] Rent<T>(int length, bool clear) where T : unmanaged
    {
        if (length >= MinPooledLength)
        {
            lock (Gate)
            {
                if (Free.TryGetValue((typeof(T), length), out var stack) && stack.Count > 0)
                {
                    var a = (T[])stack.Pop();
                    retainedBytes -= (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
                    Hits++;
                    if (clear) Array.Clear(a);
                    return a;
                }
                Misses++;
            }
            // A fresh array must be zeroed when asked: AllocateUninitializedArray may hand out dirty memory.
            return clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
        }
        return new T[length];
    }

    /// <summary>Gives an array back for reuse. The caller must not touch it afterwards.</summary>
    public static void Return<T>(T[] array) where T : unmanaged
    {
        if (array.Length < MinPooledLength) return;
        long bytes = (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        lock (Gate)
        {
            if (retainedBytes + bytes > MaxRetainedBytes) return;
            if (!Free.TryGetValue((typeof(T), array.Length), out var stack)) Free[(typeof(T), array.Length)] = stack = new Stack<Array>();
            stack.Push(array);
            retainedBytes += bytes;
        }
    }

    /// <summary>Drops every retained array.</summary>
    public static void Clear()
    {
        lock (Gate) { Free.Clear(); retainedBytes = 0; }
    }
}
