using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Axon.Distributed;

/// <summary>
/// A fixed list of named tensors (a model's parameters and buffers) copied into one host array per dtype, so that they
/// cross the process group in one broadcast per dtype instead of one per tensor; the arrays are kept and reused.
/// </summary>
internal sealed class PackedTensors
{
    private readonly (string Name, Tensor Tensor, int Offset)[] entries;
    private readonly float[] floats;
    private readonly double[] doubles;
    private readonly long[] longs;

    public PackedTensors(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = new List<(string, Tensor, int)>();
        int f = 0, d = 0, l = 0;
        foreach (var (name, t) in tensors)
        {
            int offset = t.DType switch
            {
                DType.Float32 => Advance(ref f, t.NumEl),
                DType.Float64 => Advance(ref d, t.NumEl),
                _ => Advance(ref l, t.NumEl),
            };
            list.Add((name, t, offset));
        }
        entries = [.. list];
        floats = new float[f];
        doubles = new double[d];
        longs = new long[l];
    }

    private static int Advance(ref int total, int count)
    {
        int at = total;
        total = checked(total + count);
        return at;
    }

    /// <summary>The number of tensors.</summary>
    public int Count => entries.Length;

    /// <summary>The number of elements over all tensors.</summary>
    public long Elements => (long)floats.Length + doubles.Length + longs.Length;

    /// <summary>Copies the tensors' values into the arrays.</summary>
    public void Pack()
    {
        foreach (var (_, t, o) in entries)
            switch (t.DType)
            {
                case DType.Float32: t.CopyToHost(floats.AsSpan(o, t.NumEl)); break;
                case DType.Float64: t.CopyToHost(doubles.AsSpan(o, t.NumEl)); break;
                default: t.CopyToHost(longs.AsSpan(o, t.NumEl)); break;
            }
    }

    /// <summary>Copies the arrays back into the tensors.</summary>
    public void Unpack()
    {
        foreach (var (_, t, o) in entries)
            switch (t.DType)
            {
                case DType.Float32: t.CopyFromHost<float>(floats.AsSpan(o, t.NumEl)); break;
                case DType.Float64: t.CopyFromHost<double>(doubles.AsSpan(o, t.NumEl)); break;
                default: t.CopyFromHost<long>(longs.AsSpan(o, t.NumEl)); break;
            }
    }

    /// <summary>Starts the broadcasts of the packed arrays from <paramref name="root"/> (one per dtype present); unpack after waiting for them.</summary>
    public List<CollectiveWork> StartBroadcast(ProcessGroup group, int root = 0)
    {
        var works = new List<CollectiveWork>(3);
        if (floats.Length > 0) works.Add(group.BroadcastAsync(floats, 0, floats.Length, root));
        if (doubles.Length > 0) works.Add(group.BroadcastAsync(doubles, 0, doubles.Length, root));
        if (longs.Length > 0) works.Add(group.BroadcastAsync(longs, 0, longs.Length, root));
        return works;
    }

    /// <summary>Replaces every rank's tensors by rank <paramref name="root"/>'s.</summary>
    public void Broadcast(ProcessGroup group, int root = 0)
    {
        Pack();
        foreach (var w in StartBroadcast(group, root)) w.Wait();
        Unpack();
    }

    /// <summary>
    /// The names, dtypes and shapes of the tensors in order, as a SHA-256 digest in four longs: equal on two ranks when
    /// they hold the same model, whatever its values.
    /// </summary>
    public long[] StructureDigest()
    {
        var text = new StringBuilder();
        foreach (var (name, t, _) in entries) text.Append(name).Append(':').Append(t.DType).Append('[').AppendJoin(',', t.GetShape()).Append("];");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return [BitConverter.ToInt64(hash, 0), BitConverter.ToInt64(hash, 8), BitConverter.ToInt64(hash, 16), BitConverter.ToInt64(hash, 24)];
    }

    /// <summary>
    /// Compares every rank's values with rank 0's, bit for bit (so −0 differs from 0, and NaNs by payload). Returns, for
    /// this rank, the name of the first tensor that differs and how many elements differ in all (null, 0 when identical).
    /// </summary>
    public (string? FirstDifferent, long Different) CompareWithRankZero(ProcessGroup group)
    {
        Pack();
        var (f, d, l) = ((float[])floats.Clone(), (double[])doubles.Clone(), (long[])longs.Clone());
        foreach (var w in StartBroadcast(group)) w.Wait();
        string? first = null;
        long different = 0;
        foreach (var (name, t, o) in entries)
        {
            long here = 0;
            for (int i = o; i < o + t.NumEl; i++)
                here += t.DType switch
                {
                    DType.Float32 => BitConverter.SingleToInt32Bits(f[i]) != BitConverter.SingleToInt32Bits(floats[i]) ? 1 : 0,
                    DType.Float64 => BitConverter.DoubleToInt64Bits(d[i]) != BitConverter.DoubleToInt64Bits(doubles[i]) ? 1 : 0,
                    _ => l[i] != longs[i] ? 1 : 0,
                };
            if (here > 0) first ??= name;
            different += here;
        }
        f.CopyTo(floats, 0);
        d.CopyTo(doubles, 0);
        l.CopyTo(longs, 0);
        return (first, different);
    }

    /// <summary>A 64-bit FNV-1a digest of the packed values' bits (after <see cref="Pack"/>), printed to show that runs or ranks agree.</summary>
    public string ValueDigest()
    {
        const ulong prime = 0x100000001b3;
        ulong h = 0xcbf29ce484222325;
        foreach (var v in floats) h = (h ^ (uint)BitConverter.SingleToInt32Bits(v)) * prime;
        foreach (var v in doubles) h = (h ^ (ulong)BitConverter.DoubleToInt64Bits(v)) * prime;
        foreach (var v in longs) h = (h ^ (ulong)v) * prime;
        return h.ToString("x16", CultureInfo.InvariantCulture);
    }
}
