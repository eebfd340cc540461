using Axon.Kernels;

namespace Axon.Kernels.Tests;

/// <summary>
/// The float tanh's rational approximation against tanh evaluated in double and rounded to float, in ulps of the
/// correctly rounded result. An exhaustive run over every float from 2^-30 to 10 (278 million, both paths agree)
/// gave at most 5 ulps and a mean of 0.27; this test walks every 13th bit pattern of that range, both signs, and
/// checks the same bounds, so a wrong coefficient or a lost term fails it.
/// </summary>
public class TanhFloatTests
{
    private static long UlpDistance(float a, float b)
    {
        // Map the float bit patterns onto a monotonic integer line (negatives mirrored) and subtract.
        static long Key(float f) { int i = BitConverter.SingleToInt32Bits(f); return i < 0 ? int.MinValue - (long)i : i; }
        return Math.Abs(Key(a) - Key(b));
    }

    [Fact]
    public void Within_five_ulps_of_the_correctly_rounded_tanh_from_2_to_the_minus_30_to_10()
    {
        int first = BitConverter.SingleToInt32Bits(MathF.ScaleB(1f, -30)), last = BitConverter.SingleToInt32Bits(10f);
        const int Stride = 13, Chunk = 1 << 16;
        var x = new float[2 * Chunk];
        var y = new float[2 * Chunk];
        long worst = 0, count = 0;
        double total = 0;
        float worstX = 0;
        for (int b = first; b < last; b += Stride * Chunk)
        {
            int n = 0;
            for (int bits = b; bits < last && n < 2 * Chunk; bits += Stride)
            {
                float v = BitConverter.Int32BitsToSingle(bits);
                x[n++] = v;
                x[n++] = -v;
            }
            // An odd length leaves a scalar tail after the vector loops.
            int len = n - 1;
            Elementwise.Tanh<float>(x.AsSpan(0, len), y.AsSpan(0, len));
            for (int i = 0; i < len; i++)
            {
                long d = UlpDistance((float)Math.Tanh(x[i]), y[i]);
                total += d;
                count++;
                if (d > worst) { worst = d; worstX = x[i]; }
            }
        }
        Assert.True(count > 20_000_000, $"only {count} values checked");
        Assert.True(worst <= 5, $"worst error {worst} ulps at x = {worstX:R}");
        Assert.True(total / count < 0.3, $"mean error {total / count:F3} ulps");
    }

    [Fact]
    public void The_scalar_tail_gives_the_vector_result()
    {
        var rng = new Random(5);
        var x = new float[4099];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 24 - 12);
        var y = new float[x.Length];
        Elementwise.Tanh<float>(x, y);
        var one = new float[1];
        for (int i = 0; i < x.Length; i++)
        {
            Elementwise.Tanh<float>(x.AsSpan(i, 1), one);
            Assert.Equal(y[i], one[0]);
        }
    }

    [Fact]
    public void Specials_zeros_and_saturation()
    {
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 9.02f, -9.02f, 20f, -1e30f, float.Epsilon, -float.Epsilon, 1e-30f];
        // Same values through a 16-wide vector (padded) and the scalar tail.
        foreach (int len in new[] { x.Length, 16 + x.Length })
        {
            var src = new float[len];
            Array.Copy(x, 0, src, len - x.Length, x.Length);
            var d = new float[len];
            Elementwise.Tanh<float>(src, d);
            var r = d.AsSpan(len - x.Length);
            Assert.True(float.IsNaN(r[0]));
            Assert.Equal(1f, r[1]);
            Assert.Equal(-1f, r[2]);
            Assert.True(r[3] == 0f && !float.IsNegative(r[3]));
            Assert.True(r[4] == 0f && float.IsNegative(r[4]));
            Assert.Equal(1f, r[5]);
            Assert.Equal(-1f, r[6]);
            Assert.Equal(1f, r[7]);
            Assert.Equal(-1f, r[8]);
            Assert.Equal(float.Epsilon, r[9]);
            Assert.Equal(-float.Epsilon, r[10]);
            Assert.Equal(1e-30f, r[11]);
        }
    }
}
