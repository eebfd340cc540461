using System.Runtime.InteropServices;

namespace Axon.Distributed.Mpi;

/// <summary>
/// The few functions of the MPI C API that the process group needs, bound to Open MPI's <c>libmpi.so.40</c>. In Open
/// MPI every handle (communicator, datatype, error handler) is a pointer: the predefined ones are the addresses of
/// exported globals (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), which <see cref="MpiLibrary"/> looks up.
/// Every function returns an MPI error code (0 = success) once the communicator's handler is MPI_ERRORS_RETURN.
/// </summary>
internal static partial class MpiNative
{
    /// <summary>The soname of Open MPI 4's library (Debian's libopenmpi3 package).</summary>
    public const string Library = "libmpi.so.40";

    public const int ThreadSingle = 0, ThreadFunneled = 1, ThreadSerialized = 2, ThreadMultiple = 3;

    /// <summary>MPI_MAX_ERROR_STRING in Open MPI.</summary>
    public const int MaxErrorString = 256;

    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")]
    public static partial int InitThread(IntPtr argc, IntPtr argv, int required, out int provided);

    [LibraryImport(Library, EntryPoint = "MPI_Initialized")]
    public static partial int Initialized(out int flag);

    [LibraryImport(Library, EntryPoint = "MPI_Finalized")]
    public static partial int Finalized(out int flag);

    [LibraryImport(Library, EntryPoint = "MPI_Finalize")]
    public static partial int Finalize();

    [LibraryImport(Library, EntryPoint = "MPI_Abort")]
    public static partial int Abort(IntPtr comm, int errorCode);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")]
    public static partial int CommRank(IntPtr comm, out int rank);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")]
    public static partial int CommSize(IntPtr comm, out int size);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_set_errhandler")]
    public static partial int CommSetErrhandler(IntPtr comm, IntPtr handler);

    [LibraryImport(Library, EntryPoint = "MPI_Error_string")]
    public static unsafe partial int ErrorString(int code, byte* text, out int length);

    [LibraryImport(Library, EntryPoint = "MPI_Get_library_version")]
    public static unsafe partial int GetLibraryVersion(byte* text, out int length);

    [LibraryImport(Library, EntryPoint = "MPI_Barrier")]
    public static partial int Barrier(IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Bcast")]
    public static unsafe partial int Bcast(void* buffer, int count, IntPtr datatype, int root, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Allgather")]
    public static unsafe partial int Allgather(void* send, int sendCount, IntPtr sendType, void* recv, int recvCount, IntPtr recvType, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Alltoall")]
    public static unsafe partial int Alltoall(void* send, int sendCount, IntPtr sendType, void* recv, int recvCount, IntPtr recvType, IntPtr comm);
}
