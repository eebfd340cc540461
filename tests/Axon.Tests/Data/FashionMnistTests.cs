using Axon.Data;

namespace Axon.Tests.Data;

/// <summary>A test that needs the real Fashion-MNIST files (Debian package dataset-fashion-mnist); skipped without them.</summary>
public sealed class FashionMnistInstalledFactAttribute : FactAttribute
{
    public FashionMnistInstalledFactAttribute()
    {
        if (!Directory.Exists(FashionMnist.DefaultDirectory))
            Skip = $"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory} (sudo apt-get install dataset-fashion-mnist).";
    }
}

public class FashionMnistTests
{
    private static byte[] Images(int n) => Enumerable.Range(0, n * 784).Select(i => (byte)(i % 251)).ToArray();

    /// <summary>A directory with small synthetic train and test sets (raw or gzip).</summary>
    private static TempDir MakeDir(int train = 12, int test = 5, bool gzip = true)
    {
        var dir = new TempDir();
        string ext = gzip ? ".gz" : "";
        IdxWriter.WriteBytes(dir.File("train-images-idx3-ubyte" + ext), Images(train), [train, 28, 28]);
        IdxWriter.WriteBytes(dir.File("train-labels-idx1-ubyte" + ext), Enumerable.Range(0, train).Select(i => (byte)(i % 10)).ToArray(), [train]);
        IdxWriter.WriteBytes(dir.File("t10k-images-idx3-ubyte" + ext), Images(test), [test, 28, 28]);
        IdxWriter.WriteBytes(dir.File("t10k-labels-idx1-ubyte" + ext), Enumerable.Range(0, test).Select(i => (byte)(9 - i)).ToArray(), [test]);
        return dir;
    }

