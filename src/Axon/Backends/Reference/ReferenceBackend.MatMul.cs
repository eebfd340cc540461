using System.Numerics;

namespace Axon.Backends;

// Matrix products as the textbook triple loop, each dot product added in the tensor's type in index order.
public sealed partial class ReferenceBackend
{
    /// <inheritdoc/>
    public void MatMul(Tensor a, Tensor b, Tensor c, double beta)
    {
        Own(a, b, c);
        if (c.DType == DType.Float32) MatMul<float>(a, b, c, beta);
        else MatMul<double>(a, b, c, beta);
    }

    private static void MatMul<T>(Tensor a, Tensor b, Tensor c, double beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = c.Rank, m = c.ShapeArray[rank - 2], n = c.ShapeArray[rank - 1], k = a.ShapeArray[rank - 1];
        int[] batch = c.ShapeArray[..^2];
        int batches = ShapeUtil.Product(batch);
        int as0 = a.StrideArray[rank - 2], as1 = a.StrideArray[rank - 1], bs0 = b.StrideArray[rank - 2], bs1 = b.StrideArray[rank - 1];
        int cs0 = c.StrideArray[rank - 2], cs1 = c.StrideArray[rank - 1];
        T[] av = a.Data<T>(), bv = b.Data<T>(), cv = c.Data<T>();
        T betaT = T.CreateTruncating(beta);
        for (int q = 0; q < batches; q++)
        {
            // The first element of matrix q of each operand (the batch dimensions of a and b may have stride 0).
            int ao = OffsetOf(batch, a.StrideArray[..^2], a.Offset, q);
            int bo = OffsetOf(batch, b.StrideArray[..^2], b.Offset, q);
            int co = OffsetOf(batch, c.StrideArray[..^2], c.Offset, q);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    T sum = T.Zero;
                    for (int p = 0; p < k; p++) sum += av[ao + i * as0 + p * as1] * bv[bo + p * bs0 + j * bs1];
                    ref T dst = ref cv[co + i * cs0 + j * cs1];
                    // beta = 0 overwrites without reading c (a NaN there must not leak in).
                    dst = beta == 0 ? sum : sum + betaT * dst;
                }
        }
    }

    /// <inheritdoc/>
    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        Own(x, weight, bias, y);
        if (y.DType == DType.Float32) Linear<float>(x, weight, bias, y);
        else Linear<double>(x, weight, bias, y);
    }

    // y[r, o] = sum_i x[r, i] w[o, i] + b[o], for every row r of x's leading dimensions.
    private static void Linear<T>(Tensor x, Tensor w, Tensor? b, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outF = w.ShapeArray[0], inF = w.ShapeArray[1];
        int[] lead = x.ShapeArray[..^1];
        int rows = ShapeUtil.Product(lead);
        int xs = x.StrideArray[^1], ws0 = w.StrideArray[0], ws1 = w.StrideArray[1];
        T[] xv = x.Data<T>(), wv = w.Data<T>(), yv = y.Data<T>();
        T[]? bv = b?.Data<T>();
        for (int r = 0; r < rows; r++)
        {
            int xo = OffsetOf(lead, x.StrideArray[..^1], x.Offset, r);
            for (int o = 0; o < outF; o++)
            {
                T sum = T.Zero;
                for (int i = 0; i < inF; i++) sum += xv[xo + i * xs] * wv[w.Offset + o * ws0 + i * ws1];
                if (bv is not null) sum += bv[b!.Offset + o * b.StrideArray[0]];
                yv[OffsetOf(y, r * outF + o)] = sum;
            }
        }
    }
}
