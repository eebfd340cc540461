using System.Text.Json;
using Axon.Data;
using Axon.IO;

namespace Axon.Tests.Data;

public class HogTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hog", "hog.safetensors");

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private sealed record Case(string Name, int Orientations, int Cell, int Block, string Norm, bool Sqrt);

    private static HogBlockNorm Norm(string name) => name switch
    {
        "L1" => HogBlockNorm.L1,
        "L1-sqrt" => HogBlockNorm.L1Sqrt,
        "L2" => HogBlockNorm.L2,
        "L2-Hys" => HogBlockNorm.L2Hys,
        _ => throw new ArgumentException(name),
    };

    [Fact]
    public void MatchesScikitImage019OnEveryFixtureCase()
    {
        var (tensors, metadata) = Safetensors.Load(FixturePath);
        var byName = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var cases = JsonSerializer.Deserialize<Case[]>(metadata["cases"], Json)!;
        Assert.Equal(8, cases.Length);
        foreach (var c in cases)
        {
            var options = new HogOptions { Orientations = c.Orientations, CellSize = c.Cell, BlockSize = c.Block, BlockNorm = Norm(c.Norm), TransformSqrt = c.Sqrt };
            var image = byName[c.Name + ".image"];
            var expected = byName[c.Name + ".features"].ToArray<float>();
            var actual = Hog.Compute(image, options).ToArray<float>();
            Assert.Equal(options.FeatureLength(image.Size(0), image.Size(1)), expected.Length);
            Assert.Equal(expected.Length, actual.Length);
            double worst = 0;
            for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
            Assert.True(worst <= 1e-5, $"{c.Name}: largest difference from scikit-image {worst:G3}");
        }
    }

    [Fact]
    public void AVerticalStepVotesIntoTheZeroDegreeBinOfTheTwoCellsAtTheEdge()
    {
        // Left half 0, right half 1: columns 3 and 4 have a column gradient of 1 (angle 0), every other pixel none.
        var pixels = new float[8 * 8];
        for (int r = 0; r < 8; r++)
            for (int c = 4; c < 8; c++) pixels[r * 8 + c] = 1;
        var options = new HogOptions { CellSize = 4, BlockSize = 1, Orientations = 9, BlockNorm = HogBlockNorm.L1 };
        var f = Hog.Compute(Tensor.FromArray(pixels, 8, 8), options).ToArray<float>();
        Assert.Equal(4 * 9, f.Length);
        // Each top cell holds 4 pixels of magnitude 1 in bin 0: 4 / 16 = 0.25, then L1: 0.25 / (0.25 + 1e-5).
        float edge = (float)(0.25 / (0.25 + 1e-5));
        for (int block = 0; block < 4; block++)
            for (int bin = 0; bin < 9; bin++)
                Assert.Equal(bin == 0 ? edge : 0f, f[block * 9 + bin]);

        // Mirrored (light to dark), the angle is 180: the same unsigned bin 0, but the second signed half-turn.
        var mirrored = pixels.Select(v => 1 - v).ToArray();
        Assert.Equal(f, Hog.Compute(Tensor.FromArray(mirrored, 8, 8), options).ToArray<float>());
        var signed = Hog.Compute(Tensor.FromArray(mirrored, 8, 8), options with { Orientations = 2, Signed = true }).ToArray<float>();
        Assert.Equal([0f, edge, 0f, edge, 0f, edge, 0f, edge], signed);
    }

    [Fact]
    public void InterpolatedVotesSplitBetweenTheBinsAroundTheAngle()
    {
        var pixels = new float[8 * 8];
        for (int r = 0; r < 8; r++)
            for (int c = 4; c < 8; c++) pixels[r * 8 + c] = 1;
        var options = new HogOptions { CellSize = 4, BlockSize = 1, Orientations = 9, BlockNorm = HogBlockNorm.L1, InterpolateBins = true };
        var f = Hog.Compute(Tensor.FromArray(pixels, 8, 8), options).ToArray<float>();
        // Angle 0 lies half-way between the centres of the last bin (170) and the first (10): 0.125 in each, L1 over 0.25.
        float half = (float)(0.125 / (0.25 + 1e-5));
        for (int block = 0; block < 4; block++)
            for (int bin = 0; bin < 9; bin++)
                Assert.Equal(bin is 0 or 8 ? half : 0f, f[block * 9 + bin]);

        // Inside, a 45-degree edge (light below-right of the diagonal) votes 3/4 into the bin centred on 50 and 1/4 into the one on 30.
        var diagonal = new float[8 * 8];
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++) diagonal[r * 8 + c] = r + c >= 8 ? 1 : 0;
        var d = Hog.Compute(Tensor.FromArray(diagonal, 8, 8), options with { BlockSize = 2 }).ToArray<float>();
        double[] votes = new double[9];
        for (int i = 0; i < d.Length; i++) votes[i % 9] += d[i];
        Assert.True(votes[2] > 0 && Math.Abs(votes[1] / votes[2] - 1.0 / 3) < 1e-6, string.Join(", ", votes));
        // The border pixels see one gradient only (0 or 90 degrees: bins 8 and 0, and 4); nothing falls elsewhere.
        Assert.Equal(0, votes.Where((_, i) => i is 3 or 5 or 6 or 7).Sum());
    }

    [Fact]
    public void TheBatchOverThreadsEqualsImageByImage()
    {
        var g = new Generator(3);
        var images = Tensor.Rand([7, 1, 28, 28], g);
        var options = new HogOptions { CellSize = 4, BlockSize = 2 };
        var batch = Hog.Compute(images, options, threads: 2);
        Assert.Equal([7, 1296], batch.GetShape());
        Assert.Equal(batch.ToArray<float>(), Hog.Compute(images.Reshape(7, 28, 28), options, threads: 1).ToArray<float>());
        var pixels = images.ToArray<float>();
        var rows = batch.ToArray<float>();
        var one = new float[1296];
        for (int i = 0; i < 7; i++)
        {
            Hog.Compute(pixels.AsSpan(i * 784, 784), 28, 28, options, one);
            Assert.Equal(rows.AsSpan(i * 1296, 1296).ToArray(), one);
        }
    }

    [Fact]
    public void ABlockStrideKeepsEveryOtherBlock()
    {
        var image = Tensor.Rand([28, 28], new Generator(4));
        var dense = Hog.Compute(image, new HogOptions { CellSize = 4, BlockSize = 2 }).ToArray<float>();          // 6x6 blocks
        var sparse = Hog.Compute(image, new HogOptions { CellSize = 4, BlockSize = 2, BlockStride = 2 }).ToArray<float>(); // 3x3 blocks
        Assert.Equal(3 * 3 * 36, sparse.Length);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(dense.AsSpan(((2 * r) * 6 + 2 * c) * 36, 36).ToArray(), sparse.AsSpan((r * 3 + c) * 36, 36).ToArray());
    }

    [Fact]
    public void BadInputAndOptionsAreClearErrors()
    {
        var small = Tensor.Zeros([2, 7, 7]);
        var e = Assert.Throws<ArgumentException>(() => Hog.Compute(small, new HogOptions { CellSize = 4, BlockSize = 2 }));
        Assert.Contains("7x7 image is smaller than one block (2x2 cells of 4x4 pixels = 8x8 pixels)", e.Message, StringComparison.Ordinal);
        var cell = Assert.Throws<ArgumentOutOfRangeException>(() => Hog.Compute(Tensor.Zeros([8, 8]), new HogOptions { CellSize = 0 }));
        Assert.Contains("CellSize must be at least 1 pixel (got 0)", cell.Message, StringComparison.Ordinal);
        Assert.Contains("Clip must be in (0, 1] (got 1.5)", Assert.Throws<ArgumentOutOfRangeException>(() => new HogOptions { Clip = 1.5 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Orientations must be between 1 and 360 (got 0)", Assert.Throws<ArgumentOutOfRangeException>(() => new HogOptions { Orientations = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("grey images [N, H, W] or [N, 1, H, W] (or one image [H, W]), got [2, 3, 16, 16] with 3 channels",
            Assert.Throws<ArgumentException>(() => Hog.Compute(Tensor.Zeros([2, 3, 16, 16]))).Message, StringComparison.Ordinal);
        Assert.Contains("must be float32 (got float64)", Assert.Throws<ArgumentException>(() => Hog.Compute(Tensor.Zeros([16, 16], DType.Float64))).Message, StringComparison.Ordinal);
        var nan = new float[2 * 16 * 16];
        nan[256 + 5 * 16 + 7] = float.NaN;
        Assert.Contains("image 1 has a non-finite pixel (NaN) at row 5, column 7", Assert.Throws<ArgumentException>(() => Hog.Compute(Tensor.FromArray(nan, 2, 16, 16))).Message, StringComparison.Ordinal);
        var negative = new float[16 * 16];
        negative[3] = -0.5f;
        Assert.Contains("negative pixel (-0.5) at row 0, column 3; TransformSqrt needs non-negative pixels",
            Assert.Throws<ArgumentException>(() => Hog.Compute(Tensor.FromArray(negative, 16, 16), new HogOptions { TransformSqrt = true })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsPrintTheirGeometry()
    {
        var o = new HogOptions { CellSize = 4, BlockSize = 2 };
        Assert.Equal("cells 4x4 px, blocks 2x2 cells (stride 1), 9 orientations over 0-180°, L2-Hys (clip 0.2)", o.ToString());
        Assert.Equal(1296, o.FeatureLength(28, 28));
        Assert.Equal(324, (o with { CellSize = 7 }).FeatureLength(28, 28));
    }
}
