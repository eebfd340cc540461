using System.Numerics;
using System.Runtime.InteropServices;

namespace Axon.Kernels;

/// <summary>
/// An in-place update of a parameter p from its gradient g and up to three state streams (an optimiser's moments),
/// element by element. Written once, generic over the lane width (<see cref="ILanes{TSelf, T}"/>); a state the update
/// does not use arrives as zero and is not stored.
/// </summary>
internal interface IUpdateOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    void Invoke<TV>(ref TV p, TV g, ref TV s0, ref TV s1, ref TV s2) where TV : struct, ILanes<TV, T>;
}

/// <summary>
/// The driver of <see cref="IUpdateOperator{T}"/>s, the optimisers' counterpart of <see cref="SimdDriver"/>: 512-bit
/// vectors where accelerated, then 256, 128 and single lanes.
/// </summary>
internal static class UpdateDriver
{
    public static void Run<T, TOp>(Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IUpdateOperator<T>
    {
        int n = p.Length;
        if (g.Length != n) throw new ArgumentException($"Update: the gradient has {g.Length} elements, the parameter {n}.", nameof(g));
        CheckState(s0.Length, n, nameof(s0));
        CheckState(s1.Length, n, nameof(s1));
        CheckState(s2.Length, n, nameof(s2));
        var streams = new Streams<T>(p, g, s0, s1, s2);
        nuint i = 0, count = (nuint)n;
        i = Width<T, Lanes512<T>, TOp>(ref streams, i, count, op);
        i = Width<T, Lanes256<T>, TOp>(ref streams, i, count, op);
        i = Width<T, Lanes128<T>, TOp>(ref streams, i, count, op);
        Width<T, Lane1<T>, TOp>(ref streams, i, count, op);
    }

    private static void CheckState(int length, int n, string name)
    {
        if (length != 0 && length != n) throw new ArgumentException($"Update: a state stream has {length} elements, the parameter {n}.", name);
    }

    private readonly ref struct Streams<T> where T : unmanaged
    {
        public readonly ref T P;
        public readonly ref T G;
        public readonly ref T S0;
        public readonly ref T S1;
        public readonly ref T S2;
        public readonly bool Has0, Has1, Has2;

        public Streams(Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2)
        {
            P = ref MemoryMarshal.GetReference(p);
            G = ref MemoryMarshal.GetReference(g);
            S0 = ref MemoryMarshal.GetReference(s0);
            S1 = ref MemoryMarshal.GetReference(s1);
            S2 = ref MemoryMarshal.GetReference(s2);
            (Has0, Has1, Has2) = (!s0.IsEmpty, !s1.IsEmpty, !s2.IsEmpty);
        }
    }

    private static nuint Width<T, TV, TOp>(ref Streams<T> s, nuint i, nuint n, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct, ILanes<TV, T> where TOp : struct, IUpdateOperator<T>
    {
        if (!TV.IsAccelerated) return i;
        nuint w = (nuint)TV.Count;
        // Locals, not the ref struct's fields: the stores through the refs below could alias a field as far as the
        // JIT knows, so it would reload every field on every iteration.
        ref T pp = ref s.P, gg = ref s.G, r0 = ref s.S0, r1 = ref s.S1, r2 = ref s.S2;
        bool h0 = s.Has0, h1 = s.Has1, h2 = s.Has2;
        for (; i + w <= n; i += w)
        {
            var p = TV.Load(ref pp, i);
            var a = h0 ? TV.Load(ref r0, i) : default;
            var b = h1 ? TV.Load(ref r1, i) : default;
            var c = h2 ? TV.Load(ref r2, i) : default;
            op.Invoke(ref p, TV.Load(ref gg, i), ref a, ref b, ref c);
            p.Store(ref pp, i);
            if (h0) a.Store(ref r0, i);
            if (h1) b.Store(ref r1, i);
            if (h2) c.Store(ref r2, i);
        }
        return i;
    }
}
