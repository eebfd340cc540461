using System.Text.Json;
using Axon.IO;
using Axon.Nn;
using Axon.Tracing;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>
/// The embedding op (<see cref="Tensor.Embedding"/>) and layer (<see cref="Embedding"/>): float64 gradient checks,
/// PyTorch 1.13's F.embedding on fixed tables (plain, padding_idx, max_norm), accumulation, the errors, and a backward
/// that writes only the looked-up rows of an existing gradient, with no [V, D] temporary.
/// </summary>
public class EmbeddingTests
{
    private static Tensor Idx(long[] values, params int[] shape) => Tensor.FromArray(values, shape);

    // ---- gradients ----

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        var idx = Idx([4, 0, 2, 4, 4, 1], 2, 3);   // row 3 never looked up, row 4 three times
        Check(w => Tensor.Embedding(idx, w), Leaf(1, 5, 3));
        // Through a non-leaf table (the engine's ordinary path, a fresh [V, D] gradient).
        Check(w => Tensor.Embedding(idx, w * 1.5).Tanh(), Leaf(2, 5, 3));
    }

    [Fact]
    public void SecondDerivativeMatchesFiniteDifferences()
    {
        var idx = Idx([1, 3, 1, 0], 4);
        GradGradCheck(x => Tensor.Embedding(idx, x[0]).Square(), Leaf(3, 4, 2));
        GradGradCheck(x => Tensor.Embedding(idx, x[0], paddingIdx: 1).Square(), Leaf(4, 4, 2));
    }

    [Fact]
    public void PaddingRowGetsNoGradientAndOthersTheirSums()
    {
        var w = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [3, 2]).RequiresGrad_();
        var idx = Idx([2, 0, 2, 1, 2], 5);
        var y = Tensor.Embedding(idx, w, paddingIdx: 0);
        Assert.Equal(new double[] { 5, 6, 1, 2, 5, 6, 3, 4, 5, 6 }, y.ToDoubleArray());   // the padding row is still looked up
        (y * Tensor.FromArray(new double[] { 1, 10, 100, 1000, 2, 20, 3, 30, 4, 40 }, [5, 2])).Sum().Backward();
        // Row 0 (padding) nothing; row 1 once; row 2 three times: (1 + 2 + 4, 10 + 20 + 40).
        Assert.Equal(new double[] { 0, 0, 3, 30, 7, 70 }, w.Grad!.ToDoubleArray());
    }

    [Fact]
    public void RepeatedIndicesSumTheirGradients()
    {
        var w = Tensor.Zeros([4, 3]).RequiresGrad_();
        var idx = Idx([1, 1, 3, 1], 2, 2);
        Tensor.Embedding(idx, w).Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0, 3, 3, 3, 0, 0, 0, 1, 1, 1 }, w.Grad!.ToDoubleArray());
    }

    [Fact]
    public void EmptyAndScalarIndices()
    {
        var w = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]).RequiresGrad_();
        var none = Tensor.Embedding(Tensor.Zeros([2, 0], DType.Int64), w);
        Assert.Equal([2, 0, 2], none.GetShape());
        none.Sum().Backward();
        Assert.Equal(new double[6], w.Grad!.ToDoubleArray());
        var one = Tensor.Embedding(Tensor.Scalar(2, DType.Int64), w);
        Assert.Equal([2], one.GetShape());
        Assert.Equal(new double[] { 5, 6 }, one.ToDoubleArray());
    }

    [Fact]
    public void TwoBackwardPassesAccumulateTheSum()
    {
        var w = Tensor.Randn([6, 2], new Generator(5)).RequiresGrad_();
        var idx = Idx([5, 2, 5], 3);
        var up = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        (Tensor.Embedding(idx, w) * up).Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 6, 8 }, w.Grad!.ToDoubleArray());
        var first = w.Grad;
        (Tensor.Embedding(Idx([2, 0], 2), w) * 0.5).Sum().Backward();
        Assert.Same(first, w.Grad);   // added in place into the existing gradient
        Assert.Equal(new double[] { 0.5, 0.5, 0, 0, 3.5, 4.5, 0, 0, 0, 0, 6, 8 }, w.Grad!.ToDoubleArray());
    }

    [Fact]
    public void BackwardWritesOnlyTheTouchedRowsOfAnExistingGradient()
    {
        var w = Tensor.Randn([6, 3], new Generator(6)).RequiresGrad_();
        w.Grad = Tensor.Full([6, 3], 7.0f);
        w.Grad.Select(0, 4).Fill(float.NaN);   // sentinels in an untouched row and in the padding row
        w.Grad.Select(0, 0).Fill(-123.5f);
        Tensor.Embedding(Idx([1, 0, 5, 1, 0], 5), w, paddingIdx: 0).Sum().Backward();
        var g = w.Grad.ToDoubleArray();
        Assert.Equal(new double[] { -123.5, -123.5, -123.5, 9, 9, 9, 7, 7, 7, 7, 7, 7 }, g[..12]);
        Assert.All(g[12..15], v => Assert.True(double.IsNaN(v)));
        Assert.Equal(new double[] { 8, 8, 8 }, g[15..]);
    }

    [Fact]
    public void LargeVocabularyBackwardAllocatesNoTableSizedTemporary()
    {
        const int V = 200_000, D = 64;
        var w = Tensor.Zeros([V, D]).RequiresGrad_();
        var idx = Tensor.Randint(0, V, [32], new Generator(7));
        idx.SetDouble(12345, 3);
        idx.SetDouble(12345, 9);   // one row twice
        Tensor.Embedding(idx, w).Sum().Backward();   // the first pass makes the [V, D] gradient
        var grad = w.Grad!;
        var y = Tensor.Embedding(idx, w).Sum();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        y.Backward();
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(grad, w.Grad);
        Assert.True(allocated < V * D * 4 / 100, $"the second backward allocated {allocated} bytes");
        Assert.True(clock.ElapsedMilliseconds < 1000, $"the second backward took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(4.0, grad.GetDouble(12345, 0));   // looked up twice, in two passes
        Assert.Equal(32 * D * 2.0, grad.Sum().Item(), 6);
    }

    // ---- PyTorch ----

    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile);
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile => Path.Combine(AppContext.BaseDirectory, "Fixtures", "embedding.safetensors");

    public static TheoryData<string> PyTorchCases() => new(
        Safetensors.ReadMetadata(FixtureFile).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal))
            .Select(k => k["case.".Length..]).Order(StringComparer.Ordinal));

    /// <summary>PyTorch 1.13's F.embedding (tests/Fixtures/make_embedding_fixture.py): output, weight gradient, table after.</summary>
    [Theory]
    [MemberData(nameof(PyTorchCases))]
    public void MatchesPyTorch(string name)
    {
        var (tensors, meta) = Fixture.Value;
        Assert.StartsWith("1.13", meta["torch"], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(meta["case." + name]);
        var config = doc.RootElement;
        int? paddingIdx = config.GetProperty("padding_idx").ValueKind == JsonValueKind.Null ? null : config.GetProperty("padding_idx").GetInt32();
        double? maxNorm = config.GetProperty("max_norm").ValueKind == JsonValueKind.Null ? null : config.GetProperty("max_norm").GetDouble();
        double normType = config.GetProperty("norm_type").GetDouble();

        var w = tensors[name + ".weight"].Clone().RequiresGrad_();
        var indices = tensors[name + ".indices"];
        Assert.Equal([3, 5], indices.GetShape());
        var y = Tensor.Embedding(indices, w, paddingIdx, maxNorm, normType);
        Assert.Equal([3, 5, 4], y.GetShape());
        y.Backward(tensors[name + ".upstream"]);

        AssertClose(tensors[name + ".output"], y, 1e-6);
        AssertClose(tensors[name + ".grad"], w.Grad!, 1e-6);
        AssertClose(tensors[name + ".weight_after"], w, 1e-6);
        bool renormed = !tensors[name + ".weight"].ToDoubleArray().SequenceEqual(tensors[name + ".weight_after"].ToDoubleArray());
        Assert.Equal(maxNorm is not null, renormed);   // the max_norm cases do rescale some rows
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        Assert.Equal(expected.DType, actual.DType);
        double[] e = expected.ToDoubleArray(), a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void MaxNormRescalesEachLookedUpRowOnceInPlace()
    {
        // Row norms 5, 0.5, 10, 13 (3-4-5 and 5-12-13 triangles); max norm 2; row 2 looked up three times, row 3 never.
        var w = Tensor.FromArray(new double[] { 3, 4, 0.3, 0.4, 6, 8, 5, 12 }, [4, 2]).RequiresGrad_();
        var y = Tensor.Embedding(Idx([2, 0, 2, 1, 2], 5), w, maxNorm: 2);
        double s5 = 2 / (5 + 1e-7), s10 = 2 / (10 + 1e-7);
        var expected = new[] { 3 * s5, 4 * s5, 0.3, 0.4, 6 * s10, 8 * s10, 5, 12 };
        var after = w.ToDoubleArray();
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], after[i], 14);
        Assert.Equal(6 * s10, y.GetDouble(0, 0), 14);
        Assert.Equal(6 * s10, y.GetDouble(4, 0), 14);
        Assert.True(w.IsLeaf);   // the rescaling is not recorded
        // The infinity norm: row 3's largest entry 12 -> 2.
        Tensor.Embedding(Idx([3], 1), w, maxNorm: 2, normType: double.PositiveInfinity);
        Assert.Equal(12 * (2 / (12 + 1e-7)), w.GetDouble(3, 1), 14);
    }

    // ---- errors ----

    [Fact]
    public void OutOfRangeAndNonInt64IndicesFailNamingEmbeddingAndTheValue()
    {
        var w = Tensor.Zeros([10, 3]);
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Embedding(Idx([1, 10, 2], 3), w));
        Assert.Contains("Embedding", high.Message, StringComparison.Ordinal);
        Assert.Contains("index 10", high.Message, StringComparison.Ordinal);
        Assert.Contains("10 embeddings", high.Message, StringComparison.Ordinal);
        var low = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Embedding(Idx([0, -1], 2), w));
        Assert.Contains("Embedding: index -1", low.Message, StringComparison.Ordinal);
        var type = Assert.Throws<ArgumentException>(() => Tensor.Embedding(Tensor.FromArray(new float[] { 1, 2 }), w));
        Assert.Contains("Embedding", type.Message, StringComparison.Ordinal);
        Assert.Contains("int64", type.Message, StringComparison.Ordinal);
        Assert.Contains("float32", type.Message, StringComparison.Ordinal);
        var pad = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Embedding(Idx([0], 1), w, paddingIdx: 10));
        Assert.Contains("paddingIdx", pad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tensor.Embedding(Idx([0], 1), Tensor.Zeros([10])));
    }

    // ---- the layer ----

    [Fact]
    public void LayerReprInitAndNegativePaddingIndex()
    {
        Assert.Equal("Embedding(10, 3, padding_idx=0)", new Embedding(10, 3, paddingIdx: 0).ToString());
        Assert.Equal("Embedding(10, 3)", new Embedding(10, 3).ToString());
        Assert.Equal("Embedding(10, 3, max_norm=1.0, norm_type=1.0)", new Embedding(10, 3, maxNorm: 1, normType: 1).ToString());
        var e = new Embedding(10, 3, paddingIdx: -2, generator: new Generator(8));
        Assert.Equal(8, e.PaddingIdx);
        Assert.Equal(new double[] { 0, 0, 0 }, e.Weight.Select(0, 8).ToDoubleArray());
        Assert.True(e.Weight.Select(0, 7).ToDoubleArray().All(v => v != 0));
        var y = e.Forward(Idx([8, 7], 2));
        y.Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0 }, e.Weight.Grad!.Select(0, 8).ToDoubleArray());
        Assert.Equal(new double[] { 1, 1, 1 }, e.Weight.Grad!.Select(0, 7).ToDoubleArray());
    }

    [Fact]
    public void FromPretrainedKeepsTheTableAndFreezes()
    {
        var table = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        var frozen = Embedding.FromPretrained(table, paddingIdx: 1);
        Assert.False(frozen.Weight.RequiresGrad);
        Assert.Equal((3, 2, 1), (frozen.NumEmbeddings, frozen.EmbeddingDim, frozen.PaddingIdx));
        Assert.Equal(new double[] { 5, 6, 3, 4 }, frozen.Forward(Idx([2, 1], 2)).ToDoubleArray());   // padding row not zeroed
        Assert.Equal("Embedding(3, 2, padding_idx=1)", frozen.ToString());
        table.SetDouble(9, 0, 0);
        Assert.Equal(9.0, frozen.Weight.GetDouble(0, 0));   // the memory is shared, as PyTorch's
        var trained = Embedding.FromPretrained(table, freeze: false, maxNorm: 1);
        Assert.True(trained.Weight.RequiresGrad && trained.Weight.IsLeaf);
        trained.Forward(Idx([0], 1)).Sum().Backward();
        Assert.Equal(new double[] { 1, 1, 0, 0, 0, 0 }, trained.Weight.Grad!.ToDoubleArray());
        Assert.Equal(1.0, Math.Sqrt(trained.Weight.Select(0, 0).Square().Sum().Item()), 6);   // renormed in place
        Assert.Throws<ArgumentException>(() => Embedding.FromPretrained(Tensor.Zeros([4])));
    }

    [Fact]
    public void TraceReplaysTheLookup()
    {
        var w = Leaf(9, 6, 2);
        var graph = Trace.Of(x => [Tensor.Embedding(x[0], x[1], paddingIdx: 2)], [Idx([1, 2, 5], 3), w]);
        Assert.Equal(1, graph.OpCounts()["Embedding"]);
        var idx = Idx([0, 5, 5], 3);   // a new batch of the traced shape
        Assert.Equal(Tensor.Embedding(idx, w).ToDoubleArray(), graph.Run(idx, w)[0].ToDoubleArray());
    }
}
