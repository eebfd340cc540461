using System.Globalization;

using Axon.Distributed.Mpi;

namespace Axon.Distributed;

/// <summary>
/// The process group of an Open MPI job: the processes mpirun started (<c>MPI_COMM_WORLD</c>). MPI is initialised on
/// the group's communication thread, the only thread that calls MPI afterwards (so MPI_THREAD_FUNNELED suffices), and
/// errors come back as codes (MPI_ERRORS_RETURN) that become <see cref="DistributedException"/>s naming the call.
/// Arrays travel as bytes; the all-reduce is the base class's deterministic one, built on MPI_Alltoall and MPI_Allgather.
/// <para>
/// <b>A rank that dies.</b> When a process of the job exits without MPI_Finalize (a crash, a kill, an unhandled
/// exception), mpirun notices and kills the others; a rank that hangs instead makes the others' next collective time out
/// (<see cref="ProcessGroup.Timeout"/>), after which disposing the group calls MPI_Abort, which ends every process.
/// </para>
/// </summary>
public sealed class MpiProcessGroup : ProcessGroup
{
    private static int started;
    private IntPtr comm, bytes;
    private int rank, size;
    private bool initialized;
    private string version = "";

    private MpiProcessGroup(TimeSpan timeout) : base(timeout) { }

    /// <summary>The default collective timeout: longer than any step of the zoo's models, short enough not to hang a job for long.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>True when this process was started by Open MPI's mpirun (it sets OMPI_COMM_WORLD_SIZE and PMIX_RANK).</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>
    /// Joins the MPI job this process belongs to (once per process: MPI cannot be initialised twice).
    /// </summary>
    /// <param name="timeout">How long a collective may take before it fails (<see cref="DefaultTimeout"/> when null).</param>
    /// <exception cref="DistributedException">Open MPI is not installed, the process was not started by mpirun, or MPI failed to start.</exception>
    public static MpiProcessGroup Start(TimeSpan? timeout = null)
    {
        if (!LaunchedByMpirun)
            throw new DistributedException("Distributed training must be launched by Open MPI's mpirun, one process per rank, e.g. `mpirun -np 2 ./axon train --distributed`; " +
                "this process was started directly (OMPI_COMM_WORLD_SIZE is not set).");
        _ = MpiLibrary.Handle;  // a missing library is reported here, with what to install
        if (Interlocked.Exchange(ref started, 1) == 1) throw new DistributedException("MPI is already initialised in this process: create one MpiProcessGroup per process.");
        var group = new MpiProcessGroup(timeout ?? DefaultTimeout);
        try { group.RunOnCommunicationThread("MPI_Init_thread", group.Initialize); }
        catch
        {
            group.Dispose();
            throw;
        }
        return group;
    }

    private void Initialize()
    {
        Check(MpiNative.Initialized(out int already), "MPI_Initialized");
        if (already != 0) throw new DistributedException("MPI was initialised by someone else in this process; the group must own it.");
        Check(MpiNative.InitThread(IntPtr.Zero, IntPtr.Zero, MpiNative.ThreadFunneled, out int provided), "MPI_Init_thread");
        initialized = true;
        if (provided < MpiNative.ThreadFunneled)
            throw new DistributedException($"MPI provides thread level {provided}; the group needs MPI_THREAD_FUNNELED ({MpiNative.ThreadFunneled}) to call MPI from its communication thread.");
        comm = MpiLibrary.Export("ompi_mpi_comm_world");
        bytes = MpiLibrary.Export("ompi_mpi_byte");
        Check(MpiNative.CommSetErrhandler(comm, MpiLibrary.Export("ompi_mpi_errors_return")), "MPI_Comm_set_errhandler");
        Check(MpiNative.CommRank(comm, out rank), "MPI_Comm_rank");
        Check(MpiNative.CommSize(comm, out size), "MPI_Comm_size");
        version = MpiLibrary.Version().Split(',')[0];
    }

    /// <inheritdoc/>
    public override int Rank => rank;

    /// <inheritdoc/>
    public override int Size => size;

    /// <inheritdoc/>
    public override string Description => string.Create(CultureInfo.InvariantCulture, $"{version}, rank {rank} of {size}");

    /// <summary>Ends every process of the job (MPI_Abort); does not return.</summary>
    public override void Abort(int exitCode)
    {
        if (initialized) _ = MpiNative.Abort(comm, exitCode);
        Environment.Exit(exitCode);
    }

    /// <inheritdoc/>
    protected override void Abandon()
    {
        // The communication thread may be blocked in a collective that will never complete: only an abort ends it.
        if (initialized) Abort(1);
    }

    /// <inheritdoc/>
    protected override void Shutdown()
    {
        if (initialized) Check(MpiNative.Finalize(), "MPI_Finalize");
        initialized = false;
    }

    /// <inheritdoc/>
    protected override void BarrierCore() => Check(MpiNative.Barrier(comm), "MPI_Barrier");

    /// <inheritdoc/>
    protected override unsafe void BroadcastCore<T>(T[] buffer, int offset, int count, int root)
    {
        if (count == 0) return;
        fixed (T* p = &buffer[offset]) Check(MpiNative.Bcast(p, Bytes<T>(count), bytes, root, comm), "MPI_Bcast");
    }

    /// <inheritdoc/>
    protected override unsafe void AllGatherCore<T>(T[] send, int offset, int count, T[] receive)
    {
        if (count == 0) return;
        int n = Bytes<T>(count);
        fixed (T* s = &send[offset])
        fixed (T* r = receive)
            Check(MpiNative.Allgather(s, n, bytes, r, n, bytes, comm), "MPI_Allgather");
    }

    /// <inheritdoc/>
    protected override unsafe void AllToAllCore<T>(T[] send, T[] receive, int countPerRank)
    {
        if (countPerRank == 0) return;
        int n = Bytes<T>(countPerRank);
        fixed (T* s = send)
        fixed (T* r = receive)
            Check(MpiNative.Alltoall(s, n, bytes, r, n, bytes, comm), "MPI_Alltoall");
    }

    /// <summary>The byte count of <paramref name="count"/> elements, which MPI takes as an int.</summary>
    private static unsafe int Bytes<T>(int count) where T : unmanaged
    {
        long n = (long)count * sizeof(T);
        return n <= int.MaxValue ? (int)n
            : throw new DistributedException(string.Create(CultureInfo.InvariantCulture, $"A message of {n:N0} bytes exceeds MPI's limit of {int.MaxValue:N0} per call; split it."));
    }

    private void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException(string.Create(CultureInfo.InvariantCulture, $"rank {rank}: {call} failed: {MpiLibrary.ErrorText(code)} (MPI error {code})."));
    }
}
