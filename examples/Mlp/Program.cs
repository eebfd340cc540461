// A multi-layer perceptron on Fashion-MNIST: each 28x28 image becomes a vector of 784 pixels, two hidden layers of 256
// ReLU units learn features, and a linear layer gives the ten class scores (logits). Training is mini-batch SGD with
// momentum on the cross-entropy; loss.Backward() is back-propagation. The trained weights are saved as safetensors
// (PyTorch's names and layouts) and loaded back into a fresh model.
using System.Diagnostics;
using Axon;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

var options = ParseArgs(args, "--epochs", "--limit", "--batch-size", "--lr", "--seed", "--data-dir", "--out");
int epochs = Get(options, "--epochs", 10);
int limit = Get(options, "--limit", 0);              // train on the first N images only (0: all 60,000)
int batchSize = Get(options, "--batch-size", 64);
double lr = Get(options, "--lr", 0.05);
long seed = Get(options, "--seed", 0L);
string dataDir = options.GetValueOrDefault("--data-dir", FashionMnist.DefaultDirectory);
string output = options.GetValueOrDefault("--out", "mlp.safetensors");

var (train, test) = LoadFashionMnist(dataDir);
IDataset trainSet = limit > 0 ? new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count))) : train;
Console.WriteLine($"Fashion-MNIST: {trainSet.Count:N0} training and {test.Count:N0} test images");

var model = Build(new Generator(seed));
Console.WriteLine(model);
Console.WriteLine($"{model.Parameters().Sum(p => p.NumEl):N0} parameters");

var optimizer = new Sgd(model.Parameters(), lr: lr, momentum: 0.9, weightDecay: 5e-4);
var schedule = new CosineAnnealingLR(optimizer, tMax: epochs);    // the rate falls to 0 along a half cosine
var loader = new DataLoader(trainSet, batchSize, shuffle: true, generator: new Generator(seed + 1), prefetch: 2);
double accuracy = 0;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    model.Train();
    double lossSum = 0;
    foreach (var (x, y) in loader)
    {
        using var scope = new TensorScope();          // the step's intermediate tensors go back to the buffer pool
        optimizer.ZeroGrad();
        var loss = Functional.CrossEntropy(model.Forward(x), y);
        loss.Backward();
        optimizer.Step();
        lossSum += loss.Item() * x.Size(0);
    }
    schedule.Step();
    (double testLoss, accuracy) = Evaluate(model, test);
    Console.WriteLine($"epoch {epoch,2}: train loss {lossSum / trainSet.Count:F4}, test loss {testLoss:F4}, " +
        $"test accuracy {accuracy:P2} ({clock.Elapsed.TotalSeconds:F1} s)");
}

// Save the weights, then load them into a new model (another seed, so other initial weights): same accuracy.
model.Save(output);
var reloaded = Build(new Generator(seed + 100));
reloaded.Load(output);
var (_, again) = Evaluate(reloaded, test);
Console.WriteLine($"Saved {output}; reloaded it: test accuracy {again:P2}");
Console.WriteLine($"final: test accuracy {accuracy:P2} after {epochs} epoch{(epochs == 1 ? "" : "s")} on {trainSet.Count:N0} images");
return again == accuracy ? 0 : 1;

// Flatten, then Linear-ReLU-Linear-ReLU-Linear: 784 -> 256 -> 256 -> 10.
static Sequential Build(Generator g) => new(
    new Flatten(),
    new Linear(784, 256, generator: g), new ReLU(),
    new Linear(256, 256, generator: g), new ReLU(),
    new Linear(256, 10, generator: g));

// Mean loss and accuracy over a data set, in evaluation mode and without recording the graph.
static (double Loss, double Accuracy) Evaluate(Module<Tensor, Tensor> model, IDataset data)
{
    model.Eval();
    using var noGrad = GradMode.NoGrad();
    double loss = 0, correct = 0;
    foreach (var (x, y) in new DataLoader(data, batchSize: 1000))
    {
        using var scope = new TensorScope();
        var logits = model.Forward(x);
        loss += Functional.CrossEntropy(logits, y).Item() * x.Size(0);
        correct += Functional.Accuracy(logits, y) * x.Size(0);
    }
    return (loss / data.Count, correct / data.Count);
}

// The Debian package dataset-fashion-mnist installs the data in /usr/share/datasets/fashion-mnist.
static (FashionMnist Train, FashionMnist Test) LoadFashionMnist(string directory)
{
    if (!File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz")) && !File.Exists(Path.Combine(directory, "train-images-idx3-ubyte")))
        Exit($"Fashion-MNIST is not in {directory}: install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data-dir");
    return (FashionMnist.Load(directory, train: true), FashionMnist.Load(directory, train: false));
}

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
