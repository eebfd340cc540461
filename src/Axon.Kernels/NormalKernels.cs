using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Axon.Kernels;

/// <summary>
/// The Box-Muller transform in single precision: two uniforms in, two independent standard normals out,
/// r cos θ and r sin θ with r = √(−2 ln u1) and θ = 2π u2. The logarithm and the sine and cosine are short polynomials
/// (an atanh series on the mantissa, Taylor series on a quarter turn), so a 512-bit vector transforms 16 pairs at once;
/// the results are within about 3e-7 (relative to r) of the double-precision transform.
/// </summary>
/// <remarks>
/// Every width (512, 256 bits, one scalar lane) does the same IEEE operations in the same order, without fused
/// multiply-adds, so a pair's normals do not depend on the width that computed them, nor on where a span starts.
/// </remarks>
public static class NormalKernels
{
    private const float Ln2Hi = 0.693138123f, Ln2Lo = 9.05800061e-6f, Sqrt2 = 1.41421356f, HalfPi = 1.57079633f;
    private const float L3 = 1f / 3, L5 = 1f / 5, L7 = 1f / 7, L9 = 1f / 9;
    private const float S3 = -1f / 6, S5 = 1f / 120, S7 = -1f / 5040, S9 = 1f / 362880;
    private const float C2 = -0.5f, C4 = 1f / 24, C6 = -1f / 720, C8 = 1f / 40320, C10 = -1f / 3628800;

    /// <summary>
    /// Transforms the pairs (u1[i], u2[i]) in place: u1[i] becomes r cos θ and u2[i] becomes r sin θ. Each u1 must be in
    /// (0, 1] (a positive normal float: 0 has no logarithm), each u2 in [0, 1].
    /// </summary>
    public static void BoxMuller(Span<float> u1, Span<float> u2)
    {
        if (u1.Length != u2.Length) throw new ArgumentException($"BoxMuller: {u1.Length} first uniforms but {u2.Length} second ones.");
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = BoxMuller512(u1, u2);
        else if (Vector256.IsHardwareAccelerated) i = BoxMuller256(u1, u2);
        BoxMullerScalar(u1[i..], u2[i..]);
    }

