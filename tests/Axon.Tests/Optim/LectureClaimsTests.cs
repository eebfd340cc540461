using Axon.Data;
using Axon.Nn;
using Axon.Optim;
using Axon.Tests.Data;
using Xunit.Abstractions;

namespace Axon.Tests.Optim;

/// <summary>The lecture's claims about step sizes, averaging and regularisation, reproduced on small problems.</summary>
public class LectureClaimsTests(ITestOutputHelper output)
{
    // f(x) = 0.5 x^T A x with A = Q diag(eigenvalues) Q^T, Q a random rotation: the curvature along Q's columns is known.
    private static Tensor Quadratic(double[] eigenvalues)
    {
        int n = eigenvalues.Length;
        var q = Init.Orthogonal(Tensor.Zeros([n, n], DType.Float64), generator: new Generator(3)).ToDoubleArray();
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++) a[i * n + j] += q[i * n + k] * eigenvalues[k] * q[j * n + k];
        return Tensor.FromArray(a, n, n);
    }

    // Runs gradient descent (Axon's SGD on the exact gradient) from x0 = (1, ..., 1); returns the loss after each step.
    private static double[] GradientDescent(Tensor a, double step, int iterations)
    {
        int n = a.Size(0);
        var x = Tensor.Ones([1, n], DType.Float64).RequiresGrad_();
        var opt = new Sgd([x], lr: step);
        var losses = new double[iterations + 1];
        for (int t = 0; t <= iterations; t++)
        {
            opt.ZeroGrad();
            var loss = (x.MatMul(a) * x).Sum() * 0.5;
            losses[t] = loss.Item();
            if (t == iterations) break;
            loss.Backward();
            opt.Step();
        }
        return losses;
    }

    private static int StepsToReach(double[] losses, double tolerance) => Array.FindIndex(losses, l => l <= tolerance * losses[0]);

    [Fact]
    public void GradientDescentConvergesBelowTwoOverLAndDivergesAbove()
    {
        double[] eigenvalues = [0.5, 2.0, 10.0];
        double l = eigenvalues.Max();
        var a = Quadratic(eigenvalues);

        // Below 2/L every mode contracts by |1 - step λ| < 1; above, the top mode grows by |1 - step L| > 1.
        var below = GradientDescent(a, 0.95 * 2 / l, 400);
        var above = GradientDescent(a, 1.05 * 2 / l, 400);
        Assert.True(below[^1] < 1e-12 * below[0], $"step 0.95 * 2/L should converge; loss went {below[0]} -> {below[^1]}");
        Assert.True(above[^1] > 1e6 * above[0], $"step 1.05 * 2/L should diverge; loss went {above[0]} -> {above[^1]}");
        Assert.All(above.Skip(50).Zip(above.Skip(51)), p => Assert.True(p.Second > p.First));  // monotone blow-up once the top mode dominates

        // A too-small step is slow: the smallest curvature's mode contracts by only 1 - step μ per step.
        int good = StepsToReach(GradientDescent(a, 1.0 / l, 2000), 1e-8);
        int small = StepsToReach(GradientDescent(a, 0.1 / l, 2000), 1e-8);
        output.WriteLine($"steps to 1e-8 of the initial loss: step 1/L {good}, step 0.1/L {small}");
        Assert.InRange(good, 1, 2000);
        Assert.True(small == -1 || small > 5 * good, $"step 1/L needs {good} steps, step 0.1/L needs {small}");
    }

    [Fact]
    public void AveragedIterateHasLowerLossVarianceThanTheLastIterate()
    {
        // Least squares on noisy data, stochastic gradients from mini-batches of 4 with a constant step: the last iterate
        // keeps bouncing in a noise ball, the average of the iterates settles.
        const int N = 400, D = 5, Batch = 4, Steps = 3000, Window = 1000;
        var g = new Generator(42);
        var x = Tensor.Randn([N, D], g, DType.Float64);
        var wStar = Tensor.FromArray([1.0, -2.0, 0.5, 3.0, -1.0], D, 1);
        var y = x.MatMul(wStar) + Tensor.Randn([N, 1], g, DType.Float64, std: 0.5);
        var w = Tensor.Zeros([D, 1], DType.Float64).RequiresGrad_();
        var opt = new AveragedSgd([w], lr: 0.05, averageStart: Steps - Window);
        double FullLoss(Tensor weights) => (x.MatMul(weights) - y).Square().Mean().Item();

        var lastLosses = new List<double>();
        var averageLosses = new List<double>();
        for (int t = 0; t < Steps; t++)
        {
            var idx = Tensor.FromArray(Enumerable.Range(0, Batch).Select(_ => g.NextInt64(N)).ToArray());
            opt.ZeroGrad();
            (x.IndexSelect(0, idx).MatMul(w) - y.IndexSelect(0, idx)).Square().Mean().Backward();
            opt.Step();
            if (t >= Steps - Window + 100)  // let the average gather a few iterates first
            {
                lastLosses.Add(FullLoss(w));
                averageLosses.Add(FullLoss(opt.GetAverage(w)!));
            }
        }
        static double Variance(List<double> v)
        {
            double m = v.Average();
            return v.Sum(e => (e - m) * (e - m)) / (v.Count - 1);
        }
        double varLast = Variance(lastLosses), varAverage = Variance(averageLosses);
        output.WriteLine($"loss variance: average {varAverage:E3}, last iterate {varLast:E3}; mean loss: average {averageLosses.Average():F5}, last {lastLosses.Average():F5}");
        Assert.True(varAverage < 0.1 * varLast, $"variance of the loss: average {varAverage:E3}, last iterate {varLast:E3}");
        Assert.True(averageLosses.Average() < lastLosses.Average(), $"mean loss: average {averageLosses.Average()}, last iterate {lastLosses.Average()}");
    }

    private static (Tensor X, Tensor Y) Subset(FashionMnist data, int n)
    {
        var pixels = data.ImageBytes[..(n * FashionMnist.Pixels)];
        var x = new float[pixels.Length];
        for (int i = 0; i < x.Length; i++) x[i] = (pixels[i] / 255f - data.Mean) / data.Std;
        var labels = data.Labels[..n].ToArray().Select(b => (long)b).ToArray();
        return (Tensor.FromArray(x, n, FashionMnist.Pixels), Tensor.FromArray(labels));
    }

    private static double Accuracy(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        model.Eval();
        using var scope = new TensorScope();
        using (GradMode.NoGrad())
        {
            var predicted = model.Forward(x).ArgMax(1).ToLongArray();
            var labels = y.ToLongArray();
            return predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
        }
    }

    // Trains a 784-512-512-10 ReLU MLP on (x, y) with SGD + momentum; returns (train accuracy, test accuracy).
    private static (double Train, double Test) TrainMlp(Tensor x, Tensor y, Tensor xTest, Tensor yTest, double inputDropout, double hiddenDropout, double l2, int epochs)
    {
        var g = new Generator(7);
        var model = new Sequential(
            new Dropout(inputDropout, new Generator(11)), new Linear(784, 512, generator: g), new ReLU(),
            new Dropout(hiddenDropout, new Generator(12)), new Linear(512, 512, generator: g), new ReLU(),
            new Dropout(hiddenDropout, new Generator(13)), new Linear(512, 10, generator: g));
        var opt = new Sgd(model.Parameters(), lr: 0.02, momentum: 0.9);
        var order = new Generator(5);
        const int Batch = 50;
        int n = x.Size(0);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            model.Train();
            var perm = order.Permutation(n);
            for (int start = 0; start < n; start += Batch)
            {
                using var scope = new TensorScope();
                var idx = Tensor.FromArray(perm.Skip(start).Take(Batch).Select(i => (long)i).ToArray());
                opt.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Forward(x.IndexSelect(0, idx)), y.IndexSelect(0, idx));
                if (l2 > 0) loss += Regularization.L2Penalty(model, l2);  // biases excluded, as the lecture recommends
                loss.Backward();
                opt.Step();
            }
        }
        return (Accuracy(model, x, y), Accuracy(model, xTest, yTest));
    }

    [FashionMnistInstalledFact]
    public void DropoutAndL2ShrinkTheTrainTestGapOfAnOverParameterisedMlp()
    {
        // 1000 training images for ~670k parameters: without regularisation the network memorises the training set.
        var (x, y) = Subset(FashionMnist.Load(train: true), 1000);
        var (xTest, yTest) = Subset(FashionMnist.Load(train: false), 1000);
        const int Epochs = 15;
        var plain = TrainMlp(x, y, xTest, yTest, 0, 0, 0, Epochs);
        var dropout = TrainMlp(x, y, xTest, yTest, 0.2, 0.5, 0, Epochs);
        var l2 = TrainMlp(x, y, xTest, yTest, 0, 0, 1e-2, Epochs);
        string report = $"train/test accuracy: plain {plain}, dropout {dropout}, L2 {l2}";
        output.WriteLine(report);
        double Gap((double Train, double Test) r) => r.Train - r.Test;
        Assert.True(plain.Train > 0.97, "the unregularised MLP should (nearly) memorise its 1000 images; " + report);
        Assert.True(Gap(dropout) < Gap(plain) - 0.02, "dropout should shrink the train-test gap; " + report);
        Assert.True(Gap(l2) < Gap(plain) - 0.02, "L2 should shrink the train-test gap; " + report);
        Assert.True(dropout.Test > 0.7 && l2.Test > 0.7, "the regularised networks should still learn; " + report);
    }
}
