using Axon.Backends;

namespace Axon.Cuda.Tests.Kernels;

// elementwise.cu against ReferenceBackend.Elementwise: odd shapes, permuted, narrowed and broadcast operands.
public class ElementwiseKernelTests : KernelTestBase
{
    private static IBackend Ref => Device.Reference.Backend;

    /// <summary>Transcendental ops differ from .NET's by the libm's ulps; the rest must be exact.</summary>
    private static double Tol(UnaryOp op, DType d) => op is UnaryOp.Exp or UnaryOp.Log or UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Sqrt ? Ulps(d) : 0;

    [Fact]
    public void CopyAndCastThroughStridedViews()
    {
        foreach (var from in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (var to in new[] { DType.Float32, DType.Float64, DType.Int64 })
            {
                var x = Rand([5, 7, 3], from, 1, t => t.Permute(2, 0, 1).Narrow(2, 1, 5), specials: from != DType.Int64, lo: -50, hi: 50);
                var y = Zeros(x.T.GetShape(), to);
                if (from == to) Ref.Copy(x.T, y.T); else Ref.Cast(x.T, y.T);
                Emu.Launch(from == to ? $"axon_copy_{Sfx(to)}" : $"axon_cast_{Sfx(from)}_{Sfx(to)}", y.T.NumEl, Geo(y.T, x.T), y.P, x.P);
                Close($"cast {from}->{to}", y);
            }
    }

    [Fact]
    public void FillEveryDtype()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
        {
            var y = Zeros([3, 37], d);
            Ref.Fill(y.T, -2.75);
            Emu.Launch($"axon_fill_{Sfx(d)}", y.T.NumEl, Geo(y.T), y.P, -2.75);
            Close($"fill {d}", y);
        }
    }

    [Fact]
    public void UnaryEveryOpOnFloatsAndInt64()
    {
        foreach (var d in FloatTypes)
            foreach (var op in Enum.GetValues<UnaryOp>())
            {
                var x = Rand([6, 9, 5], d, 3 + (int)op, t => t.Transpose(0, 2), specials: true);
                var y = Zeros(x.T.GetShape(), d);
                Ref.Unary(op, x.T, y.T);
                Emu.Launch($"axon_unary_{Sfx(d)}", y.T.NumEl, Geo(y.T, x.T), (int)op, y.P, x.P);
                Close($"unary {op} {d}", y, Tol(op, d));
            }
        foreach (var op in new[] { UnaryOp.Neg, UnaryOp.Abs, UnaryOp.Square, UnaryOp.Sign })
        {
            var x = Rand([100, 3], DType.Int64, 5, t => t.Select(1, 1), lo: -40, hi: 40);
            var y = Zeros(x.T.GetShape(), DType.Int64);
            Ref.Unary(op, x.T, y.T);
            Emu.Launch("axon_unary_i64", y.T.NumEl, Geo(y.T, x.T), (int)op, y.P, x.P);
            Close($"unary {op} int64", y);
        }
    }

