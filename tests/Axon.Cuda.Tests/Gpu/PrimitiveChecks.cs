using Axon.Backends;

namespace Axon.Cuda.Tests;

/// <summary>One comparison of a CUDA primitive with the reference backend.</summary>
public sealed record CheckResult(string Name, double MaxError, double Tolerance)
{
    public bool Passed => MaxError <= Tolerance;

    public override string ToString() => $"{(Passed ? "ok  " : "FAIL")} {Name,-58} max err {MaxError:E2} (tol {Tolerance:E0})";
}

/// <summary>
/// Every implemented CUDA primitive run against <see cref="Device.Reference"/> on seeded random shapes, odd sizes and
/// views included, in float32 and float64. The error is max |cuda − reference| / (1 + |reference|); tolerances: exact
/// (0) for memory primitives, 1e-4 for float32 arithmetic (FP32 sums in another order; TF32 off), 1e-10 for float64.
/// Shared by the GPU tests and the bench/gpu program (compiled into both), so the device check and CI run one list.
/// </summary>
public static partial class PrimitiveChecks
{
    public static List<CheckResult> RunAll(Device cuda)
    {
        var results = new List<CheckResult>();
        var g = new Generator(20261204);
        foreach (var dtype in (DType[])[DType.Float32, DType.Float64])
        {
            double tol = dtype == DType.Float32 ? 1e-4 : 1e-10;
            string t = dtype == DType.Float32 ? "f32" : "f64";
            // ---- memory ----
            var x = Tensor.Randn([5, 7, 3], g, dtype);
            results.Add(Compare($"Copy/host round trip {t} [5,7,3]", x, x.To(cuda), 0));
            results.Add(Compare($"Copy transposed view {t}", x.Transpose(0, 2), x.To(cuda).Transpose(0, 2), 0));
            results.Add(Compare($"Copy contiguous of permuted {t}", x.Permute(1, 2, 0).Contiguous(), x.To(cuda).Permute(1, 2, 0).Contiguous(), 0));
            results.Add(Compare($"Copy of slice step 2 {t}", x.Slice(1, 1, 7, 2).Contiguous(), x.To(cuda).Slice(1, 1, 7, 2).Contiguous(), 0));
            results.Add(Compare($"Copy of expanded {t}", x.Narrow(0, 0, 1).Expand(4, 7, 3).Contiguous(), x.To(cuda).Narrow(0, 0, 1).Expand(4, 7, 3).Contiguous(), 0));
            results.Add(Primitive($"Fill strided view {t}", cuda, b => { var d = Tensor.Zeros([6, 5], dtype, b); b.Backend.Fill(d.Slice(1, 0, 5, 2), -2.5); return d; }, 0));
            results.Add(Primitive($"Cast {t} -> int64", cuda, b =>
            {
                var s = (Tensor.Randn([33], new Generator(5), dtype) * 40).To(b);
                var d = Tensor.Zeros([33], DType.Int64, b);
                b.Backend.Cast(s, d);
                return d;
            }, 0));
            results.Add(Primitive($"Cast {t} -> other float", cuda, b =>
            {
                var s = Tensor.Randn([4, 9], new Generator(6), dtype).To(b).Transpose(0, 1);
                var d = Tensor.Zeros([9, 4], dtype == DType.Float32 ? DType.Float64 : DType.Float32, b);
                b.Backend.Cast(s, d);
                return d;
            }, 0));
            results.Add(Primitive($"FillNormal equals the CPU's {t}", cuda, b => Tensor.Randn([1001], new Generator(7), dtype, device: b), 0));
            // ---- matrix products ----
            foreach (var (m, k, n) in (ReadOnlySpan<(int, int, int)>)[(1, 1, 1), (17, 33, 9), (64, 128, 96), (3, 250, 1)])
            {
                results.Add(MatMul($"MatMul {t} [{m}x{k}]x[{k}x{n}]", cuda, [m, k], [k, n], dtype, g, tol, false, false, 0));
                results.Add(MatMul($"MatMul {t} [{m}x{k}]ᵀ-stored x [{k}x{n}]ᵀ-stored", cuda, [m, k], [k, n], dtype, g, tol, true, true, 0));
            }
            results.Add(MatMul($"MatMul {t} batched [3,5,7]x[3,7,4], beta 1", cuda, [3, 5, 7], [3, 7, 4], dtype, g, tol, false, true, 1));
            results.Add(Primitive($"MatMul {t} broadcast batch (b stride 0)", cuda, b =>
            {
                var a = Tensor.Randn([4, 6, 5], new Generator(8), dtype).To(b);
                var w = Tensor.Randn([1, 5, 3], new Generator(9), dtype).To(b).Expand(4, 5, 3);
                var c = Tensor.Zeros([4, 6, 3], dtype, b);
                b.Backend.MatMul(a, w, c, 0);
                return c;
            }, tol));
            results.Add(Primitive($"Linear {t} x[2,5,13] W[7,13] + b", cuda, b =>
            {
                var xx = Tensor.Randn([2, 5, 13], new Generator(10), dtype).To(b);
                var w = Tensor.Randn([7, 13], new Generator(11), dtype).To(b);
                var bias = Tensor.Randn([7], new Generator(12), dtype).To(b);
                var y = Tensor.Zeros([2, 5, 7], dtype, b);
                b.Backend.Linear(xx, w, bias, y);
                return y;
            }, tol));
            results.Add(Primitive($"Linear {t} transposed x, no bias", cuda, b =>
            {
                var xx = Tensor.Randn([13, 9], new Generator(13), dtype).To(b).Transpose(0, 1);
                var w = Tensor.Randn([4, 13], new Generator(14), dtype).To(b);
                var y = Tensor.Zeros([9, 4], dtype, b);
                b.Backend.Linear(xx, w, null, y);
                return y;
            }, tol));
            KernelChecks(results, cuda, dtype, t, tol);
            // ---- convolutions ----
            foreach (var (xs, ws, p, name) in ConvCases())
            {
                results.Add(Primitive($"Conv2d {t} {name}", cuda, b => Conv(b, xs, ws, p, dtype).Y, tol));
                foreach (var part in (string[])["gx", "gw", "gb"])
                    results.Add(Primitive($"Conv2dBackward {part} {t} {name}", cuda, b =>
                    {
                        var (xx, w, y) = Conv(b, xs, ws, p, dtype);
                        var gy = Tensor.Randn(y.GetShape(), new Generator(15), dtype).To(b);
                        var gx = Tensor.Zeros(xs, dtype, b);
                        var gw = Tensor.Zeros(ws, dtype, b);
                        var gb = Tensor.Zeros([ws[0]], dtype, b);
                        b.Backend.Conv2dBackward(xx, w, gy, p, gx, gw, gb);
                        return part == "gx" ? gx : part == "gw" ? gw : gb;
                    }, tol * 10));
            }
        }
        return results;
    }

