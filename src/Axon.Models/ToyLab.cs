using Axon.Nn;
using Axon.Optim;

namespace Axon.Models;

/// <summary>Settings of the first lecture's lab (<see cref="ToyLab"/>).</summary>
/// <param name="Hidden">Width of the hidden ReLU layer of models (b) and (c).</param>
/// <param name="Steps">Full-batch gradient steps per model.</param>
/// <param name="LearningRate">Step size.</param>
/// <param name="Momentum">Heavy-ball momentum.</param>
/// <param name="WeightDecay">L2 penalty.</param>
/// <param name="Seed">Seed of the weight initialisation.</param>
public sealed record ToyLabOptions(int Hidden = 100, int Steps = 2000, double LearningRate = 0.1, double Momentum = 0.9, double WeightDecay = 1e-4, long Seed = 0);

/// <summary>One trained model of the lab and its accuracies.</summary>
/// <param name="Name">What the model is.</param>
/// <param name="Model">The trained network (logits out).</param>
/// <param name="TrainAccuracy">Accuracy on the training points.</param>
/// <param name="TestAccuracy">Accuracy on the test points.</param>
public sealed record ToyLabResult(string Name, Module<Tensor, Tensor> Model, double TrainAccuracy, double TestAccuracy);

/// <summary>
/// The lab of the first lecture on 2-D toy data: (a) multiclass logistic regression, (b) the same on a
/// fixed random ReLU hidden layer (random features; only the output layer learns), and (c) a trained
/// ReLU hidden layer (a 2-layer MLP). All use full-batch gradient descent with momentum on the cross-entropy.
/// </summary>
public static class ToyLab
{
    /// <summary>Trains the three models; <paramref name="progress"/> receives (model index, step, loss) every few steps.</summary>
    public static IReadOnlyList<ToyLabResult> Run(Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, ToyLabOptions options, Action<int, int, double>? progress = null)
    {
        int classes = (int)trainY.Max().Item() + 1;
        var g = new Generator(options.Seed);
        Module<Tensor, Tensor>[] models =
        [
            new LogisticRegression(2, classes, generator: g),
            new Mlp([2, options.Hidden, classes], generator: g).FreezeFirstLayer(),
            new Mlp([2, options.Hidden, classes], generator: g),
        ];
        string[] names = ["(a) logistic regression", "(b) random ReLU layer + logistic regression", "(c) trained ReLU hidden layer"];
        var results = new List<ToyLabResult>();
        for (int m = 0; m < models.Length; m++)
        {
            var model = models[m];
            Train(model, trainX, trainY, options, (step, loss) => progress?.Invoke(m, step, loss));
            results.Add(new ToyLabResult(names[m], model, Accuracy(model, trainX, trainY), Accuracy(model, testX, testY)));
        }
        return results;
    }

    /// <summary>Full-batch training with cross-entropy and SGD (momentum, weight decay); only parameters that require grad learn.</summary>
    public static void Train(Module<Tensor, Tensor> model, Tensor x, Tensor y, ToyLabOptions options, Action<int, double>? progress = null)
    {
        var optimizer = new Sgd(model.Parameters().Where(p => p.RequiresGrad), lr: options.LearningRate, momentum: options.Momentum, weightDecay: options.WeightDecay);
        model.Train();
        for (int step = 1; step <= options.Steps; step++)
        {
            using var scope = new TensorScope();
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            optimizer.Step();
            if (step % 50 == 0 || step == options.Steps) progress?.Invoke(step, loss.Item());
        }
        model.Eval();
    }

    /// <summary>Accuracy of the arg-max prediction.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var scope = new TensorScope();
        using var noGrad = GradMode.NoGrad();
        return Functional.Accuracy(model.Forward(x), y);
    }

    /// <summary>Predicted class on a grid over [xMin, xMax] x [yMin, yMax] with <paramref name="resolution"/> points per side: [row = y index, column = x index].</summary>
    public static int[,] DecisionGrid(Module<Tensor, Tensor> model, double xMin, double xMax, double yMin, double yMax, int resolution)
    {
        using var scope = new TensorScope();
        using var noGrad = GradMode.NoGrad();
        var pts = new float[resolution * resolution * 2];
        for (int r = 0; r < resolution; r++)
            for (int c = 0; c < resolution; c++)
            {
                pts[(r * resolution + c) * 2] = (float)(xMin + (xMax - xMin) * c / (resolution - 1));
                pts[(r * resolution + c) * 2 + 1] = (float)(yMin + (yMax - yMin) * r / (resolution - 1));
            }
        var pred = model.Forward(Tensor.FromArray(pts, resolution * resolution, 2)).ArgMax(1).ToLongArray();
        var grid = new int[resolution, resolution];
        for (int r = 0; r < resolution; r++) for (int c = 0; c < resolution; c++) grid[r, c] = (int)pred[r * resolution + c];
        return grid;
    }
}