    /// <summary>One lane: the reference every vector width equals bit for bit.</summary>
    internal static void BoxMullerScalar(Span<float> u1, Span<float> u2)
    {
        for (int i = 0; i < u1.Length; i++)
        {
            // ln u1 = e ln 2 + ln m, m in (√½, √2]; ln m = 2 atanh t, t = (m − 1)/(m + 1), |t| ≤ 0.172.
            int bits = BitConverter.SingleToInt32Bits(u1[i]);
            float m = BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F800000);
            int big = m > Sqrt2 ? 1 : 0;
            m = big == 1 ? m * 0.5f : m;
            float e = (float)(((bits >> 23) & 0xFF) - 127 + big);
            float t = (m - 1f) / (m + 1f), t2 = t * t;
            float series = (((L9 * t2 + L7) * t2 + L5) * t2 + L3) * t2 + 1f;
            float ln = e * Ln2Hi + (e * Ln2Lo + 2f * t * series);
            float r = MathF.Sqrt(-2f * ln);

            // θ = 2π u2 = (q + f) π/2: quarter turn q = round(4 u2), f in [−½, ½]; polynomials on φ = f π/2.
            float x = u2[i] * 4f, q = MathF.Round(x), phi = (x - q) * HalfPi, p2 = phi * phi;
            float sin = phi + phi * p2 * (((S9 * p2 + S7) * p2 + S5) * p2 + S3);
            float cos = 1f + p2 * ((((C10 * p2 + C8) * p2 + C6) * p2 + C4) * p2 + C2);
            int quarter = (int)q;
            (float a, float b) = (quarter & 1) != 0 ? (sin, cos) : (cos, sin);
            a = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) ^ (((quarter + 1) & 2) << 30));
            b = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(b) ^ ((quarter & 2) << 30));
            u1[i] = r * a;
            u2[i] = r * b;
        }
    }

    /// <summary>The whole vectors of 16 lanes; returns how many pairs it did.</summary>
    internal static int BoxMuller512(Span<float> u1, Span<float> u2)
    {
        ref float p1 = ref MemoryMarshal.GetReference(u1), p2r = ref MemoryMarshal.GetReference(u2);
        int n = u1.Length & ~15;
        for (int i = 0; i < n; i += 16)
        {
            var bits = Vector512.LoadUnsafe(ref p1, (nuint)i).AsInt32();
            var m = (bits & Vector512.Create(0x007FFFFF) | Vector512.Create(0x3F800000)).AsSingle();
            var big = Vector512.GreaterThan(m, Vector512.Create(Sqrt2));
            m = Vector512.ConditionalSelect(big, m * 0.5f, m);
            var e = Vector512.ConvertToSingle((bits >>> 23 & Vector512.Create(0xFF)) - Vector512.Create(127) - big.AsInt32());
            var t = (m - Vector512<float>.One) / (m + Vector512<float>.One);
            var t2 = t * t;
            var series = (((Vector512.Create(L9) * t2 + Vector512.Create(L7)) * t2 + Vector512.Create(L5)) * t2 + Vector512.Create(L3)) * t2 + Vector512<float>.One;
            var ln = e * Ln2Hi + (e * Ln2Lo + Vector512.Create(2f) * t * series);
            var r = Vector512.Sqrt(Vector512.Create(-2f) * ln);

            var x = Vector512.LoadUnsafe(ref p2r, (nuint)i) * 4f;
            var q = Vector512.Round(x);
            var phi = (x - q) * HalfPi;
            var pp = phi * phi;
            var sin = phi + phi * pp * (((Vector512.Create(S9) * pp + Vector512.Create(S7)) * pp + Vector512.Create(S5)) * pp + Vector512.Create(S3));
            var cos = Vector512<float>.One + pp * ((((Vector512.Create(C10) * pp + Vector512.Create(C8)) * pp + Vector512.Create(C6)) * pp + Vector512.Create(C4)) * pp + Vector512.Create(C2));
            var quarter = Vector512.ConvertToInt32(q);
            var odd = Vector512.Equals(quarter & Vector512<int>.One, Vector512<int>.One).AsSingle();
            var a = Vector512.ConditionalSelect(odd, sin, cos).AsInt32() ^ ((quarter + Vector512<int>.One & Vector512.Create(2)) << 30);
            var b = Vector512.ConditionalSelect(odd, cos, sin).AsInt32() ^ ((quarter & Vector512.Create(2)) << 30);
            (r * a.AsSingle()).StoreUnsafe(ref p1, (nuint)i);
            (r * b.AsSingle()).StoreUnsafe(ref p2r, (nuint)i);
        }
        return n;
    }

    /// <summary>The whole vectors of 8 lanes; returns how many pairs it did.</summary>
    internal static int BoxMuller256(Span<float> u1, Span<float> u2)
    {
        ref float p1 = ref MemoryMarshal.GetReference(u1), p2r = ref MemoryMarshal.GetReference(u2);
        int n = u1.Length & ~7;
        for (int i = 0; i < n; i += 8)
        {
            var bits = Vector256.LoadUnsafe(ref p1, (nuint)i).AsInt32();
            var m = (bits & Vector256.Create(0x007FFFFF) | Vector256.Create(0x3F800000)).AsSingle();
            var big = Vector256.GreaterThan(m, Vector256.Create(Sqrt2));
            m = Vector256.ConditionalSelect(big, m * 0.5f, m);
            var e = Vector256.ConvertToSingle((bits >>> 23 & Vector256.Create(0xFF)) - Vector256.Create(127) - big.AsInt32());
            var t = (m - Vector256<float>.One) / (m + Vector256<float>.One);
            var t2 = t * t;
            var series = (((Vector256.Create(L9) * t2 + Vector256.Create(L7)) * t2 + Vector256.Create(L5)) * t2 + Vector256.Create(L3)) * t2 + Vector256<float>.One;
            var ln = e * Ln2Hi + (e * Ln2Lo + Vector256.Create(2f) * t * series);
            var r = Vector256.Sqrt(Vector256.Create(-2f) * ln);

            var x = Vector256.LoadUnsafe(ref p2r, (nuint)i) * 4f;
            var q = Vector256.Round(x);
            var phi = (x - q) * HalfPi;
            var pp = phi * phi;
            var sin = phi + phi * pp * (((Vector256.Create(S9) * pp + Vector256.Create(S7)) * pp + Vector256.Create(S5)) * pp + Vector256.Create(S3));
            var cos = Vector256<float>.One + pp * ((((Vector256.Create(C10) * pp + Vector256.Create(C8)) * pp + Vector256.Create(C6)) * pp + Vector256.Create(C4)) * pp + Vector256.Create(C2));
            var quarter = Vector256.ConvertToInt32(q);
            var odd = Vector256.Equals(quarter & Vector256<int>.One, Vector256<int>.One).AsSingle();
            var a = Vector256.ConditionalSelect(odd, sin, cos).AsInt32() ^ ((quarter + Vector256<int>.One & Vector256.Create(2)) << 30);
            var b = Vector256.ConditionalSelect(odd, cos, sin).AsInt32() ^ ((quarter & Vector256.Create(2)) << 30);
            (r * a.AsSingle()).StoreUnsafe(ref p1, (nuint)i);
            (r * b.AsSingle()).StoreUnsafe(ref p2r, (nuint)i);
        }
        return n;
    }

    /// <summary>
    /// dst[2i] = std·first[i] + mean and dst[2i + 1] = std·second[i] + mean (two roundings, no fused multiply-add): the
    /// pairs of <see cref="BoxMuller"/> laid out in the order they are drawn, scaled to a mean and standard deviation.
    /// </summary>
    public static void ScaleInterleave(ReadOnlySpan<float> first, ReadOnlySpan<float> second, float mean, float std, Span<float> dst)
    {
        int n = first.Length;
        if (second.Length != n || dst.Length != 2 * n) throw new ArgumentException($"ScaleInterleave: {first.Length} and {second.Length} values into {dst.Length}.");
        ref float a = ref MemoryMarshal.GetReference(first), b = ref MemoryMarshal.GetReference(second), d = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        if (Avx512F.IsSupported)
        {
            var lo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            var hi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            Vector512<float> m = Vector512.Create(mean), s = Vector512.Create(std);
            for (; i + 16 <= n; i += 16)
            {
                var x = s * Vector512.LoadUnsafe(ref a, (nuint)i) + m;
                var y = s * Vector512.LoadUnsafe(ref b, (nuint)i) + m;
                Avx512F.PermuteVar16x32x2(x, lo, y).StoreUnsafe(ref d, (nuint)(2 * i));
                Avx512F.PermuteVar16x32x2(x, hi, y).StoreUnsafe(ref d, (nuint)(2 * i + 16));
            }
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref d, 2 * i) = std * Unsafe.Add(ref a, i) + mean;
            Unsafe.Add(ref d, 2 * i + 1) = std * Unsafe.Add(ref b, i) + mean;
        }
    }
}
