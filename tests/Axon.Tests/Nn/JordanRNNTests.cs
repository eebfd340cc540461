using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Nn;

/// <summary>Jordan's network: the previous output fed back (h_t = σ(W_h x_t + U_h y_{t−1} + b_h), y_t = σ_y(W_y h_t + b_y)).</summary>
public class JordanRNNTests
{
    private static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    /// <summary>I = 2, H = 2, O = 1, tanh hidden and identity output, with the weights of the hand computation below.</summary>
    private static JordanRNN HandNet(bool batchFirst = false)
    {
        var net = new JordanRNN(2, 2, 1, batchFirst: batchFirst, dtype: DType.Float64);
        net.WeightIh.CopyFrom(D([0.5, -0.25, 0.1, 0.2], 2, 2));
        net.WeightOh.CopyFrom(D([0.3, -0.7], 2, 1));
        net.BiasH!.CopyFrom(D([0.05, -0.1], 2));
        net.WeightHo.CopyFrom(D([0.8, -0.4], 1, 2));
        net.BiasO!.CopyFrom(D([0.2], 1));
        return net;
    }

    private static void Close(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= 1e-14, $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void TwoStepsMatchTheHandComputation()
    {
        // x_1 = (1, 2), x_2 = (−1, 0.5), y_0 = 0:
        // a_1 = W_h x_1 + b_h = (0.5 − 0.5 + 0.05, 0.1 + 0.4 − 0.1) = (0.05, 0.4); h_1 = tanh(a_1) = (0.04995837495787998, 0.3799489622552249)
        // y_1 = 0.8 h_1[0] − 0.4 h_1[1] + 0.2 = 0.08798711506421403
        // a_2 = W_h x_2 + U_h y_1 + b_h = (−0.625 + 0.3 y_1 + 0.05, −0.1 + 0.1 − 0.7 y_1 − 0.1) = (−0.5486038654807357, −0.16159098054494983)
        // h_2 = (−0.4994731059333508, −0.1601990482236798); y_2 = −0.13549886545720874
        var net = HandNet();
        var x = D([1, 2, -1, 0.5], 2, 1, 2);
        var (output, hidden, y) = net.Run(x);
        Assert.Equal([2, 1, 1], output.GetShape());
        Assert.Equal([2, 1, 2], hidden.GetShape());
        Assert.Equal([1, 1], y.GetShape());
        var o = output.ToDoubleArray();
        var h = hidden.ToDoubleArray();
        Close(0.08798711506421403, o[0]);
        Close(-0.13549886545720874, o[1]);
        Close(-0.13549886545720874, y.Item());
        Close(0.04995837495787998, h[0]);
        Close(0.3799489622552249, h[1]);
        Close(-0.4994731059333508, h[2]);
        Close(-0.1601990482236798, h[3]);

        // From y_0 = 0.5: a_1 = (0.2, 0.05), y_1 = 0.3379169061967712, y_2 = −0.02314418519554043.
        var (fromY0, last) = net.Forward(x, D([0.5], 1, 1));
        Close(0.3379169061967712, fromY0.ToDoubleArray()[0]);
        Close(-0.02314418519554043, last.Item());
    }

    [Fact]
    public void BatchFirstAndUnbatchedInputsGiveTheSameNumbers()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([5, 3, 2], g, DType.Float64);        // [T, B, I]
        var (tm, yTm) = HandNet().Forward(x);
        var (bf, yBf) = HandNet(batchFirst: true).Forward(x.Transpose(0, 1).Contiguous());
        Assert.Equal([3, 5, 1], bf.GetShape());
        Assert.Equal(tm.Transpose(0, 1).Contiguous().ToDoubleArray(), bf.ToDoubleArray());
        Assert.Equal(yTm.ToDoubleArray(), yBf.ToDoubleArray());
        var (one, yOne) = HandNet().Forward(x.Select(1, 1).Contiguous());  // [T, I]
        Assert.Equal([5, 1], one.GetShape());
        Assert.Equal([1], yOne.GetShape());
        Assert.Equal(tm.Select(1, 1).Contiguous().ToDoubleArray(), one.ToDoubleArray());
    }

    [Theory]
    [InlineData(JordanHiddenActivation.Tanh, JordanOutputActivation.Identity)]
    [InlineData(JordanHiddenActivation.Sigmoid, JordanOutputActivation.Sigmoid)]
    [InlineData(JordanHiddenActivation.Relu, JordanOutputActivation.Tanh)]
    [InlineData(JordanHiddenActivation.Tanh, JordanOutputActivation.Softmax)]
    public void GradientsMatchCentralDifferences(JordanHiddenActivation hidden, JordanOutputActivation output)
    {
        var net = new JordanRNN(3, 4, 2, hidden, output, dtype: DType.Float64, generator: new Generator(7));
        var x = Leaf(1, 4, 2, 3);
        var y0 = Leaf(2, 2, 2);
        // Through every step and the feedback: every parameter, the input and y0, and the last output as well as the sequence.
        Tensor[] leaves = [x, y0, net.WeightIh, net.WeightOh, net.BiasH!, net.WeightHo, net.BiasO!];
        CheckMany(xs => net.Forward(xs[0], xs[1]).Output, leaves);
        // The last output alone, over 2 steps: after 4, its gradient with respect to y0 is ~1e-9 with saturating
        // activations (the vanishing gradient), below what central differences resolve.
        var x2 = Leaf(3, 2, 2, 3);
        leaves[0] = x2;
        CheckMany(xs => net.Forward(xs[0], xs[1]).Y, leaves);
    }