    [Fact]
    public void BinaryEveryOpWithBroadcasting()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                bool isInt = d == DType.Int64;
                var a = Rand([4, 1, 7], d, 10 + (int)op, specials: !isInt, lo: isInt ? -20 : -3, hi: isInt ? 20 : 3);
                var b = Rand([5, 9], d, 20 + (int)op, t => t.Narrow(1, 1, 7), specials: !isInt, lo: isInt ? 1 : -3, hi: isInt ? 5 : 3);
                var y = Zeros([4, 5, 7], d);
                Ref.Binary(op, a.T, b.T, y.T);
                Emu.Launch($"axon_binary_{Sfx(d)}", y.T.NumEl, Geo(y.T, a.T, b.T), (int)op, y.P, a.P, b.P);
                Close($"binary {op} {d}", y, op == BinaryOp.Pow ? Ulps(d) : 0);
            }
    }

    [Fact]
    public void BinaryContiguousFastPath()
    {
        var a = Rand([1000, 3], DType.Float32, 1);
        var b = Rand([1000, 3], DType.Float32, 2);
        var y = Zeros([1000, 3], DType.Float32);
        var g = Geo(y.T, a.T, b.T);
        Assert.Equal(1, g.Rank);
        Assert.Equal(0b111, g.Contiguous);
        Ref.Binary(BinaryOp.Mul, a.T, b.T, y.T);
        Emu.Launch("axon_binary_f32", y.T.NumEl, g, (int)BinaryOp.Mul, y.P, a.P, b.P);
        Close("binary contiguous", y);
    }

    [Fact]
    public void WhereWithEveryConditionType()
    {
        foreach (var cd in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
            {
                var c = Rand([3, 1, 6], cd, 30, specials: cd != DType.Int64, lo: -1, hi: 2);
                var a = Rand([4, 6], d, 31);
                var b = Rand([6, 3, 4], d, 32, t => t.Permute(1, 2, 0));
                var y = Zeros([3, 4, 6], d);
                Ref.Where(c.T, a.T, b.T, y.T);
                Emu.Launch($"axon_where_{Sfx(cd)}_{Sfx(d)}", y.T.NumEl, Geo(y.T, c.T, a.T, b.T), y.P, c.P, a.P, b.P);
                Close($"where {cd} {d}", y);
            }
    }

    [Fact]
    public void ClampLeakySoftplusActivationAxpyScale()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
        {
            var x = Rand([9, 11], d, 40, t => t.T(), specials: d != DType.Int64, lo: -30, hi: 30);
            var y = Zeros(x.T.GetShape(), d);
            Ref.Clamp(x.T, -7.5, 12.25, y.T);
            Emu.Launch($"axon_clamp_{Sfx(d)}", y.T.NumEl, Geo(y.T, x.T), y.P, x.P, -7.5, 12.25);
            Close($"clamp {d}", y);

            var s = Rand([7, 13], d, 41, lo: -30, hi: 30);
            Ref.ScaleInPlace(s.T, 0.37);
            Emu.Launch($"axon_scale_{Sfx(d)}", s.T.NumEl, Geo(s.T), s.P, 0.37);
            Close($"scale {d}", s);
        }
        foreach (var d in FloatTypes)
        {
            var x = Rand([9, 11], d, 42, t => t.T(), specials: true, lo: -30, hi: 30);
            var y = Zeros(x.T.GetShape(), d);
            Ref.LeakyRelu(x.T, 0.01, y.T);
            Emu.Launch($"axon_leaky_relu_{Sfx(d)}", y.T.NumEl, Geo(y.T, x.T), y.P, x.P, 0.01);
            Close($"leaky relu {d}", y);

            Ref.Softplus(x.T, 1.5, 20, y.T);
            Emu.Launch($"axon_softplus_{Sfx(d)}", y.T.NumEl, Geo(y.T, x.T), y.P, x.P, 1.5, 20.0);
            Close($"softplus {d}", y, 1e-15);   // in double for both: libm's log and exp only

            var g = Rand([11], d, 43);
            foreach (var kind in Enum.GetValues<ActivationGrad>())
            {
                var saved = Rand([9, 11], d, 44 + (int)kind, specials: true, lo: -1, hi: 1);
                var dst = Zeros([9, 11], d);
                Ref.ActivationBackward(kind, saved.T, g.T, dst.T);
                Emu.Launch($"axon_activation_backward_{Sfx(d)}", dst.T.NumEl, Geo(dst.T, saved.T, g.T), (int)kind, dst.P, saved.P, g.P);
                Close($"activation backward {kind} {d}", dst);
            }

            foreach (double slope in new[] { 0.2, 1.0 / 3 })
            {
                var lx = Rand([9, 11], d, 49, specials: true, lo: -1, hi: 1);
                var ld = Zeros([9, 11], d);
                Ref.LeakyReluBackward(lx.T, g.T, slope, ld.T);
                Emu.Launch($"axon_leaky_relu_backward_{Sfx(d)}", ld.T.NumEl, Geo(ld.T, lx.T, g.T), ld.P, lx.P, g.P, slope);
                Close($"leaky relu backward {slope} {d}", ld);
            }

            var acc = Rand([9, 11], d, 47);
            var src = Rand([11, 9], d, 48, t => t.T());
            Ref.Axpy(-0.3, src.T, acc.T);
            Emu.Launch($"axon_axpy_{Sfx(d)}", acc.T.NumEl, Geo(acc.T, src.T), acc.P, src.P, -0.3);
            Close($"axpy {d}", acc);
        }
    }
}
