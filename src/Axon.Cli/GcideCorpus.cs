namespace Axon.Cli;

/// <summary>
/// The GNU Collaborative International Dictionary of English (about 5.4 million words), the word2vec benchmark corpus:
/// the Debian package <c>dict-gcide</c> installs it as a dictzip file, which is gzip-compatible and is read through the
/// gzip reader, as plain text (headwords, pronunciations, definitions).
/// </summary>
internal static class GcideCorpus
{
    /// <summary>Where <c>dict-gcide</c> installs the dictionary.</summary>
    public const string DataFile = "/usr/share/dictd/gcide.dict.dz";

    /// <summary>The path of the dictzip file, installing the package first when needed.</summary>
    public static string Ensure()
    {
        DebianPackages.Ensure("The GCIDE dictionary", [DataFile], ["dict-gcide"], "--corpus FILE");
        return DataFile;
    }
}
