using Axon.Cuda.Native;

namespace Axon.Cuda;

// Matrix products on cuBLAS. cuBLAS is column-major and Axon row-major: a row-major m×n matrix is the column-major
// n×m matrix of its transpose, so C = A B is computed as Cᵀ = Bᵀ Aᵀ with the operands swapped. An operand whose rows or
// columns are unit-stride is passed as it is (transposed when its columns are), batches of one stride go to the
// strided-batched GEMM, and anything else (a broadcast row, a gathered batch) is packed into scratch first.
public sealed partial class CudaBackend
{
    private IntPtr cublas;

    /// <summary>The cuBLAS handle of this backend, bound to its stream, in the math mode of <see cref="CudaOptions.AllowTf32"/>.</summary>
    private IntPtr Cublas_
    {
        get
        {
            if (cublas != IntPtr.Zero) return cublas;
            CudaLibraries.Require(CudaLibrary.Cublas);
            Context.MakeCurrent();
            Cublas.Check(Cublas.Create(out var h), "cublasCreate_v2", $"on {Device.Name}");
            Cublas.Check(Cublas.SetStream(h, Stream.Handle), "cublasSetStream_v2", $"on {Device.Name}");
            Cublas.Check(Cublas.SetMathMode(h, Options.AllowTf32 ? Cublas.Tf32TensorOpMath : Cublas.DefaultMath), "cublasSetMathMode", $"on {Device.Name}");
            return cublas = h;
        }
    }

    /// <summary>One GEMM operand as cuBLAS reads it: the address, whether it is stored by columns, its leading dimension, the stride between batches.</summary>
    private readonly record struct GemmOperand(ulong Address, bool ByColumns, int Ld, long BatchStride);

    /// <summary>
    /// Describes the [.., rows, cols] view at <paramref name="address"/> with <paramref name="strides"/> for cuBLAS, or
    /// returns false when it must be packed (no unit-stride axis, or batches not one stride apart).
    /// </summary>
    private static bool TryDescribe(ulong address, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, out GemmOperand op)
    {
        op = default;
        int r = shape.Length, rows = shape[r - 2], cols = shape[r - 1], s0 = strides[r - 2], s1 = strides[r - 1];
        if (!UniformBatchStride(shape[..^2], strides[..^2], out long batchStride)) return false;
        if ((s1 == 1 || cols == 1) && (rows == 1 || s0 >= Math.Max(cols, 1)))
            op = new GemmOperand(address, false, rows == 1 ? Math.Max(cols, 1) : s0, batchStride);
        else if ((s0 == 1 || rows == 1) && (cols == 1 || s1 >= Math.Max(rows, 1)))
            op = new GemmOperand(address, true, cols == 1 ? Math.Max(rows, 1) : s1, batchStride);
        else return false;
        return true;
    }

