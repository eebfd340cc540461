using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.Optim;

/// <summary>Elastic net, gradient clipping (values from torch.nn.utils 1.13 on the same float64 gradients), max-norm, early stopping.</summary>
public class ClippingAndConstraintTests
{
    private static Tensor[] Params()
    {
        var a = Tensor.Zeros([2, 3], DType.Float64).RequiresGrad_();
        a.Grad = Tensor.FromArray([1.0, -2, 3, 0.5, -0.25, 4], 2, 3);
        var b = Tensor.Zeros([2], DType.Float64).RequiresGrad_();
        b.Grad = Tensor.FromArray([-6.0, 0.125]);
        var c = Tensor.Zeros([1], DType.Float64).RequiresGrad_();  // no gradient: skipped
        return [a, b, c];
    }

    private static double[] Grads(Tensor[] ps) => [.. ps[0].Grad!.ToDoubleArray(), .. ps[1].Grad!.ToDoubleArray()];

    [Theory]
    [InlineData(2.0, 1.0, 8.144208064630963, new[] { 0.12278663183424957, -0.24557326366849913, 0.3683598955027487, 0.06139331591712478, -0.03069665795856239, 0.49114652733699826, -0.7367197910054974, 0.015348328979281196 })]
    [InlineData(1.0, 5.0, 16.875, new[] { 0.29629627873799824, -0.5925925574759965, 0.8888888362139947, 0.14814813936899912, -0.07407406968449956, 1.185185114951993, -1.7777776724279895, 0.03703703484224978 })]
    [InlineData(3.0, 2.5, 6.812308863138892, new[] { 0.36698271955117456, -0.7339654391023491, 1.1009481586535237, 0.18349135977558728, -0.09174567988779364, 1.4679308782046983, -2.2018963173070474, 0.04587283994389682 })]
    [InlineData(double.PositiveInfinity, 2.0, 6.0, new[] { 0.33333327777778704, -0.6666665555555741, 0.9999998333333611, 0.16666663888889352, -0.08333331944444676, 1.3333331111111482, -1.9999996666667221, 0.04166665972222338 })]
    [InlineData(2.0, 100.0, 8.144208064630963, new[] { 1.0, -2, 3, 0.5, -0.25, 4, -6, 0.125 })]
    public void ClipGradNormMatchesPyTorch(double normType, double maxNorm, double expectedNorm, double[] expectedGrads)
    {
        var ps = Params();
        double norm = Utils.ClipGradNorm(ps, maxNorm, normType);
        Assert.Equal(expectedNorm, norm, new Tol(1e-14));
        Assert.Equal(expectedGrads, Grads(ps), new Tol(1e-14));
    }

