using Axon.IO;
using SkiaSharp;

namespace Axon.Imaging.Tests;

/// <summary>
/// Decoding against PIL's own decoding of the same files (tests/Fixtures/make_image_fixtures.py): PNG exactly, JPEG
/// within the rounding of two libjpeg builds; images Skia writes in the test; and every kind of bad file.
/// </summary>
public class ImageFileTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "images", name);

    private static readonly Lazy<Dictionary<string, Tensor>> Pil = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(Fixture("pil.safetensors"));
        Assert.StartsWith("9.", meta["pil"], StringComparison.Ordinal);
        return tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    });

    /// <summary>Largest difference, in 1/255 steps, between the decoded tensor and PIL's bytes.</summary>
    private static int LevelsOff(Tensor decoded, Tensor pil)
    {
        Assert.Equal(pil.GetShape(), decoded.GetShape());
        float[] got = decoded.ToFloatArray();
        double[] expected = pil.ToDoubleArray();
        int worst = 0;
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal(MathF.Round(got[i] * 255) / 255f, got[i]); // every value is a byte / 255, as ToTensor divides
            worst = Math.Max(worst, (int)Math.Abs(Math.Round(got[i] * 255) - expected[i]));
        }
        return worst;
    }

    [Theory]
    [InlineData("rgb.png")]
    [InlineData("grey.png")]
    [InlineData("rgba.png")]
    [InlineData("la.png")]
    [InlineData("palette.png")]
    public void PngPixelsArePilsExactly(string file)
    {
        string key = file.Replace('.', '_');
        Assert.Equal(0, LevelsOff(ImageFile.Load(Fixture(file)), Pil.Value[key + ".rgb"]));
        Assert.Equal(0, LevelsOff(ImageFile.Load(Fixture(file), ImageMode.Grey), Pil.Value[key + ".grey"]));
    }

    /// <summary>
    /// JPEG decoders may round the inverse DCT and the chroma upsampling differently, so the test allows a number of
    /// levels per file; Skia 3.119's libjpeg-turbo and PIL 9.4's (both the integer IDCT with smooth upsampling) agree
    /// exactly on these files, 4:2:0 and 4:4:4, colour and grey, so that number is 0. The grey of RGB is exact given RGB.
    /// </summary>
    [Theory]
    [InlineData("rgb.jpg", 0)]
    [InlineData("rgb444.jpg", 0)]
    [InlineData("grey.jpg", 0)]
    [InlineData("exif6.jpg", 0)]
    public void JpegPixelsArePilsWithinTheDecodersRounding(string file, int levels)
    {
        string key = file.Replace('.', '_');
        Assert.InRange(LevelsOff(ImageFile.Load(Fixture(file)), Pil.Value[key + ".rgb"]), 0, levels);
        Assert.InRange(LevelsOff(ImageFile.Load(Fixture(file), ImageMode.Grey), Pil.Value[key + ".grey"]), 0, levels);
    }

    [Fact]
    public void AsIsKeepsGreyFilesGreyAndExifOrientationIsIgnored()
    {
        Assert.Equal([1, 17, 23], ImageFile.Load(Fixture("grey.png"), ImageMode.AsIs).GetShape());
        Assert.Equal([1, 17, 23], ImageFile.Load(Fixture("la.png"), ImageMode.AsIs).GetShape());
        Assert.Equal([1, 24, 32], ImageFile.Load(Fixture("grey.jpg"), ImageMode.AsIs).GetShape());
        Assert.Equal([3, 17, 23], ImageFile.Load(Fixture("rgba.png"), ImageMode.AsIs).GetShape());
        Assert.Equal([3, 17, 23], ImageFile.Load(Fixture("palette.png"), ImageMode.AsIs).GetShape());
        Assert.Equal(ImageFile.Load(Fixture("grey.png"), ImageMode.Grey).ToFloatArray(), ImageFile.Load(Fixture("grey.png"), ImageMode.AsIs).ToFloatArray());
        // Stored 32 wide and 24 high with "rotate 90°" in EXIF: PIL's open keeps the stored layout, and so does Axon.
        Assert.Equal([3, 24, 32], ImageFile.Load(Fixture("exif6.jpg")).GetShape());
        Assert.Equal((32, 24), ImageFile.ReadSize(Fixture("exif6.jpg")));
    }

    /// <summary>Writes an RGBA image whose pixel (x, y) is (x, y, x ^ y, 255) modulo 256 as PNG.</summary>
    internal static byte[] CodedPng(int w, int h, Func<int, int, SKColor>? color = null)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bitmap.SetPixel(x, y, color?.Invoke(x, y) ?? new SKColor((byte)x, (byte)y, (byte)(x ^ y), 255));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void LargePngsOfAnySizeDecodeExactly()
    {
        const int w = 641, h = 479;
        var x = ImageFile.Decode(CodedPng(w, h), name: "coded");
        Assert.Equal([3, h, w], x.GetShape());
        var v = x.ToFloatArray();
        foreach (var (px, py) in new[] { (0, 0), (640, 0), (0, 478), (300, 200), (640, 478), (255, 256) })
        {
            Assert.Equal((byte)px / 255f, v[py * w + px]);
            Assert.Equal((byte)py / 255f, v[h * w + py * w + px]);
            Assert.Equal((byte)(px ^ py) / 255f, v[2 * h * w + py * w + px]);
        }
    }

    [Fact]
    public void MissingEmptyAndUnsupportedFilesAreErrorsNamingTheFile()
    {
        using var dir = new TempDir();
        string missing = dir.File("nothere.png");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ImageFile.Load(missing)).Message, StringComparison.Ordinal);
        string empty = dir.File("empty.jpg");
        File.WriteAllBytes(empty, []);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(empty));
        Assert.Contains(empty, e.Message, StringComparison.Ordinal);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
        string text = dir.File("notes.png");
        File.WriteAllText(text, "This is not a picture, whatever its name says.\n");
        e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(text));
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
        Assert.Contains("not an image", e.Message, StringComparison.Ordinal);
        string tiff = dir.File("scan.tif"); // a TIFF header: a real image format Skia does not decode
        File.WriteAllBytes(tiff, [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        Assert.Contains(tiff, Assert.Throws<InvalidDataException>(() => ImageFile.Load(tiff)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rgb.png")]
    [InlineData("rgb.jpg")]
    [InlineData("grey.jpg")]
    public void TruncatedFilesAreRefusedRatherThanHalfDecoded(string file)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixture(file));
        string cut = dir.File("cut-" + file);
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(cut));
        Assert.Contains(cut, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptDataIsRefused()
    {
        using var dir = new TempDir();
        // A PNG whose compressed pixel data is overwritten: the zlib stream no longer inflates.
        var png = CodedPng(64, 48);
        int idat = png.AsSpan().IndexOf("IDAT"u8);
        for (int i = idat + 10; i < idat + 60; i++) png[i] = 0xFF;
        string bad = dir.File("bad.png");
        File.WriteAllBytes(bad, png);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(bad));
        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        // A JPEG header followed by noise.
        var rng = new Random(3);
        var noise = new byte[600];
        rng.NextBytes(noise);
        string jpeg = dir.File("noise.jpg");
        File.WriteAllBytes(jpeg, [.. File.ReadAllBytes(Fixture("rgb.jpg")).AsSpan(0, 20), .. noise]);
        Assert.Contains(jpeg, Assert.Throws<InvalidDataException>(() => ImageFile.Load(jpeg)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeDimensionsInAHeaderAreRefusedBeforeDecoding()
    {
        // A valid PNG claiming 30000 x 30000 pixels (900 million) in its header, with a few bytes of pixel data.
        byte[] file = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A,
            .. Chunk("IHDR", [0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0]), .. Chunk("IDAT", [0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D, 0, 0]), .. Chunk("IEND", [])];
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(file, name: "bomb.png"));
        Assert.Contains("bomb.png: the image is 30000x30000", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] body = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        uint crc = Crc32(body);
        return [0, 0, 0, (byte)data.Length, .. body, (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}

/// <summary>A fresh temporary directory, deleted at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "axon-imaging-test-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
