using System.Diagnostics;

namespace Axon.Distributed.Tests;

/// <summary>
/// Starts Open MPI jobs for the loopback tests: N ranks on this machine talking TCP over 127.0.0.1, with the settings a
/// container needs. Shared with tests/Axon.Cli.Tests (linked source).
/// </summary>
internal static class Mpirun
{
    /// <summary>
    /// Why the MPI tests cannot run here, or null when they can. With AXON_REQUIRE_MPI=1 (set by .ci/run once it has
    /// installed Open MPI) they always run, so that a broken installation fails instead of being skipped.
    /// </summary>
    public static string? Missing
    {
        get
        {
            if (Environment.GetEnvironmentVariable("AXON_REQUIRE_MPI") == "1") return null;
            if (!OperatingSystem.IsLinux()) return "The MPI loopback tests bind Open MPI on Linux only.";
            return Which("mpirun") is null
                ? "Open MPI is not installed (no mpirun on PATH); .ci/run installs it with `apt-get install -y openmpi-bin libopenmpi-dev`."
                : null;
        }
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>The dotnet host that runs the tests (to start the ranks' programs with).</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : Which("dotnet") ?? "dotnet";

    /// <summary>
    /// Runs <c>mpirun -np <paramref name="ranks"/> dotnet <paramref name="dll"/> <paramref name="arguments"/></c> and
    /// returns its exit code, output and wall time; kills it after <paramref name="limit"/> (a hang fails the test, it
    /// does not stall the suite).
    /// </summary>
    public static (int ExitCode, string Output, TimeSpan Elapsed) Run(int ranks, string dll, IEnumerable<string> arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(Which("mpirun") ?? "mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // -np N ranks on this host (--oversubscribe: more ranks than cores is fine); as root in a container, --allow-run-as-root.
        // TCP over the loopback interface only (no shared-memory transport, which needs ptrace rights in some containers).
        foreach (var a in new[] { "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--oversubscribe", "--allow-run-as-root",
                     "--host", $"127.0.0.1:{ranks}", "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo", Dotnet, dll })
            start.ArgumentList.Add(a);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        // A container may have no ssh: for a job on this host alone, mpirun never calls the agent, but it must exist.
        if (Which("ssh") is null && Which("rsh") is null) start.Environment["OMPI_MCA_plm_rsh_agent"] = "false";
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"mpirun did not finish within {limit.TotalSeconds} s\n{output.Result}\n{error.Result}", clock.Elapsed);
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + "\n" + error.Result, clock.Elapsed);
    }
}

/// <summary>A test that needs Open MPI: skipped, with the reason, only where it is not installed (see <see cref="Mpirun.Missing"/>).</summary>
internal sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpirun.Missing is string why) Skip = why;
    }
}
