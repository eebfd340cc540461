using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Ops;

/// <summary>
/// The fused binary cross-entropy with logits against the composite it replaced: the same bits forward (it runs the
/// composite's kernels chunk by chunk), the gradient (σ(x) − t) g within a few ulps of the composite's chain, on odd
/// sizes, the sizes split over the threads, extreme logits and strided inputs; and gradient-checked in float64.
/// </summary>
public class BinaryCrossEntropyFusedTests
{
    /// <summary>The composite: −log σ(x) written without overflow, plus (1 − t) x.</summary>
    private static Tensor Composite(Tensor x, Tensor t) => (1.0 - t) * x + ((x.Abs().Neg().Exp() + 1.0).Log() + (-x).Relu());

    public static TheoryData<int, DType> Sizes()
    {
        var data = new TheoryData<int, DType>();
        foreach (int n in new[] { 1, 3, 16, 17, 515, 527, 529, 1040, 100_352 })
            foreach (var dtype in new[] { DType.Float32, DType.Float64 }) data.Add(n, dtype);
        return data;
    }

    private static (Tensor X, Tensor T) Inputs(int n, DType dtype)
    {
        var x = (Tensor.Randn([n], new Generator(n), dtype) * 4.0).ToDoubleArray();
        // The far ends, where the composite's exp underflows and the relu carries the loss.
        if (n > 4) { x[0] = 800; x[1] = -800; x[2] = 0; x[3] = -0.0; }
        var t = Tensor.Rand([n], new Generator(n + 1), dtype);
        return (Tensor.FromArray(x, n).To(dtype), t);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ForwardIsTheCompositeBitForBit(int n, DType dtype)
    {
        var (x, t) = Inputs(n, dtype);
        var fused = Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.None).ToDoubleArray();
        var composite = Composite(x, t).ToDoubleArray();
        for (int i = 0; i < n; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(fused[i]) == BitConverter.DoubleToInt64Bits(composite[i]), $"element {i} of {n} ({dtype}): fused {fused[i]:R}, composite {composite[i]:R}");
        Assert.Equal(Composite(x, t).Mean().Item(), Functional.BinaryCrossEntropyWithLogits(x, t).Item());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BackwardMatchesTheCompositeGradient(int n, DType dtype)
    {
        var (x0, t) = Inputs(n, dtype);
        var weights = Tensor.Randn([n], new Generator(n + 2), dtype);
        foreach (var reduction in new[] { Reduction.Mean, Reduction.None })
        {
            var xf = x0.Clone().RequiresGrad_();
            var xc = x0.Clone().RequiresGrad_();
            var lf = Functional.BinaryCrossEntropyWithLogits(xf, t, reduction);
            var lc = Composite(xc, t);
            (reduction == Reduction.None ? (lf * weights).Sum() : lf).Backward();
            (reduction == Reduction.None ? (lc * weights).Sum() : lc.Mean()).Backward();
            double[] gf = xf.Grad!.ToDoubleArray(), gc = xc.Grad!.ToDoubleArray();
            // Two roundings apart: σ(x) − t against 1 − t − e^−|x| / (1 + e^−|x|) (or its mirror); the difference is
            // a few ulps of the larger of the terms.
            double ulp = dtype == DType.Float32 ? 1.2e-7 : 2.3e-16;
            double scale = reduction == Reduction.Mean ? 1.0 / n : 1;
            double[] ts = t.ToDoubleArray(), ws = weights.ToDoubleArray();
            for (int i = 0; i < n; i++)
            {
                if (n > 4 && i is 2 or 3)
                {
                    // x = ±0, the composite's kinks: its chain takes |x|' = 0 and relu'(0) = 0 and gives (1 − t) g; the
                    // fused op gives the derivative itself, (½ − t) g, as PyTorch does.
                    double gi = reduction == Reduction.None ? ws[i] : 1.0 / n;
                    Assert.Equal((0.5 - ts[i]) * gi, gf[i], dtype == DType.Float32 ? 1e-7 : 1e-15);
                    continue;
                }
                double w = reduction == Reduction.None ? Math.Abs(ws[i]) : 1;
                double bound = 4 * ulp * scale * w * (1 + Math.Abs(ts[i]));
                Assert.True(Math.Abs(gf[i] - gc[i]) <= bound, $"element {i} of {n} ({dtype}, {reduction}): fused {gf[i]:R}, composite {gc[i]:R}");
            }
        }
    }

    [Fact]
    public void StridedAndBroadcastOperandsGiveTheContiguousResult()
    {
        var x = Tensor.Randn([6, 5], new Generator(1)).Transpose(0, 1);   // [5, 6], strided
        var t = Tensor.Rand([6, 5], new Generator(2)).Transpose(0, 1);
        var expected = Functional.BinaryCrossEntropyWithLogits(x.Contiguous(), t.Contiguous(), Reduction.None).ToArray<float>();
        Assert.Equal(expected, Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.None).ToArray<float>());
    }

    [Fact]
    public void TheTargetTakesTheGradientMinusX()
    {
        var x = Leaf(1, 3, 4);
        var t = Tensor.Rand([3, 4], new Generator(2), DType.Float64).RequiresGrad_();
        Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.Sum).Backward();
        var xs = x.ToDoubleArray();
        var gt = t.Grad!.ToDoubleArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal(-xs[i], gt[i], 15);
        Check((a, b) => Functional.BinaryCrossEntropyWithLogits(a, b.Sigmoid()), Leaf(3, 2, 5), Leaf(4, 2, 5));
    }

    [Fact]
    public void ItIsOneRecordedOp()
    {
        var x = Leaf(5, 2, 3);
        var loss = Functional.BinaryCrossEntropyWithLogits(x, Tensor.Rand([2, 3], new Generator(6), DType.Float64), Reduction.None);
        Assert.Equal("BinaryCrossEntropyWithLogits", loss.GradFn!.Op);
    }
}