    [Fact]
    public void ClipGradNormOfNothingIsZeroAndNonFiniteNormsCanThrow()
    {
        Assert.Equal(0, Utils.ClipGradNorm([Tensor.Zeros([2]).RequiresGrad_()], 1));
        var p = Tensor.Zeros([2]).RequiresGrad_();
        p.Grad = Tensor.FromArray([float.PositiveInfinity, 1f]);
        Assert.Throws<InvalidOperationException>(() => Utils.ClipGradNorm([p], 1, errorIfNonfinite: true));
        Assert.Equal([float.PositiveInfinity, 1f], p.Grad.ToFloatArray());  // unchanged when it throws
        Assert.True(double.IsPositiveInfinity(Utils.ClipGradNorm([p], 1)));  // PyTorch scales by 1/inf = 0 (inf · 0 = NaN)
        Assert.Equal(0f, p.Grad.ToFloatArray()[1]);
        Assert.Equal("normType", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm([p], 1, normType: 0)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm([p], -1)).ParamName);
    }

    [Fact]
    public void ClippedUpdateHasTheMaxNormInFloat32()
    {
        var w = Tensor.FromArray([1f, 2f, 3f]).RequiresGrad_();
        (w * w).Sum().Backward();  // gradient 2w, norm 2 sqrt(14)
        double norm = Utils.ClipGradNorm([w], 1.0);
        Assert.Equal(2 * Math.Sqrt(14), norm, 5);
        var g = w.Grad!.ToDoubleArray();
        Assert.Equal(1.0, Math.Sqrt(g.Sum(x => x * x)), 5);
    }

    [Fact]
    public void ClipGradValueClampsEachElement()
    {
        var ps = Params();
        Utils.ClipGradValue(ps, 1.5);
        Assert.Equal([1.0, -1.5, 1.5, 0.5, -0.25, 1.5, -1.5, 0.125], Grads(ps));
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradValue(ps, -1)).ParamName);
    }

    [Fact]
    public void ElasticNetIsL1PlusL2AndSkipsBiasesByName()
    {
        var w = Tensor.FromArray([1.0, -2.0, 0.0]).RequiresGrad_();
        var penalty = Regularization.ElasticNetPenalty([w], l1: 0.1, l2: 0.01);
        Assert.Equal(0.1 * 3 + 0.01 * 5, penalty.Item(), 12);
        penalty.Backward();
        Assert.Equal([0.1 + 0.02, -0.1 - 0.04, 0.0], w.Grad!.ToDoubleArray(), new Tol(1e-12));

        var bias = Tensor.FromArray([5.0]).RequiresGrad_();
        var named = new[] { ("layer.weight", w), ("layer.bias", bias) };
        Assert.Equal(0.35, Regularization.ElasticNetPenalty(named, 0.1, 0.01).Item(), 12);
        Assert.Equal(0.35 + 0.5 + 0.25, Regularization.ElasticNetPenalty(named, 0.1, 0.01, _ => true).Item(), 12);
        var lin = new Linear(3, 2, generator: new Generator(1));
        double expected = Regularization.L1Penalty(lin, 0.2).Item() + Regularization.L2Penalty(lin, 0.3).Item();
        Assert.Equal(expected, Regularization.ElasticNetPenalty(lin, 0.2, 0.3).Item(), 5);
        Assert.Equal("l2", Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.ElasticNetPenalty([w], 0.1, -1)).ParamName);
    }

    [Fact]
    public void MaxNormRenormalisesOnlyTheRowsAboveTheBoundAsTorchRenorm()
    {
        // torch.renorm(x, 2, 0, 1.0) on [[3, 4], [0.3, 0.4]] gives [[0.6, 0.8], [0.3, 0.4]] (factor 1 / (5 + 1e-7)).
        var w = Tensor.FromArray([3.0, 4, 0.3, 0.4], 2, 2);
        Assert.Equal(1, MaxNormConstraint.Apply(w, 1.0));
        Assert.Equal([3 / (5 + 1e-7), 4 / (5 + 1e-7), 0.3, 0.4], w.ToDoubleArray(), new Tol(1e-15));
        // dim 1: the columns (torch.renorm(x, 2, 1, 1.0) = [[0.9950, 0.9950, 0.4472], [0.0995, 0.0995, 0.8944]]).
        var x = Tensor.FromArray([3.0, 4, 1, 0.3, 0.4, 2], 2, 3);
        Assert.Equal(3, MaxNormConstraint.Apply(x, 1.0, dim: 1));
        Assert.Equal([0.9950, 0.9950, 0.4472, 0.0995, 0.0995, 0.8944], x.ToDoubleArray(), new Tol(1e-4));
    }

    [Fact]
    public void MaxNormOnAModuleBoundsEveryUnitOfEveryWeight()
    {
        var model = new Sequential(new Linear(20, 30, generator: new Generator(3)), new ReLU(), new Conv2d(1, 4, 3, generator: new Generator(4)));
        foreach (var p in model.Parameters()) using (GradMode.NoGrad()) p.CopyFrom(p * 10);
        var biasBefore = ((Linear)model[0]).Bias!.ToFloatArray();
        Assert.True(MaxNormConstraint.Apply(model, 0.5) > 0);
        var weight = ((Linear)model[0]).Weight;
        for (int i = 0; i < 30; i++)
            Assert.True(weight.Select(0, i).Square().Sum().Sqrt().Item() <= 0.5 + 1e-6);
        Assert.Equal(biasBefore, ((Linear)model[0]).Bias!.ToFloatArray());
        var conv = ((Conv2d)model[2]).Weight;
        for (int o = 0; o < 4; o++)
            Assert.True(conv.Select(0, o).Square().Sum().Sqrt().Item() <= 0.5 + 1e-6);
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceBadEpochsAndRestoresTheBestWeights()
    {
        var model = new Linear(2, 1, generator: new Generator(0));
        var stopper = new EarlyStopping(patience: 2, minDelta: 0.01, restoreBestWeights: true);
        double[] losses = [1.0, 0.8, 0.795, 0.7, 0.71, 0.705];
        var stops = new List<bool>();
        float[]? bestWeights = null;
        foreach (double loss in losses)
        {
            using (GradMode.NoGrad()) model.Weight.CopyFrom(model.Weight + 1);
            stops.Add(stopper.Step(loss, model));
            if (loss == 0.7) bestWeights = model.Weight.ToFloatArray();
        }
        Assert.Equal([false, false, false, false, false, true], stops);  // 0.795 is not 0.01 better than 0.8
        Assert.Equal(0.7, stopper.Best);
        Assert.Equal(3, stopper.BestEpoch);
        Assert.True(stopper.RestoreBest(model));
        Assert.Equal(bestWeights, model.Weight.ToFloatArray());

        var acc = new EarlyStopping(patience: 1, mode: MetricMode.Max);
        Assert.False(acc.Step(0.5));
        Assert.False(acc.Step(0.6));
        Assert.True(acc.Step(double.NaN));  // NaN never improves
        Assert.False(acc.RestoreBest(model));
        Assert.Throws<ArgumentNullException>(() => new EarlyStopping(restoreBestWeights: true).Step(1.0));
        Assert.Equal("patience", Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(patience: 0)).ParamName);
        acc.Reset();
        Assert.Equal(0, acc.Epochs);
        Assert.False(acc.ShouldStop);
    }
}
