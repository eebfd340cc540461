using SkiaSharp;

namespace Axon.Imaging;

/// <summary>How <see cref="ImageFile"/> maps an image's colours to channels.</summary>
public enum ImageMode
{
    /// <summary>Three channels, red, green, blue (PIL's <c>convert("RGB")</c>): grey images are repeated, alpha is dropped.</summary>
    Rgb,

    /// <summary>One grey channel (PIL's <c>convert("L")</c>): colour becomes (19595 R + 38470 G + 7471 B + 2¹⁵) / 2¹⁶, alpha is dropped.</summary>
    Grey,

    /// <summary>As the file stores it: one channel for grey images (with or without alpha), three for colour ones.</summary>
    AsIs,
}

/// <summary>
/// Decodes image files — PNG, JPEG, and whatever else Skia reads (BMP, GIF's first frame, WebP, ICO, WBMP) — into
/// float32 tensors [C, H, W] with values in [0, 1], as torchvision's <c>ToTensor()</c> after PIL's <c>open</c> and
/// <c>convert</c>: the pixels as stored (byte / 255), no colour management, EXIF orientation ignored (PIL's
/// <c>Image.open</c> ignores it too; rotate afterwards if the camera's orientation matters), alpha dropped, the colour
/// kept as stored under it (as PIL's <c>convert("RGB")</c>). PNG pixels equal PIL's; JPEG pixels equal PIL's up to the
/// rounding of the two libjpeg builds. 16-bit PNGs are narrowed to 8 bits by Skia.
/// <para>
/// A missing, empty, truncated, corrupt or unsupported file is an error naming the file: Skia hands back whatever part
/// of a damaged file it could read, padded with blank rows, so anything short of a complete decode is refused. Images
/// larger than <see cref="MaxPixels"/> are refused before any pixel is decoded, since the header alone decides how much
/// memory the decode takes.
/// </para>
/// </summary>
public static class ImageFile
{
    /// <summary>
    /// The largest image accepted, in pixels (178,956,970: PIL's decompression-bomb limit, twice its warning level, a
    /// 13,377 x 13,377 image; decoding one takes 4 bytes per pixel, then 4 per pixel and channel as floats).
    /// </summary>
    public const long MaxPixels = 178_956_970;

    /// <summary>The file name extensions <see cref="ImageFolder"/> picks up (lower case, with the dot).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>Whether <paramref name="path"/> has one of the <see cref="Extensions"/> (any case).</summary>
    public static bool HasImageExtension(string path) =>
        Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Decodes the image file at <paramref name="path"/> into a float32 tensor [C, H, W] in [0, 1].</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is empty, truncated, corrupt, too large or not an image Skia reads.</exception>
    public static Tensor Load(string path, ImageMode mode = ImageMode.Rgb)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file.", path);
        return Decode(File.ReadAllBytes(path), mode, path);
    }

    /// <summary>Decodes an encoded image held in memory (see <see cref="Load"/>); <paramref name="name"/> names it in errors.</summary>
    public static Tensor Decode(byte[] data, ImageMode mode = ImageMode.Rgb, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(data);
        var (c, h, w, values) = DecodeBytes(data, mode, name);
        return Tensor.FromArray(values, c, h, w);
    }

    /// <summary>The width and height of the image at <paramref name="path"/>, read from its header without decoding the pixels.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file.", path);
        using var codec = OpenCodec(File.ReadAllBytes(path), path);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Byte b as b / 255f, the float32 division torchvision's ToTensor does (multiplying by 1/255f differs in the last bit).</summary>
    private static readonly float[] Levels = [.. Enumerable.Range(0, 256).Select(b => b / 255f)];

    private static SKCodec OpenCodec(byte[] data, string name)
    {
        if (data.Length == 0) throw new InvalidDataException($"{name}: the file is empty, not an image.");
        // SKCodec copies nothing: the stream must outlive it, so it owns the stream.
        var stream = new SKMemoryStream(data);
        var codec = SKCodec.Create(stream, out var opened);
        if (codec is null)
        {
            stream.Dispose();
            throw new InvalidDataException($"{name}: not an image Axon can decode ({Describe(opened)}; PNG, JPEG, BMP, GIF and WebP are supported).");
        }
        return codec;
    }

    private static (int C, int H, int W, float[] Values) DecodeBytes(byte[] data, ImageMode mode, string name)
    {
        using var codec = OpenCodec(data, name);
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0) throw new InvalidDataException($"{name}: the image has no pixels ({w}x{h}).");
        if ((long)w * h > MaxPixels)
            throw new InvalidDataException($"{name}: the image is {w}x{h} = {(long)w * h:N0} pixels, more than the {MaxPixels:N0} Axon decodes (a decompression bomb, or a photo to shrink first).");
        bool greyFile = codec.Info.ColorType == SKColorType.Gray8 || IsGreyPng(data);
        // Grey files without alpha decode straight to one byte per pixel; everything else to unpremultiplied RGBA,
        // which keeps the stored colour under transparent pixels.
        bool gray8 = codec.Info.ColorType == SKColorType.Gray8;
        var info = gray8
            ? new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var result = codec.GetPixels(info, out byte[] pixels);
        if (result != SKCodecResult.Success) throw new InvalidDataException($"{name}: {Describe(result)}; the image was not fully decoded.");
        int channels = mode switch
        {
            ImageMode.Rgb => 3,
            ImageMode.Grey => 1,
            _ => greyFile ? 1 : 3,
        };
        int plane = w * h;
        var values = new float[channels * plane];
        int step = gray8 ? 1 : 4;
        for (int p = 0; p < plane; p++)
        {
            int o = p * step;
            if (gray8 || (greyFile && channels == 1))
            {
                float v = Levels[pixels[o]];
                for (int ch = 0; ch < channels; ch++) values[ch * plane + p] = v;
            }
            else if (channels == 1)
            {
                // PIL's ITU-R 601-2 luma in 16-bit fixed point, so grey values equal PIL's convert("L") exactly.
                int l = (pixels[o] * 19595 + pixels[o + 1] * 38470 + pixels[o + 2] * 7471 + 0x8000) >> 16;
                values[p] = Levels[l];
            }
            else
            {
                values[p] = Levels[pixels[o]];
                values[plane + p] = Levels[pixels[o + 1]];
                values[2 * plane + p] = Levels[pixels[o + 2]];
            }
        }
        return (channels, h, w, values);
    }

    /// <summary>
    /// Whether a PNG stores grey levels (colour type 0, or 4 with alpha): Skia reports grey-and-alpha as RGBA, so the
    /// header says it. The IHDR chunk must come first, so its colour type byte is at offset 25.
    /// </summary>
    private static bool IsGreyPng(byte[] data) =>
        data.Length > 25 && data[0] == 0x89 && data[1] == (byte)'P' && data[2] == (byte)'N' && data[3] == (byte)'G'
        && data[12] == (byte)'I' && data[13] == (byte)'H' && data[14] == (byte)'D' && data[15] == (byte)'R'
        && data[25] is 0 or 4;

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated",
        SKCodecResult.ErrorInInput => "the file is corrupt",
        SKCodecResult.InvalidInput => "the file is not an image in a format Skia decodes",
        SKCodecResult.Unimplemented => "the file uses an image format feature Skia does not decode",
        _ => $"the decoder reported {result}",
    };
}
