using System.Text.Json;

namespace Axon.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face), the format PyTorch, JAX and most model hubs exchange weights in.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> 8 bytes: the header length N as a little-endian unsigned 64-bit integer; N bytes: a UTF-8 JSON
/// object <c>{"__metadata__": {"key": "value", ...}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}</c>;
/// then the data buffer. Offsets are relative to the start of the buffer; the tensors' byte ranges must tile the buffer
/// exactly (no gap, no overlap, nothing after the last one). Elements are little-endian and row-major (C order).</para>
/// <para><b>Writing</b> follows the reference implementation: tensors are laid out by decreasing dtype alignment
/// (I64, then F64, then F32) and, within a dtype, by name (ordinal order of the UTF-8 bytes); the header is compact JSON
/// with <c>__metadata__</c> first (only when metadata is given) and then the tensors in buffer order, padded with spaces to
/// a multiple of 8 bytes so that the buffer starts 8-byte aligned. Non-contiguous tensors are written contiguously. Files
/// are written through <see cref="AtomicFile"/>.</para>
/// <para><b>Reading</b> returns the tensors in buffer order (which, for a file written as above, is the writer's order).
/// F32, F64 and I64 load as <see cref="DType.Float32"/>, <see cref="DType.Float64"/> and <see cref="DType.Int64"/> bit for bit;
/// F16 and BF16 widen exactly to float32; BOOL, U8, I8, U16, I16, U32 and I32 widen exactly to int64. Other dtypes of the
/// format (U64, the 8-, 6- and 4-bit floats, C64) are rejected as unsupported. Loaded tensors are created like any
/// other tensor, so inside a <see cref="TensorScope"/> they belong to that scope.</para>
/// <para><b>Validation.</b> Nothing in the file is trusted: the header length must fit in the file and be at most
/// <see cref="MaxHeaderLength"/>; the header must be a JSON object without duplicate keys; every entry needs a known dtype,
/// a shape of non-negative integers and two non-negative offsets whose span equals the shape's element count times the
/// element size (computed without overflow); the spans must lie inside the buffer and tile it. Nothing is allocated
/// for the tensors before all of this holds, so a hostile header cannot make the reader allocate more than the file's
/// size. Every violation throws <see cref="InvalidDataException"/> whose message starts with the file name and says what is wrong,
/// e.g. <c>model.safetensors: tensor 'fc.weight' declares shape [256, 784] (802816 bytes as F32) but data_offsets [0, 1024] span 1024 bytes.</c></para>
/// </remarks>
public static partial class Safetensors
{
    /// <summary>The largest header accepted (100,000,000 bytes, the reference implementation's limit).</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The reserved header key holding the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const int ChunkBytes = 1 << 16;

    // Element sizes of the dtypes Axon reads, and the dtypes of the format it knows but does not support.
    private static readonly Dictionary<string, int> ReadableSizes = new(StringComparer.Ordinal)
    {
        ["F32"] = 4,
        ["F64"] = 8,
        ["I64"] = 8,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["U16"] = 2,
        ["I16"] = 2,
        ["U32"] = 4,
        ["I32"] = 4,
    };

    private static readonly HashSet<string> UnsupportedDTypes = new(StringComparer.Ordinal)
    {
        "U64", "C64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2", "F4",
    };

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    private static InvalidDataException Fail(string name, string problem, Exception? inner = null) => new($"{name}: {problem}", inner);
}
