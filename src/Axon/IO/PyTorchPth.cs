using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Axon.IO;

/// <summary>
/// Reads the state dicts PyTorch writes with <c>torch.save(model.state_dict(), "f.pth")</c>, without running anything the file contains.
/// </summary>
/// <remarks>
/// <para><b>Format.</b> Since PyTorch 1.6, <c>torch.save</c> writes a zip archive of uncompressed records under one folder:
/// <c>&lt;name&gt;/data.pkl</c> (a pickle, protocol 2, of the dict), <c>&lt;name&gt;/data/&lt;key&gt;</c> (each storage's raw
/// little-endian bytes), <c>&lt;name&gt;/version</c> and, in newer versions, <c>&lt;name&gt;/byteorder</c>. In the pickle each
/// tensor is <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)</c> and each storage a
/// persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>.</para>
/// <para><b>Safety.</b> Python's unpickler imports and calls whatever the pickle names, so loading an untrusted
/// <c>.pth</c> with it can run any code. This reader is a separate pickle machine that never calls anything: a global
/// is accepted only if it is one of the few a state dict needs (<c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>_rebuild_parameter</c>, <c>_rebuild_parameter_with_state</c>,
/// <c>torch._tensor._rebuild_from_type_v2</c>, <c>torch.Tensor</c>, <c>torch.nn.parameter.Parameter</c>, <c>torch.Size</c>
/// and the storage types <c>torch.FloatStorage</c>, <c>DoubleStorage</c>, <c>HalfStorage</c>, <c>BFloat16Storage</c>,
/// <c>LongStorage</c>, <c>IntStorage</c>, <c>ShortStorage</c>, <c>CharStorage</c>, <c>ByteStorage</c>, <c>BoolStorage</c>),
/// and "calling" one only builds a dict or a tensor description. Any other global (<c>os.system</c>, <c>builtins.eval</c>,
/// the <c>nn.Module</c> class a whole-model <c>torch.save(model)</c> needs) is refused with its name, while the pickle is
/// read and before any tensor data is. The whole pickle is checked before any storage is read.</para>
/// <para><b>Validation.</b> Nothing read from the file is trusted: record sizes are bounded by the file's size; strings,
/// the stack and the memo by data.pkl's size; each storage record must hold exactly the elements its id declares; a
/// tensor's size, stride and offset must stay inside its storage; the tensors together may hold at most
/// <see cref="MaxExpansion"/> times the elements the storages hold (a stride of 0 repeats elements, and a copy would
/// otherwise let a small file allocate without bound). Every problem throws <see cref="InvalidDataException"/> whose
/// message starts with the file name.</para>
/// <para><b>Result.</b> The tensors in the dict's order, each a fresh contiguous tensor (views, transposes and tensors
/// sharing a storage are copied out). Float and double load bit for bit as <see cref="DType.Float32"/> and
/// <see cref="DType.Float64"/>; half and bfloat16 widen exactly to float32; int64 loads as <see cref="DType.Int64"/>,
/// and int32, int16, int8, uint8 and bool widen exactly to int64 (as <see cref="Safetensors"/> does). Besides a bare
/// state dict, a checkpoint dict is accepted whose <c>"state_dict"</c>, <c>"model_state_dict"</c> or <c>"model"</c> entry
/// is the state dict (the rest of it — optimiser state, epoch — is checked but not returned). The legacy pre-1.6 format,
/// TorchScript archives and big-endian files are refused with what to do instead.</para>
/// </remarks>
public static partial class PyTorchPth
{
    /// <summary>How many times more elements the loaded tensors may hold than the file's storages (repeats through zero strides, weights tied to one storage).</summary>
    public const int MaxExpansion = 4;

    private static readonly string[] CheckpointKeys = ["state_dict", "model_state_dict", "model"];

