using Axon.Data;

namespace Axon.Tests.Data;

public class TransformsTests
{
    /// <summary>Images [n, c, h, w] whose pixel (i, ch, y, x) is 1000 i + 100 ch + 10 y + x + 1 (never 0), so every pixel says where it came from.</summary>
    private static Tensor Coded(int n, int c, int h, int w)
    {
        var data = new float[n * c * h * w];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        data[((i * c + ch) * h + y) * w + x] = 1000 * i + 100 * ch + 10 * y + x + 1;
        return Tensor.FromArray(data, n, c, h, w);
    }

    private static float At(float[] d, int c, int h, int w, int i, int ch, int y, int x) => d[((i * c + ch) * h + y) * w + x];

    [Fact]
    public void FlipWithPOneReversesEveryRowAndPZeroDoesNothing()
    {
        var x = Coded(3, 2, 4, 5);
        var before = x.ToFloatArray();
        var result = new RandomHorizontalFlip(1).Apply(x, new Generator(0));
        Assert.Same(x, result); // in place
        var after = x.ToFloatArray();
        for (int i = 0; i < 3; i++)
            for (int ch = 0; ch < 2; ch++)
                for (int y = 0; y < 4; y++)
                    for (int c = 0; c < 5; c++)
                        Assert.Equal(At(before, 2, 4, 5, i, ch, y, 4 - c), At(after, 2, 4, 5, i, ch, y, c));
        var z = Coded(3, 2, 4, 5);
        new RandomHorizontalFlip(0).Apply(z, new Generator(0));
        Assert.Equal(before, z.ToFloatArray());
    }

    [Fact]
    public void FlipDecidesPerImageForAllChannels()
    {
        var x = Coded(200, 2, 3, 3);
        var before = x.ToFloatArray();
        new RandomHorizontalFlip(0.5).Apply(x, new Generator(5));
        var after = x.ToFloatArray();
        int flipped = 0;
        for (int i = 0; i < 200; i++)
        {
            bool f0 = At(after, 2, 3, 3, i, 0, 0, 0) != At(before, 2, 3, 3, i, 0, 0, 0);
            bool f1 = At(after, 2, 3, 3, i, 1, 0, 0) != At(before, 2, 3, 3, i, 1, 0, 0);
            Assert.Equal(f0, f1);
            if (f0) flipped++;
        }
        Assert.InRange(flipped, 70, 130);
    }

