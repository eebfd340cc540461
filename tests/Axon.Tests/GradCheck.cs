using System.Globalization;
using System.Text;

namespace Axon.Tests;

/// <summary>
/// Float64 gradient checker: compares the gradients that Backward computes with central differences of
/// loss = sum(f(x) * R), where R is a fixed random tensor (so that errors in different elements cannot
/// cancel, as they could with a plain sum). Leaves may be non-contiguous views: elements are perturbed
/// through their strides and the analytic gradient is compared in logical (row-major) order.
/// </summary>
internal static class GradCheck
{
    public const double Eps = 1e-6;
    public const double Tolerance = 1e-6;
    private const double Tiny = 1e-9;
    private const long RSeed = 20240607;

    /// <summary>Checks d sum(f(x) * R) / dx for a one-input function.</summary>
    public static void Check(Func<Tensor, Tensor> f, Tensor x) => CheckMany(xs => f(xs[0]), x);

    /// <summary>Checks the gradients of a two-input function.</summary>
    public static void Check(Func<Tensor, Tensor, Tensor> f, Tensor a, Tensor b) => CheckMany(xs => f(xs[0], xs[1]), a, b);

    /// <summary>Checks the gradients of every input of <paramref name="f"/>.</summary>
    public static void CheckMany(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        foreach (var x in inputs)
        {
            Assert.Equal(DType.Float64, x.DType);
            Assert.True(x.IsLeaf && x.RequiresGrad, "GradCheck inputs must be float64 leaves that require grad.");
            x.Grad = null;
        }

        var y = f(inputs);
        Assert.Equal(DType.Float64, y.DType);
        Assert.True(y.RequiresGrad, "f(x) does not require grad: the op was not recorded.");
        var r = Tensor.Randn(y.GetShape(), new Generator(RSeed), DType.Float64);
        var rv = r.ToDoubleArray();
        (y * r).Sum().Backward();

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            double[] analytic;
            if (x.Grad is null) analytic = new double[x.NumEl];
            else
            {
                Assert.Equal(x.GetShape(), x.Grad.GetShape());
                Assert.Equal(DType.Float64, x.Grad.DType);
                analytic = x.Grad.ToDoubleArray();
            }

            var numeric = new double[x.NumEl];
            int flat = 0;
            foreach (var idx in Indices(x.GetShape()))
            {
                double orig = x.GetDouble(idx);
                x.SetDouble(orig + Eps, idx);
                double lp = Loss(f, inputs, rv);
                x.SetDouble(orig - Eps, idx);
                double lm = Loss(f, inputs, rv);
                x.SetDouble(orig, idx);
                numeric[flat++] = (lp - lm) / (2 * Eps);
            }

            double diff = 0, na = 0, nn = 0;
            for (int i = 0; i < numeric.Length; i++)
            {
                diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
                na += analytic[i] * analytic[i];
                nn += numeric[i] * numeric[i];
            }
            double rel = Math.Sqrt(diff) / Math.Max(Math.Sqrt(na) + Math.Sqrt(nn), Tiny);
            if (!(rel < Tolerance)) Assert.Fail(Describe(k, x, analytic, numeric, rel));
        }