    /// <summary>Reads the state dict in a <c>.pth</c> file written by <c>torch.save</c>: its tensors by key, in the file's order.</summary>
    /// <exception cref="InvalidDataException">The file is not a state dict Axon can read safely (the message names the file and the problem).</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, stream.Length, path);
    }

    /// <summary>Reads a <c>torch.save</c> state dict from <paramref name="stream"/> (to its end); <paramref name="name"/> labels error messages.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(Stream stream, string name = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (stream.CanSeek && stream.Position == 0) return Read(stream, stream.Length, name);
        using var copy = new MemoryStream();   // the zip reader seeks from the start of its stream
        stream.CopyTo(copy);
        copy.Position = 0;
        return Read(copy, copy.Length, name);
    }

    /// <summary>Reads a <c>torch.save</c> state dict held in memory; <paramref name="name"/> labels error messages.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(byte[] bytes, string name = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var ms = new MemoryStream(bytes, writable: false);
        return Read(ms, ms.Length, name);
    }

    /// <summary>Whether the file starts like a zip archive, as a <c>torch.save</c> file does (a safetensors file does not).</summary>
    public static bool LooksLikePth(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> head = stackalloc byte[LegacyMagic.Length];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return (n >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K') || head[..n].SequenceEqual(LegacyMagic);
    }

    private static InvalidDataException Fail(string name, string problem, Exception? inner = null) => new($"{name}: {problem}", inner);

    private static List<KeyValuePair<string, Tensor>> Read(Stream stream, long length, string name)
    {
        using var archive = new Archive(stream, length, name);
        archive.CheckByteOrder();
        var root = new Unpickler(archive.Read("data.pkl", "the pickle"), name).Run();
        var entries = SelectStateDict(root, name);

        // Every storage the state dict uses, read once and checked against its declared size.
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long stored = 0, wanted = 0;
        foreach (var (key, t) in entries)
        {
            wanted = checked(wanted + CheckBounds(key, t, name));
            if (bytes.ContainsKey(t.Storage.Key)) continue;
            var data = archive.Read("data/" + t.Storage.Key, $"tensor '{key}'");
            int size = ElementSize(t.Storage.Kind);
            if (data.LongLength != t.Storage.Numel * size)
                throw Fail(name, $"tensor '{key}': storage '{t.Storage.Key}' ({t.Storage.TypeName}) declares {t.Storage.Numel} elements " +
                    $"({t.Storage.Numel * size} bytes) but its record '{archive.FullName("data/" + t.Storage.Key)}' holds {data.LongLength} bytes.");
            bytes[t.Storage.Key] = data;
            stored += t.Storage.Numel;
        }
        if (wanted > MaxExpansion * stored + 4096)
            throw Fail(name, $"the tensors hold {wanted} elements in all, more than {MaxExpansion} times the {stored} their storages hold.");

        var result = new List<KeyValuePair<string, Tensor>>(entries.Count);
        try
        {
            foreach (var (key, t) in entries) result.Add(new(key, Materialize(t, bytes[t.Storage.Key])));
        }
        catch
        {
            foreach (var kv in result) kv.Value.Dispose();
            throw;
        }
        return result;
    }

    // The state dict is the pickled dict itself, or the "state_dict"/"model_state_dict"/"model" entry of a checkpoint dict.
    private static List<(string Key, TensorRef Tensor)> SelectStateDict(object? root, string name)
    {
        if (root is not PyDict dict) throw Fail(name, $"the pickle holds {Describe(root)}, not a state dict.");
        if (TryTensors(dict, out var tensors, out _)) return tensors;
        foreach (var k in CheckpointKeys)
            if (dict.TryGet(k, out var inner) && inner is PyDict innerDict)
            {
                if (TryTensors(innerDict, out tensors, out var why)) return tensors;
                throw Fail(name, $"the checkpoint's '{k}' entry is not a state dict: {why}.");
            }
        TryTensors(dict, out _, out var problem);
        throw Fail(name, $"not a state dict: {problem}, and there is no 'state_dict', 'model_state_dict' or 'model' entry holding one.");
    }

    private static bool TryTensors(PyDict dict, out List<(string, TensorRef)> tensors, out string problem)
    {
        tensors = new(dict.Items.Count);
        problem = "";
        foreach (var (k, v) in dict.Items)
        {
            if (k is not string key)
            {
                problem = $"the key {Describe(k)} is not a string";
                return false;
            }
            if (v is not TensorRef t)
            {
                problem = $"the entry '{key}' holds {Describe(v)}, not a tensor";
                return false;
            }
            tensors.Add((key, t));
        }
        return true;
    }

    // The elements the tensor reads must lie inside its storage: offset + sum((size - 1) * stride) < numel.
    private static long CheckBounds(string key, TensorRef t, string name)
    {
        string Where() => $"tensor '{key}' (size {Fmt(t.Size)}, stride {Fmt(t.Stride)}, storage offset {t.Offset})";
        try
        {
            long count = 1, last = t.Offset;
            for (int d = 0; d < t.Size.Length; d++)
            {
                if (t.Size[d] > int.MaxValue) throw Fail(name, $"{Where()} has a dimension larger than {int.MaxValue}.");
                count = checked(count * t.Size[d]);
                if (t.Size[d] > 0) last = checked(last + (t.Size[d] - 1) * t.Stride[d]);
            }
            if (count > int.MaxValue) throw Fail(name, $"{Where()} has {count} elements, more than a tensor can hold.");
            if (count > 0 && last >= t.Storage.Numel)
                throw Fail(name, $"{Where()} reaches element {last} of its storage '{t.Storage.Key}', which holds only {t.Storage.Numel} elements ({t.Storage.TypeName}).");
            return count;
        }
        catch (OverflowException ex)
        {
            throw Fail(name, $"{Where()} overflows 64-bit sizes.", ex);
        }
    }

    private static int ElementSize(StorageKind kind) => kind switch
    {
        StorageKind.Double or StorageKind.Long => 8,
        StorageKind.Float or StorageKind.Int => 4,
        StorageKind.Half or StorageKind.BFloat16 or StorageKind.Short => 2,
        _ => 1,
    };

    private static DType TargetDType(StorageKind kind) => kind switch
    {
        StorageKind.Float or StorageKind.Half or StorageKind.BFloat16 => DType.Float32,
        StorageKind.Double => DType.Float64,
        _ => DType.Int64,
    };

    // A fresh contiguous tensor with the view's elements: one block copy when the view is the contiguous prefix of a
    // native-typed storage, else element by element through the strides.
    private static Tensor Materialize(TensorRef t, byte[] src)
    {
        var shape = t.Size.Select(s => (int)s).ToArray();
        var dst = Tensor.Empty(shape, TargetDType(t.Storage.Kind));
        try
        {
            long count = shape.Aggregate(1L, (a, s) => a * s);
            if (count == 0) return dst;
            int esize = ElementSize(t.Storage.Kind);
            if (IsContiguous(t) && BitConverter.IsLittleEndian && t.Storage.Kind is StorageKind.Float or StorageKind.Double or StorageKind.Long)
            {
                var block = src.AsSpan(checked((int)(t.Offset * esize)), checked((int)(count * esize)));
                switch (t.Storage.Kind)
                {
                    case StorageKind.Float: MemoryMarshal.Cast<byte, float>(block).CopyTo(dst.AsSpan<float>()); break;
                    case StorageKind.Double: MemoryMarshal.Cast<byte, double>(block).CopyTo(dst.AsSpan<double>()); break;
                    default: MemoryMarshal.Cast<byte, long>(block).CopyTo(dst.AsSpan<long>()); break;
                }
                return dst;
            }
            Gather(t, src, dst, count);
            return dst;
        }
        catch
        {
            dst.Dispose();
            throw;
        }
    }

    private static bool IsContiguous(TensorRef t)
    {
        long expected = 1;
        for (int d = t.Size.Length - 1; d >= 0; d--)
        {
            if (t.Size[d] != 1 && t.Stride[d] != expected) return false;
            expected *= t.Size[d];
        }
        return true;
    }

    private static void Gather(TensorRef t, byte[] src, Tensor dst, long count)
    {
        int rank = t.Size.Length;
        long inner = rank == 0 ? 1 : t.Size[^1], step = rank == 0 ? 0 : t.Stride[^1];
        var index = new long[Math.Max(rank - 1, 0)];
        var kind = t.Storage.Kind;
        int esize = ElementSize(kind);
        var f32 = dst.DType == DType.Float32 ? dst.AsSpan<float>() : default;
        var f64 = dst.DType == DType.Float64 ? dst.AsSpan<double>() : default;
        var i64 = dst.DType == DType.Int64 ? dst.AsSpan<long>() : default;
        int o = 0;
        for (long row = 0; row < count / inner; row++)
        {
            long at = t.Offset;
            for (int d = 0; d < index.Length; d++) at += index[d] * t.Stride[d];
            for (long j = 0; j < inner; j++, o++)
            {
                var e = src.AsSpan((int)((at + j * step) * esize), esize);
                switch (kind)
                {
                    case StorageKind.Float: f32[o] = BinaryPrimitives.ReadSingleLittleEndian(e); break;
                    case StorageKind.Half: f32[o] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(e)); break;
                    case StorageKind.BFloat16: f32[o] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16); break;
                    case StorageKind.Double: f64[o] = BinaryPrimitives.ReadDoubleLittleEndian(e); break;
                    case StorageKind.Long: i64[o] = BinaryPrimitives.ReadInt64LittleEndian(e); break;
                    case StorageKind.Int: i64[o] = BinaryPrimitives.ReadInt32LittleEndian(e); break;
                    case StorageKind.Short: i64[o] = BinaryPrimitives.ReadInt16LittleEndian(e); break;
                    case StorageKind.Char: i64[o] = (sbyte)e[0]; break;
                    case StorageKind.Byte: i64[o] = e[0]; break;
                    default: i64[o] = e[0] != 0 ? 1 : 0; break;
                }
            }
            for (int d = index.Length - 1; d >= 0; d--)   // the odometer over all but the last dimension
            {
                if (++index[d] < t.Size[d]) break;
                index[d] = 0;
            }
        }
    }

    private static string Fmt(long[] values) => "[" + string.Join(", ", values) + "]";
}
