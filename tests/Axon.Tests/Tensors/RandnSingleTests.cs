namespace Axon.Tests.Tensors;

/// <summary>
/// float32 normal fills take the single-precision Box-Muller kernel on the generator's own uniforms: the values agree
/// with the double transform's (float64 fills, <see cref="Generator.NextNormal"/>) to a few parts in ten million, and
/// the stream goes on from the same place, spare normal included.
/// </summary>
public class RandnSingleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(2048)]     // two whole chunks of pairs
    [InlineData(2049)]
    [InlineData(100_001)]  // a batch of noise, odd: leaves a spare
    public void Float32_fills_follow_the_double_stream(int n)
    {
        var g32 = new Generator(21);
        var g64 = new Generator(21);
        // enter with a spare normal left by an odd fill, and leave through one
        var a = Tensor.Randn([3], g32, DType.Float32, 0.5, 2).ToFloatArray();
        var b = Tensor.Randn([3], g64, DType.Float64, 0.5, 2).ToDoubleArray();
        var x = Tensor.Randn([n], g32, DType.Float32, -1, 0.25).ToFloatArray();
        var y = Tensor.Randn([n], g64, DType.Float64, -1, 0.25).ToDoubleArray();
        var nextFloat = Tensor.Randn([5], g32, DType.Float32).ToFloatArray();
        var nextDouble = Tensor.Randn([5], g64, DType.Float64).ToDoubleArray();
        double worst = 0;
        foreach (var (f, d, scale) in a.Zip(b).Select(p => (p.First, p.Second, 2.0))
                     .Concat(x.Zip(y).Select(p => (p.First, p.Second, 0.25)))
                     .Concat(nextFloat.Zip(nextDouble).Select(p => (p.First, p.Second, 1.0))))
            worst = Math.Max(worst, Math.Abs(f - d) / scale);
        // The kernel's 2.5e-7 of the radius, plus the uniforms' rounding to float (θ off by up to 2π·2^-24·u2, 3.8e-7 of the
        // radius): at most 6.3e-7 × 8.6 standard deviations; measured 3.1e-6 on the 100,001 values.
        Assert.InRange(worst, 0, 5.5e-6);
        Assert.Equal(g64.NextUInt64(), g32.NextUInt64());   // the same draws were made
    }

    [Fact]
    public void The_same_seed_gives_the_same_bits_whatever_the_fill_sizes_and_backend()
    {
        var one = Tensor.Randn([4099], new Generator(5)).ToFloatArray();
        var g = new Generator(5);
        var parts = new[] { 1, 2, 1023, 1, 3072 }.SelectMany(k => Tensor.Randn([k], g).ToFloatArray()).ToArray();
        Assert.Equal(one, parts);
        Assert.Equal(one, Tensor.Randn([4099], new Generator(5), device: Device.Reference).ToFloatArray());
    }

    [Fact]
    public void An_empty_fill_keeps_the_spare()
    {
        var g = new Generator(8);
        var h = new Generator(8);
        _ = Tensor.Randn([1], g);
        _ = Tensor.Randn([0], g);
        var after = Tensor.Randn([1], g).ToFloatArray();
        Assert.Equal(Tensor.Randn([2], h).ToFloatArray()[1], after[0]);
    }
}
