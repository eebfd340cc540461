using Spectre.Console;

namespace Axon.Cli;

/// <summary>Turns expected failures (bad input, missing files, invalid settings) into one clear line and exit code 1.</summary>
internal static class Cli
{
    /// <summary>Formats a number with the invariant culture.</summary>
    public static string F(double v, string format) => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }
}
