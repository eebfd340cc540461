namespace Axon;

// Padding of the last two dimensions (F.pad's 2-D modes), as recorded gathers and concatenations.
public sealed partial class Tensor
{
    /// <summary>
    /// Pads the last two dimensions of <paramref name="input"/> (at least 2-D) as PyTorch's F.pad with a 4-element pad
    /// (left, right, top, bottom). Modes: "constant" (filled with <paramref name="value"/>), "reflect" (mirrored
    /// without repeating the edge: pad must be smaller than the size), "replicate" (the edge repeated) and "circular"
    /// (wrapped around: pad at most the size). The last three are gathers (<see cref="IndexSelect"/>) of the input's
    /// rows and columns, so their gradients add up the copies and differentiate again.
    /// </summary>
    public static Tensor Pad2d(Tensor input, int left, int right, int top, int bottom, string mode = "constant", double value = 0)
    {
        if (input.Rank < 2) throw new ArgumentException($"Pad2d: expected an input of at least 2 dimensions, got {ShapeUtil.Format(input.shape)}.", nameof(input));
        if (left < 0 || right < 0 || top < 0 || bottom < 0)
            throw new ArgumentOutOfRangeException(nameof(left), $"Pad2d: padding must be non-negative, got ({left}, {right}, {top}, {bottom}).");
        int hDim = input.Rank - 2, wDim = input.Rank - 1;
        int h = input.shape[hDim], w = input.shape[wDim];
        if (mode == "constant") return PadConstant(PadConstant(input, wDim, left, right, value), hDim, top, bottom, value);
        if (mode is not ("reflect" or "replicate" or "circular"))
            throw new ArgumentException($"Pad2d: unknown padding mode '{mode}', expected constant, reflect, replicate or circular.", nameof(mode));
        CheckPad(mode, left, right, w, "width", input);
        CheckPad(mode, top, bottom, h, "height", input);
        var x = left + right == 0 ? input : input.IndexSelect(wDim, PadIndex(mode, w, left, right, input.Device));
        return top + bottom == 0 ? x : x.IndexSelect(hDim, PadIndex(mode, h, top, bottom, input.Device));
    }

    private static void CheckPad(string mode, int before, int after, int size, string what, Tensor input)
    {
        if (mode == "reflect" && (before >= size || after >= size))
            throw new ArgumentException($"Pad2d: reflect padding ({before}, {after}) must be smaller than the input's {what} {size} (input {ShapeUtil.Format(input.shape)}).", nameof(input));
        if (mode == "circular" && (before > size || after > size))
            throw new ArgumentException($"Pad2d: circular padding ({before}, {after}) must be at most the input's {what} {size} (input {ShapeUtil.Format(input.shape)}).", nameof(input));
        if (size == 0 && before + after > 0)
            throw new ArgumentException($"Pad2d: cannot {mode}-pad an empty {what} (input {ShapeUtil.Format(input.shape)}).", nameof(input));
    }

    /// <summary>The source position of each padded position -before .. size + after - 1 under <paramref name="mode"/>.</summary>
    private static Tensor PadIndex(string mode, int size, int before, int after, Device device)
    {
        var index = new long[before + size + after];
        for (int i = 0; i < index.Length; i++)
        {
            int p = i - before;
            index[i] = mode switch
            {
                "replicate" => Math.Clamp(p, 0, size - 1),
                "circular" => ((p % size) + size) % size,
                _ => p < 0 ? -p : p >= size ? 2 * (size - 1) - p : p,   // reflect about the edge element
            };
        }
        return FromArray(index, index.Length).To(device);
    }

    private static Tensor PadConstant(Tensor x, int dim, int before, int after, double value)
    {
        if (before + after == 0) return x;
        var parts = new List<Tensor>(3);
        if (before > 0) parts.Add(Full(WithDim(x.shape, dim, before), value, x.DType, x.Device));
        parts.Add(x);
        if (after > 0) parts.Add(Full(WithDim(x.shape, dim, after), value, x.DType, x.Device));
        return Cat(parts, dim);
    }

    private static int[] WithDim(int[] shape, int dim, int size)
    {
        var s = (int[])shape.Clone();
        s[dim] = size;
        return s;
    }
}
