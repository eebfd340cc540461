using Axon.Data;
using SkiaSharp;

namespace Axon.Imaging.Tests;

/// <summary>ImageFolder on a temporary tree: torchvision's listing rules, decoding, transforms, batching and errors.</summary>
public class ImageFolderTests
{
    /// <summary>
    /// Three class folders of PNGs in several sizes, named to test the ordering rules, plus files that are not samples.
    /// Every image is one flat colour whose red level says which file it is.
    /// </summary>
    private static TempDir Tree()
    {
        var dir = new TempDir();
        void Write(string relative, int w, int h, byte red)
        {
            string path = dir.File(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, ImageFileTests.CodedPng(w, h, (_, _) => new SKColor(red, 10, 20, 255)));
        }
        Write("dog/d2.png", 6, 4, 31);
        Write("dog/d10.png", 9, 5, 32);       // ordinal order: "d10" < "d2"
        Write("dog/zz/inner.png", 3, 3, 33);  // sub-folders of a class count; "dog/zz" sorts after "dog"
        Write("cat/C.PNG", 5, 7, 21);          // extensions in any case
        Write("cat/a.webp.png", 4, 4, 22);
        Write("Bird/b.gif.png", 8, 8, 11);     // "Bird" < "cat" < "dog" ordinally
        File.WriteAllText(dir.File("cat/readme.txt"), "not an image");
        File.WriteAllText(dir.File("stray.png"), "files in the root are not samples");
        return dir;
    }

    [Fact]
    public void ListsClassesAndFilesAsTorchvision()
    {
        using var dir = Tree();
        var data = new ImageFolder(dir.Path);
        Assert.Equal(["Bird", "cat", "dog"], data.Classes);
        Assert.Equal(1, data.ClassToIndex["cat"]);
        Assert.Equal(6, data.Count);
        string[] expected = ["Bird/b.gif.png", "cat/C.PNG", "cat/a.webp.png", "dog/d10.png", "dog/d2.png", "dog/zz/inner.png"];
        Assert.Equal(expected.Select(dir.File), data.Samples.Select(s => s.Path));
        Assert.Equal([0, 1, 1, 2, 2, 2], data.Targets);
        Assert.StartsWith("Dataset ImageFolder\n    Number of datapoints: 6\n    Root location: ", data.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GetDecodesTheImageAndItsClass()
    {
        using var dir = Tree();
        var data = new ImageFolder(dir.Path);
        var (x, y) = data.Get(4); // dog/d2.png
        Assert.Equal([3, 4, 6], x.GetShape());
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(2, y.ToLongArray().Single());
        var v = x.ToFloatArray();
        Assert.Equal(31f / 255, v[0]); // d2 was written with red 31
        Assert.Equal(10f / 255, v[24]);
        var (g, _) = new ImageFolder(dir.Path, mode: ImageMode.Grey).Get(4);
        Assert.Equal([1, 4, 6], g.GetShape());
        Assert.Equal(((31 * 19595 + 10 * 38470 + 20 * 7471 + 0x8000) >> 16) / 255f, g.ToFloatArray()[0]);
    }

    [Fact]
    public void ImagesOfManySizesBatchOnceATransformFixesTheSize()
    {
        using var dir = Tree();
        var raw = new ImageFolder(dir.Path);
        var e = Assert.Throws<InvalidOperationException>(() => raw.GetBatch([0, 1]));
        Assert.Contains(dir.File("Bird/b.gif.png") + " is [3, 8, 8]", e.Message, StringComparison.Ordinal);
        Assert.Contains(dir.File("cat/C.PNG") + " is [3, 7, 5]", e.Message, StringComparison.Ordinal);
        var data = new ImageFolder(dir.Path, new Compose(new Resize(4), new CenterCrop(4), Normalize.ImageNet));
        var loader = new DataLoader(data, batchSize: 4);
        var batches = loader.ToList();
        Assert.Equal(2, batches.Count);
        Assert.Equal([4, 3, 4, 4], batches[0].Input.GetShape());
        Assert.Equal([0L, 1, 1, 2], batches[0].Target.ToLongArray());
        Assert.Equal([2L, 2], batches[1].Target.ToLongArray());
        // A flat image stays flat through resizing: the normalised red of Bird's image.
        Assert.Equal((11f / 255 - 0.485f) / 0.229f, batches[0].Input.ToFloatArray()[0], 5);
    }

    [Fact]
    public void RandomTransformsReproduceWithTheSeed()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("only"));
        File.WriteAllBytes(dir.File("only/a.png"), ImageFileTests.CodedPng(40, 30));
        float[] Draw(long seed)
        {
            var data = new ImageFolder(dir.Path, new RandomResizedCrop(8), generator: new Generator(seed));
            return [.. data.Get(0).Input.ToFloatArray(), .. data.Get(0).Input.ToFloatArray()];
        }
        var a = Draw(5);
        Assert.Equal(a, Draw(5));
        Assert.NotEqual(a, Draw(6));
        Assert.NotEqual(a[..192], a[192..]); // two requests, two different crops
    }

    [Fact]
    public void EmptyOrMissingFoldersAreErrorsNamingTheFolder()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => new ImageFolder(dir.Path));
        Assert.Contains(dir.Path + " has no class folders", e.Message, StringComparison.Ordinal);
        Directory.CreateDirectory(dir.File("cats"));
        Directory.CreateDirectory(dir.File("dogs"));
        File.WriteAllBytes(dir.File("dogs/a.png"), ImageFileTests.CodedPng(2, 2));
        File.WriteAllText(dir.File("cats/a.txt"), "no images here");
        e = Assert.Throws<InvalidDataException>(() => new ImageFolder(dir.Path));
        Assert.Contains(dir.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains("for the classes cats", e.Message, StringComparison.Ordinal);
        string missing = dir.File("nowhere");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => new ImageFolder(missing)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABrokenImageIsAnErrorNamingItsFile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("c"));
        File.WriteAllBytes(dir.File("c/good.png"), ImageFileTests.CodedPng(4, 4));
        var png = ImageFileTests.CodedPng(40, 40);
        File.WriteAllBytes(dir.File("c/half.png"), png[..(png.Length / 2)]);
        var data = new ImageFolder(dir.Path);
        Assert.Equal(2, data.Count); // listing does not decode
        var e = Assert.Throws<InvalidDataException>(() => data.GetBatch([0, 1]));
        Assert.Contains(dir.File("c/half.png"), e.Message, StringComparison.Ordinal);
    }
}
