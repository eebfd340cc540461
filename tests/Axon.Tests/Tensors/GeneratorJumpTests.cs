namespace Axon.Tests.Tensors;

public class GeneratorJumpTests
{
    [Fact]
    public void TheSquaredTransitionMatrixIsThatManyDraws()
    {
        // The construction Jump uses, stopped after 10 squarings: 2^10 draws.
        var m = new (ulong, ulong, ulong, ulong)[256];
        for (int j = 0; j < 256; j++) m[j] = Generator.Step(j < 64 ? (1UL << j, 0, 0, 0) : j < 128 ? (0, 1UL << (j - 64), 0, 0) : j < 192 ? (0, 0, 1UL << (j - 128), 0) : (0, 0, 0, 1UL << (j - 192)));
        for (int k = 0; k < 10; k++)
        {
            var squared = new (ulong, ulong, ulong, ulong)[256];
            for (int j = 0; j < 256; j++) squared[j] = Generator.Apply(m, m[j]);
            m = squared;
        }
        var g = new Generator(42);
        var s = g.GetState();
        var jumped = Generator.Apply(m, (s[0], s[1], s[2], s[3]));
        for (int i = 0; i < 1024; i++) g.NextUInt64();
        Assert.Equal(new[] { jumped.Item1, jumped.Item2, jumped.Item3, jumped.Item4 }, g.GetState()[..4]);
    }

    [Fact]
    public void AJumpCommutesWithDrawingAndGivesAnotherStream()
    {
        var (a, b) = (new Generator(7), new Generator(7));
        a.Jump();
        for (int i = 0; i < 37; i++) { a.NextDouble(); b.NextDouble(); }
        b.Jump();
        Assert.Equal(a.GetState(), b.GetState());

        var (twice, two) = (new Generator(7), new Generator(7));
        twice.Jump(); twice.Jump();
        two.Jump(2);
        Assert.Equal(twice.GetState(), two.GetState());

        var (plain, other) = (new Generator(7), new Generator(7));
        other.Jump();
        Assert.NotEqual(plain.NextUInt64(), other.NextUInt64());
        var zero = new Generator(7);
        zero.Jump(0);
        Assert.Equal(new Generator(7).GetState(), zero.GetState());
    }
}
