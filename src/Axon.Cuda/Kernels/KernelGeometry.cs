using System.Runtime.InteropServices;
using Axon.Kernels;

namespace Axon.Cuda.Kernels;

/// <summary>
/// The C# mirror of <c>AxonGeometry</c> (axon_common.cuh), passed by value to the element-wise, reduction and indexing
/// kernels: an iteration shape and the element strides of up to four operands over it (operand 0 the destination), with
/// dimensions collapsed where every operand allows and bit k of <see cref="Contiguous"/> set when operand k is dense
/// row-major. Pointers passed beside it are already advanced by each tensor's storage offset.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KernelGeometry
{
    /// <summary>The most dimensions after collapsing (AXON_MAX_RANK).</summary>
    public const int MaxRank = 8;

    /// <summary>The most operands (AXON_MAX_OPERANDS).</summary>
    public const int MaxOperands = 4;

    /// <summary>Dimensions after collapsing (0 for a single element).</summary>
    public int Rank;

    /// <summary>Elements iterated over.</summary>
    public int NumEl;

    /// <summary>Bit k: operand k is dense row-major over the shape (element i at offset i).</summary>
    public int Contiguous;

    /// <summary>Padding, kept 0.</summary>
    public int Reserved;

    /// <summary>The collapsed sizes.</summary>
    public fixed int Sizes[MaxRank];

    /// <summary>Strides[k * MaxRank + d]: operand k's element stride along collapsed dimension d.</summary>
    public fixed int Strides[MaxOperands * MaxRank];

    /// <summary>
    /// The geometry of <paramref name="operandStrides"/> (one stride array per operand, each of the shape's rank; 0 for
    /// broadcast dimensions) over <paramref name="shape"/>: size-1 dimensions dropped and neighbours merged where every
    /// operand is linear across them, which keeps row-major positions unchanged.
    /// </summary>
    public static KernelGeometry Create(ReadOnlySpan<int> shape, params int[][] operandStrides)
    {
        if (operandStrides.Length is 0 or > MaxOperands)
            throw new ArgumentException($"KernelGeometry: {operandStrides.Length} operands given; a kernel takes 1 to {MaxOperands}.", nameof(operandStrides));
        foreach (var s in operandStrides)
            if (s.Length != shape.Length)
                throw new ArgumentException($"KernelGeometry: a stride array of rank {s.Length} was given for a shape of rank {shape.Length}.", nameof(operandStrides));
        long numel = 1;
        foreach (int d in shape) numel *= d;
        if (numel > int.MaxValue) throw new ArgumentException($"KernelGeometry: {numel} elements exceed the kernels' 32-bit indexing.", nameof(shape));

        var sizes = new List<int>();
        var strides = new List<int[]>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int dd = d, size = shape[d];
            int[] col = operandStrides.Select(s => s[dd]).ToArray();
            int last = sizes.Count - 1;
            // Merge into the previous kept dimension when stride(prev) == stride(d) * size(d) for every operand.
            if (last >= 0 && Enumerable.Range(0, col.Length).All(k => strides[last][k] == col[k] * size))
            {
                sizes[last] *= shape[d];
                strides[last] = col;
            }
            else
            {
                sizes.Add(shape[d]);
                strides.Add(col);
            }
        }
        if (numel == 0) { sizes.Clear(); strides.Clear(); }
        if (sizes.Count > MaxRank)
            throw new ArgumentException($"KernelGeometry: the layout of shape [{string.Join(", ", shape.ToArray())}] needs {sizes.Count} dimensions after collapsing; the kernels take at most {MaxRank} (make an operand contiguous first).", nameof(shape));

        var g = new KernelGeometry { Rank = sizes.Count, NumEl = (int)numel };
        for (int d = 0; d < sizes.Count; d++)
        {
            g.Sizes[d] = sizes[d];
            for (int k = 0; k < operandStrides.Length; k++) g.Strides[k * MaxRank + d] = strides[d][k];
        }
        for (int k = 0; k < operandStrides.Length; k++)
        {
            bool dense = true;
            long expect = 1;
            for (int d = sizes.Count - 1; d >= 0; d--)
            {
                dense &= strides[d][k] == expect;
                expect *= sizes[d];
            }
            if (dense) g.Contiguous |= 1 << k;
        }
        return g;
    }

    /// <summary>The element-wise geometry of a destination and sources broadcast to its shape (operand 0 the destination).</summary>
    public static KernelGeometry ForElementwise(Tensor dst, params Tensor?[] sources)
    {
        var shape = dst.GetShape();
        var all = new int[sources.Length + 1][];
        all[0] = dst.Strides.ToArray();
        for (int k = 0; k < sources.Length; k++) all[k + 1] = sources[k] is { } s ? BroadcastStrides(s, shape) : new int[shape.Length];
        return Create(shape, all);
    }

    /// <summary>The strides that read <paramref name="t"/> broadcast to <paramref name="shape"/> (right-aligned; 0 where broadcast).</summary>
    public static int[] BroadcastStrides(Tensor t, ReadOnlySpan<int> shape)
    {
        var result = new int[shape.Length];
        int lead = shape.Length - t.Rank;
        if (lead < 0) throw new ArgumentException($"KernelGeometry: a tensor of rank {t.Rank} cannot broadcast to rank {shape.Length}.", nameof(t));
        for (int d = 0; d < t.Rank; d++)
        {
            int size = t.Shape[d];
            if (size != 1 && size != shape[lead + d])
                throw new ArgumentException($"KernelGeometry: size {size} at dimension {d} does not broadcast to {shape[lead + d]}.", nameof(t));
            result[lead + d] = size == 1 ? 0 : t.Strides[d];
        }
        return result;
    }

    /// <summary><paramref name="values"/> without entry <paramref name="dim"/> (a shape or strides with a reduced dimension removed).</summary>
    public static int[] Without(ReadOnlySpan<int> values, int dim)
    {
        var result = new int[values.Length - 1];
        for (int d = 0, j = 0; d < values.Length; d++)
            if (d != dim) result[j++] = values[d];
        return result;
    }

    /// <summary>The stride of collapsed dimension <paramref name="d"/> for operand <paramref name="k"/>.</summary>
    public readonly int Stride(int k, int d) => Strides[k * MaxRank + d];
}

