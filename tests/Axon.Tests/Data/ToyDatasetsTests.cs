using Axon.Data;

namespace Axon.Tests.Data;

public class ToyDatasetsTests
{
    public static TheoryData<string> Names => new() { "xor", "moons", "circles", "spirals", "blobs" };

    private static (Tensor X, Tensor Y) Make(string name, long seed) => name switch
    {
        "xor" => ToyDatasets.Xor(25, 0.1, new Generator(seed)),
        "moons" => ToyDatasets.TwoMoons(100, 0.1, new Generator(seed)),
        "circles" => ToyDatasets.Circles(100, 0.05, 0.5, new Generator(seed)),
        "spirals" => ToyDatasets.Spirals(50, 2, 0.2, new Generator(seed)),
        _ => ToyDatasets.Blobs(100, 4, 1.0, new Generator(seed)),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void DeterministicPerSeedWithBalancedClassesAndRightShapes(string name)
    {
        var (x, y) = Make(name, 1);
        var (x2, y2) = Make(name, 1);
        var (x3, _) = Make(name, 2);
        Assert.Equal(DType.Float32, x.DType);
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(2, x.Rank);
        Assert.Equal(2, x.Size(1));
        Assert.Equal([x.Size(0)], y.GetShape());
        Assert.Equal(x.ToFloatArray(), x2.ToFloatArray());
        Assert.Equal(y.ToLongArray(), y2.ToLongArray());
        Assert.NotEqual(x.ToFloatArray(), x3.ToFloatArray());
        var counts = y.ToLongArray().GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counts.Values.Max() - counts.Values.Min() <= 1, $"unbalanced classes in {name}: {string.Join(", ", counts)}");
        Assert.Equal(Enumerable.Range(0, counts.Count).Select(i => (long)i), counts.Keys.Order());
        Assert.All(x.ToFloatArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void XorWithoutNoiseIsTheFourCorners()
    {
        var (x, y) = ToyDatasets.Xor();
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], x.ToFloatArray());
        Assert.Equal([0L, 1L, 1L, 0L], y.ToLongArray());
    }

    [Fact]
    public void CirclesHaveTheRequestedRadii()
    {
        var (x, y) = ToyDatasets.Circles(40, noise: 0, factor: 0.3);
        var xs = x.ToFloatArray();
        var ys = y.ToLongArray();
        for (int i = 0; i < 40; i++)
            Assert.Equal(ys[i] == 0 ? 1.0 : 0.3, Math.Sqrt(xs[2 * i] * xs[2 * i] + xs[2 * i + 1] * xs[2 * i + 1]), 5);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => ToyDatasets.Circles(10, factor: 1.5)).ParamName);
    }

    [Fact]
    public void SpiralsFollowTheCs231nConstruction()
    {
        var (x, y) = ToyDatasets.Spirals(samplesPerClass: 10, classes: 3, noise: 0);
        Assert.Equal([30, 2], x.GetShape());
        var xs = x.ToFloatArray();
        // Class 1, last point: r = 1, t = 8.
        Assert.Equal(Math.Sin(8.0), xs[2 * 19], 5);
        Assert.Equal(Math.Cos(8.0), xs[2 * 19 + 1], 5);
        Assert.Equal(1L, y.ToLongArray()[19]);
    }

    [Fact]
    public void BlobsAreCentredOnTheGivenCentres()
    {
        var (x, y) = ToyDatasets.Blobs(300, new double[,] { { 5, 5 }, { -5, 0 } }, std: 0.5, new Generator(4));
        var xs = x.ToFloatArray();
        var ys = y.ToLongArray();
        double mx = Enumerable.Range(0, 300).Where(i => ys[i] == 1).Average(i => xs[2 * i]);
        Assert.Equal(-5, mx, 0);
    }

    [Fact]
    public void PerceptronRespectsTheLectureBound()
    {
        var data = ToyDatasets.LinearlySeparable(200, margin: 0.1, radius: 1.0, new Generator(11));
        var xs = data.X.ToFloatArray();
        var ys = data.Y.ToLongArray();
        Assert.Equal(100, ys.Count(v => v == 1));
        Assert.Equal(100, ys.Count(v => v == -1));
        Assert.True(data.Gamma >= 0.1);
        Assert.True(data.Radius <= 1.0);
        for (int i = 0; i < 200; i++)
        {
            Assert.True(ys[i] * (xs[2 * i] * data.WStar[0] + xs[2 * i + 1] * data.WStar[1]) >= data.Gamma / 2 - 1e-12);
            Assert.True(Math.Sqrt((double)xs[2 * i] * xs[2 * i] + (double)xs[2 * i + 1] * xs[2 * i + 1]) <= data.Radius + 1e-12);
        }

        // The lecture's perceptron: w <- w + y_n x_n on every mistake (y_n x_n . w <= 0), until an epoch without changes.
        double w0 = 0, w1 = 0;
        long updates = 0;
        for (int epoch = 0; epoch < 1000; epoch++)
        {
            int changes = 0;
            for (int i = 0; i < 200; i++)
            {
                if (ys[i] * (xs[2 * i] * w0 + xs[2 * i + 1] * w1) <= 0)
                {
                    w0 += ys[i] * xs[2 * i];
                    w1 += ys[i] * xs[2 * i + 1];
                    changes++;
                }
            }
            updates += changes;
            if (changes == 0) break;
        }
        Assert.True(updates <= data.MistakeBound, $"{updates} updates > bound {data.MistakeBound}");
        for (int i = 0; i < 200; i++) Assert.True(ys[i] * (xs[2 * i] * w0 + xs[2 * i + 1] * w1) > 0);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => ToyDatasets.TwoMoons(0)).ParamName);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => ToyDatasets.TwoMoons(10, -1)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => ToyDatasets.LinearlySeparable(10, margin: 0)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => ToyDatasets.Spirals(10, 0)).ParamName);
    }
}
