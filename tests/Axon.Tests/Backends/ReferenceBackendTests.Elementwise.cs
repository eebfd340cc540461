using Axon.Backends;

namespace Axon.Tests.Backends;

// Element-wise primitives on NaN, ±inf, −0 and ordinary values, through strided and broadcast operands.
public partial class ReferenceBackendTests
{
    public static TheoryData<UnaryOp, DType> UnaryCases()
    {
        var data = new TheoryData<UnaryOp, DType>();
        foreach (var op in Enum.GetValues<UnaryOp>())
            foreach (var d in Floats) data.Add(op, d);
        return data;
    }

    /// <summary>The transcendental ops, whose fast kernels differ from the scalar functions by a few ulps (measured 2.6e-7 and 7.6e-15).</summary>
    private static double UnaryTol(UnaryOp op, DType dtype) => op is UnaryOp.Exp or UnaryOp.Log or UnaryOp.Tanh or UnaryOp.Sigmoid
        ? (dtype == DType.Float32 ? 1e-6 : 1e-14)
        : 0;

    [Theory]
    [MemberData(nameof(UnaryCases))]
    [Covers(nameof(IBackend.Unary))]
    public void UnaryOnFloats(UnaryOp op, DType dtype)
    {
        // The CPU's float64 tanh (TensorPrimitives.Tanh) is accurate in absolute terms only near 0: tanh(1e-10) is off by
        // 8e-8 relative and tanh(1e-30) gives -0, hence an absolute tolerance besides.
        double atol = op == UnaryOp.Tanh && dtype == DType.Float64 ? 1e-17 : 0;
        Close($"Unary {op} {dtype}", UnaryTol(op, dtype), atol, d =>
        {
            var x = On(d, Special([7, 5, 3], dtype, 11)).PermuteView([1, 2, 0]);
            var y = Tensor.Empty(x.GetShape(), dtype, d);
            d.Backend.Unary(op, x, y);
            var big = On(d, Special([33, 17], dtype, 12));   // long rows: the CPU's vector paths
            var yb = Tensor.Empty([33, 17], dtype, d);
            d.Backend.Unary(op, big, yb);
            return [y, yb];
        });
    }

    [Fact]
    [Covers(nameof(IBackend.Unary))]
    public void UnaryOnInt64()
    {
        foreach (var op in new[] { UnaryOp.Neg, UnaryOp.Abs, UnaryOp.Square, UnaryOp.Sign })
            Exact($"Unary {op} int64", d =>
            {
                var x = On(d, Ints([7, 5, 3], -40, 40, 13)).PermuteView([2, 0, 1]);
                var y = Tensor.Empty(x.GetShape(), DType.Int64, d);
                d.Backend.Unary(op, x, y);
                return [y];
            });
        ThrowsOnReference<NotSupportedException>(d => d.Backend.Unary(UnaryOp.Exp, On(d, Ints([3], 0, 3, 1)), Tensor.Empty([3], DType.Int64, d)), "Unary", "Exp", "int64");
    }

    /// <summary>Operand layouts for a binary op: (a, b, destination shape, whether dst is a itself).</summary>
    private static (Tensor A, Tensor B, int[] Shape, bool InPlace) BinaryOperands(Device d, int layout, DType dtype)
    {
        Tensor Make(int[] shape, int seed) => dtype == DType.Int64
            ? On(d, Ints(shape, seed % 2 == 0 ? -20 : 1, seed % 2 == 0 ? 20 : 5, seed))   // b stays in [1, 5): no division by zero
            : On(d, Special(shape, dtype, seed));
        return layout switch
        {
            0 => (Make([7, 5, 3], 20), Make([7, 5, 3], 21), [7, 5, 3], false),
            1 => (Make([7, 5, 33], 22), Make([], 23), [7, 5, 33], false),                                   // a op scalar
            2 => (Make([], 24), Make([3, 33], 25), [3, 33], false),                                          // scalar op b
            3 => (Make([7, 5, 3], 26).PermuteView([2, 1, 0]), Make([5, 1], 27), [3, 5, 7], false),           // transposed a, broadcast b
            _ => (Make([17, 3], 28), Make([3], 29).UnsqueezeView(0).ExpandView([17, 3]), [17, 3], true),    // in place, b with stride 0
        };
    }

