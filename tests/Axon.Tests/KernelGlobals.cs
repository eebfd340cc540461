namespace Axon.Tests;

/// <summary>
/// Tests that set process-wide kernel settings (<see cref="Kernels.KernelThreads.Count"/>, the convolution path
/// switches) run alone, after the parallel ones: a test running beside them would see the setting change in the middle
/// of its own work (a determinism check compared a 2-thread result with one computed while another test had set 1).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelGlobals
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Kernel globals";
}
