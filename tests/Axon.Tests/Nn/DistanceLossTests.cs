using System.Text.Json;
using Axon.IO;
using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>
/// The distances and distance losses (<c>Functional.Distances.cs</c>, <c>DistanceLosses.cs</c>): PyTorch 1.13's values
/// and input gradients for every op and reduction (tests/Fixtures/make_distance_loss_fixtures.py), float64 first and
/// second derivative checks, the VAE's KL against a Monte-Carlo estimate, reprs and the errors.
/// </summary>
public class DistanceLossTests
{
    // ---- PyTorch ----

    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "distance_losses.safetensors");

    public static TheoryData<string> PyTorchCases() => new(
        Safetensors.ReadMetadata(FixtureFile).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal))
            .Select(k => k["case.".Length..]).Order(StringComparer.Ordinal));

    private static Reduction ParseReduction(string r) => r switch
    {
        "none" => Reduction.None,
        "sum" => Reduction.Sum,
        _ => Reduction.Mean,   // "mean" and "batchmean"
    };

    /// <summary>The op of a fixture case, through the module where there is one (which calls the functional form).</summary>
    private static Tensor Call(string op, Dictionary<string, Tensor> t, JsonElement a)
    {
        double D(string name) => a.GetProperty(name).GetDouble();
        bool B(string name) => a.GetProperty(name).GetBoolean();
        Reduction R() => ParseReduction(a.GetProperty("reduction").GetString()!);
        return op switch
        {
            "kl_div" => new KLDivLoss(R(), B("log_target"), a.GetProperty("reduction").GetString() == "batchmean").Forward(t["input"], t["target"]),
            "gaussian_kl" => Functional.GaussianKlStandardNormal(t["mu"], t["logvar"], R()),
            "gaussian_nll" => new GaussianNLLLoss(B("full"), D("eps"), R()).Forward(t["input"], t["target"], t["var"]),
            "cosine_similarity" => new CosineSimilarity(a.GetProperty("dim").GetInt32(), D("eps")).Forward(t["x1"], t["x2"]),
            "pairwise_distance" => new PairwiseDistance(D("p"), D("eps"), B("keepdim")).Forward(t["x1"], t["x2"]),
            "triplet_margin" => new TripletMarginLoss(D("margin"), D("p"), D("eps"), B("swap"), R()).Forward(t["anchor"], t["positive"], t["negative"]),
            "contrastive" => new ContrastiveLoss(D("margin"), D("eps"), R()).Forward(t["x1"], t["x2"], t["target"]),
            "cosine_embedding" => new CosineEmbeddingLoss(D("margin"), R()).Forward(t["x1"], t["x2"], t["target"]),
            "margin_ranking" => new MarginRankingLoss(D("margin"), R()).Forward(t["input1"], t["input2"], t["target"]),
            _ => throw new InvalidOperationException(op),
        };
    }

    /// <summary>PyTorch 1.13's value and the gradient of every differentiable input, seeded with a random upstream gradient.</summary>
    [Theory]
    [MemberData(nameof(PyTorchCases))]
    public void MatchesPyTorch(string name)
    {
        var (tensors, meta) = Fixture.Value;
        Assert.StartsWith("1.13", meta["torch"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var config = doc.RootElement;
        var grads = config.GetProperty("grads").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        var inputs = new Dictionary<string, Tensor>();
        foreach (var input in config.GetProperty("inputs").EnumerateArray().Select(e => e.GetString()!))
        {
            var x = tensors[$"{name}.in.{input}"].Clone();
            inputs[input] = grads.Contains(input) ? x.RequiresGrad_() : x;
        }

        var y = Call(config.GetProperty("op").GetString()!, inputs, config.GetProperty("args"));
        AssertClose(tensors[name + ".output"], y);
        y.Backward(tensors[name + ".upstream"]);
        foreach (var g in grads) AssertClose(tensors[$"{name}.grad.{g}"], inputs[g].Grad!, g);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what = "output")
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        Assert.Equal(DType.Float64, actual.DType);
        double[] e = expected.ToDoubleArray(), a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-10 * (1 + Math.Abs(e[i])), $"{what} element {i}: expected {e[i]:g17}, got {a[i]:g17}");
    }

    [Fact]
    public void TheFixtureCoversEveryOpAndReduction()
    {
        var cases = Safetensors.ReadMetadata(FixtureFile).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal)).Select(k => k["case.".Length..]).ToList();
        foreach (var op in new[] { "kl_div", "gaussian_nll", "triplet_margin", "contrastive", "cosine_embedding", "margin_ranking", "gaussian_kl" })
            foreach (var r in new[] { "none", "mean", "sum" })
                Assert.Contains(cases, c => c.StartsWith($"{op}.{r}", StringComparison.Ordinal));
        Assert.Contains("kl_div.batchmean.prob", cases);
        Assert.Contains("kl_div.batchmean.log", cases);
        Assert.Contains(cases, c => c.StartsWith("cosine_similarity.", StringComparison.Ordinal));
        Assert.Contains(cases, c => c.StartsWith("pairwise_distance.", StringComparison.Ordinal));
    }

    // ---- gradients ----

    [Fact]
    public void KlDivGradientsMatchFiniteDifferences()
    {
        Check((x, t) => Functional.KlDiv(x, t, Reduction.None), Leaf(1, 3, 5), Uniform(2, 0.1, 1, 3, 5));
        Check((x, t) => Functional.KlDiv(x, t, Reduction.Mean, batchMean: true), Leaf(3, 3, 5), Uniform(4, 0.1, 1, 3, 5));
        Check((x, t) => Functional.KlDiv(x, t, Reduction.Sum, logTarget: true), Leaf(5, 3, 5), Leaf(6, 3, 5));
        GradGradCheck(x => Functional.KlDiv(x[0], x[1], Reduction.None), Leaf(7, 2, 3), Uniform(8, 0.1, 1, 2, 3));
        GradGradCheck(x => Functional.KlDiv(x[0], x[1], Reduction.Mean, logTarget: true, batchMean: true), Leaf(9, 2, 3), Leaf(10, 2, 3));
    }

    [Fact]
    public void GaussianGradientsMatchFiniteDifferences()
    {
        Check((mu, logVar) => Functional.GaussianKlStandardNormal(mu, logVar, Reduction.None), Leaf(11, 3, 5), Leaf(12, 3, 5));
        GradGradCheck(x => Functional.GaussianKlStandardNormal(x[0], x[1], Reduction.Mean), Leaf(13, 3, 5), Leaf(14, 3, 5));
        CheckMany(x => Functional.GaussianNllLoss(x[0], x[1], x[2], full: true, reduction: Reduction.None), Leaf(15, 3, 5), Leaf(16, 3, 5), Uniform(17, 0.5, 2, 3, 5));
        CheckMany(x => Functional.GaussianNllLoss(x[0], x[1], x[2]), Leaf(18, 3, 5), Leaf(19, 3, 5), Uniform(20, 0.5, 2, 3));
        GradGradCheck(x => Functional.GaussianNllLoss(x[0], x[1], x[2], reduction: Reduction.Sum), Leaf(21, 3, 5), Leaf(22, 3, 5), Uniform(23, 0.5, 2, 3, 1));
    }

    [Fact]
    public void DistanceGradientsMatchFiniteDifferences()
    {
        Check((a, b) => Functional.CosineSimilarity(a, b), Leaf(31, 3, 5), Leaf(32, 3, 5));
        Check((a, b) => Functional.CosineSimilarity(a, b, dim: 0), Leaf(33, 5, 3), Leaf(34, 5, 1));   // b broadcast along dim 1
        Check((a, b) => Functional.PairwiseDistance(a, b), Leaf(35, 3, 5), Leaf(36, 3, 5));
        Check((a, b) => Functional.PairwiseDistance(a, b, p: 1, keepdim: true), Leaf(37, 3, 5), Leaf(38, 3, 5));
        Check((a, b) => Functional.PairwiseDistance(a, b, p: 3), Leaf(39, 3, 5), Leaf(40, 5));
        GradGradCheck(x => Functional.CosineSimilarity(x[0], x[1]), Leaf(41, 3, 5), Leaf(42, 3, 5));
        GradGradCheck(x => Functional.PairwiseDistance(x[0], x[1], p: 1.5), Leaf(43, 3, 5), Leaf(44, 3, 5));
    }

    [Fact]
    public void PairLossGradientsMatchFiniteDifferences()
    {
        var labels01 = Tensor.FromArray(new double[] { 1, 0, 0, 1, 0 });
        var labelsPm = Tensor.FromArray(new double[] { 1, -1, -1, 1, -1 });
        CheckMany(x => Functional.TripletMarginLoss(x[0], x[1], x[2], reduction: Reduction.None), Leaf(51, 5, 3), Leaf(52, 5, 3), Leaf(53, 5, 3));
        CheckMany(x => Functional.TripletMarginLoss(x[0], x[1], x[2], margin: 2, p: 3, swap: true), Leaf(54, 5, 3), Leaf(55, 5, 3), Leaf(56, 5, 3));
        Check((a, b) => Functional.ContrastiveLoss(a, b, labels01, margin: 3, reduction: Reduction.None), Leaf(57, 5, 3), Leaf(58, 5, 3));
        Check((a, b) => Functional.CosineEmbeddingLoss(a, b, labelsPm, margin: -0.5, reduction: Reduction.None), Leaf(59, 5, 3), Leaf(60, 5, 3));
        Check((a, b) => Functional.MarginRankingLoss(a, b, labelsPm, margin: 0.5, reduction: Reduction.None), Leaf(61, 5), Leaf(62, 5));
        GradGradCheck(x => Functional.TripletMarginLoss(x[0], x[1], x[2], swap: true, reduction: Reduction.None), Leaf(63, 5, 3), Leaf(64, 5, 3), Leaf(65, 5, 3));
        GradGradCheck(x => Functional.ContrastiveLoss(x[0], x[1], labels01, margin: 3), Leaf(66, 5, 3), Leaf(67, 5, 3));
        GradGradCheck(x => Functional.CosineEmbeddingLoss(x[0], x[1], labelsPm, margin: -0.5), Leaf(68, 5, 3), Leaf(69, 5, 3));
    }

    // ---- values ----

    [Fact]
    public void GaussianKlHasItsClosedFormAndAgreesWithAMonteCarloEstimate()
    {
        // mu = (0.5, -1), variances (1, 4): KL = -0.5 ((1 + 0 - 0.25 - 1) + (1 + ln 4 - 1 - 4)) = 0.5 (4.25 - ln 4).
        var mu = Tensor.FromArray(new double[] { 0.5, -1 });
        var logVar = Tensor.FromArray(new double[] { 0, Math.Log(4) });
        double kl = Functional.GaussianKlStandardNormal(mu, logVar).Item();
        Assert.Equal(0.5 * (4.25 - Math.Log(4)), kl, 12);

        // E_q[log q(z) - log p(z)] over z ~ N(mu, sigma^2), 400k draws: within four standard errors.
        const int n = 200_000;
        var eps = Tensor.Randn([n, 2], new Generator(77), DType.Float64);
        var sigma = (logVar * 0.5).Exp();
        var z = mu + eps * sigma;
        var logRatio = (-(logVar * 0.5) - eps.Square() * 0.5 + z.Square() * 0.5).Sum(1).ToDoubleArray();
        double mean = logRatio.Average();
        double se = Math.Sqrt(logRatio.Select(v => (v - mean) * (v - mean)).Sum() / (n - 1) / n);
        Assert.True(Math.Abs(mean - kl) < 4 * se, $"Monte-Carlo KL {mean} +- {se}, closed form {kl}");
        Assert.True(se < 0.01, $"standard error {se}");
    }

    [Fact]
    public void SmallExamplesHaveTheirTextbookValues()
    {
        var a = Tensor.FromArray(new double[] { 1, 0, 0, 0 }, [2, 2]);
        var b = Tensor.FromArray(new double[] { 1, 1, 3, 4 }, [2, 2]);
        var cos = Functional.CosineSimilarity(a, b).ToDoubleArray();
        Assert.Equal(Math.Sqrt(0.5), cos[0], 15);
        Assert.Equal(0, cos[1]);
        Assert.Equal(new double[] { 1, 5 }, Functional.PairwiseDistance(a, b, eps: 0).ToDoubleArray());
        Assert.Equal(new double[] { 1, 7 }, Functional.PairwiseDistance(a, b, p: 1, eps: 0).ToDoubleArray());
        // Similar pair at d = 1 costs 0.5; dissimilar at d = 5 with margin 2 costs nothing.
        Assert.Equal(new[] { 0.5, 0 }, Functional.ContrastiveLoss(a, b, Tensor.FromArray(new double[] { 1, 0 }), margin: 2, eps: 0, reduction: Reduction.None).ToDoubleArray());
        // KL(p || p) = 0; batchmean divides the sum by the batch size 2, mean by the 4 elements.
        var p = Tensor.FromArray(new double[] { 0.25, 0.75, 0.5, 0.5 }, [2, 2]);
        var q = Tensor.FromArray(new double[] { 0.5, 0.5, 0.5, 0.5 }, [2, 2]);
        Assert.Equal(0, Functional.KlDiv(p.Log(), p, Reduction.Sum).Item(), 15);
        double sum = 0.25 * Math.Log(0.5) + 0.75 * Math.Log(1.5);
        Assert.Equal(sum / 2, Functional.KlDiv(q.Log(), p, Reduction.Mean, batchMean: true).Item(), 15);
        Assert.Equal(sum / 4, Functional.KlDiv(q.Log(), p).Item(), 15);
    }

    // ---- modules and errors ----

    [Fact]
    public void ModulesPrintAsPyTorchAndHaveNoState()
    {
        Assert.Equal("CosineSimilarity()", new CosineSimilarity().ToString());
        Assert.Equal("PairwiseDistance()", new PairwiseDistance(p: 3).ToString());
        Assert.Empty(new PairwiseDistance().StateDict());
        Assert.Equal("KLDivLoss()", new KLDivLoss(batchMean: true).ToString());
        Assert.Equal("GaussianNLLLoss()", new GaussianNLLLoss().ToString());
        Assert.Equal("TripletMarginLoss()", new TripletMarginLoss(swap: true).ToString());
        Assert.Equal("CosineEmbeddingLoss()", new CosineEmbeddingLoss().ToString());
        Assert.Equal("MarginRankingLoss()", new MarginRankingLoss().ToString());
        Assert.Equal("ContrastiveLoss()", new ContrastiveLoss().ToString());
        var m = new CosineSimilarity(dim: 0, eps: 0.5);
        Assert.Equal((0, 0.5), (m.Dim, m.Eps));
    }

    [Fact]
    public void MismatchedShapesNameTheLossAndBothShapes()
    {
        Tensor T(params int[] shape) => Tensor.Zeros(shape, DType.Float64);
        void Expect(Action call, params string[] parts)
        {
            var ex = Assert.ThrowsAny<ArgumentException>(call);
            foreach (var part in parts) Assert.Contains(part, ex.Message, StringComparison.Ordinal);
        }

        Expect(() => Functional.KlDiv(T(2, 3), T(3, 2)), "KlDiv", "[2, 3]", "[3, 2]");
        Expect(() => _ = new KLDivLoss(Reduction.Sum, batchMean: true), "KLDivLoss", "batchMean", "Sum");
        Expect(() => Functional.GaussianKlStandardNormal(T(2, 3), T(2, 4)), "GaussianKlStandardNormal", "[2, 3]", "[2, 4]");
        Expect(() => Functional.GaussianNllLoss(T(2, 3), T(2, 3), T(4)), "GaussianNllLoss", "[4]", "[2, 3]");
        Expect(() => Functional.GaussianNllLoss(T(2, 3), T(3, 2), T(2, 3)), "GaussianNllLoss", "[2, 3]", "[3, 2]");
        Expect(() => Functional.GaussianNllLoss(T(2), T(2), Tensor.FromArray(new double[] { 1, -1 })), "GaussianNllLoss", "negative");
        Expect(() => Functional.CosineSimilarity(T(2, 3), T(2, 4)), "CosineSimilarity", "[2, 3]", "[2, 4]");
        Expect(() => Functional.PairwiseDistance(T(2, 3), T(2, 4)), "PairwiseDistance", "[2, 3]", "[2, 4]");
        Expect(() => Functional.PairwiseDistance(T(2, 3), T(2, 3), p: 0), "PairwiseDistance", "p must be positive");
        Expect(() => Functional.TripletMarginLoss(T(2, 3), T(2, 3), T(3, 3)), "TripletMarginLoss", "[2, 3]", "[3, 3]");
        Expect(() => Functional.ContrastiveLoss(T(2, 3), T(2, 5), T(2)), "ContrastiveLoss", "[2, 3]", "[2, 5]");
        Expect(() => Functional.ContrastiveLoss(T(2, 3), T(2, 3), T(3)), "ContrastiveLoss", "target shape [3]", "[2]");
        Expect(() => Functional.CosineEmbeddingLoss(T(4, 3), T(4, 3), T(4, 1)), "CosineEmbeddingLoss", "[4, 1]", "[4]");
        Expect(() => Functional.MarginRankingLoss(T(4), T(5), T(4)), "MarginRankingLoss", "[4]", "[5]");
    }
}
