using System.Numerics;

namespace Axon.Backends;

// Element-wise primitives: one scalar function applied at every position of the destination, operands read through
// their (broadcast) strides.
public sealed partial class ReferenceBackend
{
    /// <summary>dst[i] = f(x[i]) for every row-major position i (x of dst's shape, any layout; dst may be x).</summary>
    private static void Map<T>(Tensor x, Tensor dst, Func<T, T> f) where T : unmanaged
    {
        T[] xs = x.Data<T>(), ds = dst.Data<T>();
        for (int i = 0; i < dst.NumEl; i++) ds[OffsetOf(dst, i)] = f(xs[OffsetOf(x, i)]);
    }

    /// <summary>dst[i] = f(a[i], b[i]) with a and b broadcast to dst's shape.</summary>
    private static void Map<T>(Tensor a, Tensor b, Tensor dst, Func<T, T, T> f) where T : unmanaged
    {
        int[] shape = dst.ShapeArray, sa = StridesAs(a, shape), sb = StridesAs(b, shape);
        T[] av = a.Data<T>(), bv = b.Data<T>(), ds = dst.Data<T>();
        for (int i = 0; i < dst.NumEl; i++)
            ds[OffsetOf(dst, i)] = f(av[OffsetOf(shape, sa, a.Offset, i)], bv[OffsetOf(shape, sb, b.Offset, i)]);
    }

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor dst)
    {
        Own(x, dst);
        switch (dst.DType)
        {
            case DType.Float32: Map<float>(x, dst, v => UnaryFloat(op, v)); break;
            case DType.Float64: Map<double>(x, dst, v => UnaryFloat(op, v)); break;
            default:
                if (op is not (UnaryOp.Neg or UnaryOp.Abs or UnaryOp.Square or UnaryOp.Sign))
                    throw new NotSupportedException($"ReferenceBackend.Unary: {op} is not defined for int64 tensors.");
                Map<long>(x, dst, v => op switch { UnaryOp.Neg => -v, UnaryOp.Abs => Math.Abs(v), UnaryOp.Square => v * v, _ => Math.Sign(v) });
                break;
        }
    }

    private static T UnaryFloat<T>(UnaryOp op, T x) where T : unmanaged, IFloatingPointIeee754<T> => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Abs => T.Abs(x),
        UnaryOp.Exp => T.Exp(x),
        UnaryOp.Log => T.Log(x),
        UnaryOp.Sqrt => T.Sqrt(x),
        UnaryOp.Tanh => T.Tanh(x),
        UnaryOp.Sigmoid => T.One / (T.One + T.Exp(-x)),
        UnaryOp.Relu => x <= T.Zero ? T.Zero : x,                                  // NaN stays NaN, -0 becomes +0
        UnaryOp.Sign => x > T.Zero ? T.One : x < T.Zero ? -T.One : x,                // sign(±0) = ±0, sign(NaN) = NaN
        UnaryOp.Step => x >= T.Zero ? T.One : T.IsNaN(x) ? x : T.Zero,              // step(-0) = 1, step(NaN) = NaN
        UnaryOp.Square => x * x,
        _ => T.One / x,
    };

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst)
    {
        Own(a, b, dst);
        switch (dst.DType)
        {
            case DType.Float32: Map<float>(a, b, dst, (x, y) => BinaryFloat(op, x, y)); break;
            case DType.Float64: Map<double>(a, b, dst, (x, y) => BinaryFloat(op, x, y)); break;
            default: Map<long>(a, b, dst, (x, y) => BinaryInt(op, x, y)); break;
        }
    }

    private static T BinaryFloat<T>(BinaryOp op, T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        BinaryOp.Div => x / y,
        // T.Max and T.Min are IEEE 754:2019's maximum and minimum: NaN propagates and +0 > -0.
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

    private static long BinaryInt(BinaryOp op, long x, long y) => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        BinaryOp.Div => y == 0 ? throw new DivideByZeroException($"ReferenceBackend.Binary: int64 division of {x} by zero.") : x / y,
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

    /// <inheritdoc/>
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor dst)
    {
        Own(cond, a, b, dst);
        switch (dst.DType)
        {
            case DType.Float32: Select<float>(cond, a, b, dst); break;
            case DType.Float64: Select<double>(cond, a, b, dst); break;
            default: Select<long>(cond, a, b, dst); break;
        }
    }

    // A NaN condition counts as true, -0 as false (x != 0).
    private static void Select<T>(Tensor cond, Tensor a, Tensor b, Tensor dst) where T : unmanaged
    {
        int[] shape = dst.ShapeArray, sc = StridesAs(cond, shape), sa = StridesAs(a, shape), sb = StridesAs(b, shape);
        T[] av = a.Data<T>(), bv = b.Data<T>(), ds = dst.Data<T>();
        for (int i = 0; i < dst.NumEl; i++)
        {
            int oc = OffsetOf(shape, sc, cond.Offset, i);
            bool c = cond.DType switch
            {
                DType.Float32 => cond.Data<float>()[oc] != 0,
                DType.Float64 => cond.Data<double>()[oc] != 0,
                _ => cond.Data<long>()[oc] != 0,
            };
            ds[OffsetOf(dst, i)] = c ? av[OffsetOf(shape, sa, a.Offset, i)] : bv[OffsetOf(shape, sb, b.Offset, i)];
        }
    }

    /// <inheritdoc/>
    public void Clamp(Tensor x, double lo, double hi, Tensor dst)
    {
        Own(x, dst);
        switch (dst.DType)
        {
            case DType.Float32: Map<float>(x, dst, v => ClampFloat(v, (float)lo, (float)hi)); break;
            case DType.Float64: Map<double>(x, dst, v => ClampFloat(v, lo, hi)); break;
            // Through double as the CPU backend does (Math.Clamp also rejects lo > hi there).
            default: Map<long>(x, dst, v => (long)Math.Clamp(v, lo, hi)); break;
        }
    }

    // NaN fails both comparisons and stays NaN; with lo > hi, values below lo give lo and the rest hi.
    private static T ClampFloat<T>(T x, T lo, T hi) where T : unmanaged, IFloatingPointIeee754<T> => x < lo ? lo : x > hi ? hi : x;

    /// <inheritdoc/>
    public void LeakyRelu(Tensor x, double slope, Tensor dst)
    {
        Own(x, dst);
        if (dst.DType == DType.Float32) Map<float>(x, dst, v => v > 0 ? v : (float)slope * v);
        else Map<double>(x, dst, v => v > 0 ? v : slope * v);
    }

    /// <inheritdoc/>
    public void Softplus(Tensor x, double beta, double threshold, Tensor dst)
    {
        Own(x, dst);
        // In double for both types, rounded once at the end.
        if (dst.DType == DType.Float32) Map<float>(x, dst, v => (float)Softplus(v, beta, threshold));
        else Map<double>(x, dst, v => Softplus(v, beta, threshold));
    }

    private static double Softplus(double x, double beta, double threshold)
    {
        double z = beta * x;
        if (z > threshold) return x;
        // log(1 + e^z) = max(z, 0) + log1p(e^-|z|) cannot overflow. log1p(u) is taken as log(w) u / (w - 1) with
        // w = 1 + u rounded (exact where w rounds; double.LogP1 is only log(1 + u)), and as u itself when w is 1.
        double u = Math.Exp(-Math.Abs(z)), w = 1 + u;
        double log1p = w == 1 ? u : Math.Log(w) * u / (w - 1);
        return (Math.Max(z, 0) + log1p) / beta;
    }

    /// <inheritdoc/>
    public void ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g, Tensor dst)
    {
        Own(saved, g, dst);
        if (dst.DType == DType.Float32) Map<float>(saved, g, dst, (s, gv) => ActivationGradient(kind, s, gv));
        else Map<double>(saved, g, dst, (s, gv) => ActivationGradient(kind, s, gv));
    }

    /// <inheritdoc/>
    public void LeakyReluBackward(Tensor x, Tensor g, double slope, Tensor dst)
    {
        Own(x, g, dst);
        if (dst.DType == DType.Float32)
        {
            float q = (float)slope, p = (float)(1 - slope) + q;
            Map<float>(x, g, dst, (xv, gv) => gv * (xv > 0 ? p : q));
        }
        else
        {
            double q = slope, p = (1 - slope) + q;
            Map<double>(x, g, dst, (xv, gv) => gv * (xv > 0 ? p : q));
        }
    }

    private static T ActivationGradient<T>(ActivationGrad kind, T saved, T g) where T : unmanaged, IFloatingPointIeee754<T> => kind switch
    {
        ActivationGrad.Relu => saved > T.Zero ? g : T.Zero,          // from the input x (a NaN x gives 0)
        ActivationGrad.Tanh => g * (T.One - saved * saved),           // from the output y
        _ => g * saved * (T.One - saved),                             // the sigmoid's, from its output y: (g y)(1 - y)
    };

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor x, Tensor dst)
    {
        Own(x, dst);
        // alpha is rounded to dst's type first, then x alpha + dst (two roundings, no fused multiply-add).
        if (dst.DType == DType.Float32) { float a = (float)alpha; Map<float>(x, dst, dst, (xv, d) => xv * a + d); }
        else Map<double>(x, dst, dst, (xv, d) => xv * alpha + d);
    }
}
