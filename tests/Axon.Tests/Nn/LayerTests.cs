using Axon.Nn;

namespace Axon.Tests.Nn;

public class LayerTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(3, 129, 65)]
    [InlineData(64, 784, 10)]
    public void LinearEqualsAPlainLoop(int n, int inF, int outF)
    {
        var g = new Generator(n * 1000 + inF);
        var layer = new Linear(inF, outF, dtype: DType.Float64, generator: g);
        var x = Tensor.Randn([n, inF], g, DType.Float64);
        var y = layer.Forward(x).ToDoubleArray();
        double[] w = layer.Weight.ToDoubleArray(), b = layer.Bias!.ToDoubleArray(), xs = x.ToDoubleArray();
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outF; o++)
            {
                double s = b[o];
                for (int k = 0; k < inF; k++) s += xs[i * inF + k] * w[o * inF + k];
                Assert.Equal(s, y[i * outF + o], 1e-12);
            }
    }

    [Fact]
    public void LinearDefaultInitIsBoundedByOneOverSqrtFanIn()
    {
        var layer = new Linear(400, 300, generator: new Generator(3));
        double bound = 1 / Math.Sqrt(400);
        var w = layer.Weight.ToDoubleArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.All(layer.Bias!.ToDoubleArray(), v => Assert.InRange(v, -bound, bound));
        // Uniform on [-b, b] has variance b^2 / 3.
        double var = w.Select(v => v * v).Average();
        Assert.InRange(var, bound * bound / 3 * 0.95, bound * bound / 3 * 1.05);
    }

    [Fact]
    public void LinearReprAndShapeErrors()
    {
        Assert.Equal("Linear(in_features=784, out_features=10, bias=True)", new Linear(784, 10).ToString());
        Assert.Equal("Linear(in_features=3, out_features=2, bias=False)", new Linear(3, 2, bias: false).ToString());
        var ex = Assert.Throws<ArgumentException>(() => new Linear(256, 10).Forward(Tensor.Zeros([64, 784])));
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (64x784 and 256x10)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3));
    }

    [Fact]
    public void SameSeedGivesSameWeights()
    {
        var a = new Linear(5, 4, generator: new Generator(11));
        var b = new Linear(5, 4, generator: new Generator(11));
        Assert.Equal(a.Weight.ToFloatArray(), b.Weight.ToFloatArray());
        Assert.Equal(a.Bias!.ToFloatArray(), b.Bias!.ToFloatArray());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void DropoutRejectsPOutsideZeroOne(double p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(p));
        Assert.Contains("[0, 1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DropoutZeroesAboutPAndScalesSurvivorsInTrainingOnly()
    {
        var d = new Dropout(0.3, new Generator(5));
        var x = Tensor.Ones([100, 100]);
        var y = d.Forward(x).ToFloatArray();
        int zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 2700, 3300);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1 / 0.7f, v, 5));
        d.Eval();
        Assert.Same(x, d.Forward(x));
        Assert.Equal("Dropout(p=0.3, inplace=False)", d.ToString());
    }

    [Fact]
    public void ActivationsComputeTheirDefinitions()
    {
        var x = Tensor.FromArray(new double[] { -2, -0.5, 0, 0.5, 2 });
        Assert.Equal(new double[] { -1, -1, 0, 1, 1 }, new Sign().Forward(x).ToDoubleArray());
        Assert.Equal(new double[] { 0, 0, 1, 1, 1 }, new Step().Forward(x).ToDoubleArray());
        Assert.Equal(new double[] { 0, 0, 0, 0.5, 2 }, new ReLU().Forward(x).ToDoubleArray());
        Assert.Equal(new double[] { -0.2, -0.05, 0, 0.5, 2 }, new LeakyReLU(0.1).Forward(x).ToDoubleArray().Select(v => Math.Round(v, 12)));
        var elu = new ELU(1.5).Forward(x).ToDoubleArray();
        Assert.Equal(1.5 * (Math.Exp(-2) - 1), elu[0], 12);
        Assert.Equal(2, elu[4], 12);
        var sp = new Softplus().Forward(x).ToDoubleArray();
        Assert.Equal(Math.Log(1 + Math.Exp(-2)), sp[0], 12);
        Assert.Equal(Math.Log(1 + Math.Exp(2)), sp[4], 12);
        Assert.Equal(30.0, new Softplus().Forward(Tensor.FromArray(new double[] { 30 })).Item(), 12);  // linear above the threshold
        var sig = new Sigmoid().Forward(x).ToDoubleArray();
        Assert.Equal(1 / (1 + Math.Exp(2)), sig[0], 12);
        Assert.Equal(Math.Tanh(0.5), new Tanh().Forward(x).ToDoubleArray()[3], 12);
        var sm = new Softmax(0).Forward(x).ToDoubleArray();
        Assert.Equal(1.0, sm.Sum(), 12);
        Assert.Equal(Math.Exp(2) / new double[] { -2, -0.5, 0, 0.5, 2 }.Sum(Math.Exp), sm[4], 12);
    }

    [Fact]
    public void PReLULearnsItsSlopePerChannel()
    {
        var p = new PReLU(3, dtype: DType.Float64);
        var x = Tensor.FromArray(new double[] { -1, -2, -3, 1, 2, 3 }, 2, 3);
        var y = p.Forward(x);
        Assert.Equal(new double[] { -0.25, -0.5, -0.75, 1, 2, 3 }, y.ToDoubleArray());
        y.Sum().Backward();
        // d y / d a = x where x < 0, else 0; summed over the batch per channel.
        Assert.Equal(new double[] { -1, -2, -3 }, p.Weight.Grad!.ToDoubleArray());
        Assert.Equal("PReLU(num_parameters=3)", p.ToString());
    }

    [Fact]
    public void FlattenKeepsTheBatchDimension()
    {
        var y = new Flatten().Forward(Tensor.Zeros([4, 3, 5, 7]));
        Assert.Equal(new[] { 4, 105 }, y.GetShape());
        Assert.Equal("Flatten(start_dim=1, end_dim=-1)", new Flatten().ToString());
    }
}
