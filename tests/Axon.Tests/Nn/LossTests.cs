using System.Text.Json;
using Axon.Backends;
using Axon.IO;
using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

public class LossTests
{
    private static readonly double[] Logits = [1.0, -2.0, 0.5, 3.0, 0.1, -0.3, 2.0, 2.0, -1.0];  // [3, 3]
    private static readonly long[] Labels = [2, 0, 1];

    private static double LogSumExp(ReadOnlySpan<double> row)
    {
        double m = double.NegativeInfinity;
        foreach (double v in row) m = Math.Max(m, v);
        double s = 0;
        foreach (double v in row) s += Math.Exp(v - m);
        return m + Math.Log(s);
    }

    [Fact]
    public void CrossEntropyWithIndicesEqualsTheFormula()
    {
        double expected = 0;
        for (int i = 0; i < 3; i++) expected += LogSumExp(Logits.AsSpan(i * 3, 3)) - Logits[i * 3 + Labels[i]];
        var loss = new CrossEntropyLoss().Forward(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels));
        Assert.Equal(expected / 3, loss.Item(), 12);
        Assert.Equal(expected, Functional.CrossEntropy(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels), reduction: Reduction.Sum).Item(), 12);
    }

    [Fact]
    public void CrossEntropyWithProbabilitiesEqualsOneHotIndices()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        var t = Tensor.FromArray(Labels);
        Assert.Equal(Functional.CrossEntropy(x, t).Item(), Functional.CrossEntropy(x, t.OneHot(3, DType.Float64)).Item(), 12);
    }

    [Fact]
    public void CrossEntropyClassWeightsUseAWeightedMean()
    {
        var w = Tensor.FromArray(new double[] { 0.5, 2, 1 });
        double num = 0, den = 0;
        for (int i = 0; i < 3; i++)
        {
            double wi = w.ToDoubleArray()[Labels[i]];
            num += wi * (LogSumExp(Logits.AsSpan(i * 3, 3)) - Logits[i * 3 + Labels[i]]);
            den += wi;
        }
        Assert.Equal(num / den, new CrossEntropyLoss(w).Forward(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels)).Item(), 12);
    }

    [Fact]
    public void LabelSmoothingMixesInTheUniformDistribution()
    {
        double eps = 0.1, expected = 0;
        for (int i = 0; i < 3; i++)
        {
            double lse = LogSumExp(Logits.AsSpan(i * 3, 3));
            for (int k = 0; k < 3; k++) expected -= ((k == Labels[i] ? 1 - eps : 0) + eps / 3) * (Logits[i * 3 + k] - lse);
        }
        Assert.Equal(expected / 3, new CrossEntropyLoss(labelSmoothing: eps).Forward(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels)).Item(), 12);
    }

    [Fact]
    public void NllOfLogSoftmaxIsCrossEntropy()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        var t = Tensor.FromArray(Labels);
        Assert.Equal(Functional.CrossEntropy(x, t).Item(), new NLLLoss().Forward(x.LogSoftmax(1), t).Item(), 12);
    }

    [Fact]
    public void ClassTargetsAreValidated()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 3, 1 })));
        Assert.Contains("target 3 is out of bounds for 3 classes", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 1 })));
    }

    public static TheoryData<Reduction, bool> ReductionsAndWeights() => new()
    {
        { Reduction.Mean, false }, { Reduction.Sum, false }, { Reduction.None, false },
        { Reduction.Mean, true }, { Reduction.Sum, true }, { Reduction.None, true },
    };

    private static readonly (int N, int C)[] OddSizes = [(1, 2), (1, 5), (1, 11), (3, 2), (3, 5), (3, 11), (7, 2), (7, 5), (7, 11)];

    private static Tensor Targets(int n, int c, int seed) => Tensor.Randint(0, c, [n], new Generator(seed));

    /// <summary>Class weights 0.5, 0.75, ... (distinct, so a wrong class or a wrong normaliser shows).</summary>
    private static Tensor ClassWeights(int c, DType dtype) => Tensor.FromArray(Enumerable.Range(0, c).Select(k => 0.5 + 0.25 * k).ToArray()).To(dtype);

    [Theory]
    [MemberData(nameof(ReductionsAndWeights))]
    public void FusedCrossEntropyHasCorrectGradients(Reduction reduction, bool weighted)
    {
        foreach (var (n, c) in OddSizes)
        {
            var t = Targets(n, c, 10 * n + c);
            var w = weighted ? ClassWeights(c, DType.Float64) : null;
            var x = Leaf(n * 100 + c, n, c);
            // The fused op is what runs: one node, whose inputs are the logits, the targets and the weights, in that order.
            var loss = Functional.CrossEntropy(x, t, w, reduction);
            Assert.Equal("CrossEntropy", loss.GradFn!.Name);
            Assert.Equal(weighted ? 3 : 2, loss.GradFn.Inputs.Count);
            Assert.Same(x, loss.GradFn.Inputs[0]);
            Assert.Same(t, loss.GradFn.Inputs[1]);
            if (weighted) Assert.Same(w, loss.GradFn.Inputs[2]);
            Assert.Equal(reduction.ToString(), loss.GradFn.Attributes.Get<Reduction>("reduction").ToString());
            Check(z => Functional.CrossEntropy(z, t, w, reduction), x);
        }
        // Non-contiguous logits (a transposed view, and every other element) take the same path.
        var t3 = Targets(3, 5, 1);
        var w3 = weighted ? ClassWeights(5, DType.Float64) : null;
        Check(z => Functional.CrossEntropy(z, t3, w3, reduction), NonContiguous(7, 3, 5));
        Check(z => Functional.CrossEntropy(z, t3, w3, reduction), Strided(8, 3, 5));
    }

    [Theory]
    [MemberData(nameof(ReductionsAndWeights))]
    public void FusedCrossEntropyEqualsLogSoftmaxThenNllLoss(Reduction reduction, bool weighted)
    {
        foreach (var (dtype, tol) in new[] { (DType.Float32, 1e-6), (DType.Float64, 1e-12) })
            foreach (var (n, c) in OddSizes.Append((64, 10)))
            {
                var t = Targets(n, c, n + 7 * c);
                var w = weighted ? ClassWeights(c, dtype) : null;
                // Spread-out logits, so that the softmax is far from uniform.
                var x = (Tensor.Randn([n, c], new Generator(n * 31 + c), dtype) * 4.0).Detach().RequiresGrad_();
                var fused = Functional.CrossEntropy(x, t, w, reduction);
                Assert.Equal("CrossEntropy", fused.GradFn!.Name);
                var composite = Functional.NllLoss(x.LogSoftmax(1), t, w, reduction);
                Assert.Equal(dtype, fused.DType);
                Assert.Equal(composite.GetShape(), fused.GetShape());
                AssertClose(composite.ToDoubleArray(), fused.ToDoubleArray(), tol, $"{dtype.TorchName()} [{n}, {c}] loss");

                // And the same gradient, seeded with a non-trivial output gradient.
                var seed = Tensor.Randn(fused.GetShape(), new Generator(3), dtype);
                x.Grad = null;
                fused.Backward(seed);
                var gf = x.Grad!.ToDoubleArray();
                x.Grad = null;
                composite.Backward(seed);
                AssertClose(x.Grad!.ToDoubleArray(), gf, tol, $"{dtype.TorchName()} [{n}, {c}] gradient");
            }
    }

    /// <summary>|a - e| &lt;= tol * max(|e|, max |e| / 16) element-wise: relative, with a floor so that tiny gradient entries need not match to the last bit.</summary>
    private static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double floor = expected.Select(Math.Abs).DefaultIfEmpty(0).Max() / 16;
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tol * Math.Max(Math.Abs(expected[i]), floor)))
                Assert.Fail($"{what}[{i}]: fused {actual[i]:R}, composite {expected[i]:R}.");
    }

    [Fact]
    public void FusedCrossEntropyIsStableAndMasksNegativeInfinity()
    {
        // Large logits: no overflow; a class at -inf gets probability 0 and gradient 0.
        var x = Tensor.FromArray(new double[] { 1000, 999, double.NegativeInfinity, -1000, -1001, 0 }, 2, 3).RequiresGrad_();
        var t = Tensor.FromArray(new long[] { 1, 0 });
        var loss = Functional.CrossEntropy(x, t, reduction: Reduction.None);
        double lse0 = 1000 + Math.Log(1 + Math.Exp(-1)), lse1 = Math.Log(Math.Exp(-1000) + Math.Exp(-1001) + 1);
        Assert.Equal(lse0 - 999, loss.GetDouble(0), 12);
        Assert.Equal(lse1 + 1000, loss.GetDouble(1), 12);
        loss.Sum().Backward();
        Assert.Equal(0.0, x.Grad!.GetDouble(0, 2));
        Assert.Equal(1 / (1 + Math.Exp(-1)), x.Grad.GetDouble(0, 0), 12);
        Assert.All(x.Grad.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
        // A +inf or NaN logit gives what the composite gives (NaN or inf).
        foreach (double bad in new[] { double.PositiveInfinity, double.NaN })
            for (long k = 0; k < 2; k++)
            {
                var xb = Tensor.FromArray(new double[] { bad, 0 }, 1, 2);
                var tb = Tensor.FromArray(new long[] { k });
                double fused = Functional.CrossEntropy(xb, tb).Item(), composite = Functional.NllLoss(xb.LogSoftmax(1), tb).Item();
                Assert.False(double.IsFinite(fused));
                Assert.Equal(composite, fused);
            }
    }

    [Fact]
    public void FusedCrossEntropyRejectsTargetsWithTheCompositesMessages()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        foreach (var bad in new[] { new long[] { 0, 3, 1 }, [0, -1, 1], [0, 1] })
        {
            var target = Tensor.FromArray(bad);
            var fused = Record.Exception(() => Functional.CrossEntropy(x, target));
            var composite = Record.Exception(() => Functional.NllLoss(x.LogSoftmax(1), target));
            Assert.NotNull(fused);
            Assert.Equal(composite!.GetType(), fused.GetType());
            Assert.Equal(composite.Message, fused.Message);
        }
        var twoD = Tensor.FromArray(new long[] { 0, 1, 2 }, 3, 1);
        Assert.Equal(Record.Exception(() => Functional.NllLoss(x.LogSoftmax(1), twoD))!.Message, Record.Exception(() => Functional.CrossEntropy(x, twoD))!.Message);
    }

    [Fact]
    public void CrossEntropyFallsBackWhereItCannotFuse()
    {
        var t = Tensor.FromArray(new long[] { 2, 0, 1, 1 });
        // Class weights that require grad get their gradient through the composite.
        var x = Leaf(11, 4, 3);
        var w = Uniform(12, 0.5, 2, 3);
        Assert.NotEqual("CrossEntropy", Functional.CrossEntropy(x, t, w).GradFn!.Name);
        CheckMany(xs => Functional.CrossEntropy(xs[0], t, xs[1]), x, w);
        // Float32 weights on float64 logits (promotion), label smoothing, and an empty batch.
        var w32 = Tensor.FromArray(new float[] { 0.5f, 2, 1 });
        var mixed = Functional.CrossEntropy(x, t, w32);
        Assert.NotEqual("CrossEntropy", mixed.GradFn!.Name);
        Assert.Equal(Functional.CrossEntropy(x, t, w32.To(DType.Float64)).Item(), mixed.Item(), 12);
        Assert.NotEqual("CrossEntropy", Functional.CrossEntropy(x, t, labelSmoothing: 0.1).GradFn!.Name);
        Assert.True(double.IsNaN(Functional.CrossEntropy(Tensor.Zeros([0, 3]), Tensor.FromArray(Array.Empty<long>())).Item()));
    }

    /// <summary>
    /// PyTorch 1.13's cross_entropy (tests/Fixtures/make_cross_entropy_fixture.py): float64 logits, class-index and
    /// probability targets, with and without class weights, label smoothing 0, 0.1 and 0.3, each reduction.
    /// </summary>
    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> CrossEntropyFixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile("cross_entropy.safetensors"));
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static TheoryData<string> CrossEntropyCases() => new(
        Safetensors.ReadMetadata(FixtureFile("cross_entropy.safetensors")).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal))
            .Select(k => k["case.".Length..]).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropyMatchesPyTorch(string name)
    {
        var (tensors, meta) = CrossEntropyFixture.Value;
        Assert.StartsWith("1.13", meta["torch"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var config = doc.RootElement;
        var reduction = config.GetProperty("reduction").GetString() switch
        {
            "mean" => Reduction.Mean,
            "sum" => Reduction.Sum,
            _ => Reduction.None,
        };
        double eps = config.GetProperty("label_smoothing").GetDouble();
        var x = tensors[name + ".input"].Detach().RequiresGrad_();
        var target = tensors[name + ".target"];
        var weight = config.GetProperty("weighted").GetBoolean() ? tensors[name + ".weight"] : null;
        var expectedLoss = tensors[name + ".loss"];

        var loss = Functional.CrossEntropy(x, target, weight, reduction, eps);
        Assert.Equal(DType.Float64, loss.DType);
        Assert.Equal(expectedLoss.GetShape(), loss.GetShape());
        AssertMatchesPyTorch(expectedLoss.ToDoubleArray(), loss.ToDoubleArray(), $"{name} loss");
        loss.Backward(tensors[name + ".upstream"]);
        AssertMatchesPyTorch(tensors[name + ".grad"].ToDoubleArray(), x.Grad!.ToDoubleArray(), $"{name} gradient");
    }

    /// <summary>|a - e| &lt;= 1e-12 max(1, |e|): float64 rounding over a handful of classes and samples, far below any wrong normaliser.</summary>
    private static void AssertMatchesPyTorch(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i]))))
                Assert.Fail($"{what}[{i}]: Axon {actual[i]:R}, PyTorch {expected[i]:R}.");
    }

    [Fact]
    public void MseAndBinaryCrossEntropies()
    {
        var p = Tensor.FromArray(new double[] { 0.9, 0.2, 0.6 });
        var t = Tensor.FromArray(new double[] { 1, 0, 0 });
        Assert.Equal((0.01 + 0.04 + 0.36) / 3, new MSELoss().Forward(p, t).Item(), 12);
        double bce = -(Math.Log(0.9) + Math.Log(0.8) + Math.Log(0.4)) / 3;
        Assert.Equal(bce, new BCELoss().Forward(p, t).Item(), 12);
        var logits = Tensor.FromArray(new double[] { 2.0, -1.0, 0.5 });
        var probs = logits.Sigmoid();
        Assert.Equal(new BCELoss().Forward(probs, t).Item(), new BCEWithLogitsLoss().Forward(logits, t).Item(), 12);
        // Stable for large logits where the sigmoid saturates.
        var big = new BCEWithLogitsLoss(Reduction.None).Forward(Tensor.FromArray(new double[] { 800, -800 }), Tensor.FromArray(new double[] { 0, 1 })).ToDoubleArray();
        Assert.Equal(new double[] { 800, 800 }, big);
        // Saturated probabilities give finite losses (logs clamped at -100).
        Assert.Equal(100, new BCELoss().Forward(Tensor.FromArray(new double[] { 0 }), Tensor.FromArray(new double[] { 1 })).Item(), 9);
        var pw = new BCEWithLogitsLoss(posWeight: Tensor.FromArray(new double[] { 3 })).Forward(logits, t).Item();
        double expected = (3 * Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(-1)) + Math.Log(1 + Math.Exp(0.5))) / 3;
        Assert.Equal(expected, pw, 12);
    }

    [Fact]
    public void MultilabelCrossEntropyAveragesBinaryCrossEntropyOverLabels()
    {
        var x = Tensor.FromArray(new double[] { 1, -1, 2, 0.5 }, 2, 2);
        var t = Tensor.FromArray(new double[] { 1, 0, 0, 1 }, 2, 2);
        double Bce(double z, double y) => -(y * Math.Log(1 / (1 + Math.Exp(-z))) + (1 - y) * Math.Log(1 - 1 / (1 + Math.Exp(-z))));
        double expected = ((Bce(1, 1) + Bce(-1, 0)) / 2 + (Bce(2, 0) + Bce(0.5, 1)) / 2) / 2;
        Assert.Equal(expected, new MultiLabelSoftMarginLoss().Forward(x, t).Item(), 12);
    }

    [Fact]
    public void HingeMultiMarginAndPerceptronCriteria()
    {
        var f = Tensor.FromArray(new double[] { 2, 0.5, -0.3 });
        var y = Tensor.FromArray(new double[] { 1, 1, -1 });
        Assert.Equal((0 + 0.5 + 0.7) / 3, new HingeLoss().Forward(f, y).Item(), 12);
        Assert.Equal(0, new PerceptronLoss().Forward(f, y).Item(), 12);
        Assert.Equal(0.3, new PerceptronLoss(Reduction.Sum).Forward(f, Tensor.FromArray(new double[] { 1, 1, 1 })).Item(), 12);
        // Multiclass: row [1, -2, 0.5] label 2: max(0, 1 - 0.5 + 1) + max(0, 1 - 0.5 - 2) = 1.5 -> / 3.
        var x = Tensor.FromArray(Logits, 3, 3);
        double expected = 0;
        for (int i = 0; i < 3; i++)
        {
            double s = 0;
            for (int j = 0; j < 3; j++) if (j != Labels[i]) s += Math.Max(0, 1 - Logits[i * 3 + Labels[i]] + Logits[i * 3 + j]);
            expected += s / 3;
        }
        Assert.Equal(expected / 3, new MultiMarginLoss().Forward(x, Tensor.FromArray(Labels)).Item(), 12);
    }

    [Fact]
    public void LossReprsAndShapeErrors()
    {
        Assert.Equal("CrossEntropyLoss()", new CrossEntropyLoss().ToString());
        Assert.Equal("HingeLoss(margin=1)", new HingeLoss().ToString());
        var ex = Assert.Throws<ArgumentException>(() => new MSELoss().Forward(Tensor.Zeros([3]), Tensor.Zeros([4])));
        Assert.Contains("MseLoss: input shape [3] and target shape [4] must match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccuracyCountsArgMaxHits()
    {
        Assert.Equal(1.0 / 3, Functional.Accuracy(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels)), 12);
    }
}