    public static TheoryData<BinaryOp, DType> BinaryCases()
    {
        var data = new TheoryData<BinaryOp, DType>();
        foreach (var op in Enum.GetValues<BinaryOp>())
            foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 }) data.Add(op, d);
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    [Covers(nameof(IBackend.Binary))]
    public void BinaryWithBroadcastingAndInPlace(BinaryOp op, DType dtype)
    {
        // Pow included: TensorPrimitives.Pow is the scalar Pow per element.
        for (int layout = 0; layout < 5; layout++)
            Exact($"Binary {op} {dtype} layout {layout}", d =>
            {
                var (a, b, shape, inPlace) = BinaryOperands(d, layout, dtype);
                var dst = inPlace ? a : Tensor.Empty(shape, dtype, d);
                d.Backend.Binary(op, a, b, dst);
                return [dst];
            });
    }

    [Fact]
    [Covers(nameof(IBackend.Binary))]
    public void Int64DivisionByZeroThrows() =>
        ThrowsOnReference<DivideByZeroException>(d => d.Backend.Binary(BinaryOp.Div, On(d, Ints([3], 1, 5, 1)), On(d, Tensor.FromArray(new long[] { 1, 0, 2 })), Tensor.Empty([3], DType.Int64, d)), "Binary", "zero");

    [Fact]
    [Covers(nameof(IBackend.Where))]
    public void WhereSelectsWithAnyConditionType()
    {
        foreach (var condType in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int64 })
                Exact($"Where cond {condType} values {dtype}", d =>
                {
                    // NaN counts as true and -0 as false.
                    var cond = On(d, condType == DType.Int64 ? Ints([7, 1, 3], -1, 2, 30) : Special([7, 1, 3], condType, 30));
                    var a = On(d, dtype == DType.Int64 ? Ints([5, 3], -9, 9, 31) : Special([5, 3], dtype, 31));
                    var b = On(d, dtype == DType.Int64 ? Ints([7, 5, 1], -9, 9, 32) : Special([7, 5, 1], dtype, 32)).PermuteView([0, 1, 2]);
                    var dst = Tensor.Empty([7, 5, 3], dtype, d);
                    d.Backend.Where(cond, a, b, dst);
                    return [dst];
                });
    }

    [Fact]
    [Covers(nameof(IBackend.Clamp))]
    public void ClampKeepsNaNAndWorksInPlace()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (var (lo, hi) in new[] { (-1.5, 2.25), (0.0, double.PositiveInfinity), (-3.0, -3.0) })
                Exact($"Clamp {dtype} [{lo}, {hi}]", d =>
                {
                    var x = On(d, dtype == DType.Int64 ? Ints([7, 5, 3], -9, 9, 33) : Special([7, 5, 3], dtype, 33)).PermuteView([1, 0, 2]);
                    var y = Tensor.Empty(x.GetShape(), dtype, d);
                    d.Backend.Clamp(x, lo, hi, y);
                    var z = On(d, dtype == DType.Int64 ? Ints([17], -9, 9, 34) : Special([17], dtype, 34));
                    d.Backend.Clamp(z, lo, hi, z);
                    return [y, z];
                });
    }

    [Fact]
    [Covers(nameof(IBackend.LeakyRelu), nameof(IBackend.Softplus))]
    public void LeakyReluAndSoftplus()
    {
        foreach (var dtype in Floats)
        {
            foreach (double slope in new[] { 0.01, -0.5 })
                Exact($"LeakyRelu {dtype} {slope}", d =>
                {
                    var x = On(d, Special([7, 5, 3], dtype, 35)).PermuteView([2, 1, 0]);
                    var y = Tensor.Empty(x.GetShape(), dtype, d);
                    d.Backend.LeakyRelu(x, slope, y);
                    return [y];
                });
            // Long enough to split over the threads, from an offset into its storage.
            Exact($"LeakyRelu {dtype} split", d =>
            {
                var x = On(d, Special([3, 65541], dtype, 37)).NarrowView(0, 1, 2);
                var y = Tensor.Empty(x.GetShape(), dtype, d);
                d.Backend.LeakyRelu(x, 0.2, y);
                return [y];
            });
            foreach (var (beta, threshold) in new[] { (1.0, 20.0), (2.0, 5.0), (0.5, 1.0) })
                Exact($"Softplus {dtype} beta {beta} threshold {threshold}", d =>
                {
                    var x = On(d, Special([33, 7], dtype, 36)).TransposeView(0, 1);
                    var y = Tensor.Empty(x.GetShape(), dtype, d);
                    d.Backend.Softplus(x, beta, threshold, y);
                    return [y];
                });
        }
    }

    [Fact]
    [Covers(nameof(IBackend.ActivationBackward))]
    public void ActivationBackwardFromSavedTensors()
    {
        foreach (var dtype in Floats)
            foreach (var kind in Enum.GetValues<ActivationGrad>())
                Exact($"ActivationBackward {kind} {dtype}", d =>
                {
                    var saved = On(d, Special([7, 5, 3], dtype, 37)).PermuteView([2, 0, 1]);
                    var g = On(d, Randn([3, 7, 5], dtype, 38));
                    var dst = Tensor.Empty([3, 7, 5], dtype, d);
                    d.Backend.ActivationBackward(kind, saved, g, dst);
                    var big = On(d, Special([33, 17], dtype, 39));
                    var gb = On(d, Randn([33, 17], dtype, 40));
                    var db = Tensor.Empty([33, 17], dtype, d);
                    d.Backend.ActivationBackward(kind, big, gb, db);
                    return [dst, db];
                });
    }

    [Fact]
    [Covers(nameof(IBackend.LeakyReluBackward))]
    public void LeakyReluBackwardFromTheInput()
    {
        foreach (var dtype in Floats)
            foreach (double slope in new[] { 0.2, 0.01, 1.0 / 3, 2.5, 0.0 })
                Exact($"LeakyReluBackward {dtype} {slope}", d =>
                {
                    var x = On(d, Special([7, 5, 3], dtype, 43)).PermuteView([2, 0, 1]);
                    var g = On(d, Special([3, 7, 5], dtype, 44));
                    var dst = Tensor.Empty([3, 7, 5], dtype, d);
                    d.Backend.LeakyReluBackward(x, g, slope, dst);
                    var big = On(d, Special([33, 1025], dtype, 45));   // split over the threads on the CPU
                    var gb = On(d, Randn([33, 1025], dtype, 46));
                    var db = Tensor.Empty([33, 1025], dtype, d);
                    d.Backend.LeakyReluBackward(big, gb, slope, db);
                    return [dst, db];
                });
    }

    [Fact]
    [Covers(nameof(IBackend.Axpy))]
    public void AxpyAccumulatesInPlace()
    {
        foreach (var dtype in Floats)
            foreach (double alpha in new[] { 0.37, -2.0, 1.0 })
                Exact($"Axpy {dtype} {alpha}", d =>
                {
                    var x = On(d, Special([17, 33], dtype, 41)).TransposeView(0, 1);
                    var dst = On(d, Randn([33, 17], dtype, 42));
                    d.Backend.Axpy(alpha, x, dst);
                    return [dst];
                });
    }
}
