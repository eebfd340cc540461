using System.CommandLine;
using System.Globalization;
using Axon.Distributed;
using Axon.Models.Training;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// The command line's side of <c>mpirun -np N ./axon train --distributed</c>: joins the MPI job, lets only rank 0 print
/// (the others' output would repeat it N times), gives each rank its share of the cores, and ends the whole job when any
/// rank fails, so that no rank waits forever for one that has stopped.
/// </summary>
internal static class DistributedRun
{
    /// <summary>
    /// Runs <paramref name="body"/> as one rank of the MPI job. A failure on any rank prints "error: rank R of N: ..." and
    /// aborts the job (MPI_Abort ends every rank); a clean finish leaves MPI cleanly (MPI_Finalize).
    /// </summary>
    public static int Run(ParseResult p, Func<ProcessGroup, int> body)
    {
        var group = MpiProcessGroup.Start();   // not under mpirun, or no Open MPI: a DistributedException for Guard
        if (!group.IsPrimary)
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(TextWriter.Null) });
        int code;
        try { code = body(group); }
        catch (Exception e)
        {
            // The group's own messages already begin with "rank R of N".
            string where = $"rank {group.Rank} of {group.Size}";
            Cli.WriteError(p.InvocationConfiguration.Error, e.Message.StartsWith(where, StringComparison.Ordinal) ? e.Message : $"{where}: {e.Message}");
            code = 1;
        }
        if (code != 0)
        {
            // The other ranks may be waiting in a collective for this one: end them all now rather than at their timeout.
            p.InvocationConfiguration.Error.Flush();
            group.Abort(code);
        }
        group.Dispose();
        return code;
    }

    /// <summary>The kernel threads of one rank by default: the machine's cores shared among the ranks mpirun put on it.</summary>
    public static int DefaultThreads()
    {
        var local = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE");
        int ranksHere = int.TryParse(local, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 1;
        return Math.Max(1, Environment.ProcessorCount / ranksHere);
    }

    /// <summary>"data-parallel on 2 ranks (Open MPI v4.1.4), batch 64 per rank (128 per step)" for the run's header.</summary>
    public static string Describe(ProcessGroup group, int batchSize, bool syncBn) => string.Create(CultureInfo.InvariantCulture,
        $"data-parallel on {group.Size} ranks ({group.Description.Split(',')[0]}), batch {batchSize} per rank ({batchSize * group.Size} per step){(syncBn ? ", synchronised batch norm" : "")}");

    /// <summary>
    /// After training, on every rank: checks that all ranks hold the same weights bit for bit (an exception otherwise)
    /// and returns the line rank 0 prints, with the communication per step.
    /// </summary>
    public static string Summary(Trainer trainer)
    {
        var ddp = trainer.DataParallel!;
        string digest = ddp.VerifyReplicas();
        double steps = Math.Max(ddp.Steps, 1);
        var inv = CultureInfo.InvariantCulture;
        return string.Create(inv, $"Parameters and buffers bit-identical on all {ddp.Group.Size} ranks (digest {digest}). ") +
            string.Create(inv, $"Per step: {ddp.GradientBytes / 1048576.0:F2} MiB of gradients in {ddp.Buckets.Count} bucket{(ddp.Buckets.Count == 1 ? "" : "s")}, ") +
            string.Create(inv, $"{1000 * ddp.TotalReduceSeconds / steps:F1} ms all-reducing, {1000 * ddp.TotalWaitSeconds / steps:F1} ms of it not hidden by the backward pass ({ddp.Steps} steps).");
    }
}
