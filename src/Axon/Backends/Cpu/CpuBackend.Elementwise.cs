using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// Element-wise primitives: strided and broadcast operands walked by rows, each contiguous row to a SIMD kernel.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst)
    {
        var shape = dst.ShapeArray;
        int[] sa = ShapeUtil.BroadcastStrides(a.ShapeArray, a.StrideArray, shape), sb = ShapeUtil.BroadcastStrides(b.ShapeArray, b.StrideArray, shape);
        int[][] strides = [dst.StrideArray, sa, sb];
        int[] offsets = [dst.Offset, a.Offset, b.Offset];
        var it = new RowIterator(shape, strides, offsets);
        long rows = it.Rows;
        // Many short rows (a slice of a concatenation's gradient added to a contiguous sum) split over the threads by
        // rows; a long row splits inside BinaryRows.
        int parts = dst.DType == DType.Int64 || ParallelParts(it.InnerLength) > 1 ? 1 : (int)Math.Min(ParallelParts(dst.NumEl), rows);
        if (parts > 1)
        {
            KernelThreads.For(parts, p =>
            {
                var part = new RowIterator(shape, strides, offsets);
                long first = rows * p / parts;
                part.Skip(first);
                if (dst.DType == DType.Float32) BinaryRows<float>(ref part, a.Data<float>(), b.Data<float>(), dst.Data<float>(), op, rows * (p + 1) / parts - first);
                else BinaryRows<double>(ref part, a.Data<double>(), b.Data<double>(), dst.Data<double>(), op, rows * (p + 1) / parts - first);
            });
            return;
        }
        switch (dst.DType)
        {
            case DType.Float32: BinaryRows<float>(ref it, a.Data<float>(), b.Data<float>(), dst.Data<float>(), op); break;
            case DType.Float64: BinaryRows<double>(ref it, a.Data<double>(), b.Data<double>(), dst.Data<double>(), op); break;
            default: BinaryRowsInt(ref it, a.Data<long>(), b.Data<long>(), dst.Data<long>(), op); break;
        }
    }

    private void BinaryRows<T>(ref RowIterator it, T[] a, T[] b, T[] d, BinaryOp op, long count = long.MaxValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = it.InnerLength, sd = it.InnerStride(0), sa = it.InnerStride(1), sb = it.InnerStride(2);
        for (long r = 0; r < count && it.Next(); r++)
        {
            int od = it.Offset(0), oa = it.Offset(1), ob = it.Offset(2);
            if (sd == 1 && sa == 1 && sb == 1)
            {
                if (ParallelParts(n) > 1) ParallelBinary(a, oa, b, ob, d, od, n, op);
                else BinarySpan<T>(a.AsSpan(oa, n), b.AsSpan(ob, n), d.AsSpan(od, n), op);
                continue;
            }
            if (sd == 1 && sa == 1 && sb == 0)
            {
                ReadOnlySpan<T> x = a.AsSpan(oa, n);
                Span<T> z = d.AsSpan(od, n);
                T s = b[ob];
                switch (op)
                {
                    case BinaryOp.Add: Elementwise.AddScalar(x, s, z); continue;
                    case BinaryOp.Sub: Elementwise.AddScalar(x, -s, z); continue;
                    case BinaryOp.Mul: Elementwise.MultiplyScalar(x, s, z); continue;
                    case BinaryOp.Pow: Elementwise.PowScalar(x, s, z); continue;
                    case >= BinaryOp.Eq: Elementwise.CompareScalar(x, s, ToComparison(op), z); continue;
                }
            }
            else if (sd == 1 && sa == 0 && sb == 1)
            {
                ReadOnlySpan<T> y = b.AsSpan(ob, n);
                Span<T> z = d.AsSpan(od, n);
                T s = a[oa];
                switch (op)
                {
                    case BinaryOp.Add: Elementwise.AddScalar(y, s, z); continue;
                    case BinaryOp.Sub: Elementwise.ScalarSubtract(s, y, z); continue;
                    case BinaryOp.Mul: Elementwise.MultiplyScalar(y, s, z); continue;
                    case BinaryOp.Div: Elementwise.ScalarDivide(s, y, z); continue;
                }
            }
            for (int i = 0; i < n; i++) d[od + i * sd] = Apply(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    private static void BinarySpan<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z, BinaryOp op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add: Elementwise.Add(x, y, z); break;
            case BinaryOp.Sub: Elementwise.Subtract(x, y, z); break;
            case BinaryOp.Mul: Elementwise.Multiply(x, y, z); break;
            case BinaryOp.Div: Elementwise.Divide(x, y, z); break;
            case BinaryOp.Max: Elementwise.Maximum(x, y, z); break;
            case BinaryOp.Min: Elementwise.Minimum(x, y, z); break;
            case BinaryOp.Pow: Elementwise.Pow(x, y, z); break;
            default: Elementwise.Compare(x, y, ToComparison(op), z); break;
        }
    }

    private static Elementwise.Comparison ToComparison(BinaryOp op) => op switch
    {
        BinaryOp.Eq => Elementwise.Comparison.Equal,
        BinaryOp.Ne => Elementwise.Comparison.NotEqual,
        BinaryOp.Lt => Elementwise.Comparison.Less,
        BinaryOp.Le => Elementwise.Comparison.LessOrEqual,
        BinaryOp.Gt => Elementwise.Comparison.Greater,
        _ => Elementwise.Comparison.GreaterOrEqual,
    };

    private static T Apply<T>(BinaryOp op, T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        BinaryOp.Div => x / y,
        BinaryOp.Max => T.IsNaN(x) || T.IsNaN(y) ? T.NaN : T.Max(x, y),
        BinaryOp.Min => T.IsNaN(x) || T.IsNaN(y) ? T.NaN : T.Min(x, y),
        BinaryOp.Pow => T.Pow(x, y),
        BinaryOp.Eq => x == y ? T.One : T.Zero,
        BinaryOp.Ne => x != y ? T.One : T.Zero,
        BinaryOp.Lt => x < y ? T.One : T.Zero,
        BinaryOp.Le => x <= y ? T.One : T.Zero,
        BinaryOp.Gt => x > y ? T.One : T.Zero,
        _ => x >= y ? T.One : T.Zero,
    };

    private static void BinaryRowsInt(ref RowIterator it, long[] a, long[] b, long[] d, BinaryOp op)
    {
        int n = it.InnerLength, sd = it.InnerStride(0), sa = it.InnerStride(1), sb = it.InnerStride(2);
        while (it.Next())
        {
            int od = it.Offset(0), oa = it.Offset(1), ob = it.Offset(2);
            for (int i = 0; i < n; i++)
            {
                long x = a[oa + i * sa], y = b[ob + i * sb];
                d[od + i * sd] = op switch
                {
                    BinaryOp.Add => x + y,
                    BinaryOp.Sub => x - y,
                    BinaryOp.Mul => x * y,
                    BinaryOp.Div => y == 0 ? throw new DivideByZeroException("Integer tensor division by zero.") : x / y,
                    BinaryOp.Max => Math.Max(x, y),
                    BinaryOp.Min => Math.Min(x, y),
                    BinaryOp.Pow => (long)Math.Pow(x, y),
                    BinaryOp.Eq => x == y ? 1 : 0,
                    BinaryOp.Ne => x != y ? 1 : 0,
                    BinaryOp.Lt => x < y ? 1 : 0,
                    BinaryOp.Le => x <= y ? 1 : 0,
                    BinaryOp.Gt => x > y ? 1 : 0,
                    _ => x >= y ? 1 : 0,
                };
            }
        }
    }

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor result)
    {
        if (x.DType == DType.Int64)
        {
            UnaryInt(x, op, result);
            return;
        }
        var src = x.ContiguousData();
        int n = result.NumEl;
        if (ParallelParts(n) > 1)
        {
            if (x.DType == DType.Float32) ParallelUnary(src.Data<float>(), src.Offset, result.Data<float>(), result.Offset, n, op);
            else ParallelUnary(src.Data<double>(), src.Offset, result.Data<double>(), result.Offset, n, op);
        }
        else if (x.DType == DType.Float32) UnarySpan<float>(src.AsSpan<float>(), result.AsSpan<float>(), op);
        else UnarySpan<double>(src.AsSpan<double>(), result.AsSpan<double>(), op);
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    private static void UnarySpan<T>(ReadOnlySpan<T> x, Span<T> d, UnaryOp op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Neg: Elementwise.Negate(x, d); break;
            case UnaryOp.Abs: Elementwise.Abs(x, d); break;
            case UnaryOp.Exp: Elementwise.Exp(x, d); break;
            case UnaryOp.Log: Elementwise.Log(x, d); break;
            case UnaryOp.Sqrt: Elementwise.Sqrt(x, d); break;
            case UnaryOp.Tanh: Elementwise.Tanh(x, d); break;
            case UnaryOp.Sigmoid: Elementwise.Sigmoid(x, d); break;
            case UnaryOp.Relu: Elementwise.Relu(x, d); break;
            case UnaryOp.Sign: Elementwise.Sign(x, d); break;
            case UnaryOp.Step: Elementwise.Step(x, d); break;
            case UnaryOp.Square: Elementwise.Multiply(x, x, d); break;
            default: Elementwise.ScalarDivide(T.One, x, d); break;
        }
    }

    private static void UnaryInt(Tensor x, UnaryOp op, Tensor r)
    {
        if (op is not (UnaryOp.Neg or UnaryOp.Abs or UnaryOp.Square or UnaryOp.Sign))
            throw new NotSupportedException($"CpuBackend.Unary: {op} is not defined for int64 tensors.");
        var c = x.ContiguousData();
        var src = c.AsSpan<long>();
        var d = r.AsSpan<long>();
        for (int i = 0; i < src.Length; i++)
            d[i] = op switch { UnaryOp.Neg => -src[i], UnaryOp.Abs => Math.Abs(src[i]), UnaryOp.Square => src[i] * src[i], _ => Math.Sign(src[i]) };
        if (!ReferenceEquals(c, x)) c.Dispose();
    }

    /// <inheritdoc/>
    public void Clamp(Tensor x, double lo, double hi, Tensor r)
    {
        var src = x.ContiguousData();
        if (x.DType == DType.Float32) Elementwise.Clamp(src.AsSpan<float>(), (float)lo, (float)hi, r.AsSpan<float>());
        else if (x.DType == DType.Float64) Elementwise.Clamp(src.AsSpan<double>(), lo, hi, r.AsSpan<double>());
        else { var s = src.AsSpan<long>(); var d = r.AsSpan<long>(); for (int i = 0; i < s.Length; i++) d[i] = (long)Math.Clamp(s[i], lo, hi); }
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    /// <inheritdoc/>
    public void LeakyRelu(Tensor x, double slope, Tensor r)
    {
        var src = x.ContiguousData();
        if (x.DType == DType.Float32)
        {
            var body = new LeakyReluBody<float>(src.Data<float>(), src.Offset, (float)slope, r.Data<float>(), r.Offset);
            ParallelRanges(r.NumEl, ref body);
        }
        else
        {
            var body = new LeakyReluBody<double>(src.Data<double>(), src.Offset, slope, r.Data<double>(), r.Offset);
            ParallelRanges(r.NumEl, ref body);
        }
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    // Split as the other element-wise ops are: a discriminator's activations (800 K values) ran on one thread.
    private readonly struct LeakyReluBody<T>(T[] x, int xo, T slope, T[] d, int dOff) : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int end) => Elementwise.LeakyRelu<T>(x.AsSpan(xo + start, end - start), slope, d.AsSpan(dOff + start, end - start));
    }

    /// <inheritdoc/>
    public void Softplus(Tensor x, double beta, double threshold, Tensor r)
    {
        var src = x.ContiguousData();
        if (x.DType == DType.Float32)
        {
            ReadOnlySpan<float> s = src.AsSpan<float>(); var d = r.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) d[i] = (float)Softplus(s[i], beta, threshold);
        }
        else
        {
            ReadOnlySpan<double> s = src.AsSpan<double>(); var d = r.AsSpan<double>();
            for (int i = 0; i < s.Length; i++) d[i] = Softplus(s[i], beta, threshold);
        }
        if (!ReferenceEquals(src, x)) src.Dispose();
    }

    private static double Softplus(double v, double beta, double threshold)
    {
        double z = v * beta;
        if (z > threshold) return v;
        // max(z, 0) + log1p(e^-|z|), with log1p(u) = log(1 + u) * u / ((1 + u) - 1) (exact where 1 + u rounds).
        double u = Math.Exp(-Math.Abs(z)), w = 1 + u;
        double log1p = w == 1 ? u : Math.Log(w) * u / (w - 1);
        return (Math.Max(z, 0) + log1p) / beta;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// ReLU's from its input x (x &gt; 0 ? g : 0), tanh's and sigmoid's from their output y (g (1 - y y) and g y (1 - y),
    /// rounded as those composites are). Large tensors are split over the threads.
    /// </remarks>
    public void ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g, Tensor r)
    {
        var xs = saved.ContiguousData(); var gs = g.ContiguousData();
        int n = r.NumEl;
        if (ParallelParts(n) > 1)
        {
            if (saved.DType == DType.Float32) ParallelActivationBackward(kind, xs.Data<float>(), xs.Offset, gs.Data<float>(), gs.Offset, r.Data<float>(), r.Offset, n);
            else ParallelActivationBackward(kind, xs.Data<double>(), xs.Offset, gs.Data<double>(), gs.Offset, r.Data<double>(), r.Offset, n);
        }
        else if (saved.DType == DType.Float32) ActivationBackwardSpan(kind, xs.AsSpan<float>(), gs.AsSpan<float>(), r.AsSpan<float>());
        else ActivationBackwardSpan(kind, xs.AsSpan<double>(), gs.AsSpan<double>(), r.AsSpan<double>());
        if (!ReferenceEquals(xs, saved)) xs.Dispose();
        if (!ReferenceEquals(gs, g)) gs.Dispose();
    }

    /// <inheritdoc/>
    public void LeakyReluBackward(Tensor x, Tensor g, double slope, Tensor r)
    {
        var xs = x.ContiguousData(); var gs = g.ContiguousData();
        if (r.DType == DType.Float32) LeakyReluBackwardParts(xs.Data<float>(), xs.Offset, gs.Data<float>(), gs.Offset, r.Data<float>(), r.Offset, r.NumEl, slope);
        else LeakyReluBackwardParts(xs.Data<double>(), xs.Offset, gs.Data<double>(), gs.Offset, r.Data<double>(), r.Offset, r.NumEl, slope);
        if (!ReferenceEquals(xs, x)) xs.Dispose();
        if (!ReferenceEquals(gs, g)) gs.Dispose();
    }

    private void LeakyReluBackwardParts<T>(T[] x, int xo, T[] g, int go, T[] d, int dOff, int n, double slope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T negative = T.CreateTruncating(slope), positive = T.CreateTruncating(1 - slope) + negative;
        var body = new LeakyReluBackwardBody<T>(x, xo, g, go, d, dOff, positive, negative);
        ParallelRanges(n, ref body);
    }

    private readonly struct LeakyReluBackwardBody<T>(T[] x, int xo, T[] g, int go, T[] d, int dOff, T positive, T negative) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int end) =>
            Elementwise.LeakyReluGradient<T>(x.AsSpan(xo + start, end - start), g.AsSpan(go + start, end - start), positive, negative, d.AsSpan(dOff + start, end - start));
    }

    private static void ActivationBackwardSpan<T>(ActivationGrad kind, ReadOnlySpan<T> saved, ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case ActivationGrad.Relu: Elementwise.ReluBackward(saved, g, d); break;
            case ActivationGrad.Tanh: Elementwise.TanhBackward(saved, g, d); break;
            default: Elementwise.SigmoidBackward(saved, g, d); break;
        }
    }

    /// <inheritdoc/>
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor r)
    {
        var dtype = r.DType;
        var shape = r.ShapeArray;
        int[] sc = ShapeUtil.BroadcastStrides(cond.ShapeArray, cond.StrideArray, shape), sa = ShapeUtil.BroadcastStrides(a.ShapeArray, a.StrideArray, shape), sb = ShapeUtil.BroadcastStrides(b.ShapeArray, b.StrideArray, shape);
        var it = new RowIterator(shape, [r.StrideArray, sc, sa, sb], [r.Offset, cond.Offset, a.Offset, b.Offset]);
        int n = it.InnerLength;
        int ic = it.InnerStride(1), ia = it.InnerStride(2), ib = it.InnerStride(3);
        // The dtype switches are hoisted out of the loop: one typed row loop per (condition, value) dtype pair.
        switch (cond.DType, dtype)
        {
            case (DType.Float32, DType.Float32): WhereRows(ref it, n, cond.Data<float>(), ic, a.Data<float>(), ia, b.Data<float>(), ib, r.Data<float>()); break;
            case (DType.Float32, DType.Float64): WhereRows(ref it, n, cond.Data<float>(), ic, a.Data<double>(), ia, b.Data<double>(), ib, r.Data<double>()); break;
            case (DType.Float32, _): WhereRows(ref it, n, cond.Data<float>(), ic, a.Data<long>(), ia, b.Data<long>(), ib, r.Data<long>()); break;
            case (DType.Float64, DType.Float32): WhereRows(ref it, n, cond.Data<double>(), ic, a.Data<float>(), ia, b.Data<float>(), ib, r.Data<float>()); break;
            case (DType.Float64, DType.Float64): WhereRows(ref it, n, cond.Data<double>(), ic, a.Data<double>(), ia, b.Data<double>(), ib, r.Data<double>()); break;
            case (DType.Float64, _): WhereRows(ref it, n, cond.Data<double>(), ic, a.Data<long>(), ia, b.Data<long>(), ib, r.Data<long>()); break;
            case (_, DType.Float32): WhereRows(ref it, n, cond.Data<long>(), ic, a.Data<float>(), ia, b.Data<float>(), ib, r.Data<float>()); break;
            case (_, DType.Float64): WhereRows(ref it, n, cond.Data<long>(), ic, a.Data<double>(), ia, b.Data<double>(), ib, r.Data<double>()); break;
            default: WhereRows(ref it, n, cond.Data<long>(), ic, a.Data<long>(), ia, b.Data<long>(), ib, r.Data<long>()); break;
        }
    }

    private static void WhereRows<TC, T>(ref RowIterator it, int n, TC[] c, int ic, T[] a, int ia, T[] b, int ib, T[] r)
        where TC : unmanaged, INumberBase<TC>
    {
        while (it.Next())
        {
            int od = it.Offset(0), oc = it.Offset(1), oa = it.Offset(2), ob = it.Offset(3);
            for (int i = 0; i < n; i++) r[od + i] = !TC.IsZero(c[oc + i * ic]) ? a[oa + i * ia] : b[ob + i * ib];
        }
    }

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor src, Tensor dst)
    {
        if (alpha == 1 && !src.IsContiguous)
        {
            Binary(BinaryOp.Add, dst, src, dst);   // dst + 1 src is dst + src: read the strided src in place of a copy
            return;
        }
        var s = src.ContiguousData();
        if (dst.DType == DType.Float32) Elementwise.Axpy((float)alpha, s.AsSpan<float>(), dst.AsSpan<float>(), dst.AsSpan<float>());
        else Elementwise.Axpy(alpha, s.AsSpan<double>(), dst.AsSpan<double>(), dst.AsSpan<double>());
        if (!ReferenceEquals(s, src)) s.Dispose();
    }
}
