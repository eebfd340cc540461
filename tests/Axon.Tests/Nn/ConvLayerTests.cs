using Axon.Nn;

namespace Axon.Tests.Nn;

public class ConvLayerTests
{
    [Fact]
    public void Conv2dReprMatchesPyTorch()
    {
        Assert.Equal("Conv2d(1, 32, kernel_size=(5, 5), stride=(1, 1))", new Conv2d(1, 32, 5).ToString());
        Assert.Equal("Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4), padding=(2, 2))", new Conv2d(3, 64, 11, stride: 4, padding: 2).ToString());
        Assert.Equal("Conv2d(4, 8, kernel_size=(3, 1), stride=(1, 2), padding=(1, 0), dilation=(2, 2), groups=2, bias=False)",
            new Conv2d(4, 8, (3, 1), stride: (1, 2), padding: (1, 0), dilation: 2, groups: 2, bias: false).ToString());
        Assert.Equal("Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1), padding=same)", new Conv2d(16, 16, 3, padding: "same").ToString());
        Assert.Equal("Conv2d(16, 16, kernel_size=(3, 3), stride=(2, 2), padding=valid)", new Conv2d(16, 16, 3, "valid", stride: 2).ToString());
    }

    [Fact]
    public void PoolingAndDropoutReprsMatchPyTorch()
    {
        Assert.Equal("MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(3, 2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)", new MaxPool2d((3, 2), (2, 1), 1, ceilMode: true).ToString());
        Assert.Equal("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).ToString());
        Assert.Equal("AvgPool2d(kernel_size=3, stride=1, padding=1)", new AvgPool2d(3, 1, 1).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(5, 7))", new AdaptiveAvgPool2d((5, 7)).ToString());
        Assert.Equal("Dropout2d(p=0.5, inplace=False)", new Dropout2d().ToString());
    }

    [Fact]
    public void Conv2dDefaultInitIsBoundedByOneOverSqrtFanIn()
    {
        var conv = new Conv2d(8, 64, 5, groups: 2, generator: new Generator(3));
        Assert.Equal(new[] { 64, 4, 5, 5 }, conv.Weight.GetShape());
        double bound = 1 / Math.Sqrt(4 * 5 * 5);   // fan_in = in / groups * kh * kw
        var w = conv.Weight.ToDoubleArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias!.ToDoubleArray(), v => Assert.InRange(v, -bound, bound));
        double var = w.Select(v => v * v).Average();
        Assert.InRange(var, bound * bound / 3 * 0.9, bound * bound / 3 * 1.1);
        Assert.Equal(["weight", "bias"], conv.StateDict().Select(kv => kv.Key));
        var same = new Conv2d(8, 64, 5, groups: 2, generator: new Generator(3));
        Assert.Equal(w, same.Weight.ToDoubleArray());
    }

    [Fact]
    public void Conv2dForwardIsTheFunctionalConvolution()
    {
        var conv = new Conv2d(2, 3, (3, 2), stride: (2, 1), padding: 1, dtype: DType.Float64, generator: new Generator(1));
        var x = Tensor.Randn([2, 2, 7, 5], new Generator(2), DType.Float64);
        Assert.Equal(Tensor.Conv2d(x, conv.Weight, conv.Bias, (2, 1), 1).ToDoubleArray(), conv.Forward(x).ToDoubleArray());
        var same = new Conv2d(2, 3, 4, "same", dtype: DType.Float64);
        Assert.Equal(new[] { 2, 3, 7, 5 }, same.Forward(x).GetShape());
        Assert.Equal("same", same.PaddingMode);
    }

    [Fact]
    public void Conv2dHyperParameterErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Conv2d(3, 8, 3, groups: 2));
        Assert.Contains("in_channels (3) must be divisible by groups (2)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new Conv2d(4, 6, 3, groups: 4));
        Assert.Contains("out_channels (6) must be divisible by groups (4)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(3, 8, 3, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(3, 8, (3, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(3, 8, 3, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(3, 8, 3, dilation: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(0, 8, 3));
        ex = Assert.Throws<ArgumentException>(() => new Conv2d(3, 8, 3, "same", stride: 2));
        Assert.Contains("strided", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 8, 3, "full"));
        ex = Assert.Throws<ArgumentException>(() => new Conv2d(3, 32, 5).Forward(Tensor.Zeros([64, 1, 28, 28])));
        Assert.StartsWith("Conv2d: expected input with 3 channels (weight [32, 3, 5, 5]), got [64, 1, 28, 28].", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2d(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveAvgPool2d((1, 0)));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Dropout2dRejectsPOutsideZeroOne(double p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout2d(p));
        Assert.Contains("[0, 1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dropout2dZeroesWholeChannelsInTrainingOnly()
    {
        var d = new Dropout2d(0.4, new Generator(7));
        var x = Tensor.Ones([50, 20, 3, 4]);
        var y = d.Forward(x).ToFloatArray();
        int dropped = 0;
        for (int ch = 0; ch < 50 * 20; ch++)
        {
            var plane = y.AsSpan(ch * 12, 12).ToArray();
            Assert.True(plane.All(v => v == 0) || plane.All(v => Math.Abs(v - 1 / 0.6f) < 1e-6), $"channel {ch} is partly dropped");
            if (plane[0] == 0) dropped++;
        }
        Assert.InRange(dropped, 340, 460);
        Assert.Equal(new[] { 20, 3, 4 }, d.Forward(Tensor.Ones([20, 3, 4])).GetShape());   // unbatched
        d.Eval();
        Assert.Same(x, d.Forward(x));
        Assert.Throws<ArgumentException>(() => d.Forward(Tensor.Ones([3, 4])));
        // The gradient is the mask: zero on dropped channels, 1/(1-p) elsewhere.
        var t = Tensor.Ones([2, 6, 2, 2]).RequiresGrad_();
        d.Train();
        var o = d.Forward(t);
        o.Sum().Backward();
        Assert.Equal(o.ToFloatArray(), t.Grad!.ToFloatArray());
    }

    [Fact]
    public void LectureCnnTrainsOnABatch()
    {
        var g = new Generator(0);
        var model = new Sequential(
            new Conv2d(1, 8, 5, generator: g), new ReLU(), new MaxPool2d(2),
            new Conv2d(8, 16, 5, generator: g), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
            new Dropout2d(0.1, g), new Flatten(), new Linear(16 * 4 * 4, 10, generator: g));
        var x = Tensor.Randn([16, 1, 28, 28], g);
        var y = Tensor.Randint(0, 10, [16], g);
        var opt = new Axon.Optim.Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        double first = 0, last = 0;
        for (int step = 0; step < 15; step++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first * 0.5, $"loss went from {first} to {last}");
        Assert.Contains("(0): Conv2d(1, 8, kernel_size=(5, 5), stride=(1, 1))", model.ToString(), StringComparison.Ordinal);
        Assert.Contains("[16, 16, 4, 4]", model.Summary([16, 1, 28, 28]), StringComparison.Ordinal);
    }
}
