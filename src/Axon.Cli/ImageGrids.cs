using Axon.Models.Generative;
using SkiaSharp;

namespace Axon.Cli;

/// <summary>
/// Writes <see cref="ImageGrid"/>s as PNGs with SkiaSharp (which ScottPlot brings): grey-level images scaled up without
/// smoothing, a title above and the row labels at the left; written to a temporary file and renamed.
/// </summary>
internal static class ImageGrids
{
    private const int Gap = 2;

    /// <summary>Writes the grids one under the other into one PNG; <paramref name="scale"/> pixels per image pixel.</summary>
    public static void Save(string path, IReadOnlyList<ImageGrid> grids, int scale = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        if (grids.Count == 0) throw new ArgumentException("ImageGrids.Save: no grids to draw.", nameof(grids));
        using var font = new SKFont(SKTypeface.Default, 12);
        const int titleHeight = 20;
        int labelWidth = grids.Any(g => g.RowLabels is { Count: > 0 }) ? 8 + (int)Math.Ceiling(grids.Where(g => g.RowLabels is not null).SelectMany(g => g.RowLabels!).Max(l => font.MeasureText(l))) : 0;
        var layout = grids.Select(g =>
        {
            int side = g.Images.Size(2) * scale;
            return (Grid: g, Side: side, Width: g.Columns * (side + Gap) + Gap, Height: titleHeight + g.Rows * (side + Gap) + Gap);
        }).ToList();
        int width = labelWidth + layout.Max(l => Math.Max(l.Width, (int)font.MeasureText(l.Grid.Title) + 8));
        int height = layout.Sum(l => l.Height);

        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            using var frame = new SKPaint { Color = new SKColor(160, 160, 160) };
            int top = 0;
            foreach (var (grid, side, gridWidth, gridHeight) in layout)
            {
                canvas.DrawText(grid.Title, 4, top + 14, SKTextAlign.Left, font, text);
                int y0 = top + titleHeight;
                canvas.DrawRect(labelWidth, y0, gridWidth, gridHeight - titleHeight, frame);
                var pixels = grid.Images.Contiguous().ToArray<float>();
                int h = grid.Images.Size(2), w = grid.Images.Size(3);
                for (int r = 0; r < grid.Rows; r++)
                {
                    if (grid.RowLabels is { } labels && r < labels.Count)
                        canvas.DrawText(labels[r], 4, y0 + Gap + r * (side + Gap) + side / 2 + 4, SKTextAlign.Left, font, text);
                    for (int c = 0; c < grid.Columns; c++)
                    {
                        int offset = (r * grid.Columns + c) * h * w, x = labelWidth + Gap + c * (side + Gap), y = y0 + Gap + r * (side + Gap);
                        for (int i = 0; i < h; i++)
                            for (int j = 0; j < w; j++)
                            {
                                float v = pixels[offset + i * w + j];
                                byte g = (byte)Math.Clamp((int)MathF.Round((float.IsNaN(v) ? 0 : v) * 255), 0, 255);
                                for (int a = 0; a < scale; a++)
                                    for (int b = 0; b < scale; b++) bitmap.SetPixel(x + j * scale + b, y + i * scale + a, new SKColor(g, g, g));
                            }
                    }
                }
                top += gridHeight;
            }
        }
        Plots.SaveAtomically(path, tmp =>
        {
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(tmp);
            data.SaveTo(file);
        });
    }
}
