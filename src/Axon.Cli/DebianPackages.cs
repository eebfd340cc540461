using System.Diagnostics;
using System.Text;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// The data the commands train on comes from Debian packages, installed when missing as <c>./run</c> installs
/// <c>dataset-fashion-mnist</c>: <c>apt-get install</c>, through <c>sudo</c> unless root.
/// </summary>
internal static class DebianPackages
{
    /// <summary>
    /// Installs <paramref name="packages"/> unless every file of <paramref name="files"/> exists; throws naming what
    /// failed and <paramref name="alternative"/> (the option that avoids the package) when they still do not.
    /// </summary>
    public static void Ensure(string what, IReadOnlyList<string> files, IReadOnlyList<string> packages, string alternative)
    {
        if (files.All(File.Exists)) return;
        string list = string.Join(" ", packages);
        AnsiConsole.WriteLine($"{what} is not installed ({string.Join(", ", files)}): installing the Debian package{(packages.Count > 1 ? "s" : "")} {list}.");
        bool root = Environment.UserName == "root";
        string install = $"apt-get install -y -qq {list}";
        if (Run(root ? "apt-get" : "sudo", (root ? "" : "apt-get ") + $"install -y -qq {list}", out _, out string errors) != 0 || !files.All(File.Exists))
            throw new InvalidOperationException($"Could not install {what} ({(root ? "" : "sudo ")}{install} failed{(errors.Length > 0 ? ": " + errors.Trim().Split('\n')[^1] : "")}); " +
                $"install {list}, or pass {alternative}.");
    }

    /// <summary>Runs a program to its end; its exit code, standard output and standard error (-1 when it cannot start).</summary>
    public static int Run(string program, string arguments, out string output, out string errors)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
            var stderr = process.StandardError.ReadToEndAsync();
            output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            errors = stderr.Result;
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            output = "";
            errors = e.Message;
            return -1;
        }
    }
}
