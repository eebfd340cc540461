// The first lecture's lab. Multiclass logistic regression, p(C_k | x) = softmax(W x + b)_k, is trained by gradient
// descent on the negative log-likelihood (the cross-entropy), here on three interleaved spirals that no linear model
// separates. Then the lecture's two ways past the linear limit: (b) a fixed random ReLU layer in front (random
// features: only the logistic regression on top learns), and (c) training that hidden layer too (a two-layer MLP).
using Axon;
using Axon.Data;
using Axon.Models;
using Axon.Nn;
using Axon.Optim;

var options = ParseArgs(args, "--steps", "--hidden", "--lr", "--seed");
int steps = Get(options, "--steps", 2000);     // full-batch gradient steps per model
int hidden = Get(options, "--hidden", 100);    // ReLU units of models (b) and (c)
double lr = Get(options, "--lr", 0.1);
long seed = Get(options, "--seed", 0L);

// 100 points per arm for training, an independent draw of as many for testing.
var (trainX, trainY) = ToyDatasets.Spirals(100, 3, 0.2, new Generator(seed));
var (testX, testY) = ToyDatasets.Spirals(100, 3, 0.2, new Generator(seed + 1_000_003));

// 1. The gradient the lecture derives by hand, dL/dw_k = sum_n (y_k(x_n) - t_nk) x_n, is what autograd computes.
var check = new LogisticRegression(2, 3, DType.Float64, new Generator(seed));
var x64 = trainX.To(DType.Float64);
Functional.CrossEntropy(check.Forward(x64), trainY, reduction: Reduction.Sum).Backward();
var (gradW, gradB) = LogisticRegression.ClosedFormGradient(check.Linear.Weight, check.Linear.Bias!, x64, trainY);
double gap = Math.Max((gradW - check.Linear.Weight.Grad!).Abs().Max().Item(), (gradB - check.Linear.Bias!.Grad!).Abs().Max().Item());
Console.WriteLine($"Closed-form gradient against autograd: largest difference {gap:E1}");

// 2. Three models trained by one loop. Model (b)'s hidden layer keeps its random weights: RequiresGrad = false.
var g = new Generator(seed);
var randomLayer = new Linear(2, hidden, generator: g);
randomLayer.Weight.RequiresGrad = false;
randomLayer.Bias!.RequiresGrad = false;
(string Name, Module<Tensor, Tensor> Model)[] models =
[
    ("(a) logistic regression", new LogisticRegression(2, 3, generator: g)),
    ("(b) random ReLU layer + logistic regression", new Sequential(randomLayer, new ReLU(), new Linear(hidden, 3, generator: g))),
    ("(c) trained ReLU hidden layer", new Sequential(new Linear(2, hidden, generator: g), new ReLU(), new Linear(hidden, 3, generator: g))),
];
var accuracies = new List<double>();
foreach (var (name, model) in models)
{
    var optimizer = new Sgd(model.Parameters().Where(p => p.RequiresGrad), lr: lr, momentum: 0.9, weightDecay: 1e-4);
    for (int step = 1; step <= steps; step++)
    {
        using var scope = new TensorScope();              // the step's intermediate tensors go back to the pool
        optimizer.ZeroGrad();
        var loss = Functional.CrossEntropy(model.Forward(trainX), trainY);
        loss.Backward();
        optimizer.Step();
        if (step == 1 || step == steps) Console.WriteLine($"{name}: step {step,5}, loss {loss.Item():F4}");
    }
    using var noGrad = GradMode.NoGrad();
    double train = Functional.Accuracy(model.Forward(trainX), trainY), test = Functional.Accuracy(model.Forward(testX), testY);
    Console.WriteLine($"{name}: train accuracy {train:P1}, test accuracy {test:P1}");
    accuracies.Add(test);
}

// 3. The decision regions of (a) and (c) over [-1, 1]^2, one character per class: a linear model cuts the plane into
// three wedges; the MLP follows the arms.
var regions = new[] { ToyLab.DecisionGrid(models[0].Model, -1, 1, -1, 1, 31), ToyLab.DecisionGrid(models[2].Model, -1, 1, -1, 1, 31) };
Console.WriteLine("(a)                              (c)");
for (int row = 30; row >= 0; row -= 2)
    Console.WriteLine(string.Join("   ", regions.Select(r => string.Concat(Enumerable.Range(0, 31).Select(c => ".ox"[r[row, c]])))));

Console.WriteLine($"final: test accuracy (a) {accuracies[0]:P1}, (b) {accuracies[1]:P1}, (c) {accuracies[2]:P1}");
return 0;

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
