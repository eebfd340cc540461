using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Axon.Distributed.Mpi;

/// <summary>
/// Loads Open MPI's library on first use (never at start-up: a program that does not ask for MPI never needs it) and
/// finds the predefined handles, which Open MPI exports as global objects whose addresses are the handles.
/// </summary>
internal static class MpiLibrary
{
    private static readonly Lazy<IntPtr> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    // The LibraryImport stubs of this assembly resolve libmpi through the handle loaded here, so a missing library is
    // reported once, by Load, with what to install.
    static MpiLibrary() => NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == MpiNative.Library ? Handle : IntPtr.Zero;

    /// <summary>The loaded library; the first access loads it.</summary>
    /// <exception cref="DistributedException">Open MPI is not installed.</exception>
    public static IntPtr Handle => Loaded.Value;

    private static IntPtr Load()
    {
        if (!OperatingSystem.IsLinux())
            throw new DistributedException($"Distributed training uses Open MPI's {MpiNative.Library}, which this build binds on Linux only (this is {RuntimeInformation.OSDescription}).");
        if (NativeLibrary.TryLoad(MpiNative.Library, out var handle)) return handle;
        throw new DistributedException($"Open MPI is not installed: {MpiNative.Library} could not be loaded. Install it with `apt-get install openmpi-bin libopenmpi-dev` " +
            "(Debian/Ubuntu) and start the program with mpirun, e.g. `mpirun -np 2 ./axon train --distributed`.");
    }

    /// <summary>The address of the exported global <paramref name="symbol"/> (a predefined handle such as <c>ompi_mpi_comm_world</c>).</summary>
    public static IntPtr Export(string symbol) => NativeLibrary.TryGetExport(Handle, symbol, out var address)
        ? address
        : throw new DistributedException($"{MpiNative.Library} does not export {symbol}: it is not Open MPI (MPICH and others define their handles differently), or not version 4.");

    /// <summary>MPI's text for an error code.</summary>
    public static unsafe string ErrorText(int code)
    {
        var text = stackalloc byte[MpiNative.MaxErrorString];
        return MpiNative.ErrorString(code, text, out int length) == 0 ? Encoding.ASCII.GetString(text, Math.Clamp(length, 0, MpiNative.MaxErrorString)) : $"MPI error {code}";
    }

    /// <summary>The library's own description (e.g. "Open MPI v4.1.4, ...").</summary>
    public static unsafe string Version()
    {
        // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI.
        var text = stackalloc byte[256];
        return MpiNative.GetLibraryVersion(text, out int length) == 0 ? Encoding.ASCII.GetString(text, Math.Clamp(length, 0, 256)).Trim('\0', ' ', '\n') : "unknown";
    }
}
