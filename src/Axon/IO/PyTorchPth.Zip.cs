using System.IO.Compression;
using System.Text;

namespace Axon.IO;

// The archive: telling a torch.save zip from the formats Axon does not read, finding its records, and reading each
// record with its size bounded by the file's.
public static partial class PyTorchPth
{
    // torch.save before 1.6 (and with _use_new_zipfile_serialization=False) writes a bare pickle that starts with
    // PROTO 2, then LONG1 of 10 bytes holding the magic number 0x1950a86a20f9469cfc6c (little-endian).
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>An open torch.save archive: the zip, its record prefix (<c>archive/</c>) and the byte budget left for records.</summary>
    private sealed class Archive : IDisposable
    {
        private readonly ZipArchive zip;
        private readonly string prefix;
        private long budget;

        public Archive(Stream stream, long length, string name)
        {
            Name = name;
            FileLength = length;
            budget = length;
            CheckSignature(stream, name);
            try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
            catch (InvalidDataException ex) { throw Fail(name, $"not a readable zip archive (the file is truncated or corrupt: {ex.Message})", ex); }
            if (zip.Entries.Count == 0) throw Fail(name, "the zip archive is empty; a torch.save file holds <name>/data.pkl and its tensors' records.");
            // PyTorch's reader takes the archive's name from its first record; every record lives under it.
            string first = zip.Entries[0].FullName;
            int slash = first.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0) throw Fail(name, $"the zip's first entry '{first}' is not under a folder; a torch.save file holds <name>/data.pkl and <name>/data/<key> records.");
            prefix = first[..(slash + 1)];
            if (Find("data.pkl") is null)
            {
                bool script = Find("constants.pkl") is not null || zip.Entries.Any(e => e.FullName.StartsWith(prefix + "code/", StringComparison.Ordinal));
                throw Fail(name, script
                    ? "a TorchScript archive (torch.jit.save), not a state dict; load it in PyTorch and save model.state_dict() with torch.save."
                    : $"no '{prefix}data.pkl' record; not a file written by torch.save.");
            }
        }

        public string Name { get; }

        public long FileLength { get; }

        public void Dispose() => zip.Dispose();

        public ZipArchiveEntry? Find(string record) => zip.GetEntry(prefix + record);

        /// <summary>The full name a record has in the zip (for messages).</summary>
        public string FullName(string record) => prefix + record;

        /// <summary>
        /// The bytes of a record. Its declared size must fit in what is left of the file's size (torch stores records
        /// uncompressed, so their sizes sum to less than the file's); a compressed or overlapping record cannot make the
        /// reader allocate more than the file holds.
        /// </summary>
        public byte[] Read(string record, string what)
        {
            var entry = Find(record) ?? throw Fail(Name, $"{what}: the record '{FullName(record)}' is missing from the archive.");
            long size = entry.Length;
            if (size < 0 || size > budget)
                throw Fail(Name, $"{what}: the record '{entry.FullName}' declares {size} bytes, more than the {FileLength}-byte file can hold.");
            budget -= size;
            var bytes = new byte[size];
            try
            {
                using var s = entry.Open();
                s.ReadExactly(bytes);
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
            {
                throw Fail(Name, $"{what}: the record '{entry.FullName}' cannot be read (the file is truncated or corrupt: {ex.Message})", ex);
            }
            return bytes;
        }

        /// <summary>Refuses big-endian files (the optional <c>byteorder</c> record, written by newer PyTorch versions).</summary>
        public void CheckByteOrder()
        {
            if (Find("byteorder") is null) return;
            string order = Encoding.ASCII.GetString(Read("byteorder", "byte order")).Trim();
            if (order != "little")
                throw Fail(Name, $"the tensors are stored in '{order}' byte order; only little-endian files are supported (re-save on a little-endian machine).");
        }
    }

    // A zip starts with a local file header "PK\x03\x04" (or, when empty, the end record "PK\x05\x06"); anything else
    // is named: the legacy format, a bare pickle, or a safetensors file.
    private static void CheckSignature(Stream stream, string name)
    {
        long start = stream.Position;
        Span<byte> head = stackalloc byte[LegacyMagic.Length];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        head = head[..n];
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K') return;
        if (head.SequenceEqual(LegacyMagic))
            throw Fail(name, "the legacy (pre-1.6) torch.save format is unsupported; re-save it with torch>=1.6: torch.save(torch.load(f), f) writes the zip format.");
        if (n > 0 && head[0] == 0x80)
            throw Fail(name, "a bare pickle, not a torch.save zip archive; re-save it with torch>=1.6 (torch.save writes a zip).");
        if (n == 0) throw Fail(name, "the file is empty.");
        throw Fail(name, "not a torch.save file (it does not start with a zip signature).");
    }
}
