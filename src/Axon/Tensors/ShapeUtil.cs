using System.Text;

namespace Axon;

/// <summary>Shape arithmetic: products, strides, broadcasting, dimension normalisation, formatting.</summary>
internal static class ShapeUtil
{
    public static int Product(ReadOnlySpan<int> shape)
    {
        long p = 1;
        foreach (int s in shape) p *= s;
        if (p > Array.MaxLength) throw new ArgumentException($"A tensor of shape {Format(shape)} has {p} elements, more than the {Array.MaxLength} an array can hold.");
        return (int)p;
    }

    public static void Validate(ReadOnlySpan<int> shape)
    {
        foreach (int s in shape)
            if (s < 0) throw new ArgumentException($"Invalid shape {Format(shape)}: sizes must be non-negative.");
        Product(shape);
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var st = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { st[i] = acc; acc *= Math.Max(shape[i], 1); }
        return st;
    }

    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        if (shape.Contains(0)) return true;   // no elements: any strides will do (as in PyTorch)
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (strides[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static int NormDim(int dim, int rank, string op)
    {
        // A 0-d tensor has no dimension to index: callers would read shape[0] and fail with IndexOutOfRangeException.
        if (rank == 0)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor with 0 dimensions (a scalar has none; use Reshape(1) or Unsqueeze(0) first).");
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor with {rank} dimensions (expected in [{-rank}, {rank - 1}]).");
        return d;
    }

    /// <summary>The broadcast shape of a and b (NumPy rules), or an error naming the op and both shapes.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int r = Math.Max(a.Length, b.Length);
        var result = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length), db = i - (r - b.Length);
            int sa = da >= 0 ? a[da] : 1, sb = db >= 0 ? b[db] : 1;
            if (sa != sb && sa != 1 && sb != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together: the size of tensor a ({sa}) must match the size of tensor b ({sb}) at non-singleton dimension {i}.");
            result[i] = sa == 1 ? sb : sa;
        }
        return result;
    }

    /// <summary>Strides that read a tensor of <paramref name="shape"/>/<paramref name="strides"/> as <paramref name="target"/> (0 on broadcast dimensions).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target)
    {
        var r = new int[target.Length];
        int lead = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            int d = i - lead;
            r[i] = d < 0 || shape[d] == 1 ? 0 : strides[d];
        }
        return r;
    }

    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++) { if (i > 0) sb.Append(", "); sb.Append(shape[i]); }
        return sb.Append(']').ToString();
    }
}
