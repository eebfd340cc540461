using System.Globalization;
using System.Text;

namespace Axon;

// Printing, in the style of PyTorch's repr.
public sealed partial class Tensor
{
    /// <summary>Prints the values (summarised with "..." beyond 1000 elements), the shape when summarised, and dtype/grad info like PyTorch.</summary>
    public override string ToString()
    {
        if (disposed) return $"tensor(<disposed>, shape={ShapeUtil.Format(shape)})";
        var sb = new StringBuilder("tensor(");
        bool summarise = NumEl > 1000;
        bool isFloat = DType.IsFloatingPoint();
        var values = ToDoubleArray();
        bool integral = isFloat && values.All(v => double.IsFinite(v) && Math.Abs(v) < 1e8 && v == Math.Round(v));
        string Fmt(double v) => !isFloat ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
            : integral ? v.ToString("0", CultureInfo.InvariantCulture) + "."
            : Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-4 && v != 0) ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture)
            : v.ToString("0.0000", CultureInfo.InvariantCulture);
        int width = values.Length == 0 ? 1 : values.Take(2000).Max(v => Fmt(v).Length);
        void Write(int dim, int offset, int indent)
        {
            if (dim == Rank) { sb.Append(Fmt(values[offset]).PadLeft(width)); return; }
            int n = shape[dim], inner = 1;
            for (int d = dim + 1; d < Rank; d++) inner *= shape[d];
            sb.Append('[');
            for (int i = 0; i < n; i++)
            {
                if (summarise && n > 6 && i == 3) { sb.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + 1)); i = n - 4; continue; }
                Write(dim + 1, offset + i * inner, indent + 1);
                if (i < n - 1) sb.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - dim - 1) + new string(' ', indent + 1));
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
