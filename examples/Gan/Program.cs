// A generative adversarial network (Goodfellow et al., 2014) on Fashion-MNIST. A generator G turns noise z ~ N(0, I)
// into images; a discriminator D tells real images from generated ones. They play a game: D ascends
// log D(x) + log(1 - D(G(z))), G ascends log D(G(z)) (the "non-saturating" objective, whose gradient is strong while D
// still wins). Each batch takes one step of each, with an optimiser each. Nothing compares a generated image with a real
// one directly: G learns only through D's gradient, yet its images come to look like the data.
using System.Diagnostics;
using Axon;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

var options = ParseArgs(args, "--epochs", "--limit", "--seed", "--data-dir", "--out");
int epochs = Get(options, "--epochs", 10);
int limit = Get(options, "--limit", 0);              // train on the first N images only (0: all 60,000)
long seed = Get(options, "--seed", 0L);
string dataDir = options.GetValueOrDefault("--data-dir", FashionMnist.DefaultDirectory);
string output = options.GetValueOrDefault("--out", "generator.safetensors");
const int latent = 64;

var (train, test) = LoadFashionMnist(dataDir);        // normalised with mean 0.5, std 0.5: pixels in [-1, 1], as Tanh gives
IDataset trainSet = limit > 0 ? new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count))) : train;

var g = new Generator(seed);
var generator = new Sequential(
    new Linear(latent, 256, generator: g), new LeakyReLU(0.2),
    new Linear(256, 512, generator: g), new LeakyReLU(0.2),
    new Linear(512, 784, generator: g), new Tanh());
var discriminator = new Sequential(
    new Flatten(),
    new Linear(784, 512, generator: g), new LeakyReLU(0.2),
    new Linear(512, 256, generator: g), new LeakyReLU(0.2),
    new Linear(256, 1, generator: g));                  // one logit: real (high) or generated (low)
var gOptimizer = new Adam(generator.Parameters(), lr: 2e-4, beta1: 0.5);
var dOptimizer = new Adam(discriminator.Parameters(), lr: 2e-4, beta1: 0.5);
var noise = new Generator(seed + 1);
var loader = new DataLoader(trainSet, batchSize: 64, shuffle: true, dropLast: true, generator: new Generator(seed + 2), prefetch: 2);

// A simple check of what G has learnt: how far the mean of its images is from the mean test image (RMS over pixels).
var meanTestImage = test.GetBatch([.. Enumerable.Range(0, test.Count)]).Input.Mean(0).Flatten();
double start = MeanImageDistance(generator, meanTestImage, latent);
Console.WriteLine($"before training: mean-image distance {start:F3}");
double distance = start;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    double dReal = 0, dFake = 0;
    int batches = 0;
    foreach (var (x, _) in loader)
    {
        using var scope = new TensorScope();
        var fake = generator.Forward(Tensor.Randn([x.Size(0), latent], noise));

        // D's step: real images labelled 1, generated ones 0. Detach: this step must not reach G's weights.
        dOptimizer.ZeroGrad();
        var realLogits = discriminator.Forward(x);
        var fakeLogits = discriminator.Forward(fake.Detach());
        var dLoss = Functional.BinaryCrossEntropyWithLogits(realLogits, Tensor.OnesLike(realLogits))
            + Functional.BinaryCrossEntropyWithLogits(fakeLogits, Tensor.ZerosLike(fakeLogits));
        dLoss.Backward();
        dOptimizer.Step();

        // G's step: make D call its images real. The gradient flows through D (whose weights this step leaves alone).
        gOptimizer.ZeroGrad();
        var judged = discriminator.Forward(fake);
        Functional.BinaryCrossEntropyWithLogits(judged, Tensor.OnesLike(judged)).Backward();
        gOptimizer.Step();

        dReal += realLogits.Sigmoid().Mean().Item();
        dFake += fakeLogits.Sigmoid().Mean().Item();
        batches++;
    }
    distance = MeanImageDistance(generator, meanTestImage, latent);
    Console.WriteLine($"epoch {epoch,2}: mean D(x) {dReal / batches:F3}, mean D(G(z)) {dFake / batches:F3}, " +
        $"mean-image distance {distance:F3} ({clock.Elapsed.TotalSeconds:F1} s)");
}

using (GradMode.NoGrad())
{
    var samples = generator.Forward(Tensor.Randn([6, latent], new Generator(seed + 3)));
    PrintImages((samples * 0.5 + 0.5).ToFloatArray(), 6);  // back from [-1, 1] to [0, 1]
}
generator.Save(output);
Console.WriteLine($"Saved the generator to {output}");
Console.WriteLine($"final: mean-image distance {distance:F3} ({start:F3} before training)");
return 0;

static double MeanImageDistance(Module<Tensor, Tensor> generator, Tensor meanImage, int latent)
{
    using var noGrad = GradMode.NoGrad();
    var images = generator.Forward(Tensor.Randn([1000, latent], new Generator(12345)));
    return (images.Mean(0) - meanImage).Square().Mean().Sqrt().Item();
}

// Images of 28x28 values in [0, 1], three side by side, every other row (a character is about twice as tall as wide).
static void PrintImages(float[] pixels, int count)
{
    const string ramp = " .:-=+*#%@";
    for (int first = 0; first < count; first += 3)
        for (int row = 0; row < 28; row += 2)
            Console.WriteLine(string.Join("  ", Enumerable.Range(first, Math.Min(3, count - first)).Select(i =>
                string.Concat(Enumerable.Range(0, 28).Select(c => ramp[(int)(Math.Clamp(pixels[i * 784 + row * 28 + c], 0, 0.999f) * ramp.Length)])))));
}

// The Debian package dataset-fashion-mnist installs the data in /usr/share/datasets/fashion-mnist.
static (FashionMnist Train, FashionMnist Test) LoadFashionMnist(string directory)
{
    if (!File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz")) && !File.Exists(Path.Combine(directory, "train-images-idx3-ubyte")))
        Exit($"Fashion-MNIST is not in {directory}: install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data-dir");
    return (FashionMnist.Load(directory, train: true, mean: 0.5f, std: 0.5f), FashionMnist.Load(directory, train: false, mean: 0.5f, std: 0.5f));
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
