using System.Numerics;
using Axon.Kernels;

namespace Axon.Kernels.Tests;

/// <summary>
/// Every element-wise kernel against an independent scalar reference, at every length 0..300, at slice offsets
/// 0..3 (unaligned starts), out of place and in place (destination = each source), with NaN, +-inf, +-0 and
/// exact ties mixed into the inputs. Exact kernels must match bit for bit (any NaN matches any NaN; -0 and +0
/// differ); kernels built on Exp/Log/Pow/Tanh match within a few ulps of max(|reference|, 1).
/// </summary>
public class ElementwiseTests
{
    private const int MaxLength = 300;

    public delegate void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> dst);

    /// <summary>Arity: number of sources read; Ulps: 0 for bit-exact, else tolerance in units of epsilon.</summary>
    private sealed record Case<T>(int Arity, Kernel<T> Run, Func<T, T, T, T> Reference, int Ulps);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (string name in AllNames) data.Add(name);
        return data;
    }

    private static readonly string[] AllNames =
    [
        "Add", "Subtract", "Multiply", "Divide", "Maximum", "Minimum", "Pow", "MultiplyAdd",
        "AddScalar", "MultiplyScalar", "PowScalar", "ScalarSubtract", "ScalarDivide", "Axpy",
        "Negate", "Abs", "Exp", "Log", "Sqrt", "Tanh", "Sigmoid",
        "Relu", "ReluBackward", "Sign", "Step", "Clamp", "ClampInverted", "LeakyRelu", "Select",
        "Compare.Equal", "Compare.NotEqual", "Compare.Less", "Compare.LessOrEqual", "Compare.Greater", "Compare.GreaterOrEqual",
        "CompareScalar.Equal", "CompareScalar.NotEqual", "CompareScalar.Less", "CompareScalar.LessOrEqual", "CompareScalar.Greater", "CompareScalar.GreaterOrEqual",
        "Square", "Reciprocal", "Fill", "SigmoidBackward", "TanhBackward", "LeakyReluBackward", "ClampBackward",
        "EluForward", "EluBackward", "Softplus",
        "BatchNormPlane.Apply", "BatchNormPlane.ApplyRelu", "BatchNormPlane.ApplyResidual", "BatchNormPlane.ApplyResidualRelu",
        "BatchNormPlane.InputGradient",
    ];

    private static Case<T> Get<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = T.CreateTruncating(0.5), lo = -T.One, hi = T.CreateTruncating(2.0), slope = T.CreateTruncating(0.1), alpha = T.CreateTruncating(1.3);
        T beta = T.CreateTruncating(1.5), threshold = T.CreateTruncating(3.0), a = T.CreateTruncating(-0.75);
        T zero = T.Zero, one = T.One;
        static Case<T> E(int arity, Kernel<T> run, Func<T, T, T, T> reference) => new(arity, run, reference, 0);
        static Case<T> A(int arity, Kernel<T> run, Func<T, T, T, T> reference) => new(arity, run, reference, 16);
        if (name.StartsWith("Compare", StringComparison.Ordinal))
        {
            var cmp = Enum.Parse<Elementwise.Comparison>(name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..]);
            Func<T, T, bool> pred = cmp switch
            {
                Elementwise.Comparison.Equal => (p, q) => p == q,
                Elementwise.Comparison.NotEqual => (p, q) => p != q,
                Elementwise.Comparison.Less => (p, q) => p < q,
                Elementwise.Comparison.LessOrEqual => (p, q) => p <= q,
                Elementwise.Comparison.Greater => (p, q) => p > q,
                _ => (p, q) => p >= q,
            };
            return name.StartsWith("CompareScalar", StringComparison.Ordinal)
                ? E(1, (x, _, _, d) => Elementwise.CompareScalar(x, s, cmp, d), (x, _, _) => pred(x, s) ? one : zero)
                : E(2, (x, y, _, d) => Elementwise.Compare(x, y, cmp, d), (x, y, _) => pred(x, y) ? one : zero);
        }
        return name switch
        {
            "Add" => E(2, (x, y, _, d) => Elementwise.Add(x, y, d), (x, y, _) => x + y),
            "Subtract" => E(2, (x, y, _, d) => Elementwise.Subtract(x, y, d), (x, y, _) => x - y),
            "Multiply" => E(2, (x, y, _, d) => Elementwise.Multiply(x, y, d), (x, y, _) => x * y),
            "Divide" => E(2, (x, y, _, d) => Elementwise.Divide(x, y, d), (x, y, _) => x / y),
            "Maximum" => E(2, (x, y, _, d) => Elementwise.Maximum(x, y, d), (x, y, _) => T.Max(x, y)),
            "Minimum" => E(2, (x, y, _, d) => Elementwise.Minimum(x, y, d), (x, y, _) => T.Min(x, y)),
            "Pow" => A(2, (x, y, _, d) => Elementwise.Pow(x, y, d), (x, y, _) => T.Pow(x, y)),
            "MultiplyAdd" => A(3, (x, y, z, d) => Elementwise.MultiplyAdd(x, y, z, d), (x, y, z) => T.FusedMultiplyAdd(x, y, z)),
            "AddScalar" => E(1, (x, _, _, d) => Elementwise.AddScalar(x, s, d), (x, _, _) => x + s),
            "MultiplyScalar" => E(1, (x, _, _, d) => Elementwise.MultiplyScalar(x, s, d), (x, _, _) => x * s),
            "PowScalar" => A(1, (x, _, _, d) => Elementwise.PowScalar(x, hi, d), (x, _, _) => T.Pow(x, hi)),
            "ScalarSubtract" => E(1, (x, _, _, d) => Elementwise.ScalarSubtract(s, x, d), (x, _, _) => s - x),
            "ScalarDivide" => E(1, (x, _, _, d) => Elementwise.ScalarDivide(s, x, d), (x, _, _) => s / x),
            "Axpy" => A(2, (x, y, _, d) => Elementwise.Axpy(a, x, y, d), (x, y, _) => a * x + y),
            "Negate" => E(1, (x, _, _, d) => Elementwise.Negate(x, d), (x, _, _) => -x),
            "Abs" => E(1, (x, _, _, d) => Elementwise.Abs(x, d), (x, _, _) => T.Abs(x)),
            "Exp" => A(1, (x, _, _, d) => Elementwise.Exp(x, d), (x, _, _) => T.Exp(x)),
            "Log" => A(1, (x, _, _, d) => Elementwise.Log(x, d), (x, _, _) => T.Log(x)),
            "Sqrt" => E(1, (x, _, _, d) => Elementwise.Sqrt(x, d), (x, _, _) => T.Sqrt(x)),
            "Tanh" => A(1, (x, _, _, d) => Elementwise.Tanh(x, d), (x, _, _) => T.Tanh(x)),
            "Sigmoid" => A(1, (x, _, _, d) => Elementwise.Sigmoid(x, d), (x, _, _) => one / (one + T.Exp(-x))),
            "Relu" => E(1, (x, _, _, d) => Elementwise.Relu(x, d), (x, _, _) => x > zero ? x : T.IsNaN(x) ? x : zero),
            "ReluBackward" => E(2, (x, g, _, d) => Elementwise.ReluBackward(x, g, d), (x, g, _) => x > zero ? g : zero),
            "Sign" => E(1, (x, _, _, d) => Elementwise.Sign(x, d), (x, _, _) => T.IsNaN(x) || x == zero ? x : x > zero ? one : -one),
            "Step" => E(1, (x, _, _, d) => Elementwise.Step(x, d), (x, _, _) => T.IsNaN(x) ? x : x >= zero ? one : zero),
            "Clamp" => E(1, (x, _, _, d) => Elementwise.Clamp(x, lo, hi, d), (x, _, _) => x < lo ? lo : x > hi ? hi : x),
            "ClampInverted" => E(1, (x, _, _, d) => Elementwise.Clamp(x, hi, lo, d), (x, _, _) => x < hi ? hi : x > lo ? lo : x),
            "LeakyRelu" => E(1, (x, _, _, d) => Elementwise.LeakyRelu(x, slope, d), (x, _, _) => x > zero ? x : slope * x),
            "Select" => E(3, (c, x, y, d) => Elementwise.Select(c, x, y, d), (c, x, y) => c != zero ? x : y),
            "Square" => E(1, (x, _, _, d) => Elementwise.Square(x, d), (x, _, _) => x * x),
            "Reciprocal" => E(1, (x, _, _, d) => Elementwise.Reciprocal(x, d), (x, _, _) => one / x),
            "Fill" => E(0, (_, _, _, d) => Elementwise.Fill(s, d), (_, _, _) => s),
            "SigmoidBackward" => E(2, (y, g, _, d) => Elementwise.SigmoidBackward(y, g, d), (y, g, _) => g * y * (one - y)),
            "TanhBackward" => E(2, (y, g, _, d) => Elementwise.TanhBackward(y, g, d), (y, g, _) => g * (one - y * y)),
            "LeakyReluBackward" => E(2, (x, g, _, d) => Elementwise.LeakyReluBackward(x, g, slope, d), (x, g, _) => x > zero ? g : slope * g),
            "ClampBackward" => E(2, (x, g, _, d) => Elementwise.ClampBackward(x, g, lo, hi, d), (x, g, _) => x >= lo && x <= hi ? g : zero),
            "EluForward" => A(1, (x, _, _, d) => Elementwise.EluForward(x, alpha, d), (x, _, _) => x > zero ? x : alpha * (T.Exp(x) - one)),
            "EluBackward" => A(2, (x, g, _, d) => Elementwise.EluBackward(x, g, alpha, d), (x, g, _) => x > zero ? g : g * alpha * T.Exp(x)),
            "Softplus" => A(1, (x, _, _, d) => Elementwise.Softplus(x, beta, threshold, d), (x, _, _) => SoftplusReference(x, beta, threshold)),
            // Batch norm's fused plane passes round each step on its own, as the composites they replace (no FMA).
            "BatchNormPlane.Apply" => E(1, (x, _, _, d) => BatchNormPlane.Apply(x, a, beta, false, d), (x, _, _) => x * a + beta),
            "BatchNormPlane.ApplyRelu" => E(1, (x, _, _, d) => BatchNormPlane.Apply(x, a, s, true, d), (x, _, _) => ReluReference(x * a + s)),
            "BatchNormPlane.ApplyResidual" => E(2, (x, r, _, d) => BatchNormPlane.ApplyResidual(x, r, a, beta, false, d), (x, r, _) => x * a + beta + r),
            "BatchNormPlane.ApplyResidualRelu" => E(2, (x, r, _, d) => BatchNormPlane.ApplyResidual(x, r, alpha, a, true, d), (x, r, _) => ReluReference(x * alpha + a + r)),
            "BatchNormPlane.InputGradient" => E(2, (x, g, _, d) => BatchNormPlane.InputGradient(x, g, a, slope, beta, d), (x, g, _) => g * a + (x * slope + beta)),
            _ => throw new ArgumentException(name),
        };
    }

    // max(v, 0) with NaN kept and -0 made +0, as ReLU after batch norm has it.
    private static T ReluReference<T>(T v) where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(v) ? v : v > T.Zero ? v : T.Zero;

    // PyTorch's definition, evaluated in double (log(1 + e^z) is accurate enough there for the test inputs' range).
    private static T SoftplusReference<T>(T x, T beta, T threshold) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x * beta > threshold) return x;
        double z = double.CreateTruncating(beta) * double.CreateTruncating(x);
        double r = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
        return T.CreateTruncating(r / double.CreateTruncating(beta));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float_matches_reference_at_every_length_offset_and_alias(string name) => Check<float>(name);

    [Theory]
    [MemberData(nameof(Names))]
    public void Double_matches_reference_at_every_length_offset_and_alias(string name) => Check<double>(name);

    private static void Check<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Case<T> c = Get<T>(name);
        var rng = new Random(name.Length * 7919 + 17);
        const int offsets = 4;
        var src = new T[3][];
        var dstArr = new T[MaxLength + offsets];
        var expected = new T[MaxLength];
        for (int len = 0; len <= MaxLength; len++)
        {
            for (int k = 0; k < 3; k++) src[k] = Inputs<T>(rng, len + offsets, k);
            for (int off = 0; off < offsets; off++)
            {
                for (int i = 0; i < len; i++) expected[i] = c.Reference(src[0][off + i], src[1][off + i], src[2][off + i]);

                // Out of place, destination offset differently from the sources.
                int dOff = (off + 1) % offsets;
                Array.Fill(dstArr, T.CreateTruncating(12345));
                c.Run(src[0].AsSpan(off, len), src[1].AsSpan(off, len), src[2].AsSpan(off, len), dstArr.AsSpan(dOff, len));
                Compare(name, "out of place", len, off, expected, dstArr.AsSpan(dOff, len), c.Ulps);
                if (dstArr.AsSpan(0, dOff).IndexOfAnyExcept(T.CreateTruncating(12345)) >= 0) Assert.Fail($"{name}: wrote before the destination");
                if (dstArr.AsSpan(dOff + len).IndexOfAnyExcept(T.CreateTruncating(12345)) >= 0) Assert.Fail($"{name}: wrote past the destination");

                // In place: the destination is each source in turn.
                for (int alias = 0; alias < c.Arity; alias++)
                {
                    var copies = new T[3][];
                    for (int k = 0; k < 3; k++) copies[k] = (T[])src[k].Clone();
                    Span<T> d = copies[alias].AsSpan(off, len);
                    c.Run(copies[0].AsSpan(off, len), copies[1].AsSpan(off, len), copies[2].AsSpan(off, len), d);
                    Compare(name, $"in place (dst = source {alias})", len, off, expected, d, c.Ulps);
                }
            }
        }
    }

    // Uniform values in [-4, 4] with about a third drawn from a small set (exact ties, zeros of both signs, the
    // kernels' scalar arguments) and specials (NaN, +-inf) at scattered positions that differ per source.
    private static T[] Inputs<T>(Random rng, int length, int source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] picks = [T.Zero, -T.Zero, T.One, -T.One, T.CreateTruncating(0.5), T.CreateTruncating(2.0), T.CreateTruncating(-0.25)];
        T[] specials = [T.NaN, T.PositiveInfinity, T.NegativeInfinity, -T.Zero, T.Zero];
        var v = new T[length];
        for (int i = 0; i < length; i++)
        {
            if ((i * 7 + source * 3) % 23 == 5) v[i] = specials[(i / 23 + source) % specials.Length];
            else if (rng.Next(3) == 0) v[i] = picks[rng.Next(picks.Length)];
            else v[i] = T.CreateTruncating(rng.NextDouble() * 8 - 4);
        }
        return v;
    }

    private static void Compare<T>(string name, string mode, int len, int off, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, int ulps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < len; i++)
        {
            T e = expected[i], a = actual[i];
            bool ok;
            if (T.IsNaN(e) || T.IsNaN(a)) ok = T.IsNaN(e) && T.IsNaN(a);
            else if (ulps == 0) ok = e == a && T.IsNegative(e) == T.IsNegative(a);
            else ok = e == a || T.Abs(e - a) <= T.CreateTruncating(ulps) * (T.BitIncrement(T.One) - T.One) * T.Max(T.Abs(e), T.One);
            if (!ok) Assert.Fail($"{name} {typeof(T).Name} {mode}: length {len}, offset {off}, index {i}: expected {e}, got {a}");
        }
    }

    [Fact]
    public void Partial_overlap_and_length_mismatch_are_rejected()
    {
        var buf = new float[20];
        Assert.Throws<ArgumentException>(() => Elementwise.Relu<float>(buf.AsSpan(0, 10), buf.AsSpan(1, 10)));
        Assert.Throws<ArgumentException>(() => Elementwise.Relu<float>(buf.AsSpan(0, 10), buf.AsSpan(10, 9)));
        Assert.Throws<ArgumentException>(() => Elementwise.ReluBackward<float>(buf.AsSpan(0, 10), buf.AsSpan(10, 9), new float[10]));
        Assert.Throws<ArgumentException>(() => Elementwise.Select<float>(buf.AsSpan(0, 5), buf.AsSpan(5, 5), buf.AsSpan(11, 5), buf.AsSpan(10, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Elementwise.Compare<float>(buf.AsSpan(0, 5), buf.AsSpan(5, 5), (Elementwise.Comparison)99, buf.AsSpan(10, 5)));
    }

    [Fact]
    public void Documented_special_values()
    {
        float[] x = [float.NaN, -0f, 0f, float.NegativeInfinity, float.PositiveInfinity, -2f];
        var d = new float[x.Length];
        Elementwise.Relu<float>(x, d);
        Assert.Equal([float.NaN, 0f, 0f, 0f, float.PositiveInfinity, 0f], d);
        Assert.False(float.IsNegative(d[1]));
        Elementwise.Sign<float>(x, d);
        Assert.Equal([float.NaN, -0f, 0f, -1f, 1f, -1f], d);
        Assert.True(float.IsNegative(d[1]));
        Elementwise.Step<float>(x, d);
        Assert.Equal([float.NaN, 1f, 1f, 0f, 1f, 0f], d);
        Elementwise.Softplus<float>(x, 1f, 20f, d);
        Assert.True(float.IsNaN(d[0]));
        Assert.Equal(MathF.Log(2f), d[1], 6);
        Assert.Equal(0f, d[3]);
        Assert.Equal(float.PositiveInfinity, d[4]);
        Elementwise.EluForward<float>(x, 1f, d);
        Assert.Equal(-1f, d[3]);
    }

    [Fact]
    public void Softplus_is_accurate_far_into_the_negative_tail()
    {
        // log(1 + e^z) / beta with z = -30: naive float evaluation gives 0; the true value is about e^-30 / beta.
        float[] x = [-20f, -15f];
        var d = new float[2];
        Elementwise.Softplus<float>(x, 1.5f, 20f, d);
        for (int i = 0; i < x.Length; i++)
        {
            double want = Math.Exp(1.5 * x[i]) / 1.5;
            Assert.True(Math.Abs(d[i] - want) <= 1e-5 * want, $"softplus({x[i]}) = {d[i]}, want {want}");
        }
    }
}