        // The backward functions must not assume a contiguous output gradient: seeding Backward with R laid out
        // non-contiguously (strided), or with a constant broadcast with stride 0, must give the same gradients.
        var reference = inputs.Select(x => x.Grad?.ToDoubleArray()).ToArray();
        SeedAndCompare(f, inputs, reference, Strided(r), "a strided output gradient");
        var c = Tensor.Full(y.GetShape(), 0.75, DType.Float64);
        SeedAndCompare(f, inputs, null, c, null);
        var constant = inputs.Select(x => x.Grad?.ToDoubleArray()).ToArray();
        SeedAndCompare(f, inputs, constant, Tensor.Scalar(0.75, DType.Float64).Expand(y.GetShape()), "a broadcast (stride 0) output gradient");
    }

    /// <summary>
    /// Checks second derivatives, as PyTorch's gradgradcheck: the gradient function G(x, R) = ∂ sum(f(x) R) / ∂x, computed
    /// with <see cref="Axon.Autograd.Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}?, bool?, bool, bool)"/>
    /// and createGraph, is itself checked like an op: its gradients with respect to every input and to R, from a
    /// backward through the recorded backward, against central differences.
    /// </summary>
    public static void GradGradCheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        Tensor y;
        using (GradMode.NoGrad()) y = f(inputs);
        var r = Tensor.Randn(y.GetShape(), new Generator(RSeed + 1), DType.Float64).RequiresGrad_();
        CheckMany(xs => FirstDerivatives(f, xs[..^1], xs[^1]), [.. inputs, r]);
    }

    /// <summary>∂ sum(f(x) R) / ∂x for every input, flattened and concatenated, as a differentiable tensor.</summary>
    private static Tensor FirstDerivatives(Func<Tensor[], Tensor> f, Tensor[] xs, Tensor r)
    {
        // Recording on even when the checker evaluates this under NoGrad: a gradient needs its graph.
        using var enable = GradMode.EnableGrad();
        var grads = Axon.Autograd.Grad([(f(xs) * r).Sum()], xs, createGraph: true, allowUnused: true);
        return Tensor.Cat(grads.Select((g, i) => (g ?? Tensor.ZerosLike(xs[i])).Reshape(-1)).ToArray(), 0);
    }

    /// <summary>A non-contiguous copy of <paramref name="t"/>: the same values viewed with inner stride 2.</summary>
    private static Tensor Strided(Tensor t)
    {
        if (t.Rank == 0) return t;
        var wide = Tensor.Zeros([.. t.GetShape(), 2], DType.Float64);
        var v = wide.Select(-1, 1);
        v.CopyFrom(t);
        return v;
    }

    private static void SeedAndCompare(Func<Tensor[], Tensor> f, Tensor[] inputs, double[]?[]? expected, Tensor seed, string? what)
    {
        foreach (var x in inputs) x.Grad = null;
        f(inputs).Backward(seed);
        if (expected is null) return;
        for (int k = 0; k < inputs.Length; k++)
        {
            var got = inputs[k].Grad?.ToDoubleArray();
            if (expected[k] is null || got is null) { Assert.True(expected[k] is null == got is null, $"Input {k}: a gradient appears or vanishes with {what}."); continue; }
            for (int i = 0; i < got.Length; i++)
                if (!(Math.Abs(got[i] - expected[k]![i]) <= 1e-12 * (1 + Math.Abs(expected[k]![i]))))
                    Assert.Fail($"Input {k}: gradient element {i} is {got[i]:g17} with {what} but {expected[k]![i]:g17} with a contiguous one.");
        }
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, double[] r)
    {
        using var noGrad = GradMode.NoGrad();
        var y = f(inputs).ToDoubleArray();
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += y[i] * r[i];
        return s;
    }

    private static string Describe(int k, Tensor x, double[] a, double[] n, double rel)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Gradient of input {k} {Fmt(x.GetShape())} (strides {Fmt(x.Strides.ToArray())}) is off: relative error {rel:e3}.\n");
        for (int i = 0, shown = 0; i < a.Length && shown < 8; i++)
            if (Math.Abs(a[i] - n[i]) > 1e-6 * (Math.Abs(a[i]) + Math.Abs(n[i]) + 1e-9))
            {
                sb.Append(CultureInfo.InvariantCulture, $"  [{i}] analytic {a[i]:g10} numeric {n[i]:g10}\n");
                shown++;
            }
        return sb.ToString();
    }

    private static string Fmt(int[] s) => "[" + string.Join(", ", s) + "]";

    /// <summary>All multi-indices of <paramref name="shape"/> in row-major order.</summary>
    public static IEnumerable<int[]> Indices(int[] shape)
    {
        if (shape.Any(s => s == 0)) yield break;
        var idx = new int[shape.Length];
        while (true)
        {
            yield return (int[])idx.Clone();
            int d = shape.Length - 1;
            for (; d >= 0; d--)
            {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
            if (d < 0) yield break;
        }
    }

    // ---- inputs ----

    /// <summary>A float64 leaf of normal samples.</summary>
    public static Tensor Leaf(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64).RequiresGrad_();

    /// <summary>A float64 leaf of uniform samples in [low, high).</summary>
    public static Tensor Uniform(int seed, double low, double high, params int[] shape) =>
        Tensor.Rand(shape, new Generator(seed), DType.Float64, low, high).RequiresGrad_();

    /// <summary>A normal float64 leaf whose values keep at least 0.05 away from each of <paramref name="points"/> (non-differentiable points).</summary>
    public static Tensor AwayFrom(int seed, int[] shape, params double[] points)
    {
        var t = Tensor.Randn(shape, new Generator(seed), DType.Float64);
        var v = t.ToDoubleArray();
        for (int i = 0; i < v.Length; i++)
            while (points.Any(p => Math.Abs(v[i] - p) < 0.05)) v[i] += 0.1;
        return Tensor.FromArray(v, shape).RequiresGrad_();
    }

    /// <summary>A non-contiguous float64 leaf: the transpose of the last two dims of <paramref name="contiguous"/>, cut from any graph.</summary>
    public static Tensor Transposed(Tensor contiguous)
    {
        var t = contiguous.Detach().Transpose(-1, -2);
        Assert.False(t.IsContiguous);
        Assert.True(t.IsLeaf);
        return t.RequiresGrad_();
    }

    /// <summary>A non-contiguous normal leaf of logical <paramref name="shape"/> (rank &gt;= 2).</summary>
    public static Tensor NonContiguous(int seed, params int[] shape)
    {
        var swapped = (int[])shape.Clone();
        (swapped[^1], swapped[^2]) = (swapped[^2], swapped[^1]);
        return Transposed(Tensor.Randn(swapped, new Generator(seed), DType.Float64));
    }

    /// <summary>A leaf viewing every other element of a wider tensor (inner stride 2, offset 1: non-contiguous).</summary>
    public static Tensor Strided(int seed, params int[] shape)
    {
        var v = Tensor.Randn([.. shape, 2], new Generator(seed), DType.Float64).Select(-1, 1);
        Assert.False(v.IsContiguous);
        Assert.True(v.IsLeaf);
        return v.RequiresGrad_();
    }
}
