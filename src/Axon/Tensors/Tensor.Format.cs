using System.Globalization;
using System.Text;

namespace Axon;

// Printing, in the style of PyTorch's repr.
public sealed partial class Tensor
{
    /// <summary>
    /// Prints the values (summarised with "..." beyond 1000 elements), the shape when summarised, and dtype/grad info like PyTorch.
    /// As in PyTorch, one format is chosen for the whole tensor from its non-zero finite (printed) values: integers as "1.",
    /// fixed point with 4 decimals, or scientific notation when they span more than 1000x, exceed 1e8 or go below 1e-4.
    /// </summary>
    public override string ToString()
    {
        if (disposed) return $"tensor(<disposed>, shape={ShapeUtil.Format(shape)})";
        var sb = new StringBuilder("tensor(");
        bool summarise = NumEl > 1000;
        bool isFloat = DType.IsFloatingPoint();
        var values = ToDoubleArray();

        // The flat offsets that will be printed, in order (all of them unless summarised).
        var printed = new List<int>();
        void Collect(int dim, int offset)
        {
            if (dim >= Rank) { printed.Add(offset); return; }
            int n = shape[dim], inner = 1;
            for (int d = dim + 1; d < Rank; d++) inner *= shape[d];
            for (int i = 0; i < n; i++)
            {
                if (summarise && n > 6 && i == 3) i = n - 3;
                Collect(dim + 1, offset + i * inner);
            }
        }
        if (NumEl > 0) Collect(0, 0);

        var finite = printed.Select(o => values[o]).Where(v => double.IsFinite(v) && v != 0).ToArray();
        bool intMode = finite.All(v => v == Math.Ceiling(v)), sciMode = false;
        if (finite.Length > 0)
        {
            double min = finite.Min(Math.Abs), max = finite.Max(Math.Abs);
            sciMode = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
        }
        string Fmt(double v) => !isFloat ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
            : sciMode ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture)
            : intMode ? v.ToString("0", CultureInfo.InvariantCulture) + "."
            : v.ToString("0.0000", CultureInfo.InvariantCulture);
        // Width from the values that decide the format (PyTorch ignores zeros, nan and inf here, except for integers).
        var widthFrom = isFloat ? finite : printed.Select(o => values[o]);
        int width = widthFrom.Select(v => Fmt(v).Length).DefaultIfEmpty(1).Max();

        void Write(int dim, int offset, int indent)
        {
            if (dim == Rank) { sb.Append(Fmt(values[offset]).PadLeft(width)); return; }
            int n = shape[dim], inner = 1;
            for (int d = dim + 1; d < Rank; d++) inner *= shape[d];
            string sep = dim == Rank - 1 ? ", " : "," + new string('\n', Rank - dim - 1) + new string(' ', indent + 1);
            sb.Append('[');
            for (int i = 0; i < n; i++)
            {
                if (summarise && n > 6 && i == 3) { sb.Append(dim == Rank - 1 ? " ..." : "...").Append(sep); i = n - 4; continue; }
                Write(dim + 1, offset + i * inner, indent + 1);
                if (i < n - 1) sb.Append(sep);
            }
            sb.Append(']');
        }
        if (Rank == 0) sb.Append(Fmt(values[0]));
        else Write(0, 0, 7);
        if (summarise) sb.Append(", shape=").Append(ShapeUtil.Format(shape));
        if (DType == DType.Float64) sb.Append(", dtype=float64");
        else if (DType == DType.Int64 && NumEl == 0) sb.Append(", dtype=int64");
        AppendGradInfo(sb);
        return sb.Append(')').ToString();
    }

    partial void AppendGradInfo(StringBuilder sb);
}
