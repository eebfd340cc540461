using System.Text;
using Axon.IO;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>
/// The King James Bible as plain text, the default corpus of <c>axon lm train</c>. The Debian package
/// <c>bible-kjv-text</c> installs it as <c>/usr/lib/bible.data</c>, compressed in its own format that only the
/// package <c>bible-kjv</c>'s reader, <c>/usr/bin/bible</c>, decodes. So: install both when missing (as <c>./run</c>
/// installs <c>dataset-fashion-mnist</c>: <c>apt-get install</c>, with <c>sudo</c> unless root), print the whole text
/// once with <c>bible -l1000000 gen1:1-rev22:21</c> (chapter headings, then one verse per line), and keep it in the
/// cache (<c>~/.cache/axon/kjv.txt</c>, about 4.3 million characters).
/// </summary>
internal static class KjvCorpus
{
    /// <summary>Where <c>bible-kjv-text</c> installs the compressed text.</summary>
    public const string DataFile = "/usr/lib/bible.data";

    /// <summary>The reader of <c>bible-kjv</c>.</summary>
    public const string Reader = "/usr/bin/bible";

    /// <summary>The cached plain text.</summary>
    public static string CachedText
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
            return Path.Combine(root, "axon", "kjv.txt");
        }
    }

    /// <summary>The path of the plain text, installing the packages and extracting the text first when needed.</summary>
    public static string Ensure()
    {
        string cached = CachedText;
        if (File.Exists(cached) && new FileInfo(cached).Length > 0) return cached;
        DebianPackages.Ensure("The King James Bible", [DataFile, Reader], ["bible-kjv-text", "bible-kjv"], "--corpus FILE");
        if (DebianPackages.Run(Reader, "-l1000000 gen1:1-rev22:21", out string text, out string error) != 0 || text.Length < 1_000_000)
            throw new InvalidOperationException($"{Reader} did not print the King James Bible ({error.Trim()}); pass --corpus FILE.");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        AtomicFile.WriteAllBytes(cached, new UTF8Encoding(false).GetBytes(text.TrimStart('\n')));
        AnsiConsole.WriteLine($"Extracted the King James Bible to {cached} ({text.Length:N0} characters).");
        return cached;
    }
}
