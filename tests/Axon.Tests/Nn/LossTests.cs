using Axon.Nn;

namespace Axon.Tests.Nn;

public class LossTests
{
    private static readonly double[] Logits = [1.0, -2.0, 0.5, 3.0, 0.1, -0.3, 2.0, 2.0, -1.0];  // [3, 3]
    private static readonly long[] Labels = [2, 0, 1];

    private static double LogSumExp(ReadOnlySpan<double> row)
    {
        double m = double.NegativeInfinity;
        foreach (double v in row) m = Math.Max(m, v);
        double s = 0;
        foreach (double v in row) s += Math.Exp(v - m);
        return m + Math.Log(s);
    }

    [Fact]
    public void CrossEntropyWithIndicesEqualsTheFormula()
    {
        double expected = 0;
        for (int i = 0; i < 3; i++) expected += LogSumExp(Logits.AsSpan(i * 3, 3)) - Logits[i * 3 + Labels[i]];
        var loss = new CrossEntropyLoss().Forward(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels));
        Assert.Equal(expected / 3, loss.Item(), 12);
        Assert.Equal(expected, Functional.CrossEntropy(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels), reduction: Reduction.Sum).Item(), 12);
    }

    [Fact]
    public void CrossEntropyWithProbabilitiesEqualsOneHotIndices()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        var t = Tensor.FromArray(Labels);
        Assert.Equal(Functional.CrossEntropy(x, t).Item(), Functional.CrossEntropy(x, t.OneHot(3, DType.Float64)).Item(), 12);
    }

    [Fact]
    public void CrossEntropyClassWeightsUseAWeightedMean()
    {
        var w = Tensor.FromArray(new double[] { 0.5, 2, 1 });
        double num = 0, den = 0;
        for (int i = 0; i < 3; i++)
        {
            double wi = w.ToDoubleArray()[Labels[i]];
            num += wi * (LogSumExp(Logits.AsSpan(i * 3, 3)) - Logits[i * 3 + Labels[i]]);
            den += wi;
        }
        Assert.Equal(num / den, new CrossEntropyLoss(w).Forward(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels)).Item(), 12);
    }

    [Fact]
    public void LabelSmoothingMixesInTheUniformDistribution()
    {
        double eps = 0.1, expected = 0;
        for (int i = 0; i < 3; i++)
        {
            double lse = LogSumExp(Logits.AsSpan(i * 3, 3));
            for (int k = 0; k < 3; k++) expected -= ((k == Labels[i] ? 1 - eps : 0) + eps / 3) * (Logits[i * 3 + k] - lse);
        }
        Assert.Equal(expected / 3, new CrossEntropyLoss(labelSmoothing: eps).Forward(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels)).Item(), 12);
    }

    [Fact]
    public void NllOfLogSoftmaxIsCrossEntropy()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        var t = Tensor.FromArray(Labels);
        Assert.Equal(Functional.CrossEntropy(x, t).Item(), new NLLLoss().Forward(x.LogSoftmax(1), t).Item(), 12);
    }

    [Fact]
    public void ClassTargetsAreValidated()
    {
        var x = Tensor.FromArray(Logits, 3, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 3, 1 })));
        Assert.Contains("target 3 is out of bounds for 3 classes", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 1 })));
    }

    [Fact]
    public void MseAndBinaryCrossEntropies()
    {
        var p = Tensor.FromArray(new double[] { 0.9, 0.2, 0.6 });
        var t = Tensor.FromArray(new double[] { 1, 0, 0 });
        Assert.Equal((0.01 + 0.04 + 0.36) / 3, new MSELoss().Forward(p, t).Item(), 12);
        double bce = -(Math.Log(0.9) + Math.Log(0.8) + Math.Log(0.4)) / 3;
        Assert.Equal(bce, new BCELoss().Forward(p, t).Item(), 12);
        var logits = Tensor.FromArray(new double[] { 2.0, -1.0, 0.5 });
        var probs = logits.Sigmoid();
        Assert.Equal(new BCELoss().Forward(probs, t).Item(), new BCEWithLogitsLoss().Forward(logits, t).Item(), 12);
        // Stable for large logits where the sigmoid saturates.
        var big = new BCEWithLogitsLoss(Reduction.None).Forward(Tensor.FromArray(new double[] { 800, -800 }), Tensor.FromArray(new double[] { 0, 1 })).ToDoubleArray();
        Assert.Equal(new double[] { 800, 800 }, big);
        // Saturated probabilities give finite losses (logs clamped at -100).
        Assert.Equal(100, new BCELoss().Forward(Tensor.FromArray(new double[] { 0 }), Tensor.FromArray(new double[] { 1 })).Item(), 9);
        var pw = new BCEWithLogitsLoss(posWeight: Tensor.FromArray(new double[] { 3 })).Forward(logits, t).Item();
        double expected = (3 * Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(-1)) + Math.Log(1 + Math.Exp(0.5))) / 3;
        Assert.Equal(expected, pw, 12);
    }

    [Fact]
    public void MultilabelCrossEntropyAveragesBinaryCrossEntropyOverLabels()
    {
        var x = Tensor.FromArray(new double[] { 1, -1, 2, 0.5 }, 2, 2);
        var t = Tensor.FromArray(new double[] { 1, 0, 0, 1 }, 2, 2);
        double Bce(double z, double y) => -(y * Math.Log(1 / (1 + Math.Exp(-z))) + (1 - y) * Math.Log(1 - 1 / (1 + Math.Exp(-z))));
        double expected = ((Bce(1, 1) + Bce(-1, 0)) / 2 + (Bce(2, 0) + Bce(0.5, 1)) / 2) / 2;
        Assert.Equal(expected, new MultiLabelSoftMarginLoss().Forward(x, t).Item(), 12);
    }

    [Fact]
    public void HingeMultiMarginAndPerceptronCriteria()
    {
        var f = Tensor.FromArray(new double[] { 2, 0.5, -0.3 });
        var y = Tensor.FromArray(new double[] { 1, 1, -1 });
        Assert.Equal((0 + 0.5 + 0.7) / 3, new HingeLoss().Forward(f, y).Item(), 12);
        Assert.Equal(0, new PerceptronLoss().Forward(f, y).Item(), 12);
        Assert.Equal(0.3, new PerceptronLoss(Reduction.Sum).Forward(f, Tensor.FromArray(new double[] { 1, 1, 1 })).Item(), 12);
        // Multiclass: row [1, -2, 0.5] label 2: max(0, 1 - 0.5 + 1) + max(0, 1 - 0.5 - 2) = 1.5 -> / 3.
        var x = Tensor.FromArray(Logits, 3, 3);
        double expected = 0;
        for (int i = 0; i < 3; i++)
        {
            double s = 0;
            for (int j = 0; j < 3; j++) if (j != Labels[i]) s += Math.Max(0, 1 - Logits[i * 3 + Labels[i]] + Logits[i * 3 + j]);
            expected += s / 3;
        }
        Assert.Equal(expected / 3, new MultiMarginLoss().Forward(x, Tensor.FromArray(Labels)).Item(), 12);
    }

    [Fact]
    public void LossReprsAndShapeErrors()
    {
        Assert.Equal("CrossEntropyLoss()", new CrossEntropyLoss().ToString());
        Assert.Equal("HingeLoss(margin=1)", new HingeLoss().ToString());
        var ex = Assert.Throws<ArgumentException>(() => new MSELoss().Forward(Tensor.Zeros([3]), Tensor.Zeros([4])));
        Assert.Contains("MseLoss: input shape [3] and target shape [4] must match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccuracyCountsArgMaxHits()
    {
        Assert.Equal(1.0 / 3, Functional.Accuracy(Tensor.FromArray(Logits, 3, 3), Tensor.FromArray(Labels)), 12);
    }
}