    [Fact]
    public void ClassNamesAreTheTenFashionMnistClasses()
    {
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], FashionMnist.ClassNames);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LoadsSyntheticFilesRawOrGzip(bool gzip)
    {
        using var dir = MakeDir(gzip: gzip);
        var train = FashionMnist.Load(dir.Path);
        var test = FashionMnist.Load(dir.Path, train: false);
        Assert.Equal(12, train.Count);
        Assert.Equal(5, test.Count);
        Assert.Equal([9, 8, 7, 6, 5], test.Labels.ToArray());
        Assert.Equal(Images(12), train.ImageBytes.ToArray());
        Assert.Equal(Images(12).AsSpan(3 * 784, 784).ToArray(), train.Image(3).ToArray());
    }

    [Fact]
    public void BatchesAreScaledNormalisedFloat32WithInt64Labels()
    {
        using var dir = MakeDir();
        var ds = FashionMnist.Load(dir.Path);
        var (x, y) = ds.GetBatch([3, 0, 11]);
        Assert.Equal([3, 1, 28, 28], x.GetShape());
        Assert.Equal(DType.Float32, x.DType);
        Assert.Equal([3L, 0, 1], y.ToLongArray());
        var pixels = Images(12);
        var xs = x.ToFloatArray();
        int[] ids = [3, 0, 11];
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < 784; p += 37)
                Assert.Equal((pixels[ids[k] * 784 + p] / 255f - 0.2860f) / 0.3530f, xs[k * 784 + p], 6);

        // Get gives the same image as a [1, 28, 28] sample and a 0-d label.
        var (xi, yi) = ds.Get(11);
        Assert.Equal([1, 28, 28], xi.GetShape());
        Assert.Equal(xs.AsSpan(2 * 784, 784).ToArray(), xi.ToFloatArray());
        Assert.Equal(0, yi.Rank);
        Assert.Equal(1L, yi.ToLongArray()[0]);

        // mean 0, std 1 leaves the pixels in [0, 1].
        var raw = FashionMnist.Load(dir.Path, mean: 0, std: 1);
        var (xr, _) = raw.GetBatch([0]);
        Assert.Equal(pixels.AsSpan(0, 784).ToArray().Select(b => b / 255f), xr.ToFloatArray());
    }

    [Fact]
    public void WorksWithTheDataLoader()
    {
        using var dir = MakeDir();
        var loader = new DataLoader(FashionMnist.Load(dir.Path), batchSize: 5, shuffle: true, generator: new Generator(1));
        var labels = new List<long>();
        foreach (var (x, y) in loader)
        {
            Assert.Equal(4, x.Rank);
            labels.AddRange(y.ToLongArray());
        }
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)(i % 10)).Order(), labels.Order());
    }

    [Fact]
    public void MismatchedCountsNameTheLabelFile()
    {
        using var dir = MakeDir();
        string labels = dir.File("train-labels-idx1-ubyte.gz");
        IdxWriter.WriteBytes(labels, new byte[11], [11]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path));
        Assert.StartsWith(labels + ": 11 labels but ", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds 12 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelsOutOfRangeAreRejected()
    {
        using var dir = MakeDir();
        string labels = dir.File("t10k-labels-idx1-ubyte.gz");
        IdxWriter.WriteBytes(labels, [1, 2, 10, 3, 4], [5]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path, train: false));
        Assert.Equal($"{labels}: label 2 is 10; Fashion-MNIST has classes 0..9.", e.Message);
    }

    [Fact]
    public void WrongImageSizeIsRejected()
    {
        using var dir = MakeDir();
        string images = dir.File("train-images-idx3-ubyte.gz");
        IdxWriter.WriteBytes(images, new byte[12 * 32 * 32], [12, 32, 32]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path));
        Assert.Equal($"{images}: the images must have the shape N x 28 x 28, this file holds 12x32x32.", e.Message);
        IdxWriter.WriteBytes(images, new byte[12 * 784], [12, 784]);
        Assert.Contains("this file holds 12x784", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptFileErrorNamesIt()
    {
        using var dir = MakeDir();
        string images = dir.File("train-images-idx3-ubyte.gz");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path));
        Assert.StartsWith(images + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDirectoryExplainsHowToInstall()
    {
        string missing = Path.Combine(Path.GetTempPath(), "axon-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
        Assert.Contains("pass FashionMnist.Load the directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileExplainsHowToInstall()
    {
        using var dir = MakeDir();
        File.Delete(dir.File("t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir.Path, train: false));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
        FashionMnist.Load(dir.Path); // the training set is complete
    }

    [Fact]
    public void ConstructorValidates()
    {
        Assert.Throws<ArgumentException>(() => new FashionMnist(new byte[784 * 2], [1]));
        Assert.Throws<ArgumentException>(() => new FashionMnist(new byte[784], [10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FashionMnist(new byte[784], [1], std: 0));
        var ds = new FashionMnist(new byte[784], [1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.GetBatch([1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Get(-1));
    }

    [FashionMnistInstalledFact]
    public void InstalledDataHasTheKnownSizesAndBalancedClasses()
    {
        var train = FashionMnist.Load();
        var test = FashionMnist.Load(train: false);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        var perClassTrain = new int[10];
        foreach (byte l in train.Labels) perClassTrain[l]++;
        var perClassTest = new int[10];
        foreach (byte l in test.Labels) perClassTest[l]++;
        Assert.All(perClassTrain, c => Assert.Equal(6000, c));
        Assert.All(perClassTest, c => Assert.Equal(1000, c));
    }

    [FashionMnistInstalledFact]
    public void InstalledTrainingSetHasTheUsualMeanAndStd()
    {
        var train = FashionMnist.Load();
        double sum = 0, sumSq = 0;
        foreach (byte b in train.ImageBytes) { double v = b / 255.0; sum += v; sumSq += v * v; }
        double n = train.ImageBytes.Length, mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        Assert.Equal(FashionMnist.TrainMean, mean, 4);
        Assert.Equal(FashionMnist.TrainStd, std, 4);
        // So normalised batches are close to zero mean, unit variance.
        var (x, _) = train.GetBatch(Enumerable.Range(0, 60000).Where(i => i % 10 == 0).ToArray());
        var xs = x.ToFloatArray();
        Assert.Equal(0, xs.Average(), 1);
    }
}
