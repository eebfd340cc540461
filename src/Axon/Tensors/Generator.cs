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

    /// <summary>
    /// The uniforms of <paramref name="u1"/>.Length Box-Muller pairs, drawn as <see cref="NextBoxMullerUniforms"/> draws
    /// them (the same 64-bit draws in the same order), rounded to single precision for the float transform.
    /// </summary>
    internal void FillBoxMullerUniforms(Span<float> u1, Span<float> u2)
    {
        ulong a0 = s0, a1 = s1, a2 = s2, a3 = s3;   // the state in locals: the loop is the sequential part of a fill
        for (int p = 0; p < u1.Length; p++)
        {
            double first;
            do first = (Next(ref a0, ref a1, ref a2, ref a3) >> 11) * (1.0 / (1UL << 53)); while (first <= double.Epsilon);
            u1[p] = (float)first;
            u2[p] = (float)((Next(ref a0, ref a1, ref a2, ref a3) >> 11) * (1.0 / (1UL << 53)));
        }
        (s0, s1, s2, s3) = (a0, a1, a2, a3);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Next(ref ulong a0, ref ulong a1, ref ulong a2, ref ulong a3)
    {
        ulong result = ulong.RotateLeft(a1 * 5, 7) * 9;
        ulong t = a1 << 17;
        a2 ^= a0; a3 ^= a1; a1 ^= a2; a0 ^= a3; a2 ^= t; a3 = ulong.RotateLeft(a3, 45);
        return result;
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

    /// <summary>
    /// Advances the generator by <paramref name="times"/> × 2^128 draws at once, and drops a cached normal: independent,
    /// non-overlapping streams from one state, such as one per rank of a data-parallel run (rank r jumps r times). As
    /// any number of draws, a jump commutes with drawing, so jumping a restored state gives the state the jumped
    /// generator would have reached.
    /// </summary>
    public void Jump(int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(times);
        var jump = JumpMatrix.Value;
        for (int t = 0; t < times; t++) (s0, s1, s2, s3) = Apply(jump, (s0, s1, s2, s3));
        spareNormal = null;
    }

    // The state transition of xoshiro256** is linear over GF(2): a 256 × 256 bit matrix, held as its 256 columns (the
    // images of the unit states). Squaring it 128 times gives the transition of 2^128 draws.
    private static readonly Lazy<(ulong, ulong, ulong, ulong)[]> JumpMatrix = new(() =>
    {
        var m = new (ulong, ulong, ulong, ulong)[256];
        for (int j = 0; j < 256; j++) m[j] = Step(Unit(j));
        for (int k = 0; k < 128; k++)
        {
            var squared = new (ulong, ulong, ulong, ulong)[256];
            for (int j = 0; j < 256; j++) squared[j] = Apply(m, m[j]);
            m = squared;
        }
        return m;
    });

    private static (ulong, ulong, ulong, ulong) Unit(int bit) => (bit >> 6) switch
    {
        0 => (1UL << bit, 0, 0, 0),
        1 => (0, 1UL << (bit & 63), 0, 0),
        2 => (0, 0, 1UL << (bit & 63), 0),
        _ => (0, 0, 0, 1UL << (bit & 63)),
    };

    /// <summary>One draw's change of state (the output scrambling aside).</summary>
    internal static (ulong, ulong, ulong, ulong) Step((ulong, ulong, ulong, ulong) state)
    {
        var (a, b, c, d) = state;
        ulong t = b << 17;
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = ulong.RotateLeft(d, 45);
        return (a, b, c, d);
    }

    /// <summary>The matrix (columns) times a state: the XOR of the columns of its set bits.</summary>
    internal static (ulong, ulong, ulong, ulong) Apply((ulong, ulong, ulong, ulong)[] columns, (ulong, ulong, ulong, ulong) state)
    {
        ulong r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        ulong[] words = [state.Item1, state.Item2, state.Item3, state.Item4];
        for (int w = 0; w < 4; w++)
            for (ulong bits = words[w]; bits != 0; bits &= bits - 1)
            {
                var (c0, c1, c2, c3) = columns[(w << 6) | System.Numerics.BitOperations.TrailingZeroCount(bits)];
                r0 ^= c0; r1 ^= c1; r2 ^= c2; r3 ^= c3;
            }
        return (r0, r1, r2, r3);
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
