using Axon.Backends;

namespace Axon.Cuda.Tests.Kernels;

/// <summary>
/// The CUDA backend's kernel-backed primitives (<see cref="KernelPrimitives"/>, the code CudaBackend forwards to) run on
/// the emulated device against the reference backend: the host side (geometries, dtype dispatch, index checks, scratch,
/// scalars read back) and every launch site's arguments, without a GPU.
/// </summary>
public class EmulatedPrimitiveTests : KernelTestBase
{
    private static IBackend Ref => Device.Reference.Backend;
    private readonly EmuDevice dev = new();
    private readonly KernelPrimitives k;

    public EmulatedPrimitiveTests() => k = new KernelPrimitives(dev);

    internal static readonly DType[] AllTypes = [DType.Float32, DType.Float64, DType.Int64];

    /// <summary>A seeded random tensor on the reference device (int64: floored).</summary>
    internal static Tensor R(int[] shape, DType d, int seed, double lo = -3, double hi = 3, bool specials = false)
    {
        var v = Random(shape.Aggregate(1, (a, b) => a * b), seed, specials, lo, hi);
        var t = d switch
        {
            DType.Float32 => Tensor.FromArray(v.Select(x => (float)x).ToArray(), shape),
            DType.Float64 => Tensor.FromArray(v, shape),
            _ => Tensor.FromArray(v.Select(x => (long)Math.Floor(x)).ToArray(), shape),
        };
        return t.To(Device.Reference);
    }

    internal static Tensor Z(int[] shape, DType d) => Tensor.Zeros(shape, d, Device.Reference);

    internal static void Same(string what, Tensor expected, Tensor actual, double rtol = 0, double atol = 0) => Close(what, Values(expected), Values(actual), rtol, atol);

