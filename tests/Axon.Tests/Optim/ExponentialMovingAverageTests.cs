using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.Optim;

/// <summary>The moving average of a model's weights: its recurrence with and without warm-up, buffers, swapping and state.</summary>
public class ExponentialMovingAverageTests
{
    private static Sequential Model(DType dtype = DType.Float64)
    {
        var g = new Generator(4);
        return new Sequential(new Linear(3, 2, generator: g, dtype: dtype), new BatchNorm1d(2, dtype: dtype));
    }

    // Moves every floating-point tensor of the model to a new value (as a training step would) and returns them all.
    private static Dictionary<string, double[]> Perturb(Module model, double by)
    {
        using (GradMode.NoGrad())
            foreach (var (_, t) in model.StateDict())
                if (t.DType.IsFloatingPoint()) t.Add_(Tensor.Full(t.ShapeArray, by, t.DType));
        return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToDoubleArray());
    }

    [Fact]
    public void EachUpdateFoldsTheWeightsInWithTheWarmedUpDecay()
    {
        var model = Model();
        var average = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToDoubleArray());
        var ema = new ExponentialMovingAverage(model, decay: 0.5);
        // d_t = min(0.5, (1 + t) / (10 + t)): 0.1, 2/11, 0.25, 4/13, ..., 0.5 from t = 8 on.
        for (int t = 0; t < 10; t++)
        {
            double d = Math.Min(0.5, (1.0 + t) / (10 + t));
            Assert.Equal(d, ema.NextDecay, 15);
            var now = Perturb(model, 0.1 * (t + 1));
            foreach (var (k, v) in now)
                if (k != "1.num_batches_tracked") average[k] = [.. average[k].Zip(v, (a, w) => d * a + (1 - d) * w)];
            ema.Update();
        }
        Assert.Equal(10, ema.Updates);
        foreach (var (k, t) in ema.StateDict())
            if (k != "1.num_batches_tracked") Assert.Equal(average[k], t.ToDoubleArray(), new Tol(1e-12));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], ema.StateDict().Select(kv => kv.Key));
    }

    [Fact]
    public void WithoutWarmupTheDecayIsConstantAndIntegerBuffersAreCopied()
    {
        var model = Model();
        var start = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToDoubleArray());
        var ema = new ExponentialMovingAverage(model, decay: 0.9, warmup: false);
        Assert.Equal(0.9, ema.NextDecay);
        var now = Perturb(model, 1.0);
        var bn = (BatchNorm1d)model[1];
        using (GradMode.NoGrad()) bn.NumBatchesTracked!.Fill(7);
        ema.Update();
        var shadows = ema.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(start["0.weight"].Zip(now["0.weight"], (a, w) => 0.9 * a + 0.1 * w), shadows["0.weight"].ToDoubleArray(), new Tol(1e-12));
        Assert.Equal(7L, shadows["1.num_batches_tracked"].ToLongArray()[0]);
    }

    [Fact]
    public void UseAverageSwapsTheShadowsInAndBack()
    {
        var model = Model(DType.Float32);
        var ema = new ExponentialMovingAverage(model, decay: 0.5, warmup: false);
        var initial = model.StateDict().Select(kv => kv.Value.ToDoubleArray()).ToArray();
        var moved = Perturb(model, 2.0);
        ema.Update();
        var expected = ema.StateDict().Select(kv => kv.Value.ToDoubleArray()).ToArray();
        using (ema.UseAverage())
        {
            Assert.True(ema.IsAverageSwappedIn);
            Assert.Equal(expected, model.StateDict().Select(kv => kv.Value.ToDoubleArray()).ToArray());
            Assert.Contains("swapped", Assert.Throws<InvalidOperationException>(ema.Update).Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => ema.UseAverage());
            Assert.Throws<InvalidOperationException>(() => ema.StateDict());
        }
        Assert.False(ema.IsAverageSwappedIn);
        Assert.Equal(moved.Values.ToArray(), model.StateDict().Select(kv => kv.Value.ToDoubleArray()).ToArray());
        Assert.NotEqual(initial[0], expected[0]);
    }

    [Fact]
    public void StateLoadsIntoAFreshAverageAndAMismatchIsNamed()
    {
        var model = Model();
        var ema = new ExponentialMovingAverage(model, decay: 0.8);
        Perturb(model, 0.5);
        ema.Update();
        ema.Update();
        var other = new ExponentialMovingAverage(Model(), decay: 0.8);
        other.LoadStateDict(ema.StateDict(), ema.Updates);
        Assert.Equal(2, other.Updates);
        Assert.Equal(ema.NextDecay, other.NextDecay);
        Assert.Equal(ema.StateDict().Select(kv => kv.Value.ToDoubleArray()), other.StateDict().Select(kv => kv.Value.ToDoubleArray()));

        var wrong = ema.StateDict().Where(kv => kv.Key != "0.bias").Select(kv => kv.Key == "0.weight" ? new KeyValuePair<string, Tensor>(kv.Key, Tensor.Zeros([3, 3], DType.Float64)) : kv)
            .Append(new KeyValuePair<string, Tensor>("2.weight", Tensor.Zeros([1], DType.Float64)));
        var before = other.StateDict().Select(kv => kv.Value.ToDoubleArray()).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => other.LoadStateDict(wrong, 5));
        Assert.Contains("missing '0.bias'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'0.weight' is [3, 3], the model's [2, 3]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected '2.weight'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, other.StateDict().Select(kv => kv.Value.ToDoubleArray()).ToArray());
        Assert.Equal(2, other.Updates);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(model, decay: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(model, decay: double.NaN));
        Assert.Equal("ExponentialMovingAverage(decay=0.8, warmup=True, updates=2)", ema.ToString());
    }
}
