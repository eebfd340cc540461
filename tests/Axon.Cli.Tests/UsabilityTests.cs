namespace Axon.Cli.Tests;

/// <summary>What a new user tripped over: corrupt images, resuming, error messages, failed starts, narrow or piped output.</summary>
public sealed partial class TrainCommandTests
{
    /// <summary>Writes a 28x28 PNG of noise, so that its image data is most of the file and cutting it loses pixels.</summary>
    private static byte[] NoisePng(string path)
    {
        var g = new Generator(7);
        using var bitmap = new SkiaSharp.SKBitmap(28, 28);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)(g.NextDouble() * 255), (byte)(g.NextDouble() * 255), (byte)(g.NextDouble() * 255)));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        var bytes = data.ToArray();
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    [Fact]
    public void PredictRejectsATruncatedOrCorruptPngNamingTheFile()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--limit", "60", "--data-dir", Data, "--output", Run, "--threads", "1"));
        string model = Path.Combine(Run, "model.safetensors");
        string whole = Path.Combine(dir.FullName, "whole.png"), half = Path.Combine(dir.FullName, "half.png"), corrupt = Path.Combine(dir.FullName, "corrupt.png");
        var bytes = NoisePng(whole);
        File.WriteAllBytes(half, bytes[..(bytes.Length / 2)]);
        var damaged = (byte[])bytes.Clone();
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) damaged[i] ^= 0x5A;  // inside the image data
        File.WriteAllBytes(corrupt, damaged);

        Assert.Equal(0, Invoke("predict", model, whole));
        Assert.Equal(1, Invoke("predict", model, half));
        Assert.Equal(1, Invoke("predict", model, corrupt));
        var truncated = Assert.Throws<InvalidDataException>(() => ModelCommands.ReadImages([half]));
        Assert.Equal($"{half}: the file is truncated; the image was not fully decoded.", truncated.Message);
        Assert.StartsWith($"{corrupt}: the file is ", Assert.Throws<InvalidDataException>(() => ModelCommands.ReadImages([corrupt])).Message, StringComparison.Ordinal);
    }
}
