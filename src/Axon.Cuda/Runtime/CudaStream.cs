using Axon.Cuda.Native;

namespace Axon.Cuda.Runtime;

/// <summary>A CUDA stream of one device: work queued on it runs in order, asynchronously to the host.</summary>
public sealed class CudaStream : IDisposable
{
    private IntPtr handle;

    /// <summary>Creates a stream on <paramref name="context"/>'s device that does not synchronise with the legacy default stream.</summary>
    public CudaStream(CudaContext context)
    {
        Context = context ?? throw new ArgumentNullException(nameof(context));
        context.MakeCurrent();
        Driver.Check(Driver.StreamCreate(out handle, Driver.StreamNonBlocking), "cuStreamCreate", $"on {context.Name}");
    }

    /// <summary>The device the stream belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The CUstream handle.</summary>
    public IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(CudaStream));

    /// <summary>Waits until everything queued on the stream has run.</summary>
    public void Synchronize() => Driver.Check(Driver.StreamSynchronize(Handle), "cuStreamSynchronize", $"on {Context.Name}");

    /// <summary>Makes later work on this stream wait for <paramref name="event"/> (recorded on another stream) without blocking the host.</summary>
    public void Wait(CudaEvent @event) => Driver.Check(Driver.StreamWaitEvent(Handle, @event.Handle, 0), "cuStreamWaitEvent", $"on {Context.Name}");

    /// <inheritdoc/>
    public void Dispose()
    {
        if (handle == IntPtr.Zero) return;
        Context.MakeCurrent();
        Driver.Check(Driver.StreamDestroy(handle), "cuStreamDestroy_v2", $"on {Context.Name}");
        handle = IntPtr.Zero;
    }
}

/// <summary>A CUDA event: a point in a stream's work to wait for or to time.</summary>
public sealed class CudaEvent : IDisposable
{
    private IntPtr handle;

    /// <summary>Creates an event on <paramref name="context"/>'s device; <paramref name="timing"/> false makes waiting on it cheaper.</summary>
    public CudaEvent(CudaContext context, bool timing = true)
    {
        Context = context ?? throw new ArgumentNullException(nameof(context));
        context.MakeCurrent();
        Driver.Check(Driver.EventCreate(out handle, timing ? 0u : Driver.EventDisableTiming), "cuEventCreate", $"on {context.Name}");
    }

    /// <summary>The device the event belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The CUevent handle.</summary>
    public IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(CudaEvent));

    /// <summary>Records the event at the current end of <paramref name="stream"/>'s work.</summary>
    public void Record(CudaStream stream) => Driver.Check(Driver.EventRecord(Handle, stream.Handle), "cuEventRecord", $"on {Context.Name}");

    /// <summary>True once the work before the recorded point has finished.</summary>
    public bool IsComplete
    {
        get
        {
            int r = Driver.EventQuery(Handle);
            if (r == 600) return false;   // CUDA_ERROR_NOT_READY
            Driver.Check(r, "cuEventQuery", $"on {Context.Name}");
            return true;
        }
    }

    /// <summary>Blocks the host until the recorded point is reached.</summary>
    public void Synchronize() => Driver.Check(Driver.EventSynchronize(Handle), "cuEventSynchronize", $"on {Context.Name}");

    /// <summary>Milliseconds between <paramref name="start"/> and this event (both recorded and complete).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        Driver.Check(Driver.EventElapsedTime(out float ms, start.Handle, Handle), "cuEventElapsedTime", $"on {Context.Name}");
        return ms;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (handle == IntPtr.Zero) return;
        Context.MakeCurrent();
        Driver.Check(Driver.EventDestroy(handle), "cuEventDestroy_v2", $"on {Context.Name}");
        handle = IntPtr.Zero;
    }
}