    [Fact]
    public void CropWithPaddingKeepsTheShapeAndShiftsTheContent()
    {
        const int n = 50, c = 2, h = 6, w = 7, pad = 2;
        var x = Coded(n, c, h, w);
        var result = new RandomCrop(h, w, pad).Apply(x, new Generator(3));
        Assert.Same(x, result);
        Assert.Equal([n, c, h, w], x.GetShape());
        var d = x.ToFloatArray();
        var shifts = new HashSet<(int, int)>();
        for (int i = 0; i < n; i++)
        {
            // Find the shift from any non-padding pixel: value 1000 i + 100 ch + 10 sy + sx + 1.
            int dy = int.MinValue, dx = int.MinValue;
            for (int y = 0; y < h && dy == int.MinValue; y++)
                for (int xx = 0; xx < w; xx++)
                {
                    float v = At(d, c, h, w, i, 0, y, xx);
                    if (v == 0) continue;
                    int code = (int)v - 1 - 1000 * i;
                    dy = code / 10 - y;
                    dx = code % 10 - xx;
                    break;
                }
            Assert.InRange(dy, -pad, pad);
            Assert.InRange(dx, -pad, pad);
            shifts.Add((dy, dx));
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        int sy = y + dy, sx = xx + dx;
                        float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? 1000 * i + 100 * ch + 10 * sy + sx + 1 : 0;
                        Assert.Equal(expected, At(d, c, h, w, i, ch, y, xx));
                    }
        }
        Assert.True(shifts.Count > 10, "the crops should land in many places");
    }

    [Fact]
    public void CropToASmallerSizeReturnsANewTensorAndFillsWithTheConstant()
    {
        var x = Coded(4, 1, 5, 5);
        var before = x.ToFloatArray();
        var small = new RandomCrop(3).Apply(x, new Generator(1));
        Assert.NotSame(x, small);
        Assert.Equal([4, 1, 3, 3], small.GetShape());
        Assert.Equal(before, x.ToFloatArray());
        var s = small.ToFloatArray();
        for (int i = 0; i < 4; i++)
        {
            int code = (int)s[i * 9] - 1 - 1000 * i, top = code / 10, left = code % 10;
            for (int y = 0; y < 3; y++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(1000 * i + 10 * (top + y) + left + c + 1, s[i * 9 + y * 3 + c]);
        }
        // A 1x1 image padded by 1 and cropped 3x3: the pixel in the middle, the fill all around.
        var one = Tensor.FromArray([5f], 1, 1);
        var padded = new RandomCrop(3, padding: 1, fill: -1).Apply(one, new Generator(0));
        Assert.Equal([-1f, -1, -1, -1, 5, -1, -1, -1, -1], padded.ToFloatArray());
        Assert.Throws<ArgumentException>(() => new RandomCrop(6).Apply(Coded(1, 1, 5, 5), new Generator(0)));
    }

    [Fact]
    public void ErasingWritesTheValueInOneRectangle()
    {
        const int n = 40, c = 3, h = 16, w = 12;
        var x = Coded(n, c, h, w);
        new RandomErasing(p: 1, value: -7).Apply(x, new Generator(11));
        var d = x.ToFloatArray();
        int erased = 0;
        for (int i = 0; i < n; i++)
        {
            int y0 = h, y1 = -1, x0 = w, x1 = -1, count = 0;
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                    if (At(d, c, h, w, i, 0, y, xx) == -7) { y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); x0 = Math.Min(x0, xx); x1 = Math.Max(x1, xx); count++; }
            if (count == 0) continue; // ten tries without a fitting rectangle
            erased++;
            int area = (y1 - y0 + 1) * (x1 - x0 + 1);
            Assert.Equal(area, count); // a full rectangle
            Assert.InRange(area, 1, (int)Math.Ceiling(0.33 * h * w * 1.3));
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        bool inside = y >= y0 && y <= y1 && xx >= x0 && xx <= x1;
                        Assert.Equal(inside ? -7 : 1000 * i + 100 * ch + 10 * y + xx + 1, At(d, c, h, w, i, ch, y, xx));
                    }
        }
        Assert.True(erased > 30, $"p = 1 should erase nearly every image, erased {erased}");

        var untouched = Coded(5, 1, 8, 8);
        new RandomErasing(p: 0).Apply(untouched, new Generator(0));
        Assert.Equal(Coded(5, 1, 8, 8).ToFloatArray(), untouched.ToFloatArray());
    }

    [Fact]
    public void ErasingFollowsTheTorchvisionDrawOrder()
    {
        var t = new RandomErasing(p: 1, scaleMin: 0.1, scaleMax: 0.2, ratioMin: 0.5, ratioMax: 2, value: 0);
        var g = new Generator(9);
        Assert.True(g.NextDouble() < 1);
        var rect = t.DrawRectangle(20, 20, g);
        Assert.NotNull(rect);
        var (top, left, eh, ew) = rect.Value;
        var x = Tensor.Ones([1, 20, 20]);
        t.Apply(x, new Generator(9));
        var d = x.ToFloatArray();
        for (int y = 0; y < 20; y++)
            for (int c = 0; c < 20; c++)
                Assert.Equal(y >= top && y < top + eh && c >= left && c < left + ew ? 0f : 1f, d[y * 20 + c]);
        Assert.InRange(eh * ew, 0.1 * 400 * 0.8, 0.2 * 400 * 1.25);
    }

    [Fact]
    public void ErasingWithRandomValuesWritesNoise()
    {
        var x = Tensor.Full([1, 1, 10, 10], 5);
        new RandomErasing(p: 1, scaleMin: 0.3, scaleMax: 0.3, ratioMin: 1, ratioMax: 1, randomValues: true).Apply(x, new Generator(2));
        var noise = x.ToFloatArray().Where(v => v != 5).ToArray();
        Assert.Equal(25, noise.Length); // round(sqrt(30)) = 5
        Assert.True(noise.Distinct().Count() > 20);
    }

    [Fact]
    public void NormalizeIsPerChannel()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4, 10, 20, 30, 40], 1, 2, 2, 2);
        new Normalize([1f, 10], [2f, 5]).Apply(x);
        Assert.Equal([0f, 0.5f, 1, 1.5f, 0, 2, 4, 6], x.ToFloatArray());
        var y = Tensor.FromArray([0.5f, 1], 2, 1, 1, 1);
        new Normalize(0.5f, 0.25f).Apply(y);
        Assert.Equal([0f, 2], y.ToFloatArray());
        Assert.Throws<ArgumentException>(() => new Normalize([0f, 0, 0], [1f, 1, 1]).Apply(Tensor.Zeros([1, 2, 2, 2])));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Normalize(0f, 0f));
    }

    private static Compose Augment() => new(new RandomCrop(8, padding: 2), new RandomHorizontalFlip(), new RandomErasing(p: 0.7), new Normalize(0.5f, 0.25f));

    [Fact]
    public void SameSeedSameAugmentedBatch()
    {
        var a = Augment().Apply(Coded(16, 1, 8, 8), new Generator(123)).ToFloatArray();
        var b = Augment().Apply(Coded(16, 1, 8, 8), new Generator(123)).ToFloatArray();
        var c = Augment().Apply(Coded(16, 1, 8, 8), new Generator(124)).ToFloatArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ComposeAppliesInOrderAndSharesTheGenerator()
    {
        var g1 = new Generator(4);
        var composed = new Compose(new RandomHorizontalFlip(), new RandomCrop(3, padding: 1)).Apply(Coded(6, 1, 3, 3), g1).ToFloatArray();
        var g2 = new Generator(4);
        var step = new RandomHorizontalFlip().Apply(Coded(6, 1, 3, 3), g2);
        var manual = new RandomCrop(3, padding: 1).Apply(step, g2).ToFloatArray();
        Assert.Equal(manual, composed);
        Assert.Equal(g1.NextUInt64(), g2.NextUInt64());
    }

    [Fact]
    public void SingleImagesAndTwoDimensionalImagesWork()
    {
        var chw = Coded(1, 3, 4, 4).Reshape(3, 4, 4);
        new RandomHorizontalFlip(1).Apply(chw, new Generator(0));
        Assert.Equal(4f, chw.ToFloatArray()[0]);
        var hw = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        new RandomHorizontalFlip(1).Apply(hw, new Generator(0));
        Assert.Equal([2f, 1, 4, 3], hw.ToFloatArray());
        Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(Tensor.Zeros([4]), new Generator(0)));
        Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(Tensor.Zeros([2, 2], DType.Float64), new Generator(0)));
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomHorizontalFlip(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(3, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomErasing(p: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomErasing(scaleMin: 0.5, scaleMax: 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomErasing(ratioMin: 0));
    }
}
