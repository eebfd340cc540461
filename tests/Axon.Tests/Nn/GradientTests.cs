using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>Float64 gradient checks of the nn composites (losses, PReLU, Linear, dropout with a fixed mask).</summary>
public class GradientTests
{
    private static Tensor Labels(params long[] v) => Tensor.FromArray(v);

    [Fact]
    public void ClassificationLossesHaveCorrectGradients()
    {
        var x = Leaf(1, 5, 4);
        var t = Labels(3, 0, 2, 2, 1);
        var w = Tensor.FromArray(new double[] { 0.5, 2, 1, 1.5 });
        Check(z => Functional.CrossEntropy(z, t), x);
        Check(z => Functional.CrossEntropy(z, t, weight: w), x);
        Check(z => Functional.CrossEntropy(z, t, labelSmoothing: 0.2), x);
        Check(z => Functional.CrossEntropy(z, t, reduction: Reduction.None), x);
        Check(z => Functional.NllLoss(z.LogSoftmax(1), t), x);
        Check(z => Functional.MultiMarginLoss(z, t), x);
        var probs = Tensor.Rand([5, 4], new Generator(2), DType.Float64).Softmax(1);
        Check(z => Functional.CrossEntropy(z, probs), x);
    }

    [Fact]
    public void BinaryAndRegressionLossesHaveCorrectGradients()
    {
        var x = Leaf(3, 4, 3);
        var t = Tensor.Rand([4, 3], new Generator(4), DType.Float64).Gt(0.5).To(DType.Float64);
        var y = Leaf(5, 4, 3);
        Check((a, b) => Functional.MseLoss(a, b), x, y);
        Check(z => Functional.BinaryCrossEntropy(z.Sigmoid(), t), x);
        Check(z => Functional.BinaryCrossEntropyWithLogits(z, t), x);
        Check(z => Functional.BinaryCrossEntropyWithLogits(z, t, posWeight: Tensor.FromArray(new double[] { 2, 0.5, 1 })), x);
        Check(z => Functional.MultiLabelSoftMarginLoss(z, t), x);
        var pm = t * 2.0 - 1.0;
        var away = AwayFrom(6, [4, 3], -1, 1, 0);
        Check(z => Functional.HingeLoss(z, pm), away);
        Check(z => Functional.PerceptronLoss(z, pm), away);
    }

    [Fact]
    public void LayersHaveCorrectGradientsForInputsAndParameters()
    {
        var linear = new Linear(7, 3, dtype: DType.Float64, generator: new Generator(7));
        CheckMany(xs => Tensor.Linear(xs[0], xs[1], xs[2]), Leaf(8, 5, 7), linear.Weight, linear.Bias!);
        var prelu = new PReLU(3, dtype: DType.Float64);
        CheckMany(xs => xs[0].Relu() - xs[1].Reshape(1, 3, 1) * (-xs[0]).Relu(), AwayFrom(9, [2, 3, 4], 0), prelu.Weight);
        Check(z => new PReLU(3, dtype: DType.Float64).Forward(z), AwayFrom(10, [2, 3, 4], 0));
        // Dropout with one fixed mask: the same generator state on every evaluation.
        Check(z => new Dropout(0.4, new Generator(11)).Forward(z), Leaf(12, 6, 5));
    }
}
