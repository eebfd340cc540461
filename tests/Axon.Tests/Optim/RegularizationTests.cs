using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.Optim;

public class RegularizationTests
{
    private sealed class TinyLinear : Module<Tensor, Tensor>
    {
        public TinyLinear()
        {
            Weight = RegisterParameter("weight", Tensor.FromArray([1.0, -2.0, 0.0, 0.5], 2, 2))!;
            Bias = RegisterParameter("bias", Tensor.FromArray([3.0, -4.0]))!;
        }

        public Tensor Weight { get; }

        public Tensor Bias { get; }

        public override Tensor Forward(Tensor input) => input.MatMul(Weight) + Bias;
    }

    [Fact]
    public void L1IsLambdaTimesSumOfAbsoluteValuesWithSignGradient()
    {
        var a = Tensor.FromArray([1.0, -2.0, 0.0]).RequiresGrad_();
        var b = Tensor.FromArray([3.0]).RequiresGrad_();
        var penalty = Regularization.L1Penalty([a, b], 0.1);
        Assert.Equal(0.6, penalty.Item(), 12);
        penalty.Backward();
        Assert.Equal([0.1, -0.1, 0.0], a.Grad!.ToDoubleArray(), new Tol(1e-15));
        Assert.Equal([0.1], b.Grad!.ToDoubleArray(), new Tol(1e-15));
    }

    [Fact]
    public void L2IsLambdaTimesSumOfSquaresWithGradientTwoLambdaW()
    {
        var a = Tensor.FromArray([1.0, -2.0, 0.0]).RequiresGrad_();
        var b = Tensor.FromArray([3.0]).RequiresGrad_();
        var penalty = Regularization.L2Penalty([a, b], 0.1);
        Assert.Equal(1.4, penalty.Item(), 12);
        penalty.Backward();
        Assert.Equal([0.2, -0.4, 0.0], a.Grad!.ToDoubleArray(), new Tol(1e-15));
        Assert.Equal([0.6], b.Grad!.ToDoubleArray(), new Tol(1e-15));
    }

    [Fact]
    public void BiasesAreSkippedByDefault()
    {
        var m = new TinyLinear();
        Assert.Equal(3.5, Regularization.L1Penalty(m, 1.0).Item(), 12);
        Assert.Equal(10.5, Regularization.L1Penalty(m, 1.0, includeBiases: true).Item(), 12);
        Assert.Equal(5.25, Regularization.L2Penalty(m.NamedParameters(), 1.0).Item(), 12);
        Assert.Equal(25.0, Regularization.L2Penalty(m.NamedParameters(), 1.0, name => name == "bias").Item(), 12);
        Assert.Equal(3.5, Regularization.L1Penalty(m.Parameters(), 1.0, p => !ReferenceEquals(p, m.Bias)).Item(), 12);
        var penalty = Regularization.L2Penalty(m, 0.5);
        penalty.Backward();
        Assert.Null(m.Bias.Grad);
        Assert.Equal([1.0, -2.0, 0.0, 0.5], m.Weight.Grad!.ToDoubleArray(), new Tol(1e-15));
    }

    [Fact]
    public void IsBiasMatchesTheLastNameComponent()
    {
        Assert.True(Regularization.IsBias("bias"));
        Assert.True(Regularization.IsBias("layers.0.bias"));
        Assert.False(Regularization.IsBias("layers.0.weight"));
        Assert.False(Regularization.IsBias("unbias"));
    }

    [Fact]
    public void EmptyListGivesZeroAndNegativeLambdaThrows()
    {
        Assert.Equal(0.0, Regularization.L1Penalty(Array.Empty<Tensor>(), 0.1).Item());
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.L2Penalty([Tensor.FromArray([1.0])], -1)).ParamName);
    }
}