/// <summary>
/// The C# mirror of <c>AxonPool2d</c> (pool.cu): a 2-D pooling window and the element strides (N, C, H, W) of the
/// input-side operand (<see cref="XStrides"/>: x or gx) and output-side operand (<see cref="YStrides"/>: y or gy).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KernelPool2d
{
    /// <summary>Batch, channels, input height and width, output height and width.</summary>
    public int N, C, H, W, OutH, OutW;

    /// <summary>Kernel size, strides, top and left padding, dilations.</summary>
    public int KernelH, KernelW, StrideH, StrideW, PadTop, PadLeft, DilationH, DilationW;

    /// <summary>The input-side operand's strides.</summary>
    public fixed int XStrides[4];

    /// <summary>The output-side operand's strides.</summary>
    public fixed int YStrides[4];

    /// <summary>The geometry of <paramref name="window"/> for batch <paramref name="batch"/>, with the two operands' strides.</summary>
    public static KernelPool2d Create(int batch, in Window2d window, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> yStrides)
    {
        if (xStrides.Length != 4 || yStrides.Length != 4)
            throw new ArgumentException($"KernelPool2d: pooling takes [N, C, H, W] operands; strides of rank {xStrides.Length} and {yStrides.Length} were given.");
        var p = new KernelPool2d
        {
            N = batch,
            C = window.Channels,
            H = window.Height,
            W = window.Width,
            OutH = window.OutH,
            OutW = window.OutW,
            KernelH = window.KernelH,
            KernelW = window.KernelW,
            StrideH = window.StrideH,
            StrideW = window.StrideW,
            PadTop = window.PadTop,
            PadLeft = window.PadLeft,
            DilationH = window.DilationH,
            DilationW = window.DilationW,
        };
        for (int d = 0; d < 4; d++)
        {
            p.XStrides[d] = xStrides[d];
            p.YStrides[d] = yStrides[d];
        }
        return p;
    }
}
