using System.Runtime.Intrinsics;

namespace Axon.Kernels.Tests;

/// <summary>
/// The single-precision Box-Muller transform against the same transform in double (Math.Log, Math.Cos, Math.Sin) on
/// the same uniforms, its vector widths against its scalar lane bit for bit, and the scaled, interleaved layout.
/// </summary>
public class NormalKernelsTests
{
    /// <summary>Uniform pairs as the generator makes them (u1 in (0, 1), from 2^-53 up), plus the edges of each quarter turn.</summary>
    private static (float[] U1, float[] U2) Uniforms(int n, int seed, bool tail = true)
    {
        var r = new Random(seed);
        var u1 = new float[n];
        var u2 = new float[n];
        for (int i = 0; i < n; i++)
        {
            // every 5th u1 spread log-uniformly down to 2^-53, so the tail (r up to 8.6) is covered
            u1[i] = tail && i % 5 == 0 ? (float)Math.Pow(2, -53 * r.NextDouble()) : (float)(r.NextInt64(1, 1L << 53) * (1.0 / (1UL << 53)));
            u2[i] = (float)r.NextDouble();
        }
        float[] edges1 = [MathF.ScaleB(1, -53), 1e-30f, 0.5f, 1f, MathF.BitDecrement(1f), 1.41421356f / 2, 0.70710677f];
        float[] edges2 = [0f, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f, MathF.BitDecrement(1f), 1f, MathF.BitIncrement(0.25f), MathF.BitDecrement(0.25f)];
        for (int i = 0; tail && i < edges1.Length * edges2.Length && i < n; i++) (u1[i], u2[i]) = (edges1[i % edges1.Length], edges2[i / edges1.Length]);
        return (u1, u2);
    }

    [Fact]
    public void Agrees_with_the_double_transform_to_a_quarter_of_a_millionth_of_the_radius()
    {
        var (u1, u2) = Uniforms(1 << 20, 1);
        var (z1, z2) = ((float[])u1.Clone(), (float[])u2.Clone());
        NormalKernels.BoxMuller(z1, z2);
        double worst = 0;
        for (int i = 0; i < u1.Length; i++)
        {
            double r = Math.Sqrt(-2 * Math.Log(u1[i])), theta = 2 * Math.PI * u2[i];
            double error = Math.Max(Math.Abs(z1[i] - r * Math.Cos(theta)), Math.Abs(z2[i] - r * Math.Sin(theta)));
            worst = Math.Max(worst, error / Math.Max(r, 1));
        }
        // Measured: 2.0e-7 (float rounding of r, of the polynomials and of the product; the series' own error is 2e-9).
        Assert.InRange(worst, 1e-8, 2.5e-7);
    }

    [Fact]
    public void Gives_standard_normals()
    {
        var (u1, u2) = Uniforms(1 << 20, 2, tail: false);
        NormalKernels.BoxMuller(u1, u2);
        double sum = 0, squares = 0, within1 = 0;
        foreach (var z in u1.Concat(u2)) { sum += z; squares += (double)z * z; within1 += Math.Abs(z) < 1 ? 1 : 0; }
        int n = 2 * u1.Length;
        Assert.InRange(sum / n, -0.004, 0.004);
        Assert.InRange(squares / n, 0.995, 1.005);
        Assert.InRange(within1 / n, 0.6827 - 0.002, 0.6827 + 0.002);
    }

    [Fact]
    public void Every_vector_width_equals_the_scalar_lane_bit_for_bit()
    {
        var (u1, u2) = Uniforms(10_000, 3);
        var (s1, s2) = ((float[])u1.Clone(), (float[])u2.Clone());
        NormalKernels.BoxMullerScalar(s1, s2);
        var widths = new List<(string, Func<float[], float[], int>)>();
        if (Vector512.IsHardwareAccelerated) widths.Add(("512", (a, b) => NormalKernels.BoxMuller512(a, b)));
        if (Vector256.IsHardwareAccelerated) widths.Add(("256", (a, b) => NormalKernels.BoxMuller256(a, b)));
        widths.Add(("dispatch", (a, b) => { NormalKernels.BoxMuller(a, b); return a.Length; }));
        foreach (var (name, run) in widths)
        {
            var (v1, v2) = ((float[])u1.Clone(), (float[])u2.Clone());
            int done = run(v1, v2);
            Assert.True(done >= u1.Length - 15, name);
            for (int i = 0; i < done; i++)
                Assert.True(BitConverter.SingleToInt32Bits(v1[i]) == BitConverter.SingleToInt32Bits(s1[i]) && BitConverter.SingleToInt32Bits(v2[i]) == BitConverter.SingleToInt32Bits(s2[i]),
                    $"{name} bits: pair {i} (u1 {u1[i]:R}, u2 {u2[i]:R}) gave ({v1[i]:R}, {v2[i]:R}), the scalar lane ({s1[i]:R}, {s2[i]:R})");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(37)]
    public void Scale_interleave_lays_pairs_out_in_drawing_order(int n)
    {
        var r = new Random(n);
        var a = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble() * 4 - 2).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble() * 4 - 2).ToArray();
        var dst = new float[2 * n];
        NormalKernels.ScaleInterleave(a, b, 1.5f, 0.3f, dst);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0.3f * a[i] + 1.5f, dst[2 * i]);
            Assert.Equal(0.3f * b[i] + 1.5f, dst[2 * i + 1]);
        }
    }

    [Fact]
    public void Mismatched_spans_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => NormalKernels.BoxMuller(new float[3], new float[4]));
        Assert.Contains("BoxMuller: 3 first uniforms but 4", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NormalKernels.ScaleInterleave(new float[3], new float[3], 0, 1, new float[5]));
    }
}
