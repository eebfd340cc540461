using Axon.Nn;
using static Axon.Tests.GradCheck;

namespace Axon.Tests.Autograd;

/// <summary>
/// Gradients of gradients: every op below is checked by <see cref="GradCheck.GradGradCheck"/> (float64, central
/// differences of the first derivative recorded with createGraph), and a fused op without a backward of its own refuses
/// a second derivative by name.
/// </summary>
public class DoubleBackwardTests
{
    public static TheoryData<string> Ops() => new(Cases.Keys.Order(StringComparer.Ordinal));

    /// <summary>The ops checked, each on small float64 leaves away from its non-differentiable points.</summary>
    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> Inputs)> Cases = new(StringComparer.Ordinal)
    {
        ["Add (broadcast)"] = (x => x[0] + x[1], () => [Leaf(1, 3, 4), Leaf(2, 4)]),
        ["Sub"] = (x => x[0] - x[1], () => [Leaf(3, 2, 3), Leaf(4, 2, 3)]),
        ["Mul (broadcast)"] = (x => x[0] * x[1], () => [Leaf(5, 3, 4), Leaf(6, 3, 1)]),
        ["Div"] = (x => x[0] / x[1], () => [Leaf(7, 2, 3), Uniform(8, 0.5, 2, 2, 3)]),
        ["Pow (tensor)"] = (x => x[0].Pow(x[1]), () => [Uniform(9, 0.5, 2, 2, 3), Leaf(10, 2, 3)]),
        ["Pow (scalar)"] = (x => x[0].Pow(3.0), () => [Leaf(11, 2, 3)]),
        ["Exp"] = (x => x[0].Exp(), () => [Leaf(12, 2, 3)]),
        ["Log"] = (x => x[0].Log(), () => [Uniform(13, 0.5, 2, 2, 3)]),
        ["Sqrt"] = (x => x[0].Sqrt(), () => [Uniform(14, 0.5, 2, 2, 3)]),
        ["Square"] = (x => x[0].Square(), () => [Leaf(15, 2, 3)]),
        ["Reciprocal"] = (x => x[0].Reciprocal(), () => [Uniform(16, 0.5, 2, 2, 3)]),
        ["Tanh"] = (x => x[0].Tanh(), () => [Leaf(17, 3, 4)]),
        ["Sigmoid"] = (x => x[0].Sigmoid(), () => [Leaf(18, 3, 4)]),
        ["Relu"] = (x => x[0].Relu(), () => [AwayFrom(19, [3, 4], 0)]),
        ["Abs"] = (x => x[0].Abs(), () => [AwayFrom(20, [3, 4], 0)]),
        ["LeakyRelu"] = (x => x[0].LeakyRelu(0.1), () => [AwayFrom(21, [3, 4], 0)]),
        ["Softplus"] = (x => x[0].Softplus(2.0), () => [Leaf(22, 3, 4)]),
        ["Clamp"] = (x => x[0].Clamp(-0.5, 0.5), () => [AwayFrom(23, [3, 4], -0.5, 0.5)]),
        ["Elu"] = (x => x[0].Elu(), () => [AwayFrom(24, [3, 4], 0)]),
        ["Where"] = (x => Tensor.Where(x[0].Gt(0), x[0] * x[1], x[1].Exp()), () => [AwayFrom(25, [3, 4], 0), Leaf(26, 3, 4)]),
        ["Sum"] = (x => x[0].Sum().Square(), () => [Leaf(27, 3, 4)]),
        ["Sum (dims)"] = (x => x[0].Sum([0, 2]).Square(), () => [Leaf(28, 2, 3, 4)]),
        ["Mean"] = (x => x[0].Mean(1).Exp(), () => [Leaf(29, 3, 4)]),
        ["Var"] = (x => x[0].Var(1), () => [Leaf(30, 3, 5)]),
        ["Max (dim)"] = (x => x[0].Max(1).Values.Square(), () => [Leaf(31, 3, 5)]),
        ["Softmax"] = (x => x[0].Softmax(1), () => [Leaf(32, 3, 4)]),
        ["LogSoftmax"] = (x => x[0].LogSoftmax(0), () => [Leaf(33, 3, 4)]),
        ["LogSumExp"] = (x => x[0].LogSumExp(1), () => [Leaf(34, 3, 4)]),
        ["MatMul"] = (x => x[0].MatMul(x[1]).Square(), () => [Leaf(35, 3, 4), Leaf(36, 4, 2)]),
        ["MatMul (batched, vector)"] = (x => x[0].MatMul(x[1]).Tanh(), () => [Leaf(37, 2, 3, 4), Leaf(38, 4)]),
        ["Linear"] = (x => Tensor.Linear(x[0], x[1], x[2]).Tanh(), () => [Leaf(39, 5, 3), Leaf(40, 4, 3), Leaf(41, 4)]),
        ["Conv2d"] = (x => Tensor.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1).Tanh(), () => [Leaf(42, 2, 3, 5, 5), Leaf(43, 4, 3, 3, 3), Leaf(44, 4)]),
        ["Conv2d (groups, dilation)"] = (x => Tensor.Conv2d(x[0], x[1], null, padding: 2, dilation: 2, groups: 2).Square(), () => [Leaf(45, 1, 4, 5, 4), Leaf(46, 2, 2, 2, 2)]),
        ["MaxPool2d"] = (x => Tensor.MaxPool2d(x[0].Square(), 2), () => [Leaf(47, 1, 2, 4, 4)]),
        ["MaxPool2d (overlapping)"] = (x => Tensor.MaxPool2d(x[0], 3, stride: 2).Exp(), () => [Leaf(48, 2, 1, 5, 5)]),
        ["AvgPool2d"] = (x => Tensor.AvgPool2d(x[0], 2, padding: 1, countIncludePad: false).Square(), () => [Leaf(49, 1, 2, 5, 4)]),
        ["AdaptiveAvgPool2d"] = (x => Tensor.AdaptiveAvgPool2d(x[0], (2, 3)).Tanh(), () => [Leaf(50, 2, 2, 5, 7)]),
        ["ReluMaxPool2d"] = (x => Tensor.ReluMaxPool2d(x[0] * x[0] - 0.5, 2), () => [Leaf(51, 1, 2, 4, 4)]),
        ["Conv2dReluMaxPool2d"] = (x => Tensor.Conv2dReluMaxPool2d(x[0] * x[0], x[1], x[2], 1, 1, 1, 1, 2, 2, 0, 1, false)!.Square(),
            () => [Leaf(66, 2, 2, 5, 5), Leaf(67, 3, 2, 3, 3), Leaf(68, 3)]),
        ["Views"] = (x => x[0].Reshape(4, 3).Transpose(0, 1).Narrow(0, 1, 2).Select(1, 2).Unsqueeze(0).Expand(3, 2).Square(), () => [Leaf(52, 3, 4)]),
        ["Permute"] = (x => x[0].Permute(2, 0, 1).Flatten().Tanh(), () => [Leaf(53, 2, 3, 2)]),
        ["Cat"] = (x => Tensor.Cat([x[0].Square(), x[1]], 1).Tanh(), () => [Leaf(54, 2, 3), Leaf(55, 2, 2)]),
        ["Gather"] = (x => x[0].Gather(1, Tensor.FromArray(new long[] { 0, 2, 1, 1 }, 2, 2)).Square(), () => [Leaf(56, 2, 3)]),
        ["IndexSelect"] = (x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 2, 0, 2 })).Square(), () => [Leaf(57, 3, 2)]),
        ["CrossEntropy (fused)"] = (x => Functional.CrossEntropy(x[0], Tensor.FromArray(new long[] { 1, 0, 3 })), () => [Leaf(58, 3, 4)]),
        ["CrossEntropy (weighted, sum)"] = (x => Functional.CrossEntropy(x[0], Tensor.FromArray(new long[] { 2, 1 }), Tensor.FromArray([0.5, 2.0, 1.5]), Reduction.Sum), () => [Leaf(59, 2, 3)]),
        ["BinaryCrossEntropyWithLogits (fused)"] = (x => Functional.BinaryCrossEntropyWithLogits(x[0], x[1].Sigmoid()), () => [Leaf(62, 3, 4), Leaf(63, 3, 4)]),
        ["BinaryCrossEntropyWithLogits (none)"] = (x => Functional.BinaryCrossEntropyWithLogits(x[0], Tensor.Rand([2, 5], new Generator(64), DType.Float64), Reduction.None).Square(), () => [Leaf(65, 2, 5)]),
        ["MseLoss"] = (x => Functional.MseLoss(x[0].Tanh(), x[1]), () => [Leaf(60, 3, 2), Leaf(61, 3, 2)]),
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void SecondDerivativesMatchFiniteDifferences(string op)
    {
        var (f, inputs) = Cases[op];
        GradGradCheck(f, inputs());
    }

    [Fact]
    public void EnoughOpsAreCheckedTwice() => Assert.True(Cases.Count >= 15, $"{Cases.Count} ops");

    [Fact]
    public void TheSecondDerivativeOfACubeIsSixX()
    {
        // d²(x³)/dx² = 6x, through Backward(createGraph) and then Autograd.Grad of the gradient.
        var x = Tensor.FromArray([0.5, -2.0, 3.0]).RequiresGrad_();
        x.Pow(3.0).Sum().Backward(createGraph: true);
        var dx = x.Grad!;
        Assert.True(dx.RequiresGrad);
        Assert.Equal([0.75, 12.0, 27.0], dx.ToDoubleArray());
        var d2 = Axon.Autograd.Grad(dx.Sum(), x);
        Assert.Equal([3.0, -12.0, 18.0], d2.ToDoubleArray());
    }

    [Fact]
    public void AHessianVectorProductEqualsTheMatrixProduct()
    {
        // f(x) = ½ xᵀ A x with symmetric A: the Hessian is A, so H v = A v.
        var a = Tensor.FromArray(new double[,] { { 2, 1, 0 }, { 1, 3, -1 }, { 0, -1, 4 } });
        var x = Tensor.FromArray([1.0, -2.0, 0.5]).RequiresGrad_();
        var v = Tensor.FromArray([0.3, 0.7, -1.1]);
        var f = x.MatMul(a.MatMul(x)) * 0.5;
        var g = Axon.Autograd.Grad(f, x, createGraph: true);
        var hv = Axon.Autograd.Grad((g * v).Sum(), x);
        var expected = a.MatMul(v).ToDoubleArray();
        var got = hv.ToDoubleArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 12);
    }

    [Fact]
    public void BatchNormRefusesASecondDerivativeByName()
    {
        var x = Leaf(70, 4, 3);
        var w = Leaf(71, 3);
        var y = Tensor.BatchNorm(x, null, null, w, null, training: true);
        var g = Axon.Autograd.Grad((y * y.Detach()).Sum(), x, createGraph: true);
        // The first derivative is fine; differentiating it again names the fused op.
        var ex = Assert.Throws<NotSupportedException>(() => g.Sum().Backward());
        Assert.Contains("BatchNorm", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be differentiated again", ex.Message, StringComparison.Ordinal);
    }
}