    [Fact]
    public void ElementwiseWithBroadcastingAndViews()
    {
        foreach (var d in AllTypes)
        {
            bool isInt = d == DType.Int64;
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                Tensor A() => R([4, 1, 7], d, 10 + (int)op, isInt ? -20 : -3, isInt ? 20 : 3, !isInt);
                Tensor B() => R([5, 9], d, 20 + (int)op, isInt ? 1 : -3, isInt ? 5 : 3, !isInt).Narrow(1, 1, 7);
                var (e, y) = (Z([4, 5, 7], d), Z([4, 5, 7], d));
                Ref.Binary(op, A(), B(), e);
                k.Binary(op, A(), B(), y);
                Same($"Binary {op} {d}", e, y, op == BinaryOp.Pow ? Ulps(d) : 0);
            }
            var ops = isInt ? [UnaryOp.Neg, UnaryOp.Abs, UnaryOp.Square, UnaryOp.Sign] : Enum.GetValues<UnaryOp>();
            foreach (var op in ops)
            {
                var x = R([6, 9, 5], d, 3 + (int)op, -40, 40, !isInt).Transpose(0, 2);
                var (e, y) = (Z(x.GetShape(), d), Z(x.GetShape(), d));
                Ref.Unary(op, x, e);
                k.Unary(op, x, y);
                Same($"Unary {op} {d}", e, y, op is UnaryOp.Exp or UnaryOp.Log or UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Sqrt ? Ulps(d) : 0);
            }
            var c = R([3, 1, 6], DType.Float32, 30, -1, 2);
            var (wa, wb) = (R([4, 6], d, 31), R([6, 3, 4], d, 32).Permute(1, 2, 0));
            var (we, wy) = (Z([3, 4, 6], d), Z([3, 4, 6], d));
            Ref.Where(c, wa, wb, we);
            k.Where(c, wa, wb, wy);
            Same($"Where {d}", we, wy);
            var cx = R([9, 11], d, 40, -30, 30).T();
            var (ce, cy) = (Z([11, 9], d), Z([11, 9], d));
            Ref.Clamp(cx, -7.5, 12.25, ce);
            k.Clamp(cx, -7.5, 12.25, cy);
            Same($"Clamp {d}", ce, cy);
            var (s1, s2) = (R([7, 13], d, 41, -30, 30), R([7, 13], d, 41, -30, 30));
            Ref.ScaleInPlace(s1, 0.37);
            k.ScaleInPlace(s2, 0.37);
            Same($"ScaleInPlace {d}", s1, s2);
        }
        foreach (var d in FloatTypes)
        {
            var x = R([9, 11], d, 42, -30, 30, true).T();
            var (e, y) = (Z([11, 9], d), Z([11, 9], d));
            Ref.LeakyRelu(x, 0.01, e);
            k.LeakyRelu(x, 0.01, y);
            Same($"LeakyRelu {d}", e, y);
            Ref.Softplus(x, 1.5, 20, e);
            k.Softplus(x, 1.5, 20, y);
            Same($"Softplus {d}", e, y, 1e-15);
            foreach (var kind in Enum.GetValues<ActivationGrad>())
            {
                var (saved, g) = (R([9, 11], d, 44 + (int)kind, -1, 1, true), R([11], d, 43));
                Ref.ActivationBackward(kind, saved, g, e.View(9, 11));
                k.ActivationBackward(kind, saved, g, y.View(9, 11));
                Same($"ActivationBackward {kind} {d}", e, y);
            }
            var (lx, lg) = (R([9, 11], d, 49, -1, 1, true), R([11], d, 43));
            Ref.LeakyReluBackward(lx, lg, 0.2, e.View(9, 11));
            k.LeakyReluBackward(lx, lg, 0.2, y.View(9, 11));
            Same($"LeakyReluBackward {d}", e, y);
            var (a1, a2) = (R([9, 11], d, 47), R([9, 11], d, 47));
            var src = R([11, 9], d, 48).T();
            Ref.Axpy(-0.3, src, a1);
            k.Axpy(-0.3, src, a2);
            Same($"Axpy {d}", a1, a2);
        }
    }

    [Fact]
    public void Int64DivisionByZeroAndFloatOnlyOpsThrowAsOnTheCpu()
    {
        var a = Tensor.FromArray(new long[] { 7, -9, 4 }, [3]).To(Device.Reference);
        var b = Tensor.FromArray(new long[] { 2, 0, 3 }, [3]).To(Device.Reference);
        var y = Z([3], DType.Int64);
        var e = Assert.Throws<DivideByZeroException>(() => k.Binary(BinaryOp.Div, a, b, y));
        Assert.Equal("Integer tensor division by zero.", e.Message);
        Assert.Equal([0L, 0, 0], y.ToArray<long>());   // nothing written
        var ok = Tensor.FromArray(new long[] { 2, long.MinValue, -3 }, [3]).To(Device.Reference);
        k.Binary(BinaryOp.Div, a, ok, y);
        Assert.Equal([3L, 0, -1], y.ToArray<long>());
        var u = Assert.Throws<NotSupportedException>(() => k.Unary(UnaryOp.Exp, a, y));
        Assert.Equal("CudaBackend.Unary: Exp is not defined for int64 tensors.", u.Message);
        var s = Assert.Throws<NotSupportedException>(() => k.Softmax(a, 0, false, y));
        Assert.Equal("Softmax on emu:0: takes float32 or float64 tensors, not int64.", s.Message);
    }

    [Fact]
    public void ReductionsBothFormsAndScalars()
    {
        foreach (var d in AllTypes)
        {
            double Tol(int n) => d == DType.Int64 ? 0 : Ulps(d) * Math.Sqrt(n);
            for (int dim = 0; dim < 3; dim++)
            {
                var x = R([3, 4, 300], d, 50 + dim, -100, 100).Permute(2, 0, 1);
                var outShape = KernelGeometryWithout(x.GetShape(), dim);
                var (e, y) = (Z(outShape, d), Z(outShape, d));
                Ref.Sum(x, dim, e);
                k.Sum(x, dim, y);
                int n = x.Shape[dim];
                Same($"Sum {d} dim {dim}", e, y, Tol(n), Tol(n) * 100 * n);
                var keep = x.GetShape();
                keep[dim] = 1;
                var yk = Z(keep, d);
                k.Sum(x, dim, yk);
                Same($"Sum keepdim {d} dim {dim}", e, yk.Reshape(outShape), Tol(n), Tol(n) * 100 * n);

                var ext = (d == DType.Int64 ? R([3, 5, 301], d, 70 + dim, -4, 4) : R([3, 5, 301], d, 70 + dim, -4, 4, true)).Permute(1, 2, 0);
                foreach (bool max in new[] { true, false })
                {
                    var oshape = KernelGeometryWithout(ext.GetShape(), dim);
                    var (ev, ei, yv, yi) = (Z(oshape, d), Z(oshape, DType.Int64), Z(oshape, d), Z(oshape, DType.Int64));
                    Ref.Extreme(ext, dim, max, ev, ei);
                    k.Extreme(ext, dim, max, yv, yi);
                    Same($"Extreme values {d} dim {dim} max {max}", ev, yv);
                    Same($"Extreme indices {d} dim {dim} max {max}", ei, yi);
                }
                if (d == DType.Int64) continue;
                foreach (bool log in new[] { false, true })
                {
                    var sx = R([3, 5, 300], d, 80 + dim, -8, 8).Permute(0, 2, 1);
                    var (se, sy) = (Z(sx.GetShape(), d), Z(sx.GetShape(), d));
                    Ref.Softmax(sx, dim, log, se);
                    k.Softmax(sx, dim, log, sy);
                    double tol = Ulps(d, 16) * Math.Sqrt(sx.Shape[dim]);
                    Same($"Softmax {d} dim {dim} log {log}", se, sy, tol, log ? tol * 10 : tol * 1e-3);
                }
            }
            Assert.Contains($"axon_sum_rows_{Sfx(d)}", dev.Launched);
            Assert.Contains($"axon_sum_cols_{Sfx(d)}", dev.Launched);

            var big = R([100_003, 2], d, 60, -10, 10).Select(1, 1);
            var (te, ty) = (Z([], d), Z([], d));
            Ref.SumAll(big, te);
            k.SumAll(big, ty);
            Same($"SumAll {d}", te, ty, Tol(100_003), Tol(100_003) * 10 * Math.Sqrt(100_003));
            k.SumAll(Z([0, 3], d), ty);
            Assert.Equal(0.0, Values(ty)[0]);
            foreach (double p in new[] { 1.0, 2.0, double.PositiveInfinity, 3.0 })
            {
                var nx = R([3000, 3], d, 90, -20, 20).Select(1, 2);
                Close($"Norm {d} p={p}", [Ref.Norm(nx, p)], [k.Norm(nx, p)], 1e-13);
            }
        }
        var ix = R([500, 2], DType.Int64, 91, -1000, 1000).Select(1, 0);
        Assert.Equal(Ref.IndexRange(ix), k.IndexRange(ix));
        Assert.Equal((0L, -1L), k.IndexRange(Z([0], DType.Int64)));
    }

    internal static int[] KernelGeometryWithout(int[] shape, int dim) => shape.Where((_, i) => i != dim).ToArray();
}
