namespace Axon;

/// <summary>
/// A seeded random number generator (xoshiro256**, seeded through SplitMix64). Every random source
/// in Axon takes one, so the same seed gives the same numbers on every machine and .NET version.
/// Its state can be saved and restored for exact resumption.
/// </summary>
public sealed class Generator
{
    private ulong s0, s1, s2, s3;
    private double? spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(long seed = 0) => ManualSeed(seed);

    /// <summary>The process-wide default generator, used when no generator is passed (seed 0 until <see cref="Tensor.ManualSeed"/>).</summary>
    public static Generator Default { get; set; } = new(0);

    /// <summary>The seed this generator was last seeded with.</summary>
    public long Seed { get; private set; }

    /// <summary>Re-seeds the generator.</summary>
    public void ManualSeed(long seed)
    {
        Seed = seed;
        ulong x = unchecked((ulong)seed);
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
        spareNormal = null;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, n) without modulo bias.</summary>
    public long NextInt64(long n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The upper bound must be positive.");
        ulong un = (ulong)n, limit = ulong.MaxValue - ulong.MaxValue % un;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (long)(r % un);
    }

    /// <summary>Uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high) => low + NextInt64(high - low);

    /// <summary>Standard normal sample (Box-Muller, both values used).</summary>
    public double NextNormal()
    {
        if (spareNormal is double s) { spareNormal = null; return s; }
        var (u1, u2) = NextBoxMullerUniforms();
        var (first, second) = BoxMuller(u1, u2);
        spareNormal = second;
        return first;
    }

    /// <summary>The two uniforms of one Box-Muller pair as <see cref="NextNormal"/> draws them: u1 in (ε, 1), u2 in [0, 1).</summary>
    internal (double U1, double U2) NextBoxMullerUniforms()
    {
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        return (u1, NextDouble());
    }

    /// <summary>Two independent standard normals from two uniforms: r cos θ and r sin θ, r = √(−2 ln u1), θ = 2π u2.</summary>
    internal static (double First, double Second) BoxMuller(double u1, double u2)
    {
        double r = Math.Sqrt(-2.0 * Math.Log(u1)), theta = 2.0 * Math.PI * u2;
        return (r * Math.Cos(theta), r * Math.Sin(theta));
    }

    /// <summary>Takes the second value of the last pair if <see cref="NextNormal"/> left one, so a bulk fill continues the same stream.</summary>
    internal double? TakeSpareNormal()
    {
        var s = spareNormal;
        spareNormal = null;
        return s;
    }

    /// <summary>Leaves <paramref name="value"/> as the next <see cref="NextNormal"/>, as a fill that used one value of its last pair does.</summary>
    internal void SetSpareNormal(double value) => spareNormal = value;

    /// <summary>Fisher-Yates shuffle of <paramref name="items"/>.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>The full state, for checkpoints.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, spareNormal is double d ? 1UL : 0UL, spareNormal is double v ? BitConverter.DoubleToUInt64Bits(v) : 0UL, unchecked((ulong)Seed)];

    /// <summary>Restores a state captured by <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 7) throw new ArgumentException($"A generator state has 7 words, got {state.Length}.", nameof(state));
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3];
        spareNormal = state[4] != 0 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
        Seed = unchecked((long)state[6]);
    }
}
