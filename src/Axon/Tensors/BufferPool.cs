namespace Axon;

/// <summary>
/// Recycles the arrays behind tensors so that a steady-state training step allocates no large arrays.
/// Arrays are kept by exact length (training repeats the same shapes step after step), up to a cap on
/// retained bytes. When a returned array would pass the cap, the lengths used longest ago are dropped first (so an
/// evaluation at another batch size cannot fill the pool and leave the training step allocating afresh every step);
/// only when nothing older is left is the returned array itself dropped. An array that is never returned is simply
/// collected by the GC.
/// </summary>
public static class BufferPool
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(Type, int), Stack<Array>> Free = [];
    private static readonly Dictionary<(Type, int), long> LastUse = [];
    // The size of each pooled element type, recorded where the type is known statically (Marshal.SizeOf(Type) needs
    // run-time marshalling data that Native AOT does not keep).
    private static readonly Dictionary<Type, int> ElementBytes = [];
    private static long retainedBytes, clock;

    /// <summary>Arrays shorter than this are not pooled: the GC's allocator is faster for them.</summary>
    public const int MinPooledLength = 1024;

    /// <summary>
    /// Upper bound on bytes kept for reuse: by default a quarter of the memory the GC may use (at least 1 GiB; 6 GiB on
    /// a 24 GiB machine). A training step whose tensors outgrow it allocates afresh every step: DenseNet-121-small at
    /// batch 64 (3.5 GB of tensors) trained at 32-40 img/s with a 1 GiB cap and 126 with this one.
    /// </summary>
    public static long MaxRetainedBytes { get; set; } = Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

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
                LastUse[(typeof(T), length)] = ++clock;
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
        var key = (typeof(T), array.Length);
        lock (Gate)
        {
            LastUse[key] = ++clock;
            ElementBytes.TryAdd(typeof(T), System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
            if (retainedBytes + bytes > MaxRetainedBytes && !EvictOlderThan(key, retainedBytes + bytes - MaxRetainedBytes)) return;
            if (!Free.TryGetValue(key, out var stack)) Free[key] = stack = new Stack<Array>();
            stack.Push(array);
            retainedBytes += bytes;
        }
    }

    // Drops retained arrays of the lengths used longest ago (before key's) until at least need bytes are freed; false
    // when that is not possible. Called under the lock.
    private static bool EvictOlderThan((Type, int) key, long need)
    {
        long since = LastUse[key];
        while (need > 0)
        {
            (Type, int)? oldest = null;
            long oldestUse = since;
            foreach (var (k, stack) in Free)
                if (stack.Count > 0 && LastUse.GetValueOrDefault(k) < oldestUse)
                {
                    oldest = k;
                    oldestUse = LastUse.GetValueOrDefault(k);
                }
            if (oldest is null) return false;
            var victims = Free[oldest.Value];
            long each = (long)oldest.Value.Item2 * ElementBytes[oldest.Value.Item1];
            while (victims.Count > 0 && need > 0)
            {
                victims.Pop();
                retainedBytes -= each;
                need -= each;
            }
        }
        return true;
    }

    /// <summary>Drops every retained array.</summary>
    public static void Clear()
    {
        lock (Gate) { Free.Clear(); LastUse.Clear(); retainedBytes = 0; }
    }
}
