namespace Axon;

/// <summary>
/// Walks the rows of one or more equally-shaped strided operands. Dimensions that every operand can
/// merge are coalesced first, so contiguous operands become a single row and kernels see long spans.
/// Usage: <c>while (it.Next()) kernel(it.Offset(k), it.InnerLength, it.InnerStride(k))</c>.
/// </summary>
internal struct RowIterator
{
    private readonly int[] outer;        // sizes of the outer (non-inner) coalesced dims
    private readonly int[][] outerStrides;
    private readonly int[] index;
    private readonly int[] offsets;
    private readonly int[] innerStrides;
    private long remaining;
    private bool started;

    public RowIterator(int[] shape, int[][] strides, int[] baseOffsets)
    {
        int k = strides.Length;
        // Coalesce: drop size-1 dims, merge dim i into i+1 when stride[i] == stride[i+1] * size[i+1] for all operands.
        var dims = new List<int>();
        var st = new List<int[]>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var s = new int[k];
            for (int j = 0; j < k; j++) s[j] = strides[j][d];
            if (dims.Count > 0)
            {
                int last = dims.Count - 1;
                bool merge = true;
                for (int j = 0; j < k && merge; j++) merge = st[last][j] == s[j] * shape[d];
                if (merge) { dims[last] *= shape[d]; st[last] = s; continue; }
            }
            dims.Add(shape[d]);
            st.Add(s);
        }
        long total = 1;
        foreach (int s in shape) total *= s;
        if (dims.Count == 0) { dims.Add(1); st.Add(new int[k]); }
        InnerLength = total == 0 ? 0 : dims[^1];
        innerStrides = st[^1];
        outer = dims.Take(dims.Count - 1).ToArray();
        outerStrides = st.Take(st.Count - 1).ToArray();
        index = new int[outer.Length];
        offsets = (int[])baseOffsets.Clone();
        remaining = total == 0 ? 0 : total / InnerLength;
        started = false;
    }

    /// <summary>How many rows are left to visit.</summary>
    public readonly long Rows => remaining;

    /// <summary>Skips the first <paramref name="rows"/> rows (before the first <see cref="Next"/>), so that parts of one walk can run apart.</summary>
    public void Skip(long rows)
    {
        if (started || rows < 0 || rows > remaining) throw new InvalidOperationException($"RowIterator: cannot skip {rows} of {remaining} rows{(started ? " after the walk started" : "")}.");
        remaining -= rows;
        for (int d = outer.Length - 1; d >= 0 && rows > 0; d--)
        {
            int i = (int)(rows % outer[d]);
            rows /= outer[d];
            index[d] = i;
            for (int j = 0; j < offsets.Length; j++) offsets[j] += i * outerStrides[d][j];
        }
    }

    /// <summary>Length of each row.</summary>
    public int InnerLength { get; }

    /// <summary>Stride along the row for operand <paramref name="k"/>.</summary>
    public readonly int InnerStride(int k) => innerStrides[k];

    /// <summary>Start offset of the current row for operand <paramref name="k"/>.</summary>
    public readonly int Offset(int k) => offsets[k];

    /// <summary>Moves to the next row; false when done.</summary>
    public bool Next()
    {
        if (remaining == 0) return false;
        remaining--;
        if (!started) { started = true; return true; }
        for (int d = outer.Length - 1; d >= 0; d--)
        {
            index[d]++;
            for (int j = 0; j < offsets.Length; j++) offsets[j] += outerStrides[d][j];
            if (index[d] < outer[d]) return true;
            for (int j = 0; j < offsets.Length; j++) offsets[j] -= outerStrides[d][j] * outer[d];
            index[d] = 0;
        }
        return true;
    }
}
