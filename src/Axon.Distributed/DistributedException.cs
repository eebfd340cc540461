namespace Axon.Distributed;

/// <summary>
/// A failure of distributed training: MPI missing or not started by mpirun, a collective that failed, ranks that
/// disagree about the model or the data. The message names the rank and, for a collective, which one.
/// </summary>
public class DistributedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public DistributedException() { }

    /// <summary>Creates the exception with a message.</summary>
    public DistributedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public DistributedException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A collective did not finish within the group's timeout: another rank died, hangs, or stopped calling collectives in
/// the same order. The group is unusable afterwards (the communication thread may still be blocked in it); an MPI
/// group aborts the whole job when disposed in this state, so that no rank is left waiting.
/// </summary>
public sealed class CollectiveTimeoutException : DistributedException
{
    /// <summary>Creates the exception.</summary>
    public CollectiveTimeoutException() { }

    /// <summary>Creates the exception with a message.</summary>
    public CollectiveTimeoutException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public CollectiveTimeoutException(string message, Exception inner) : base(message, inner) { }
}