    [Fact]
    public void TheOutputIsWhatIsFedBackWhileElmanFeedsBackTheHiddenState()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([4, 3, 2], g, DType.Float64);

        // Jordan: the feedback weights U_h (weight_oh) change every output after the first (y_0 = 0), not the first.
        var jordan = HandNet();
        var before = jordan.Forward(x).Output;
        jordan.WeightOh.CopyFrom(D([-1.5, 2.0], 2, 1));
        var after = jordan.Forward(x).Output;
        Assert.Equal(before.Select(0, 0).ToDoubleArray(), after.Select(0, 0).ToDoubleArray());
        for (int t = 1; t < 4; t++) Assert.NotEqual(before.Select(0, t).ToDoubleArray(), after.Select(0, t).ToDoubleArray());

        // Jordan: the readout W_y is inside the loop, so changing it changes the later hidden states.
        var (_, h1, _) = jordan.Run(x);
        jordan.WeightHo.CopyFrom(D([-0.3, 0.9], 1, 2));
        var (_, h2, _) = jordan.Run(x);
        Assert.Equal(h1.Select(0, 0).ToDoubleArray(), h2.Select(0, 0).ToDoubleArray());
        Assert.NotEqual(h1.Select(0, 1).ToDoubleArray(), h2.Select(0, 1).ToDoubleArray());

        // With U_h = 0 a Jordan network has no memory: each output depends on its own step alone.
        jordan.WeightOh.Zero();
        var memoryless = jordan.Forward(x).Output;
        for (int t = 0; t < 4; t++)
            Assert.Equal(memoryless.Select(0, t).ToDoubleArray(), jordan.Forward(x.Narrow(0, t, 1)).Output.Select(0, 0).ToDoubleArray());

        // Elman (an RNN with a linear readout): its hidden states do not depend on the readout weights at all, because
        // the loop runs through h; changing them changes each output only through that step's readout.
        var elman = new RNN(2, 2, dtype: DType.Float64, generator: new Generator(8));
        var readout = new Linear(2, 1, dtype: DType.Float64, generator: new Generator(9));
        var (hA, _) = elman.Forward(x);
        var yA = readout.Forward(hA);
        readout.Weight.CopyFrom(D([-0.3, 0.9], 1, 2));
        var (hB, _) = elman.Forward(x);
        Assert.Equal(hA.ToDoubleArray(), hB.ToDoubleArray());
        Assert.NotEqual(yA.ToDoubleArray(), readout.Forward(hB).ToDoubleArray());
    }

    [Fact]
    public void NamesShapesInitialisationAndRepr()
    {
        var net = new JordanRNN(3, 8, 2, generator: new Generator(1));
        Assert.Equal(
            [("weight_ih", new[] { 8, 3 }), ("weight_oh", new[] { 8, 2 }), ("bias_h", new[] { 8 }), ("weight_ho", new[] { 2, 8 }), ("bias_o", new[] { 2 })],
            net.NamedParameters().Select(p => (p.Name, p.Parameter.GetShape())));
        double hidden = 1 / Math.Sqrt(3 + 2), output = 1 / Math.Sqrt(8);
        foreach (var (name, p) in net.NamedParameters())
        {
            double bound = name is "weight_ho" or "bias_o" ? output : hidden;
            Assert.All(p.ToFloatArray(), v => Assert.InRange(v, -bound, bound));
        }
        Assert.Equal("JordanRNN(3, 8, 2)", net.ToString());
        Assert.Equal("JordanRNN(3, 8, 2, nonlinearity=relu, output_nonlinearity=softmax, bias=False, batch_first=True)",
            new JordanRNN(3, 8, 2, JordanHiddenActivation.Relu, JordanOutputActivation.Softmax, bias: false, batchFirst: true).ToString());
        Assert.Equal(3, new JordanRNN(3, 8, 2, bias: false).NamedParameters().Count());
    }

    [Fact]
    public void BadShapesAreClearErrors()
    {
        var net = new JordanRNN(3, 4, 2);
        var e = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros([5, 2, 4])));
        Assert.Contains("Expected 3, got 4", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros([5])));
        Assert.Contains("rank 2", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros([5, 2, 3]), Tensor.Zeros([3, 2])));
        Assert.Contains("expected y0 of shape [2, 2]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros([5, 2, 3], DType.Float64)));
        Assert.Contains("float64", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new JordanRNN(3, 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new JordanRNN(3, 4, 0));
    }
}
