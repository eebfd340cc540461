using Axon.Imaging;
using Axon.TensorBoard.Protos;

namespace Axon.TensorBoard.Tests;

public sealed class SummaryWriterTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-tb-");

    public void Dispose() => dir.Delete(true);

    /// <summary>A clock standing at 2026-01-02 03:04:05.250 UTC.</summary>
    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 1, 2, 3, 4, 5, 250, TimeSpan.Zero);
    }

    private static List<Event> Decode(string path) => [.. RecordFile.Read(path).Select(Event.Parser.ParseFrom)];

    [Fact]
    public void EveryRecordDecodesBackToWhatWasWritten()
    {
        string path;
        using (var tb = new SummaryWriter(Path.Combine(dir.FullName, "run"), new FixedClock()))
        {
            path = tb.FilePath;
            tb.AddScalar("train/loss", 0.25, 7);
            tb.AddScalar("train/lr", 0.1, 8);
            tb.AddHistogram("weights/fc.weight", Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 4, float.NaN }), 2, bins: 4);
        }
        Assert.StartsWith("events.out.tfevents.1767323045.", Path.GetFileName(path), StringComparison.Ordinal);
        var events = Decode(path);
        Assert.Equal(4, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.All(events, e => Assert.Equal(1767323045.25, e.WallTime));

        var loss = Assert.Single(events[1].Summary.Value);
        Assert.Equal(7, events[1].Step);
        Assert.Equal("train/loss", loss.Tag);
        Assert.Equal(0.25f, loss.SimpleValue);
        Assert.Equal(0.1f, Assert.Single(events[2].Summary.Value).SimpleValue);

        var h = Assert.Single(events[3].Summary.Value).Histo;
        Assert.Equal(2, events[3].Step);
        // Six finite values over [0, 4] in 4 buckets ending at 1, 2, 3, 4; a value on an edge counts in the bucket below.
        Assert.Equal((0.0, 4.0, 6.0, 14.0, 46.0), (h.Min, h.Max, h.Num, h.Sum, h.SumSquares));
        Assert.Equal([1.0, 2, 3, 4], h.BucketLimit);
        Assert.Equal([2.0, 1, 1, 2], h.Bucket);
    }

    [Fact]
    public void ImagesArePngsOfTheClampedPixels()
    {
        // Two RGB images 2x3: a grid of one row, 2 pixels of padding around each.
        var g = new Generator(5);
        var images = Tensor.Rand([2, 3, 2, 3], g) * 1.2 - 0.1;
        string path;
        using (var tb = new SummaryWriter(dir.FullName))
        {
            path = tb.FilePath;
            tb.AddImage("samples", images, 3);
            tb.AddImage("grey", Tensor.FromArray(new float[] { 0, 0.5f, 1, 0.2f }, 2, 2), 4);
        }
        var events = Decode(path);
        var image = Assert.Single(events[1].Summary.Value).Image;
        Assert.Equal((2 * (3 + 2) + 2, 2 + 2 + 2, 3), (image.Width, image.Height, image.Colorspace));
        var decoded = ImageFile.Decode(image.EncodedImageString.ToByteArray(), ImageMode.Rgb);   // [3, h, w] in [0, 1]
        var x = images.ToFloatArray();
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 2; y++)
                    for (int col = 0; col < 3; col++)
                    {
                        double want = Math.Round(255 * Math.Clamp(x[((k * 3 + c) * 2 + y) * 3 + col], 0, 1));
                        Assert.Equal(want, Math.Round(255 * decoded.GetDouble(c, 2 + y, 2 + k * 5 + col)));
                    }
        Assert.Equal(0, decoded.GetDouble(0, 0, 0));   // padding

        var grey = Assert.Single(events[2].Summary.Value).Image;
        Assert.Equal((2, 2, 1), (grey.Width, grey.Height, grey.Colorspace));
        var greyPixels = ImageFile.Decode(grey.EncodedImageString.ToByteArray(), ImageMode.Grey).ToFloatArray();
        Assert.Equal([0.0, 128, 255, 51], greyPixels.Select(v => Math.Round(255 * v)));
    }

    [Fact]
    public void ABadImageShapeIsAnErrorNamingTheTag()
    {
        using var tb = new SummaryWriter(dir.FullName);
        var e = Assert.Throws<ArgumentException>(() => tb.AddImage("samples/x", Tensor.Zeros([2, 5, 5]), 0));
        Assert.Contains("samples/x", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 5, 5]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACorruptOrTruncatedRecordIsNamed()
    {
        string path;
        using (var tb = new SummaryWriter(dir.FullName))
        {
            path = tb.FilePath;
            tb.AddScalar("a", 1, 1);
        }
        var bytes = File.ReadAllBytes(path);
        var corrupt = (byte[])bytes.Clone();
        corrupt[^6] ^= 0x40;   // inside the second record's data
        File.WriteAllBytes(path, corrupt);
        var e = Assert.Throws<InvalidDataException>(() => RecordFile.Read(path).ToList());
        Assert.Contains("record 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("data's CRC", e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..^3]);
        Assert.Contains("more", Assert.Throws<InvalidDataException>(() => RecordFile.Read(path).ToList()).Message, StringComparison.Ordinal);
        Assert.Single(RecordFile.Read(path, allowTruncatedTail: true));
    }
}
