// Rosenblatt's perceptron, as the first lecture writes it: start at w = 0 and, for each point in turn that is on the
// wrong side (y (w . x) <= 0), add y x to w; stop after an epoch without a mistake. The convergence theorem says that on
// data separable with margin gamma inside a ball of radius R this makes at most 4 R^2 / gamma^2 updates. On XOR, which
// no line separates, it never stops.
using Axon;
using Axon.Data;
using Axon.Models;

var options = ParseArgs(args, "--points", "--margin", "--epochs", "--seed");
int points = Get(options, "--points", 1000);       // training points (and as many test points)
double margin = Get(options, "--margin", 0.1);     // gamma: no point lies closer than gamma / 2 to the separating line
int maxEpochs = Get(options, "--epochs", 1000);    // give up after this many passes
long seed = Get(options, "--seed", 0L);

// 1. Separable data: points in the unit disc, labels +1/-1 by the side of a random line through the origin. Training
// and test points come from one draw, so they share the line.
var data = ToyDatasets.LinearlySeparable(2 * points, margin, radius: 1.0, new Generator(seed));
var (trainX, trainY) = (data.X.Narrow(0, 0, points), data.Y.Narrow(0, 0, points));
var (testX, testY) = (data.X.Narrow(0, points, points), data.Y.Narrow(0, points, points));

var perceptron = new Perceptron();
Console.WriteLine($"Perceptron on {points} separable points (margin {data.Gamma:F3}, radius {data.Radius:F3}):");
perceptron.Fit(trainX, trainY, maxEpochs, testX, testY, onEpoch: e =>
    Console.WriteLine($"  epoch {e.Epoch + 1,3}: {e.Changes,4} updates, train error {e.TrainError:P2}, test error {e.TestError:P2}"));

// The bias is the weight of a constant input 1 appended to every x, so the theorem's radius is that of (x, 1):
// R'^2 = R^2 + 1, while the separator (w*, 0) keeps the margin.
double radius2 = data.Radius * data.Radius + 1;
long bound = (long)Math.Floor(4 * radius2 / (data.Gamma * data.Gamma));
double testError = perceptron.ErrorRate(testX, testY);
Console.WriteLine($"{(perceptron.Converged ? "Converged" : "Did not converge")}: {perceptron.TotalUpdates} updates in all; " +
    $"the theorem allows at most 4 R'^2 / gamma^2 = {bound}.");
Console.WriteLine($"w = ({string.Join(", ", perceptron.Weights.Select(w => w.ToString("F3")))}) (the last is the bias)");

// 2. XOR: the four corners of the unit square, noisy, labelled x1 xor x2 (mapped to -1/+1). No line separates them,
// so some point is always misclassified and the algorithm cycles until maxEpochs. This is why we need hidden layers.
var (xorX, xorY01) = ToyDatasets.Xor(samplesPerCorner: 25, noise: 0.1, new Generator(seed + 1));
var xorY = xorY01 * 2 - 1;
var xor = new Perceptron();
var history = xor.Fit(xorX, xorY, maxEpochs: 100);
Console.WriteLine($"XOR: {(xor.Converged ? "converged" : "no convergence")} after {history.Count} epochs, " +
    $"{xor.TotalUpdates} updates, training error {xor.ErrorRate(xorX, xorY):P1}.");

// The line CI checks: convergence within the bound.
Console.WriteLine($"final: {(perceptron.Converged ? "converged" : "not converged")} after {perceptron.TotalUpdates} updates " +
    $"(bound {bound}), test error {testError:P2}; XOR error {xor.ErrorRate(xorX, xorY):P1}");
return perceptron.Converged ? 0 : 1;

// --name value pairs with defaults; an unknown option or a bad value stops with a message.
static Dictionary<string, string> ParseArgs(string[] args, params string[] known)
{
    var values = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i += 2)
    {
        if (!known.Contains(args[i])) Exit($"unknown option '{args[i]}'; the options are {string.Join(", ", known)}");
        if (i + 1 == args.Length) Exit($"{args[i]} needs a value");
        values[args[i]] = args[i + 1];
    }
    return values;
}

static T Get<T>(Dictionary<string, string> options, string name, T fallback) where T : IParsable<T>
{
    if (!options.TryGetValue(name, out var text)) return fallback;
    if (!T.TryParse(text, null, out var value)) Exit($"{name}: '{text}' is not a valid {typeof(T).Name}");
    return value;
}

[System.Diagnostics.CodeAnalysis.DoesNotReturn]
static void Exit(string message)
{
    Console.Error.WriteLine($"error: {message}");
    Environment.Exit(2);
}
