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
}
