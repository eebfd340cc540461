namespace Axon;

/// <summary>
/// The flat array behind one or more tensors (a tensor and its views share one storage).
/// Reference-counted so that the array returns to the <see cref="BufferPool"/> when the last
/// disposed tensor lets go of it.
/// </summary>
internal sealed class Storage
{
    private int refs = 1;

    public Storage(Array data, DType dtype) { Data = data; DType = dtype; }

    public Array Data { get; private set; }

    public DType DType { get; }

    public int Length => Data.Length;

    public void AddRef() => Interlocked.Increment(ref refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref refs) != 0) return;
        switch (Data)
        {
            case float[] f: BufferPool.Return(f); break;
            case double[] d: BufferPool.Return(d); break;
            case long[] l: BufferPool.Return(l); break;
        }
        Data = Array.Empty<float>();
    }

    public static Storage Allocate(DType dtype, int length, bool clear) => dtype switch
    {
        DType.Float32 => new Storage(BufferPool.Rent<float>(length, clear), dtype),
        DType.Float64 => new Storage(BufferPool.Rent<double>(length, clear), dtype),
        _ => new Storage(BufferPool.Rent<long>(length, clear), dtype),
    };
}
