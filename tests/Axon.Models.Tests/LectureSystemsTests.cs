using Axon.Models;
using Axon.Nn;

namespace Axon.Models.Tests;

public class LectureSystemsTests
{
    [Fact]
    public void HandBuiltXorNetworkComputesXorExactly()
    {
        var net = XorNetwork.Create();
        var x = Tensor.FromArray(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, 4, 2);
        var y = net.Forward(x).ToFloatArray();
        Assert.Equal(new float[] { 0, 1, 1, 0 }, y);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], net.StateDict().Select(kv => kv.Key));
    }

    /// <summary>Points in the unit square separated by a random unit normal with margin gamma/2 (bias absorbed by the constant 1 input).</summary>
    private static (Tensor X, Tensor Y, double R, double Gamma) Separable(int n, double halfMargin, int seed)
    {
        var g = new Generator(seed);
        double angle = g.NextDouble() * 2 * Math.PI;
        double[] w = [Math.Cos(angle), Math.Sin(angle)];
        var xs = new List<double>();
        var ys = new List<double>();
        while (ys.Count < n)
        {
            double a = g.NextDouble() * 2 - 1, b = g.NextDouble() * 2 - 1;
            double s = a * w[0] + b * w[1];
            if (Math.Abs(s) < halfMargin) continue;
            xs.Add(a); xs.Add(b); ys.Add(s > 0 ? 1 : -1);
        }
        // With the augmented x' = (x, 1) and w* = (w, 0): y (x' . w*) >= halfMargin = gamma / 2, |x'| <= sqrt(1 + 1 + 1).
        double r = 0;
        for (int i = 0; i < n; i++) r = Math.Max(r, Math.Sqrt(xs[2 * i] * xs[2 * i] + xs[2 * i + 1] * xs[2 * i + 1] + 1));
        return (Tensor.FromArray(xs.ToArray(), n, 2), Tensor.FromArray(ys.ToArray()), r, 2 * halfMargin);
    }

    [Theory]
    [InlineData(200, 0.1, 1)]
    [InlineData(500, 0.05, 2)]
    [InlineData(1000, 0.2, 3)]
    public void PerceptronConvergesWithinTheLectureBound(int n, double halfMargin, int seed)
    {
        var (x, y, r, gamma) = Separable(n, halfMargin, seed);
        var p = new Perceptron();
        var history = p.Fit(x, y, maxEpochs: 10_000);
        Assert.True(p.Converged);
        Assert.Equal(0, history[^1].Changes);
        Assert.Equal(0.0, p.ErrorRate(x, y));
        Assert.True(p.TotalUpdates <= 4 * r * r / (gamma * gamma), $"{p.TotalUpdates} updates exceed the bound {4 * r * r / (gamma * gamma)}");
        Assert.Equal(p.TotalUpdates, history.Sum(h => h.Changes));
    }

    [Fact]
    public void PerceptronFollowsTheAlgorithmStepByStep()
    {
        // Two points; by hand: w0 = 0 -> x0 misclassified (0 <= 0): w = (1, 0, 1); x1 = (-1, 0, 1), y = -1:
        // y (w . x) = -(-1 + 1) = 0 <= 0 -> w = (2, 0, 0). Epoch 2: x0: 2 > 0 ok; x1: -(-2) = 2 > 0 ok -> stop.
        var x = Tensor.FromArray(new double[] { 1, 0, -1, 0 }, 2, 2);
        var y = Tensor.FromArray(new double[] { 1, -1 });
        var p = new Perceptron();
        var h = p.Fit(x, y, maxEpochs: 10);
        Assert.Equal([2, 0], h.Select(e => e.Changes));
        Assert.Equal(new double[] { 2, 0, 0 }, p.Weights);
    }

    [Fact]
    public void PerceptronRejectsLabelsOutsidePlusMinusOne()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Perceptron().Fit(Tensor.Zeros([2, 2]), Tensor.FromArray(new double[] { 0, 1 })));
        Assert.Contains("-1 or +1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LogisticRegressionAutogradGradientEqualsTheLectureClosedForm()
    {
        var g = new Generator(7);
        var model = new LogisticRegression(5, 4, DType.Float64, g);
        var phi = Tensor.Randn([13, 5], g, DType.Float64);
        var target = Tensor.Randint(0, 4, [13], g);
        var loss = Functional.CrossEntropy(model.Forward(phi), target, reduction: Reduction.Sum);
        loss.Backward();
        var (gw, gb) = LogisticRegression.ClosedFormGradient(model.Linear.Weight, model.Linear.Bias!, phi, target);
        Assert.True(model.Linear.Weight.Grad!.AllClose(gw, rtol: 1e-12, atol: 1e-12));
        Assert.True(model.Linear.Bias!.Grad!.AllClose(gb, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void MlpStateDictKeysFollowPyTorch()
    {
        var mlp = new Mlp([784, 256, 256, 10], dropout: 0.5);
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias", "layers.6.weight", "layers.6.bias"], mlp.StateDict().Select(kv => kv.Key));
        Assert.Equal(784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10, mlp.ParameterCount());
        Assert.Equal(
            "Mlp(\n  (layers): Sequential(\n    (0): Linear(in_features=784, out_features=256, bias=True)\n    (1): ReLU()\n    (2): Dropout(p=0.5, inplace=False)\n" +
            "    (3): Linear(in_features=256, out_features=256, bias=True)\n    (4): ReLU()\n    (5): Dropout(p=0.5, inplace=False)\n" +
            "    (6): Linear(in_features=256, out_features=10, bias=True)\n  )\n)", mlp.ToString());
    }
}