    /// <summary>True when batch q of the flattened batch dimensions starts q·stride elements in (stride 0 for a broadcast operand).</summary>
    internal static bool UniformBatchStride(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, out long stride)
    {
        stride = 0;
        long inner = 1;
        bool set = false;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 1) continue;
            if (!set)
            {
                stride = strides[d];
                set = true;
            }
            else if (strides[d] != stride * inner) return false;
            inner *= shape[d];
        }
        return true;
    }

    private GemmOperand Operand(Tensor t, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ulong address, List<Scratch> scratch)
    {
        if (TryDescribe(address, shape, strides, out var op)) return op;
        int es = t.DType.ElementSize();
        var packed = NewScratch((long)Math.Max(1, Product(shape)) * es);
        scratch.Add(packed);
        var dense = ContiguousStrides(shape);
        StridedCopy(address, strides, packed.Address, dense, shape, es);
        TryDescribe(packed.Address, shape, dense, out op);
        return op;
    }

    private static int Product(ReadOnlySpan<int> shape)
    {
        int p = 1;
        foreach (var s in shape) p *= s;
        return p;
    }

    /// <inheritdoc/>
    public void MatMul(Tensor a, Tensor b, Tensor c, double beta)
    {
        Own(a, b, c);
        int r = c.Rank, m = c.Shape[r - 2], n = c.Shape[r - 1], k = a.Shape[r - 1];
        int batches = Product(c.Shape[..^2]);
        var scratch = new List<Scratch>();
        try
        {
            var A = Operand(a, a.Shape, a.Strides, Ptr(a), scratch);
            var B = Operand(b, b.Shape, b.Strides, Ptr(b), scratch);
            Gemm(c.DType, m, n, k, A, B, Ptr(c), batches, beta);
        }
        finally
        {
            foreach (var s in scratch) s.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        Own(x, weight, bias, y);
        int inF = weight.Shape[1], outF = weight.Shape[0], rows = Product(x.Shape[..^1]);
        if (rows == 0 || outF == 0) return;
        var scratch = new List<Scratch>();
        try
        {
            // x as a [rows, in] matrix: its leading dimensions must walk rows one stride apart, else it is packed.
            if (!(UniformBatchStride(x.Shape[..^1], x.Strides[..^1], out long rowStride) && rowStride <= int.MaxValue
                && TryDescribe(Ptr(x), [rows, inF], [(int)rowStride, x.Strides[^1]], out var X)))
            {
                ulong packed = Packed(x, out var px);
                scratch.Add(px);
                TryDescribe(packed, [rows, inF], ContiguousStrides([rows, inF]), out X);
            }
            // Wᵀ is the [in, out] view of W with strides swapped.
            var W = Operand(weight, [inF, outF], [weight.Strides[1], weight.Strides[0]], Ptr(weight), scratch);
            double beta = 0;
            if (bias is not null)
            {
                // y starts as the bias broadcast over the rows; the GEMM then adds x Wᵀ to it.
                var biasStrides = new int[y.Rank];
                biasStrides[^1] = bias.Strides[0];
                StridedCopy(Ptr(bias), biasStrides, Ptr(y), y.Strides, y.Shape, y.DType.ElementSize());
                beta = 1;
            }
            Gemm(y.DType, rows, outF, inF, X, W, Ptr(y), 1, beta);
        }
        finally
        {
            foreach (var s in scratch) s.Dispose();
        }
    }

    /// <summary>C (contiguous, m×n per batch) = A B + beta C, as Cᵀ = Bᵀ Aᵀ in cuBLAS's column-major terms.</summary>
    private unsafe void Gemm(DType dtype, int m, int n, int k, GemmOperand a, GemmOperand b, ulong c, int batches, double beta)
    {
        if (m == 0 || n == 0 || batches == 0) return;
        // Row-major X stored by rows is column-major Xᵀ (no op); stored by columns it is X itself (transpose it).
        int opB = b.ByColumns ? Cublas.OpT : Cublas.OpN, opA = a.ByColumns ? Cublas.OpT : Cublas.OpN;
        int ldb = Math.Max(b.Ld, 1), lda = Math.Max(a.Ld, 1);
        long strideC = (long)m * n;
        var h = Cublas_;
        Context.MakeCurrent();
        string where = $"for a [{batches}x{m}x{k}] x [{k}x{n}] product on {Device.Name}";
        if (dtype == DType.Float32)
        {
            float alpha = 1, betaF = (float)beta;
            if (batches == 1) Cublas.Check(Cublas.Sgemm(h, opB, opA, n, m, k, &alpha, b.Address, ldb, a.Address, lda, &betaF, c, n), "cublasSgemm_v2", where);
            else Cublas.Check(Cublas.SgemmStridedBatched(h, opB, opA, n, m, k, &alpha, b.Address, ldb, b.BatchStride, a.Address, lda, a.BatchStride, &betaF, c, n, strideC, batches), "cublasSgemmStridedBatched", where);
        }
        else
        {
            double alpha = 1;
            if (batches == 1) Cublas.Check(Cublas.Dgemm(h, opB, opA, n, m, k, &alpha, b.Address, ldb, a.Address, lda, &beta, c, n), "cublasDgemm_v2", where);
            else Cublas.Check(Cublas.DgemmStridedBatched(h, opB, opA, n, m, k, &alpha, b.Address, ldb, b.BatchStride, a.Address, lda, a.BatchStride, &beta, c, n, strideC, batches), "cublasDgemmStridedBatched", where);
        }
    }
}
