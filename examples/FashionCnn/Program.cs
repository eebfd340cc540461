// A convolutional network on Fashion-MNIST, the lectures' CNN: two convolutions (5x5 filters shared across the image,
// so a feature is found wherever it appears) each followed by ReLU and max-pooling (a little translation invariance,
// a smaller map), then two fully connected layers. It trains like the MLP, with far fewer weights per layer, and
// ends with the accuracy of each class and the weights saved as safetensors.
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
string output = options.GetValueOrDefault("--out", "cnn.safetensors");

var (train, test) = LoadFashionMnist(dataDir);
IDataset trainSet = limit > 0 ? new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count))) : train;

var g = new Generator(seed);
var model = new Sequential(
    new Conv2d(1, 32, 5, generator: g), new ReLU(), new MaxPool2d(3),     // [N, 1, 28, 28] -> [N, 32, 24, 24] -> [N, 32, 8, 8]
    new Conv2d(32, 64, 5, generator: g), new ReLU(), new MaxPool2d(2),    // -> [N, 64, 4, 4] -> [N, 64, 2, 2]
    new Flatten(),                                                        // -> [N, 256]
    new Linear(256, 256, generator: g), new ReLU(),
    new Linear(256, 10, generator: g));                                   // -> [N, 10] logits
Console.WriteLine(model.Summary([1, 1, 28, 28]));                         // each layer's output shape and parameters

var optimizer = new Sgd(model.Parameters(), lr: lr, momentum: 0.9, weightDecay: 5e-4);
var schedule = new StepLR(optimizer, stepSize: 4, gamma: 0.3);           // the rate times 0.3 every 4 epochs
var loader = new DataLoader(trainSet, batchSize, shuffle: true, generator: new Generator(seed + 1), prefetch: 2);
Console.WriteLine($"Training on {trainSet.Count:N0} images for {epochs} epochs, batches of {batchSize}");
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
    double seconds = clock.Elapsed.TotalSeconds;
    var (_, accuracy) = Predict(model, test);
    Console.WriteLine($"epoch {epoch,2}: train loss {lossSum / trainSet.Count:F4}, test accuracy {accuracy:P2}, " +
        $"{trainSet.Count / seconds:N0} images/s");
}

// Which classes does it confuse? Shirts with T-shirts, pullovers and coats, typically.
var (predicted, testAccuracy) = Predict(model, test);
var labels = test.Labels.ToArray();
for (int c = 0; c < 10; c++)
{
    var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToList();
    Console.WriteLine($"  {FashionMnist.ClassNames[c],-12} {members.Count(i => predicted[i] == c) / (double)members.Count,8:P1}");
}
model.Save(output);
Console.WriteLine($"Saved the weights to {output}");
Console.WriteLine($"final: test accuracy {testAccuracy:P2} after {epochs} epoch{(epochs == 1 ? "" : "s")} on {trainSet.Count:N0} images");
return 0;

// The predicted class of every image, and the accuracy, in evaluation mode and without recording the graph.
static (long[] Predicted, double Accuracy) Predict(Module<Tensor, Tensor> model, FashionMnist data)
{
    model.Eval();
    using var noGrad = GradMode.NoGrad();
    var predicted = new List<long>();
    foreach (var (x, _) in new DataLoader(data, batchSize: 1000))
    {
        using var scope = new TensorScope();
        predicted.AddRange(model.Forward(x).ArgMax(1).ToLongArray());
    }
    var labels = data.Labels;
    int correct = 0;
    for (int i = 0; i < predicted.Count; i++) if (predicted[i] == labels[i]) correct++;
    return ([.. predicted], correct / (double)predicted.Count);
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
