using Axon.Data;
using Axon.Models.Siamese;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>Pair and triplet sampling, and N-way K-shot evaluation.</summary>
public sealed class SiameseDataTests
{
    // 6 classes x 10 images [1, 2, 2]; every pixel of an image of class c is c + small noise, so the class can be read off.
    private static TensorDataset Labelled(double noise, int classes = 6, int per = 10)
    {
        var g = new Generator(21);
        var x = new float[classes * per * 4];
        var y = new long[classes * per];
        for (int i = 0; i < classes * per; i++)
        {
            y[i] = i % classes;
            for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(y[i] * (j == (int)y[i] % 4 ? 1 : 0.5) + noise * g.NextNormal());
        }
        return new TensorDataset(Tensor.FromArray(x, classes * per, 1, 2, 2), Tensor.FromArray(y, classes * per));
    }

    [Fact]
    public void A_batch_of_pairs_is_the_pairs_stacked()
    {
        var pairs = new SiamesePairs(new ClassIndex(Labelled(0.3), [0, 2, 5]), 40, seed: 8) { Epoch = 2 };
        int[] indices = [7, 0, 39, 12, 13];
        var (x, t) = pairs.GetBatch(indices);
        Assert.Equal([5, 2, 1, 2, 2], x.Shape.ToArray());
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(indices.SelectMany(i => pairs.Get(i).Input.ToArray<float>()), x.ToArray<float>());
        Assert.Equal(indices.Select(i => pairs.Get(i).Target.Item()), t.ToArray<float>().Select(v => (double)v));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => pairs.GetBatch([3, 40]));
        Assert.Contains("outside the 40 pairs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PairsAlternateSameAndDifferentClassAndAreReproducible()
    {
        var index = new ClassIndex(Labelled(0), [1, 3, 4]);
        Assert.Equal([1, 3, 4], index.Classes);
        Assert.Equal(10, index.Of(3).Count);
        var pairs = new SiamesePairs(index, 40, seed: 5);
        for (int i = 0; i < 40; i++)
        {
            var (x, t) = pairs.Get(i);
            Assert.Equal([2, 1, 2, 2], x.Shape.ToArray());
            var v = x.ToArray<float>();
            float a = v[0..4].Max(), b = v[4..8].Max();
            Assert.Contains((int)a, (int[])[1, 3, 4]);
            Assert.Equal(i % 2 == 0, a == b);
            Assert.Equal(i % 2 == 0 ? 1f : 0f, t.Item());
        }
        Assert.Equal(pairs.Get(7).Input.ToArray<float>(), new SiamesePairs(index, 40, seed: 5).Get(7).Input.ToArray<float>());
        pairs.Epoch = 1;
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => new SiamesePairs(index, 40, 5).Get(i).Input.ToArray<float>().Sum()),
            Enumerable.Range(0, 10).Select(i => pairs.Get(i).Input.ToArray<float>().Sum()));
        Assert.Throws<ArgumentException>(() => new ClassIndex(Labelled(0), [1, 9]));
    }

    [Fact]
    public void TripletsHoldAnAnchorAPositiveAndANegative()
    {
        var triplets = new SiameseTriplets(new ClassIndex(Labelled(0.01)), 30, seed: 2);
        for (int i = 0; i < 30; i++)
        {
            var v = triplets.Get(i).Input.ToArray<float>();
            int a = (int)Math.Round(v[0..4].Max()), p = (int)Math.Round(v[4..8].Max()), n = (int)Math.Round(v[8..12].Max());
            Assert.Equal(a, p);
            Assert.NotEqual(a, n);
            Assert.False(v.AsSpan(0, 4).SequenceEqual(v.AsSpan(4, 4)), "the positive is another image than the anchor");
        }
    }

    [Fact]
    public void FewShotAccuracyIsPerfectOnSeparatedClassesAndChanceOnNoise()
    {
        var flat = new Flatten();
        var separated = FewShot.Evaluate(flat, new ClassIndex(Labelled(0.05)), ways: 5, shots: 1, queries: 3, episodes: 50, new Generator(1));
        Assert.Equal((1.0, 0.0, 50, 750), (separated.Accuracy, separated.StandardError, separated.Episodes, separated.Queries));
        // Pure noise: the label carries no signal, so 5-way accuracy is 1/5 within a few standard errors.
        var g = new Generator(8);
        var noise = new TensorDataset(Tensor.Randn([60, 1, 2, 2], g), Tensor.FromArray(Enumerable.Range(0, 60).Select(i => (long)(i % 6)).ToArray(), 60));
        var chance = FewShot.Evaluate(flat, new ClassIndex(noise), ways: 5, shots: 5, queries: 5, episodes: 300, new Generator(2));
        Assert.InRange(chance.Accuracy, 0.2 - 4 * chance.StandardError, 0.2 + 4 * chance.StandardError);
        // Per episode sd(0.2 * 0.8 / 25)^0.5 = 0.08, over 300 episodes 0.0046.
        Assert.InRange(chance.StandardError, 0.0035, 0.006);
        var e = Assert.Throws<ArgumentException>(() => FewShot.Evaluate(flat, new ClassIndex(noise), 5, 8, 5, 1, new Generator(1)));
        Assert.Contains("has 10 samples, fewer than 8 shots + 5 queries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassesAskedForAreInEveryEpisodeAndTheRestAreDistractors()
    {
        // Classes 0 and 1 embed to the same point, class 2 elsewhere: an episode of {0, 1} is a coin toss (ties go to the
        // first prototype), one with class 2 in it is always right.
        var values = Enumerable.Range(0, 30).Select(i => i % 3 == 2 ? 1f : 0f).ToArray();
        var data = new TensorDataset(Tensor.FromArray(values, 30, 1, 1, 1), Tensor.FromArray(Enumerable.Range(0, 30).Select(i => (long)(i % 3)).ToArray(), 30));
        var flat = new Flatten();
        var with2 = FewShot.Evaluate(flat, new ClassIndex(data), ways: 2, shots: 1, queries: 4, episodes: 200, new Generator(3), always: [2]);
        Assert.Equal(1.0, with2.Accuracy);
        var free = FewShot.Evaluate(flat, new ClassIndex(data), ways: 2, shots: 1, queries: 4, episodes: 200, new Generator(3));
        // A third of the episodes are {0, 1} at one half: 1 − 1/6 on average.
        Assert.InRange(free.Accuracy, 5.0 / 6 - 4 * free.StandardError, 5.0 / 6 + 4 * free.StandardError);
        Assert.True(free.Accuracy < 0.95);
        var e = Assert.Throws<ArgumentException>(() => FewShot.Evaluate(flat, new ClassIndex(data), 2, 1, 4, 1, new Generator(1), always: [7]));
        Assert.Contains("must be distinct classes of the index (0, 1, 2)", e.Message, StringComparison.Ordinal);
    }
}