    private static IEnumerable<(int[] X, int[] W, Conv2dParams P, string Name)> ConvCases() =>
    [
        ([2, 3, 9, 11], [4, 3, 3, 3], new Conv2dParams(1, 1, 1, 1, 1, 1, 1, 1, 1), "3x3 pad 1 [2,3,9,11]"),
        ([3, 4, 13, 10], [5, 4, 3, 2], new Conv2dParams(2, 1, 0, 0, 1, 1, 2, 1, 1), "3x2 stride (2,1) dilation (2,1)"),
        ([2, 4, 8, 8], [6, 2, 3, 3], new Conv2dParams(1, 1, 1, 1, 1, 1, 1, 1, 2), "groups 2"),
        ([1, 1, 5, 5], [1, 1, 1, 1], new Conv2dParams(1, 1, 0, 0, 0, 0, 1, 1, 1), "1x1 single channel"),
    ];

    private static (Tensor X, Tensor W, Tensor Y) Conv(Device b, int[] xs, int[] ws, Conv2dParams p, DType dtype)
    {
        var x = Tensor.Randn(xs, new Generator(16), dtype).To(b);
        var w = Tensor.Randn(ws, new Generator(17), dtype).To(b);
        var bias = Tensor.Randn([ws[0]], new Generator(18), dtype).To(b);
        var y = Tensor.Zeros([xs[0], ws[0], p.OutH(xs[2], ws[2]), p.OutW(xs[3], ws[3])], dtype, b);
        b.Backend.Conv2d(x, w, bias, p, y);
        return (x, w, y);
    }

    private static CheckResult MatMul(string name, Device cuda, int[] aShape, int[] bShape, DType dtype, Generator g, double tol, bool transA, bool transB, double beta)
    {
        long seed = g.NextInt64(0, long.MaxValue);
        return Primitive(name, cuda, dev =>
        {
            var r = new Generator(seed);
            var a = Operand(aShape, transA, r, dtype, dev);
            var bb = Operand(bShape, transB, r, dtype, dev);
            int[] cShape = [.. aShape[..^1], bShape[^1]];
            var c = Tensor.Randn(cShape, r, dtype).To(dev);
            dev.Backend.MatMul(a, bb, c, beta);
            return c;
        }, tol);
    }

    // A [.., r, c] operand, stored by columns (a transposed view of a [.., c, r] tensor) when asked.
    private static Tensor Operand(int[] shape, bool byColumns, Generator g, DType dtype, Device dev)
    {
        if (!byColumns) return Tensor.Randn(shape, g, dtype).To(dev);
        int[] swapped = [.. shape[..^2], shape[^1], shape[^2]];
        return Tensor.Randn(swapped, g, dtype).To(dev).Transpose(-1, -2);
    }

    /// <summary>Runs <paramref name="run"/> on the reference device and on CUDA and compares the results.</summary>
    private static CheckResult Primitive(string name, Device cuda, Func<Device, Tensor> run, double tol) =>
        Compare(name, run(Device.Reference), run(cuda), tol);

    private static CheckResult Compare(string name, Tensor expected, Tensor actual, double tol)
    {
        try
        {
            var e = expected.To(Device.Reference).To(DType.Float64).Contiguous().ToDoubleArray();
            var a = actual.To(Device.Reference).To(DType.Float64).Contiguous().ToDoubleArray();
            if (e.Length != a.Length) return new CheckResult(name + " (length differs)", double.PositiveInfinity, tol);
            double worst = 0;
            for (int i = 0; i < e.Length; i++)
            {
                double err = Math.Abs(a[i] - e[i]) / (1 + Math.Abs(e[i]));
                if (double.IsNaN(err) && !(double.IsNaN(a[i]) && double.IsNaN(e[i]))) err = double.PositiveInfinity;
                if (err > worst) worst = err;
            }
            return new CheckResult(name, worst, tol);
        }
        catch (Exception ex) when (ex is CudaException or NotSupportedException or InvalidOperationException)
        {
            return new CheckResult($"{name}: {ex.GetType().Name}: {ex.Message}", double.PositiveInfinity, tol);
        }
    }
}
